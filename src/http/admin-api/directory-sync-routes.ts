import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import {
  type DirectorySyncService,
  publicSettings,
  type SyncSettingsInput,
} from '../../services/sync/directory-sync-service.js';
import { requestContextOf } from '../request-context.js';

/**
 * OpenSSPR's admin endpoints for directory sync (SPEC section 8), for the portal: Global Administrators, the local
 * operator, or apps with `Directory.ReadWrite.All`. Errors in Graph's shape.
 *
 * - `GET /directorySync/settings`: the settings without the bind password (`bindPasswordSet` instead); 404 when not
 *   configured.
 * - `PUT /directorySync/settings`: any subset of the fields (absent ones keep their value; `bindPassword` is
 *   write-only and needed the first time); returns the settings as `GET` does.
 * - `POST /directorySync/runs` `{ kind: 'full' | 'delta', dryRun, allowDeletions }`: starts a run in the background
 *   and answers 202 `{ runId, kind, dryRun, allowDeletions, status: 'running' }` with
 *   `Location: .../directorySync/runs/{runId}` as soon as it is recorded. Another run holding the lease: 409
 *   `Request_Conflict`. `allowDeletions: true` applies that one run's deletions above the deletion threshold.
 * - `GET /directorySync/runs?top=N`: the last runs, newest first.
 * - `GET /directorySync/runs/{id}`: one run: status, counts (live while it runs), `pagesRead` (while it runs in this
 *   instance; null once it ended), message; a run stopped by the deletion threshold
 *   (`stopped-deletion-threshold-exceeded`) has `pendingDeletions` and `deletionThreshold`.
 * - `GET /directorySync/runs/{id}/errors`: that run's per-object errors and warnings.
 */
export async function directorySyncRoutes(
  app: FastifyInstance,
  options: { readonly directorySync: () => DirectorySyncService },
): Promise<void> {
  const service = options.directorySync;

  app.get('/directorySync/settings', async (request) => {
    service().authorize(requestContextOf(request));
    const settings = await service().settings();
    if (!settings) throw new DomainError('resource_not_found', { resource: 'directorySync/settings' });
    return publicSettings(settings);
  });

  app.put('/directorySync/settings', async (request) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new DomainError('invalid_request', {}, 'The body must be a JSON object of directory sync settings.');
    }
    return service().update(requestContextOf(request), body as SyncSettingsInput);
  });

  app.post('/directorySync/runs', async (request, reply) => {
    service().authorize(requestContextOf(request));
    const body = (request.body ?? {}) as { kind?: unknown; dryRun?: unknown; allowDeletions?: unknown };
    const kind = body.kind ?? 'delta';
    if (kind !== 'full' && kind !== 'delta') {
      throw new DomainError('invalid_request', {}, "kind must be 'full' or 'delta'.");
    }
    if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') {
      throw new DomainError('invalid_request', {}, 'dryRun must be true or false.');
    }
    if (body.allowDeletions !== undefined && typeof body.allowDeletions !== 'boolean') {
      throw new DomainError('invalid_request', {}, 'allowDeletions must be true or false.');
    }
    if (!(await service().settings())) {
      throw new DomainError('invalid_request', {}, 'Directory sync is not configured: PUT its settings first.');
    }
    const allowDeletions = body.allowDeletions === true;
    const started = await service().start(kind, {
      dryRun: body.dryRun === true,
      allowDeletions,
      requestedBy: requestContextOf(request),
    });
    const location = `${request.url.replace(/\?.*$/, '').replace(/\/$/, '')}/${encodeURIComponent(started.runId)}`;
    return reply
      .code(202)
      .header('location', location)
      .send({ runId: started.runId, kind: started.kind, dryRun: started.dryRun, allowDeletions, status: 'running' });
  });

  app.get('/directorySync/runs/:id', async (request) => {
    service().authorize(requestContextOf(request));
    const { id } = request.params as { id: string };
    const run = await service().findRun(id);
    if (!run) throw new DomainError('resource_not_found', { resource: `directorySync/runs/${id}` });
    return run;
  });

  app.get('/directorySync/runs', async (request) => {
    service().authorize(requestContextOf(request));
    const rawTop =
      (request.query as { top?: unknown; $top?: unknown }).top ?? (request.query as { $top?: unknown }).$top;
    let top = 20;
    if (rawTop !== undefined) {
      top = typeof rawTop === 'string' && /^\d{1,3}$/.test(rawTop) ? Number(rawTop) : Number.NaN;
      if (Number.isNaN(top) || top < 1) throw new DomainError('invalid_page_size', { value: String(rawTop) });
    }
    return { value: await service().runs(top) };
  });

  app.get('/directorySync/runs/:id/errors', async (request) => {
    service().authorize(requestContextOf(request));
    const { id } = request.params as { id: string };
    return { value: await service().issues(id) };
  });
}
