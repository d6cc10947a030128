import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { csvLine, type ImportJobRecord, resultCells, resultColumns } from '../../domain/contact-import.js';
import { DomainError } from '../../domain/errors.js';
import type { ContactExportService } from '../../services/users/contact-export-service.js';
import type { ContactImportService } from '../../services/users/contact-import-service.js';
import { parseUserFilter } from '../graph/odata/index.js';
import { requestContextOf } from '../request-context.js';

/** A 100,000-row file is about 10 MB; this leaves room for long rows. */
export const contactImportBodyLimit = 64 * 1024 * 1024;

/**
 * OpenSSPR's admin endpoints for bulk contact info (docs/bulk-import.md), for the portal. Importing needs
 * User.ReadWrite.All and, for signed-in users, Global Administrator, User Administrator or Privileged
 * Authentication Administrator; exporting needs User.Read.All (signed-in: those roles or Global Reader). Errors in
 * Graph's shape.
 *
 * - `POST /contactImports?dryRun=&normalize=&defaultRegion=` with a `text/csv` body: the plan (dry run: every row)
 *   or the applied job with its counts and rejected rows. Re-posting a file whose import did not finish resumes it.
 * - `GET /contactImports/{id}`: the job's status, watermark and counts.
 * - `GET /contactImports/{id}/results`: every row's outcome as CSV.
 * - `GET /users/export?$filter=`: contact info and registration status as CSV, streamed.
 */
export async function contactImportRoutes(
  app: FastifyInstance,
  options: { readonly imports: () => ContactImportService; readonly export: () => ContactExportService },
): Promise<void> {
  app.addContentTypeParser(
    ['text/csv', 'text/plain', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: contactImportBodyLimit },
    (_request, body, done) => done(null, body),
  );

  app.post('/contactImports', { bodyLimit: contactImportBodyLimit }, async (request, reply) => {
    const context = requestContextOf(request);
    options.imports().authorize(context);
    const body = request.body;
    if (!Buffer.isBuffer(body)) {
      throw new DomainError('invalid_request', {}, 'The body must be a CSV file sent as text/csv.');
    }
    const query = request.query as Record<string, unknown>;
    const dryRun = booleanParameter(query, 'dryRun');
    const report = await options.imports().import(context, body, {
      dryRun,
      normalize: booleanParameter(query, 'normalize'),
      ...(typeof query.defaultRegion === 'string' && { defaultRegion: query.defaultRegion }),
    });
    if (report.dryRun || !report.job) return report;
    const rejected = [];
    for await (const row of options.imports().results(context, report.job.id)) {
      if (row.outcome === 'rejected') rejected.push(row);
    }
    reply.header('location', `/api/admin/v1/contactImports/${report.job.id}`);
    return { ...jobView(report.job), resumed: report.resumed, rejectedRows: rejected };
  });

  app.get('/contactImports/:id', async (request) => {
    const { id } = request.params as { id: string };
    return jobView(await options.imports().job(requestContextOf(request), id));
  });

  app.get('/contactImports/:id/results', async (request, reply) => {
    const context = requestContextOf(request);
    const { id } = request.params as { id: string };
    await options.imports().job(context, id);
    const rows = options.imports().results(context, id);
    async function* lines(): AsyncGenerator<string> {
      yield `${csvLine(resultColumns)}\r\n`;
      for await (const row of rows) yield `${csvLine(resultCells(row))}\r\n`;
    }
    reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="contact-import-${id}-results.csv"`)
      .header('cache-control', 'no-store');
    return reply.send(Readable.from(lines()));
  });

  app.get('/users/export', async (request, reply) => {
    const context = requestContextOf(request);
    options.export().authorize(context);
    const rawFilter = (request.query as { $filter?: unknown; filter?: unknown }).$filter;
    const filter = typeof rawFilter === 'string' && rawFilter !== '' ? parseUserFilter(rawFilter) : undefined;
    reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="users-export.csv"')
      .header('cache-control', 'no-store');
    return reply.send(Readable.from(options.export().exportCsv(context, filter ? { filter } : {})));
  });
}

function booleanParameter(query: Record<string, unknown>, name: string): boolean {
  const value = query[name];
  if (value === undefined || value === 'false') return false;
  if (value === 'true' || value === '') return true;
  throw new DomainError('invalid_request', {}, `${name} must be true or false.`);
}

function jobView(job: ImportJobRecord) {
  return {
    id: job.id,
    status: job.status,
    totalRows: job.totalRows,
    rowsDone: job.rowsDone,
    counts: job.counts,
    options: job.options,
    createdBy: job.createdBy,
    createdDateTime: job.createdAt,
    lastUpdatedDateTime: job.updatedAt,
    finishedDateTime: job.finishedAt,
    message: job.message,
  };
}
