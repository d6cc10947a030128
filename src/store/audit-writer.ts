import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { AuditEventDraft } from '../domain/audit.js';
import type { AuditEventTable, Database } from './schema.js';

/** The `audit_events` row for a draft; shared with the SQLite prepared-statement path of the user repository. */
export function auditEventRow(draft: AuditEventDraft, at: Date): Insertable<AuditEventTable> {
  return {
    id: randomUUID(),
    activity_date_time: at.toISOString(),
    category: draft.category,
    activity_display_name: draft.activityDisplayName,
    logged_by_service: draft.loggedByService,
    operation_type: draft.operationType,
    result: draft.result,
    result_reason: draft.resultReason,
    correlation_id: draft.correlationId,
    initiated_by: JSON.stringify(draft.initiatedBy),
    target_resources: JSON.stringify(draft.targetResources),
    additional_details: '[]',
  };
}

/** Writes an audit event inside the caller's transaction, so the change and its record commit together. */
export async function insertAuditEvent(
  trx: Transaction<Database> | Kysely<Database>,
  draft: AuditEventDraft,
  at: Date = new Date(),
): Promise<void> {
  await trx.insertInto('audit_events').values(auditEventRow(draft, at)).execute();
}
