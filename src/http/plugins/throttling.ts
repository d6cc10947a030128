import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestCost } from '../../domain/throttling.js';
import type { ThrottleService } from '../../services/throttling/throttle-service.js';
import { graphErrorBody } from '../graph/graph-errors.js';

/**
 * An `onRequest` hook, after authentication, that throttles Graph requests like Graph (SPEC section 9): a
 * refused request gets 429 `TooManyRequests` in Graph's error shape with `Retry-After` (seconds),
 * `x-ms-throttle-scope` and `x-ms-throttle-information`; an allowed one carries `x-ms-resource-unit` and, past 80%
 * of the caller's limit, `x-ms-throttle-limit-percentage`. A `$batch` envelope costs nothing: each of its
 * sub-requests passes through this hook by itself.
 */
export function graphThrottling(throttle: () => ThrottleService | null, prefix: string, clock: () => Date) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const service = throttle();
    const routeUrl = request.routeOptions.url;
    if (!service || !request.principal || routeUrl === undefined || routeUrl.endsWith('/$batch')) return undefined;
    const path = routeUrl.startsWith(prefix) ? routeUrl.slice(prefix.length) : routeUrl;
    const decision = await service.check(
      request.principal,
      requestCost(request.method, path, request.query as Record<string, unknown>),
    );
    reply.header('x-ms-resource-unit', String(decision.resourceUnits));
    if (decision.allowed) {
      if (decision.limitPercentage !== null)
        reply.header('x-ms-throttle-limit-percentage', decision.limitPercentage.toFixed(1));
      return undefined;
    }
    const seconds = decision.retryAfterSeconds;
    return reply
      .code(429)
      .header('retry-after', String(seconds))
      .header('x-ms-throttle-scope', decision.scope)
      .header('x-ms-throttle-information', decision.information)
      .type('application/json')
      .send(
        graphErrorBody(
          'TooManyRequests',
          `Too many requests. Retry after ${seconds} second${seconds === 1 ? '' : 's'}.`,
          request.id,
          request.clientRequestId,
          clock(),
        ),
      );
  };
}
