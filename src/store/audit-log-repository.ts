import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type { AuditInitiator, AuditTarget } from '../domain/audit.js';
import type { AuditFilterClause, AuditListQuery, DirectoryAudit, StoredAuditEvent } from '../domain/audit-query.js';
import type { Database } from './schema.js';

type AuditBuilder = ExpressionBuilder<Database, 'audit_events'>;

const columns = {
  category: 'category',
  activityDisplayName: 'activity_display_name',
  loggedByService: 'logged_by_service',
  result: 'result',
} as const;

const comparators = { ge: '>=', gt: '>', le: '<=', lt: '<' } as const;

/** `LIKE` pattern matching `text` literally (`\` is the escape character). */
function literalLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/**
 * A JSON member `"name":"value"` inside a JSON text column, compared case-insensitively. The writer
 * stores `JSON.stringify` output (no spaces), so the member's text is exact; `lower()` on both sides
 * keeps SQLite (case-insensitive LIKE) and PostgreSQL (case-sensitive LIKE) in agreement.
 */
function jsonMemberEquals(
  eb: AuditBuilder,
  column: 'initiated_by' | 'target_resources',
  name: string,
  value: string,
): Expression<SqlBool> {
  const member = `${JSON.stringify(name)}:${JSON.stringify(value)}`.toLowerCase();
  const pattern = `%${literalLike(member)}%`;
  return sql<SqlBool>`lower(${eb.ref(column)}) like ${pattern} escape '\\'`;
}

function clauseExpression(eb: AuditBuilder, clause: AuditFilterClause): Expression<SqlBool> {
  switch (clause.kind) {
    case 'eq':
      if (clause.property === 'initiatedByUserPrincipalName')
        return jsonMemberEquals(eb, 'initiated_by', 'userPrincipalName', clause.value);
      if (clause.property === 'targetResourceId') return jsonMemberEquals(eb, 'target_resources', 'id', clause.value);
      if (clause.property === 'targetUserPrincipalName')
        return jsonMemberEquals(eb, 'target_resources', 'userPrincipalName', clause.value);
      return eb(columns[clause.property], '=', clause.value);
    default:
      return eb('activity_date_time', comparators[clause.kind], clause.value);
  }
}

/** The read side of `audit_events`; satisfies the services' `AuditLogStore`. */
export class SqlAuditLogRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Successful events of the given activities per UTC day since `since` (ISO time): the dashboard's charts. */
  async dailyCounts(
    activities: readonly string[],
    since: string,
  ): Promise<{ day: string; activity: string; count: number }[]> {
    if (activities.length === 0) return [];
    const day = sql<string>`substr(activity_date_time, 1, 10)`;
    const rows = await this.db
      .selectFrom('audit_events')
      .select((eb) => [day.as('day'), 'activity_display_name', eb.fn.countAll<number | string>().as('count')])
      .where('activity_date_time', '>=', since)
      .where('activity_display_name', 'in', activities)
      .where('result', '=', 'success')
      .groupBy([day, 'activity_display_name'])
      .execute();
    return rows.map((row) => ({ day: row.day, activity: row.activity_display_name, count: Number(row.count) }));
  }

  async list(query: AuditListQuery): Promise<StoredAuditEvent[]> {
    let select = this.db.selectFrom('audit_events').selectAll();
    for (const clause of query.filter ?? []) select = select.where((eb) => clauseExpression(eb, clause));
    if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq);
    const rows = await select
      .orderBy('seq', 'desc')
      .limit(query.top + 1)
      .execute();
    return rows.map((row) => ({
      seq: Number(row.seq),
      event: {
        id: row.id,
        category: row.category,
        correlationId: row.correlation_id,
        result: row.result,
        resultReason: row.result_reason,
        activityDisplayName: row.activity_display_name,
        activityDateTime: row.activity_date_time,
        loggedByService: row.logged_by_service,
        operationType: row.operation_type,
        initiatedBy: initiatorOf(JSON.parse(row.initiated_by) as AuditInitiator),
        targetResources: (JSON.parse(row.target_resources) as AuditTarget[]).map((target) => ({
          id: target.id,
          displayName: target.displayName,
          type: target.type,
          userPrincipalName: target.userPrincipalName ?? null,
          groupType: null,
          modifiedProperties: target.modifiedProperties.map((property) => ({
            displayName: property.displayName,
            oldValue: property.oldValue,
            newValue: property.newValue,
          })),
        })),
        additionalDetails: JSON.parse(row.additional_details) as DirectoryAudit['additionalDetails'],
      },
    }));
  }

  async prune(olderThan: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('audit_events')
      .where('activity_date_time', '<', olderThan.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function initiatorOf(initiator: AuditInitiator): DirectoryAudit['initiatedBy'] {
  return {
    app: initiator.app
      ? {
          appId: initiator.app.appId,
          displayName: initiator.app.displayName,
          servicePrincipalId: null,
          servicePrincipalName: null,
        }
      : null,
    user: initiator.user
      ? {
          id: initiator.user.id,
          displayName: null,
          userPrincipalName: initiator.user.userPrincipalName,
          ipAddress: initiator.user.ipAddress,
        }
      : null,
  };
}
