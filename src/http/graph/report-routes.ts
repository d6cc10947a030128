import type { FastifyInstance } from 'fastify';
import type { RegistrationReportService } from '../../services/reports/registration-report-service.js';
import { baseUrlOf, requestContextOf } from '../request-context.js';
import { parseRegistrationFilter } from './odata/conjunction-filter.js';
import { decodeSkipToken, encodeSkipToken, parseTop, queryFingerprint } from './odata/index.js';
import { assertSupportedOptions, nextLinkFor, type Query, singleOption } from './query-options.js';
import type { GraphVersion } from './user-representation.js';

export interface ReportRouteOptions {
  readonly version: GraphVersion;
  readonly reports: () => RegistrationReportService;
  readonly pageTokenKey: Buffer;
  readonly publicUrl: string | undefined;
}

const supportedOptions: ReadonlySet<string> = new Set(['$filter', '$top', '$skiptoken']);

/**
 * `GET /reports/authenticationMethods/userRegistrationDetails` (Graph's shape) and OpenSSPR's own
 * `GET /reports/authenticationMethods/ssprReadinessSummary`.
 */
export async function reportRoutes(app: FastifyInstance, options: ReportRouteOptions): Promise<void> {
  const path = '/reports/authenticationMethods/userRegistrationDetails';
  app.get(path, async (request, reply) => {
    const query = request.query as Query;
    assertSupportedOptions(query, supportedOptions, 'userRegistrationDetails');
    const filterText = singleOption(query, '$filter');
    const filter = filterText === undefined ? undefined : parseRegistrationFilter(filterText);
    const top = parseTop(singleOption(query, '$top'));
    const fingerprint = queryFingerprint({ filter: `userRegistrationDetails\n${filterText ?? ''}` });
    const skipToken = singleOption(query, '$skiptoken');
    const afterId =
      skipToken === undefined ? undefined : decodeSkipToken(skipToken, options.pageTokenKey, fingerprint).id;
    const page = await options.reports().userRegistrationDetails(requestContextOf(request), {
      top,
      ...(filter && { filter }),
      ...(afterId !== undefined && { afterId }),
    });
    const baseUrl = baseUrlOf(request, options.publicUrl);
    const body: Record<string, unknown> = {
      '@odata.context': `${baseUrl}/${options.version}/$metadata#reports/authenticationMethods/userRegistrationDetails`,
    };
    if (page.nextAfterId !== undefined) {
      const token = encodeSkipToken(
        { sortValue: null, id: page.nextAfterId, queryFingerprint: fingerprint },
        options.pageTokenKey,
      );
      body['@odata.nextLink'] = nextLinkFor(baseUrl, `/${options.version}${path}`, query, token);
    }
    body.value = page.value;
    return reply.send(body);
  });

  app.get('/reports/authenticationMethods/ssprReadinessSummary', async (request, reply) => {
    assertSupportedOptions(request.query as Query, new Set(), 'ssprReadinessSummary');
    const summary = await options.reports().readinessSummary(requestContextOf(request));
    return reply.send({
      '@odata.context': `${baseUrlOf(request, options.publicUrl)}/${options.version}/$metadata#microsoft.graph.opensspr.ssprReadinessSummary`,
      ...summary,
    });
  });
}
