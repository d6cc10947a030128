import type { FastifyInstance } from 'fastify';
import { DomainError } from '../../domain/errors.js';
import type { OutboxService } from '../../services/delivery/outbox-service.js';
import { requestContextOf } from '../request-context.js';

/**
 * `GET /api/admin/v1/outbox?top=N`: the development outbox, newest first (Global Administrators only; the messages
 * hold live codes). 404 when every channel really delivers, so there is no outbox.
 */
export async function outboxRoutes(
  app: FastifyInstance,
  options: { readonly outbox: () => OutboxService },
): Promise<void> {
  app.get('/outbox', async (request, reply) => {
    const query = request.query as { top?: unknown; $top?: unknown };
    const rawTop = query.top ?? query.$top;
    let top: number | undefined;
    if (rawTop !== undefined) {
      top = typeof rawTop === 'string' && /^\d{1,4}$/.test(rawTop) ? Number(rawTop) : Number.NaN;
      if (Number.isNaN(top)) throw new DomainError('invalid_page_size', { value: String(rawTop) });
    }
    // Live codes: never cached by a browser or a proxy.
    reply.header('cache-control', 'no-store');
    return { value: await options.outbox().list(requestContextOf(request), top === undefined ? {} : { top }) };
  });
}
