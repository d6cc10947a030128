import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import { allUserProperties, parseUserChanges, type UserProperty } from '../../domain/user.js';
import type { UserListQuery } from '../../domain/user-query.js';
import type { UserService } from '../../services/users/user-service.js';
import { baseUrlOf, requestContextOf } from '../request-context.js';
import {
  decodeSkipToken,
  encodeSkipToken,
  parseOrderBy,
  parseSearch,
  parseSelect,
  parseTop,
  parseUserFilter,
  queryFingerprint,
} from './odata/index.js';
import {
  defaultPropertiesFor,
  type GraphVersion,
  selectUserProperties,
  usersContextUrl,
} from './user-representation.js';

export interface UsersRouteOptions {
  readonly version: GraphVersion;
  readonly users: () => UserService;
  readonly pageTokenKey: Buffer;
  readonly publicUrl: string | undefined;
}

type Query = Record<string, string | string[] | undefined>;

const knownQueryOptions = new Set([
  '$select',
  '$filter',
  '$top',
  '$orderby',
  '$search',
  '$count',
  '$skiptoken',
  '$expand',
  '$skip',
  '$format',
]);

/** `/users` and `/users/{id | userPrincipalName}` with Graph's query options and shapes. */
export async function usersRoutes(app: FastifyInstance, options: UsersRouteOptions): Promise<void> {
  const { version } = options;
  // Fastify's router has already percent-decoded the segment; decoding again turns `%25` into a URIError (500).
  const userId = (request: FastifyRequest) => (request.params as { id: string }).id;
  // A script sends the same few `$select` texts again and again: parse each once (invalid ones throw, uncached).
  const parsedSelects = new Map<string, readonly UserProperty[]>();
  const parseUserSelect = (text: string | undefined): readonly UserProperty[] | undefined => {
    if (text === undefined) return undefined;
    const cached = parsedSelects.get(text);
    if (cached) return cached;
    const parsed = parseSelect(text, allUserProperties) as UserProperty[] | undefined;
    if (parsed === undefined) return undefined;
    if (parsedSelects.size >= 256) parsedSelects.clear();
    parsedSelects.set(text, parsed);
    return parsed;
  };

  app.get('/users', async (request, reply) => {
    const query = request.query as Query;
    assertKnownOptions(query);
    const eventual = isEventual(request);
    const filterText = single(query, '$filter');
    const searchText = single(query, '$search');
    const orderText = single(query, '$orderby');
    const selectText = single(query, '$select');
    const countText = single(query, '$count');
    if (searchText !== undefined && !eventual)
      throw new DomainError('consistency_level_required', { option: '$search' });
    const wantsCount = parseCount(countText);
    if (wantsCount && !eventual) throw new DomainError('consistency_level_required', { option: '$count' });

    const select = parseUserSelect(selectText);
    const filter = filterText === undefined ? undefined : parseUserFilter(filterText);
    const search = parseSearch(searchText);
    const orderBy = parseOrderBy(orderText);
    const top = parseTop(single(query, '$top'));
    const fingerprint = queryFingerprint({
      filter: filterText,
      orderby: orderText,
      search: searchText,
      select: selectText,
    });
    const skipToken = single(query, '$skiptoken');
    const after = skipToken === undefined ? undefined : decodeSkipToken(skipToken, options.pageTokenKey, fingerprint);

    const listQuery: UserListQuery = {
      top,
      ...(filter && { filter }),
      ...(search && { search }),
      ...(orderBy && { orderBy }),
      ...(after && { after }),
    };
    const context = requestContextOf(request);
    const service = options.users();
    const [page, total] = await Promise.all([
      service.listUsers(context, listQuery),
      wantsCount ? service.countUsers(context, listQuery) : Promise.resolve(undefined),
    ]);
    const baseUrl = baseUrlOf(request, options.publicUrl);
    const properties = select ?? defaultPropertiesFor(version);
    const body: Record<string, unknown> = { '@odata.context': usersContextUrl(baseUrl, version, select, false) };
    if (total !== undefined) body['@odata.count'] = total;
    if (page.next) {
      const token = encodeSkipToken({ ...page.next, queryFingerprint: fingerprint }, options.pageTokenKey);
      body['@odata.nextLink'] = nextLink(baseUrl, version, query, token);
    }
    body.value = page.users.map((user) => selectUserProperties(user, properties));
    return reply.send(body);
  });

  app.get('/users/$count', async (request, reply) => {
    const query = request.query as Query;
    assertKnownOptions(query);
    if (!isEventual(request)) throw new DomainError('consistency_level_required', { option: '$count' });
    const filterText = single(query, '$filter');
    const searchText = single(query, '$search');
    const filter = filterText === undefined ? undefined : parseUserFilter(filterText);
    const search = parseSearch(searchText);
    const total = await options.users().countUsers(requestContextOf(request), {
      ...(filter && { filter }),
      ...(search && { search }),
    });
    return reply.type('text/plain; charset=utf-8').send(String(total));
  });

  app.get('/users/:id', async (request, reply) => {
    const query = request.query as Query;
    assertKnownOptions(query);
    const selectText = single(query, '$select');
    const select = parseUserSelect(selectText);
    const properties = select ?? defaultPropertiesFor(version);
    const user = await options.users().getUserProperties(requestContextOf(request), userId(request), properties);
    const body = {
      '@odata.context': usersContextUrl(baseUrlOf(request, options.publicUrl), version, select, true),
      ...selectUserProperties(user, properties),
    };
    return reply.send(body);
  });

  app.post('/users', async (request, reply) => {
    const changes = parseUserChanges(request.body, 'create');
    const user = await options.users().createUser(requestContextOf(request), changes);
    const body = {
      '@odata.context': usersContextUrl(baseUrlOf(request, options.publicUrl), version, undefined, true),
      ...selectUserProperties(user, defaultPropertiesFor(version)),
    };
    return reply.code(201).send(body);
  });

  app.patch('/users/:id', async (request, reply: FastifyReply) => {
    const changes = parseUserChanges(request.body, 'update');
    await options.users().updateUser(requestContextOf(request), userId(request), changes);
    return reply.code(204).send();
  });

  app.delete('/users/:id', async (request, reply) => {
    await options.users().deleteUser(requestContextOf(request), userId(request));
    return reply.code(204).send();
  });

  // The signed-in user of a delegated token (device code flow); application tokens have none.
  app.get('/me', async (request, reply) => {
    const query = request.query as Query;
    assertKnownOptions(query);
    const select = parseUserSelect(single(query, '$select'));
    const user = await options.users().getSignedInUser(requestContextOf(request));
    return reply.send({
      '@odata.context': usersContextUrl(baseUrlOf(request, options.publicUrl), version, select, true),
      ...selectUserProperties(user, select ?? defaultPropertiesFor(version)),
    });
  });
}

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) {
    throw new DomainError(
      'invalid_query',
      { detail: `Query option '${name}' was specified more than once.` },
      `Query option '${name}' was specified more than once, but it must be specified at most once.`,
    );
  }
  return value;
}

function assertKnownOptions(query: Query): void {
  for (const name of Object.keys(query)) {
    if (!name.startsWith('$')) continue;
    if (!knownQueryOptions.has(name)) {
      throw new DomainError('invalid_query', { detail: name }, `The query parameter '${name}' is not supported.`);
    }
    if (name === '$expand' || name === '$skip' || name === '$format') {
      throw new DomainError('unsupported_query', {}, `The query parameter '${name}' is not supported on users.`);
    }
  }
}

function parseCount(text: string | undefined): boolean {
  if (text === undefined) return false;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new DomainError('invalid_query', { detail: text }, `'${text}' is not a valid count option.`);
}

function isEventual(request: FastifyRequest): boolean {
  const header = request.headers.consistencylevel;
  return typeof header === 'string' && header.toLowerCase() === 'eventual';
}

function nextLink(baseUrl: string, version: GraphVersion, query: Query, token: string): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (name === '$skiptoken' || typeof value !== 'string') continue;
    params.set(name, value);
  }
  params.set('$skiptoken', token);
  return `${baseUrl}/${version}/users?${params.toString().replace(/%24/g, '$')}`;
}
