import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { TokenAudience, TokenService } from '../../services/identity/token-service.js';
import { baseUrlOf } from '../request-context.js';

/**
 * A hook that turns the bearer token into `request.principal`, or fails with a 401. `api` says which API the
 * token is presented to (its accepted audiences): Graph by default.
 */
export function bearerAuthentication(
  tokens: TokenService,
  publicUrl: string | undefined,
  api: TokenAudience = 'graph',
) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (!header) throw new DomainError('authentication_required');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      throw new DomainError('invalid_token', { detail: 'The authorization header is not a bearer token.' });
    request.principal = tokens.verifyAccessToken(match[1], baseUrlOf(request, publicUrl), api);
  };
}
