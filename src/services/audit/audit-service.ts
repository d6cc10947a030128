import type { RequestContext } from '../../domain/audit.js';
import {
  type AuditListQuery,
  authorizeAuditLogRead,
  type DirectoryAudit,
  type StoredAuditEvent,
} from '../../domain/audit-query.js';

/** The read side of `audit_events`; the write side is each repository's own transaction. */
export interface AuditLogStore {
  /** Newest first; up to `query.top + 1` events so the caller can tell whether another page exists. */
  list(query: AuditListQuery): Promise<StoredAuditEvent[]>;
  /** Deletes events older than the instant; returns how many. */
  prune(olderThan: Date): Promise<number>;
}

export interface AuditServiceDependencies {
  readonly events: AuditLogStore;
  readonly clock: () => Date;
  readonly retentionDays: number;
}

export interface AuditPage {
  readonly events: readonly DirectoryAudit[];
  /** Sequence number to continue before, when there is another page. */
  readonly nextBeforeSeq?: number;
}

const dayMs = 24 * 60 * 60 * 1000;

/** `GET /auditLogs/directoryAudits`, `sspr audit list`, and the retention clean-up. */
export class AuditService {
  constructor(private readonly deps: AuditServiceDependencies) {}

  async list(context: RequestContext, query: AuditListQuery): Promise<AuditPage> {
    authorizeAuditLogRead(context.principal);
    const rows = await this.deps.events.list(query);
    if (rows.length <= query.top) return { events: rows.map((row) => row.event) };
    const page = rows.slice(0, query.top);
    return { events: page.map((row) => row.event), nextBeforeSeq: (page[page.length - 1] as StoredAuditEvent).seq };
  }

  /** Deletes events older than the configured retention (`auditRetentionDays`); returns how many. */
  async prune(): Promise<{ readonly deleted: number; readonly olderThan: string }> {
    const olderThan = new Date(this.deps.clock().getTime() - this.deps.retentionDays * dayMs);
    const deleted = await this.deps.events.prune(olderThan);
    return { deleted, olderThan: olderThan.toISOString() };
  }
}
