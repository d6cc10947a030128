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

/** The scheme, host and port the client called, or the configured public URL behind a proxy. */
export function baseUrlOf(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

export function requestContextOf(request: FastifyRequest): RequestContext {
  if (!request.principal) throw new Error('no principal on an authenticated route');
  return { principal: request.principal, correlationId: request.clientRequestId, ipAddress: request.ip };
}
