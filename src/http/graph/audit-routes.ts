import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { AuditService } from '../../services/audit/audit-service.js';
import { baseUrlOf, requestContextOf } from '../request-context.js';
import { parseAuditFilter } from './odata/conjunction-filter.js';
import { decodeSkipToken, encodeSkipToken, parseTop, queryFingerprint } from './odata/index.js';
import { assertSupportedOptions, nextLinkFor, type Query, singleOption } from './query-options.js';
import type { GraphVersion } from './user-representation.js';

export interface AuditRouteOptions {
  readonly version: GraphVersion;
  readonly audit: () => AuditService;
  readonly pageTokenKey: Buffer;
  readonly publicUrl: string | undefined;
}

const supportedOptions: ReadonlySet<string> = new Set(['$filter', '$top', '$skiptoken']);

/** A page token of this resource never pages another one (or another filter). */
export function auditFingerprint(filter: string | undefined): string {
  return queryFingerprint({ filter: `directoryAudits\n${filter ?? ''}` });
}

/** `GET /auditLogs/directoryAudits`: Graph's `directoryAudit` events, newest first. */
export async function auditRoutes(app: FastifyInstance, options: AuditRouteOptions): Promise<void> {
  const path = '/auditLogs/directoryAudits';
  app.get(path, async (request, reply) => {
    const query = request.query as Query;
    assertSupportedOptions(query, supportedOptions, 'directoryAudits');
    const filterText = singleOption(query, '$filter');
    const filter = filterText === undefined ? undefined : parseAuditFilter(filterText);
    const top = parseTop(singleOption(query, '$top'));
    const fingerprint = auditFingerprint(filterText);
    const skipToken = singleOption(query, '$skiptoken');
    let beforeSeq: number | undefined;
    if (skipToken !== undefined) {
      const cursor = decodeSkipToken(skipToken, options.pageTokenKey, fingerprint);
      beforeSeq = Number(cursor.id);
      if (!Number.isSafeInteger(beforeSeq)) throw new DomainError('invalid_skip_token');
    }
    const page = await options.audit().list(requestContextOf(request), {
      top,
      ...(filter && { filter }),
      ...(beforeSeq !== undefined && { beforeSeq }),
    });
    const baseUrl = baseUrlOf(request, options.publicUrl);
    const body: Record<string, unknown> = {
      '@odata.context': `${baseUrl}/${options.version}/$metadata#auditLogs/directoryAudits`,
    };
    if (page.nextBeforeSeq !== undefined) {
      const token = encodeSkipToken(
        { sortValue: null, id: String(page.nextBeforeSeq), queryFingerprint: fingerprint },
        options.pageTokenKey,
      );
      body['@odata.nextLink'] = nextLinkFor(baseUrl, `/${options.version}${path}`, query, token);
    }
    body.value = page.events;
    return reply.send(body);
  });
}
