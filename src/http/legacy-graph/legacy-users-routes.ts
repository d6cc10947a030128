import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { UserListQuery } from '../../domain/user-query.js';
import type { TokenService } from '../../services/identity/token-service.js';
import type { UserService } from '../../services/users/user-service.js';
import {
  decodeSkipToken,
  encodeSkipToken,
  parseOrderBy,
  parseTop,
  parseUserFilter,
  queryFingerprint,
} from '../graph/odata/index.js';
import { bearerAuthentication } from '../plugins/authentication.js';
import { baseUrlOf, requestContextOf } from '../request-context.js';
import { legacyGraphErrorBody, legacyGraphErrors } from './legacy-graph-errors.js';
import { legacyFilterToGraph, legacyUserType, parseLegacyUserChanges, toLegacyUser } from './legacy-user.js';

export interface LegacyUsersRouteOptions {
  readonly users: () => UserService;
  readonly tokens: () => TokenService;
  /** This server's tenant: its id and verified domains name it in the `{tenant}` segment. */
  readonly tenant: { readonly tenantId: string; readonly verifiedDomains: readonly string[] };
  readonly pageTokenKey: Buffer;
  readonly publicUrl: string | undefined;
}

type Query = Record<string, string | string[] | undefined>;

/** The only version served: the one the AzureAD PowerShell module calls. */
export const legacyApiVersion = '1.6';
const graphVersions: ReadonlySet<string> = new Set(['v1.0', 'beta']);
const knownQueryOptions = new Set(['api-version', '$filter', '$top', '$skiptoken', '$orderby']);
/** Relative `odata.nextLink` of a users page, as Azure AD Graph wrote it; served too, for clients that follow it. */
const nextLinkPath = `directoryObjects/$/${legacyUserType}`;

/**
 * The legacy Azure AD Graph API (SPEC section 9): `/{tenant}/users` and `/{tenant}/users/{objectId | upn}` with
 * `api-version=1.6`, the 1.6 user shape and `odata.error` bodies. The same use cases, permission rules and
 * audit events as Graph's `/users`. Accepts tokens for Azure AD Graph and for this server's Graph API.
 */
export async function legacyUsersRoutes(app: FastifyInstance, options: LegacyUsersRouteOptions): Promise<void> {
  const authenticate = bearerAuthentication(options.tokens(), options.publicUrl, 'azureAdGraph');
  // Every failure on this surface, the hooks' included, in the legacy shape.
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => sendLegacyError(error, request, reply));
  app.addHook('onRequest', async (request, reply) => {
    // `/v1.0/users/{id}/unknown` matches these patterns too: it stays Graph's, with Graph's not-found answer.
    if (graphVersions.has((request.params as { tenant: string }).tenant)) {
      reply.callNotFound();
      return reply;
    }
    await authenticate(request);
    assertApiVersion(request.query as Query);
    const { tenant } = request.params as { tenant: string };
    if (!isThisTenant(tenant, options.tenant)) throw new DomainError('unknown_tenant', { tenant });
    reply.header('dataserviceversion', '3.0;');
  });

  const metadataUrl = (request: FastifyRequest) =>
    `${baseUrlOf(request, options.publicUrl)}/${(request.params as { tenant: string }).tenant}/$metadata#directoryObjects/${legacyUserType}`;

  const list = async (request: FastifyRequest, reply: FastifyReply) => {
    const query = request.query as Query;
    assertKnownOptions(query);
    const filterText = single(query, '$filter');
    const orderText = single(query, '$orderby');
    const filter = filterText === undefined ? undefined : parseUserFilter(legacyFilterToGraph(filterText));
    const orderBy = parseOrderBy(orderText);
    const top = parseTop(single(query, '$top'));
    const fingerprint = queryFingerprint({ filter: filterText, orderby: orderText, select: 'azure-ad-graph-1.6' });
    const skipToken = single(query, '$skiptoken');
    const after = skipToken === undefined ? undefined : decodeSkipToken(skipToken, options.pageTokenKey, fingerprint);
    const listQuery: UserListQuery = {
      top,
      ...(filter && { filter }),
      ...(orderBy && { orderBy }),
      ...(after && { after }),
    };
    const page = await options.users().listUsers(requestContextOf(request), listQuery);
    const body: Record<string, unknown> = { 'odata.metadata': metadataUrl(request) };
    body.value = page.users.map(toLegacyUser);
    if (page.next) {
      const token = encodeSkipToken({ ...page.next, queryFingerprint: fingerprint }, options.pageTokenKey);
      body['odata.nextLink'] = nextLink(query, token);
    }
    return reply.type('application/json;odata=minimalmetadata;streaming=true;charset=utf-8').send(body);
  };
  app.get('/:tenant/users', list);
  app.get(`/:tenant/${nextLinkPath}`, list);

  app.get('/:tenant/users/:id', async (request, reply) => {
    const query = request.query as Query;
    assertKnownOptions(query, ['api-version']);
    const { id } = request.params as { id: string };
    const user = await options.users().getUser(requestContextOf(request), id);
    return reply
      .type('application/json;odata=minimalmetadata;streaming=true;charset=utf-8')
      .send({ 'odata.metadata': `${metadataUrl(request)}/@Element`, ...toLegacyUser(user) });
  });

  await legacyUnsupportedRoutes(app);

  app.patch('/:tenant/users/:id', async (request, reply) => {
    assertKnownOptions(request.query as Query, ['api-version']);
    const changes = parseLegacyUserChanges(request.body);
    const { id } = request.params as { id: string };
    await options.users().updateUser(requestContextOf(request), id, changes);
    return reply.code(204).send();
  });
}

