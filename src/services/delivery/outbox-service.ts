import type { RequestContext } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import { directoryRoles, holdsAnyRole, type Principal } from '../../domain/permissions.js';

/** A message the development outbox kept instead of sending. It holds the code: only administrators see it. */
export interface OutboxMessage {
  readonly id: string;
  readonly channel: 'email' | 'sms' | 'voice';
  /** The full address or E.164 number (no extension). */
  readonly recipient: string;
  /** Email only. */
  readonly subject: string | null;
  /** Email: the plain-text part; SMS: the text; voice: what the call would say. */
  readonly body: string;
  readonly createdDateTime: string;
}

export interface OutboxReader {
  /** Newest first. */
  list(options: { readonly top: number }): Promise<OutboxMessage[]>;
}

export const defaultOutboxTop = 50;
export const maxOutboxTop = 999;

function canRead(principal: Principal): boolean {
  return principal.kind === 'operator' || holdsAnyRole(principal, [directoryRoles.globalAdministrator]);
}

/**
 * The development outbox, read side: what would have been emailed, texted or said. Global Administrators and the
 * local operator only, since the messages hold live codes. When every channel really delivers there is no outbox.
 */
export class OutboxService {
  constructor(private readonly deps: { readonly outbox: OutboxReader | null }) {}

  /** Whether any channel writes to the outbox instead of delivering. */
  get inUse(): boolean {
    return this.deps.outbox !== null;
  }

  async list(context: RequestContext, options: { readonly top?: number } = {}): Promise<OutboxMessage[]> {
    if (!canRead(context.principal)) throw new DomainError('permission_denied');
    const top = options.top ?? defaultOutboxTop;
    if (!Number.isInteger(top) || top < 1 || top > maxOutboxTop) {
      throw new DomainError('invalid_page_size', { value: String(options.top) });
    }
    if (this.deps.outbox === null) throw new DomainError('resource_not_found', { resource: 'outbox' });
    return this.deps.outbox.list({ top });
  }
}
