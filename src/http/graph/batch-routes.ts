import type { FastifyInstance, FastifyReply, FastifyRequest, InjectOptions, LightMyRequestResponse } from 'fastify';
import { baseUrlOf, batchOriginHeader, lendBatchOrigin } from '../request-context.js';
import { graphErrorBody } from './graph-errors.js';
import type { GraphVersion } from './user-representation.js';

export interface BatchRouteOptions {
  readonly version: GraphVersion;
  /** Runs one request through the whole server in-process (the root instance's `inject`): no socket, no HTTP. */
  readonly dispatch: (request: InjectOptions) => Promise<LightMyRequestResponse>;
  readonly publicUrl: string | undefined;
  readonly clock: () => Date;
}

/** Graph's limit on requests in one batch. */
export const maxBatchRequests = 20;
const methods = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);
/** Sub-request headers passed on; anything else (Authorization, Host, X-Forwarded-For, Cookie...) is dropped. */
const forwardedHeaders = new Set([
  'content-type',
  'consistencylevel',
  'accept',
  'accept-language',
  'prefer',
  'if-match',
  'if-none-match',
  'client-request-id',
  'x-ms-throttle-priority',
]);
/** Sub-response headers copied into an item, spelled as Graph spells them (the JS client reads `Content-Type`). */
const itemHeaderNames: Record<string, string> = {
  'content-type': 'Content-Type',
  location: 'Location',
  'retry-after': 'Retry-After',
  'odata-version': 'OData-Version',
  'cache-control': 'Cache-Control',
  'www-authenticate': 'WWW-Authenticate',
  'client-request-id': 'client-request-id',
  'x-ms-resource-unit': 'x-ms-resource-unit',
  'x-ms-throttle-limit-percentage': 'x-ms-throttle-limit-percentage',
  'x-ms-throttle-scope': 'x-ms-throttle-scope',
  'x-ms-throttle-information': 'x-ms-throttle-information',
};

interface BatchItem {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly dependsOn: readonly string[];
}

interface ItemResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

class BatchRefused extends Error {}

/**
 * `POST /$batch` (SPEC section 9, Graph's JSON batching): up to 20 requests, unique ids, `dependsOn`, 424 for a
 * request whose dependency failed, one `{id, status, headers, body}` per request in the order they were sent.
 *
 * How a sub-request runs: it goes through this same Fastify server with `inject()` - in-process, no socket and no
 * HTTP round trip - under the version prefix of the batch (`/v1.0/users/...`), with the batch caller's
 * Authorization header and the sub-request's own allowed headers. Every hook therefore runs for it exactly as for a
 * request sent alone: the bearer token is verified again, the request is throttled against its own cost (the batch
 * envelope itself costs nothing), permissions are checked by the same use case, errors take the same shape and the
 * audit event carries the caller's address. Nothing a sub-request says can change who it runs as: Authorization,
 * Host and forwarding headers in an item are ignored, and a URL can only name a path under this version.
 *
 * Sub-requests run one after another, dependencies first and otherwise in the order sent. Graph may run
 * independent requests in parallel; running them in order costs little in-process and keeps results (which of
 * two conflicting writes wins, which request a throttling limit stops) deterministic.
 */
