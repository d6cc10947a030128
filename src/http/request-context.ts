import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../domain/audit.js';
import type { Principal } from '../domain/permissions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Echoed `client-request-id`, or the request id when the client sent none. */
    clientRequestId: string;
    principal: Principal | null;
  }
}

/** Graph clients send a GUID; anything odd is replaced, so logs and headers stay clean. */
const clientRequestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

export function clientRequestIdOf(request: FastifyRequest): string {
  const sent = request.headers['client-request-id'];
  return typeof sent === 'string' && clientRequestIdPattern.test(sent) ? sent : request.id;
}

/**
 * `$batch` sub-requests run in-process, without a socket of their own (so without TLS): the batch lends them its
 * caller's base URL under a random one-time key, which a client cannot guess and so cannot use to fake a URL.
 */
export const batchOriginHeader = 'x-sspr-batch-origin';
const batchOrigins = new Map<string, string>();

export function lendBatchOrigin(baseUrl: string): { readonly key: string; release(): void } {
  const key = randomBytes(18).toString('base64url');
  batchOrigins.set(key, baseUrl);
  return { key, release: () => batchOrigins.delete(key) };
}

/** The scheme, host and port the client called, or the configured public URL behind a proxy. */
export function baseUrlOf(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const lent = request.headers[batchOriginHeader];
  const origin = typeof lent === 'string' ? batchOrigins.get(lent) : undefined;
  if (origin) return origin;
  return `${request.protocol}://${request.host}`;
}

export function requestContextOf(request: FastifyRequest): RequestContext {
  if (!request.principal) throw new Error('no principal on an authenticated route');
  return { principal: request.principal, correlationId: request.clientRequestId, ipAddress: request.ip };
}