/**
 * Everything else under the users paths (create, delete, navigation properties such as `memberOf`) is not
 * served here: one clear legacy error, after the same token check, instead of the Graph-shaped not-found.
 */
export async function legacyUnsupportedRoutes(app: FastifyInstance): Promise<void> {
  const refuse = async (request: FastifyRequest) => {
    const path = request.url.split('?')[0] ?? '';
    throw new DomainError(
      'invalid_request',
      {},
      `${request.method} ${path} is not supported by this server's Azure AD Graph API (GET and PATCH of users are); use the Graph API under /v1.0.`,
    );
  };
  app.route({ method: ['POST', 'PUT', 'DELETE'], url: '/:tenant/users', handler: refuse });
  app.route({ method: ['POST', 'PUT', 'DELETE'], url: '/:tenant/users/:id', handler: refuse });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/:tenant/users/:id/*', handler: refuse });
}

function isThisTenant(segment: string, tenant: LegacyUsersRouteOptions['tenant']): boolean {
  const lowered = segment.toLowerCase();
  return (
    lowered === 'myorganization' ||
    lowered === tenant.tenantId.toLowerCase() ||
    tenant.verifiedDomains.some((domain) => domain.toLowerCase() === lowered)
  );
}

function assertApiVersion(query: Query): void {
  const version = query['api-version'];
  if (version === undefined || version === '') {
    throw new DomainError('invalid_request', {}, 'The api-version query parameter is required (api-version=1.6).');
  }
  if (version !== legacyApiVersion) {
    const shown = Array.isArray(version) ? version.join(',') : version;
    throw new DomainError(
      'invalid_request',
      {},
      `The api-version '${shown}' is not supported: this server answers api-version=${legacyApiVersion}.`,
    );
  }
}

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) {
    throw new DomainError('invalid_query', { detail: `Query option '${name}' was specified more than once.` });
  }
  return value;
}

function assertKnownOptions(query: Query, allowed: readonly string[] = [...knownQueryOptions]): void {
  for (const name of Object.keys(query)) {
    if (allowed.includes(name)) continue;
    if (name.startsWith('$'))
      throw new DomainError('unsupported_query', {}, `The query option '${name}' is not supported here.`);
  }
}

function nextLink(query: Query, token: string): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (name === '$skiptoken' || name === 'api-version' || typeof value !== 'string') continue;
    params.set(name, value);
  }
  params.set('$skiptoken', token);
  return `${nextLinkPath}?${params.toString().replace(/%24/g, '$')}`;
}

function sendLegacyError(error: FastifyError | DomainError, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof DomainError) {
    const shape = legacyGraphErrors[error.code];
    if (shape.status === 401) reply.header('www-authenticate', 'Bearer realm="", error="invalid_token"');
    if (shape.status === 500) request.log.error({ err: error }, 'configuration error');
    const message =
      error.code === 'expired_token'
        ? 'Your access token has expired. Please renew it before submitting the request.'
        : error.message;
    reply.code(shape.status).type('application/json').send(legacyGraphErrorBody(shape.code, message));
    return;
  }
  const status =
    typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) {
    request.log.error({ err: error }, 'unhandled error');
    reply
      .code(500)
      .type('application/json')
      .send(
        legacyGraphErrorBody('Service_InternalServerError', `An internal error occurred. Request id: ${request.id}.`),
      );
    return;
  }
  reply.code(status).type('application/json').send(legacyGraphErrorBody('Request_BadRequest', error.message));
}
