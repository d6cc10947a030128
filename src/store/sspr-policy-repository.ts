import type { Kysely } from 'kysely';
import type { AuditEventDraft } from '../domain/audit.js';
import { defaultSsprPolicy, type PolicyVersion, type SsprPolicy } from '../domain/sspr-policy.js';
import { insertAuditEvent } from './audit-writer.js';
import type { Database } from './schema.js';

/** The SSPR policy as an append-only history; the newest version is in force. Satisfies `PolicyStore`. */
export class SqlSsprPolicyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async current(): Promise<SsprPolicy> {
    const row = await this.db
      .selectFrom('sspr_policy_versions')
      .select('policy')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    // Stored JSON over the defaults: a field added by a later release gets its default.
    return row ? { ...defaultSsprPolicy, ...(JSON.parse(row.policy) as Partial<SsprPolicy>) } : defaultSsprPolicy;
  }

  async save(policy: SsprPolicy, changedBy: string, audit: AuditEventDraft): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sspr_policy_versions')
        .values({ policy: JSON.stringify(policy), changed_at: new Date().toISOString(), changed_by: changedBy })
        .execute();
      await insertAuditEvent(trx, audit);
    });
  }

  async history(limit = 50): Promise<PolicyVersion[]> {
    const rows = await this.db
      .selectFrom('sspr_policy_versions')
      .selectAll()
      .orderBy('version', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      version: Number(row.version),
      policy: { ...defaultSsprPolicy, ...(JSON.parse(row.policy) as Partial<SsprPolicy>) },
      changedDateTime: row.changed_at,
      changedBy: row.changed_by,
    }));
  }
}
