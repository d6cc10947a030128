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

  async customQuestions(): Promise<{ id: string; text: string; createdDateTime: string }[]> {
    const rows = await this.db
      .selectFrom('custom_security_questions')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({ id: row.id, text: row.text, createdDateTime: row.created_at }));
  }

  /** `false` when the limit is reached; checked inside the transaction so two admins cannot both pass it. */
  async addCustomQuestion(
    question: { id: string; text: string },
    limit: number,
    audit: AuditEventDraft,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('custom_security_questions')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .executeTakeFirstOrThrow();
      if (Number(row.count) >= limit) return false;
      await trx
        .insertInto('custom_security_questions')
        .values({ id: question.id, text: question.text, created_at: new Date().toISOString() })
        .execute();
      await insertAuditEvent(trx, audit);
      return true;
    });
  }

  async removeCustomQuestion(id: string, audit: AuditEventDraft): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('custom_security_questions').where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) return false;
      await insertAuditEvent(trx, audit);
      return true;
    });
  }
}