export async function batchRoutes(app: FastifyInstance, options: BatchRouteOptions): Promise<void> {
  const { version } = options;

  app.post('/$batch', async (request, reply) => {
    let items: BatchItem[];
    let order: BatchItem[];
    try {
      items = parseBatch(request.body);
      order = executionOrder(items);
    } catch (error) {
      if (!(error instanceof BatchRefused)) throw error;
      return sendBatchError(request, reply, options.clock(), error.message);
    }

    const origin = lendBatchOrigin(baseUrlOf(request, options.publicUrl));
    const results = new Map<string, ItemResponse>();
    try {
      for (const item of order) {
        const failed = item.dependsOn.find((id) => !isSuccess(results.get(id)?.status ?? 0));
        if (failed !== undefined) {
          results.set(
            item.id,
            errorItem(
              item,
              424,
              'FailedDependency',
              `The request depends on request '${failed}', which failed.`,
              request,
              options.clock(),
            ),
          );
          continue;
        }
        const path = subRequestPath(version, item.url);
        if ('refused' in path) {
          results.set(item.id, errorItem(item, 400, 'BadRequest', path.refused, request, options.clock()));
          continue;
        }
        if (!methods.has(item.method)) {
          const message = `The method '${item.method}' is not supported in a batch request.`;
          results.set(item.id, errorItem(item, 400, 'BadRequest', message, request, options.clock()));
          continue;
        }
        results.set(item.id, await run(item, path.url, request, origin.key));
      }
    } finally {
      origin.release();
    }
    return reply.code(200).send({ responses: items.map((item) => results.get(item.id)) });
  });

  async function run(item: BatchItem, url: string, batch: FastifyRequest, originKey: string): Promise<ItemResponse> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(item.headers)) {
      if (forwardedHeaders.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
    }
    headers['client-request-id'] ??= batch.clientRequestId;
    if (batch.headers.authorization) headers.authorization = batch.headers.authorization;
    if (batch.headers.host) headers.host = batch.headers.host;
    headers[batchOriginHeader] = originKey;
    let payload: string | undefined;
    if (item.body !== undefined) {
      payload = typeof item.body === 'string' ? item.body : JSON.stringify(item.body);
    }
    const response = await options.dispatch({
      method: item.method as 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
      url,
      headers,
      remoteAddress: batch.ip,
      ...(payload !== undefined && { payload }),
    });
    return itemFromResponse(item.id, response);
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function itemFromResponse(id: string, response: LightMyRequestResponse): ItemResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    const spelled = itemHeaderNames[name];
    if (spelled && value !== undefined) headers[spelled] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  const text = response.body;
  if (response.statusCode === 204 || text === '') {
    // A fetch Response for a 204 must have no body (the JS client builds one from each item) and no Content-Type.
    delete headers['Content-Type'];
    return { id, status: response.statusCode, headers, body: null };
  }
  const type = headers['Content-Type'] ?? '';
  let body: unknown = text;
  if (/^application\/json\b/i.test(type)) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { id, status: response.statusCode, headers, body };
}

function errorItem(
  item: BatchItem,
  status: number,
  code: string,
  message: string,
  batch: FastifyRequest,
  now: Date,
): ItemResponse {
  const sent = item.headers['client-request-id'];
  // The same rule as for a request's own header (request-context.ts): anything odd is replaced.
  const clientRequestId = sent !== undefined && /^[A-Za-z0-9._:-]{1,64}$/.test(sent) ? sent : batch.clientRequestId;
  return {
    id: item.id,
    status,
    headers: { 'Content-Type': 'application/json', 'client-request-id': clientRequestId },
    body: graphErrorBody(code, message, batch.id, clientRequestId, now),
  };
}

