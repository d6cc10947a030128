import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { TokenService } from '../../services/identity/token-service.js';
import { baseUrlOf } from '../request-context.js';

/** A `preHandler` that turns the bearer token into `request.principal`, or fails with Graph's 401. */
export function bearerAuthentication(tokens: TokenService, publicUrl: string | undefined) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (!header) throw new DomainError('authentication_required');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      throw new DomainError('invalid_token', { detail: 'The authorization header is not a bearer token.' });
    request.principal = tokens.verifyAccessToken(match[1], baseUrlOf(request, publicUrl));
  };
}
