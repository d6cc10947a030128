import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { AuditEventDraft } from '../domain/audit.js';
import type { AuditEventTable, Database } from './schema.js';

/**
 * A UUID version 7 (RFC 9562): the first 48 bits are the time in milliseconds, the rest random. Events
 * written one after another get ids that sort after each other, so each insert appends to the primary-key
 * index instead of splitting a page at a random place.
 */
export function timeOrderedUuid(at: Date): string {
  const time = at.getTime().toString(16).padStart(12, '0');
  // randomUUID(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx with the RFC variant bits V already set.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

/** The last time and initiator written, with their texts: a batch writes many events with the same ones. */
let lastTime = Number.NaN;
let lastAtText = '';
let lastInitiator: unknown;
let lastInitiatorText = '';

/** The `audit_events` row for a draft; shared with the SQLite prepared-statement path of the user repository. */
export function auditEventRow(draft: AuditEventDraft, at: Date): Insertable<AuditEventTable> {
  const time = at.getTime();
  if (time !== lastTime) {
    lastTime = time;
    lastAtText = at.toISOString();
  }
  // The same (frozen) initiator object for every event of one request context: see `auditInitiator`.
  const initiatorText = draft.initiatedBy === lastInitiator ? lastInitiatorText : JSON.stringify(draft.initiatedBy);
  lastInitiator = draft.initiatedBy;
  lastInitiatorText = initiatorText;
  return {
    id: timeOrderedUuid(at),
    activity_date_time: lastAtText,
    category: draft.category,
    activity_display_name: draft.activityDisplayName,
    logged_by_service: draft.loggedByService,
    operation_type: draft.operationType,
    result: draft.result,
    result_reason: draft.resultReason,
    correlation_id: draft.correlationId,
    initiated_by: initiatorText,
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