function sendBatchError(request: FastifyRequest, reply: FastifyReply, now: Date, message: string) {
  return reply
    .code(400)
    .type('application/json')
    .send(graphErrorBody('BadRequest', message, request.id, request.clientRequestId, now));
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The envelope: every rule whose breach refuses the whole batch (Graph answers those with one 400). */
function parseBatch(body: unknown): BatchItem[] {
  if (!isRecord(body) || !Array.isArray(body.requests))
    throw new BatchRefused("The batch request body must be a JSON object with a 'requests' array.");
  const requests: unknown[] = body.requests;
  if (requests.length === 0) throw new BatchRefused('The batch request contains no requests.');
  if (requests.length > maxBatchRequests)
    throw new BatchRefused(
      `The batch request contains ${requests.length} requests; at most ${maxBatchRequests} are allowed.`,
    );
  const items: BatchItem[] = [];
  const ids = new Set<string>();
  for (const [index, raw] of requests.entries()) {
    if (!isRecord(raw)) throw new BatchRefused(`Request ${index + 1} of the batch is not a JSON object.`);
    const { id, method, url } = raw;
    if (typeof id !== 'string' || id.trim() === '' || id.length > 128)
      throw new BatchRefused(`Request ${index + 1} of the batch has no 'id' (a non-empty string).`);
    if (ids.has(id)) throw new BatchRefused(`The batch request contains the id '${id}' more than once.`);
    ids.add(id);
    if (typeof method !== 'string' || method === '' || method.length > 16)
      throw new BatchRefused(`Request '${id}' of the batch has no 'method'.`);
    if (typeof url !== 'string' || url === '') throw new BatchRefused(`Request '${id}' of the batch has no 'url'.`);
    const headers: Record<string, string> = {};
    if (raw.headers !== undefined) {
      if (!isRecord(raw.headers)) throw new BatchRefused(`The headers of request '${id}' must be a JSON object.`);
      for (const [name, value] of Object.entries(raw.headers)) {
        if (typeof value !== 'string') throw new BatchRefused(`Header '${name}' of request '${id}' must be a string.`);
        headers[name.toLowerCase()] = value;
      }
    }
    if (raw.body !== undefined && raw.body !== null && headers['content-type'] === undefined)
      throw new BatchRefused(`Request '${id}' of the batch has a body but no Content-Type header.`);
    let dependsOn: string[] = [];
    if (raw.dependsOn !== undefined) {
      if (!Array.isArray(raw.dependsOn) || raw.dependsOn.some((entry) => typeof entry !== 'string'))
        throw new BatchRefused(`The dependsOn of request '${id}' must be an array of request ids.`);
      dependsOn = raw.dependsOn as string[];
    }
    items.push({
      id,
      method: method.toUpperCase(),
      url,
      headers,
      body: raw.body === null ? undefined : raw.body,
      dependsOn,
    });
  }
  for (const item of items) {
    for (const dependency of item.dependsOn) {
      if (!ids.has(dependency))
        throw new BatchRefused(`Request '${item.id}' depends on '${dependency}', which is not in the batch.`);
      if (dependency === item.id) throw new BatchRefused(`Request '${item.id}' depends on itself.`);
    }
  }
  return items;
}

/** Dependencies first, otherwise the order sent (a stable topological sort); a cycle refuses the batch. */
function executionOrder(items: readonly BatchItem[]): BatchItem[] {
  const byId = new Map(items.map((item) => [item.id, item]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: BatchItem[] = [];
  const visit = (item: BatchItem, path: string[]) => {
    const seen = state.get(item.id);
    if (seen === 'done') return;
    if (seen === 'visiting')
      throw new BatchRefused(`The dependsOn of the batch form a cycle: ${[...path, item.id].join(' -> ')}.`);
    state.set(item.id, 'visiting');
    for (const dependency of item.dependsOn) visit(byId.get(dependency) as BatchItem, [...path, item.id]);
    state.set(item.id, 'done');
    order.push(item);
  };
  for (const item of items) visit(item, []);
  return order;
}

/**
 * The server path for a sub-request URL, which must be relative to the batch's version (`/users/...` or
 * `users/...`; `/v1.0/users/...` in a v1.0 batch is taken too). Refused: absolute URLs, another version, a nested `$batch`, and dot segments,
 * which URL parsing would resolve into a path outside the Graph API.
 */
export function subRequestPath(version: GraphVersion, url: string): { url: string } | { refused: string } {
  const refused = (reason: string) => ({ refused: `The url '${url.slice(0, 200)}' ${reason}` });
  if (url.length > 2048) return refused('is too long.');
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//'))
    return refused(`is absolute; a batch request url must be relative to /${version}, such as /users/{id}.`);
  const hasControl = [...url].some((character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f);
  if (hasControl || /[\s\\#]/.test(url)) return refused('contains characters a request url may not contain.');
  let relative = url.replace(/^\//, '');
  // The JS client, given a fetch Request with an absolute URL (as Node requires), sends its path: `/v1.0/users`.
  if (relative.toLowerCase().startsWith(`${version}/`)) relative = relative.slice(version.length + 1);
  const [pathPart = '', ...rest] = relative.split('?');
  const segments = pathPart.split('/');
  const first = (segments[0] ?? '').toLowerCase();
  if (first === 'v1.0' || first === 'beta')
    return refused(`names another API version; the urls of a /${version}/$batch are relative to /${version}.`);
  for (const segment of segments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return refused('is not correctly percent-encoded.');
    }
    if (decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\\'))
      return refused('contains a path segment that is not allowed.');
  }
  if (first === '$batch') return refused('is a batch request; batches cannot be nested.');
  if (pathPart === '') return refused('names no resource.');
  return { url: `/${version}/${pathPart}${rest.length > 0 ? `?${rest.join('?')}` : ''}` };
}
