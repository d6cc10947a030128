import type { Kysely } from 'kysely';
import type { AuditEventDraft } from '../domain/audit.js';
import { insertAuditEvent, timeOrderedUuid } from './audit-writer.js';
import type { Database } from './schema.js';

/** SSPR lockout counters and blocks, and send counters; satisfies the reset service's `LockoutStore`. */
export class SqlSsprLockoutRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records the attempt, then counts the subject's attempts of that kind since `since` (this one included):
   * insert first, so two racing failures can never both read a count below the limit.
   */
  async recordAttempt(subjectKey: string, kind: string, at: Date, since: Date): Promise<number> {
    await this.db
      .insertInto('sspr_attempts')
      .values({ id: timeOrderedUuid(at), subject_key: subjectKey, kind, at: at.toISOString() })
      .execute();
    const row = await this.db
      .selectFrom('sspr_attempts')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('subject_key', '=', subjectKey)
      .where('kind', '=', kind)
      .where('at', '>=', since.toISOString())
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async withdrawAttempt(subjectKey: string, kind: string, at: Date): Promise<void> {
    const row = await this.db
      .selectFrom('sspr_attempts')
      .select('id')
      .where('subject_key', '=', subjectKey)
      .where('kind', '=', kind)
      .where('at', '=', at.toISOString())
      .executeTakeFirst();
    if (row) await this.db.deleteFrom('sspr_attempts').where('id', '=', row.id).execute();
  }

  /** Blocks the subject until `until` (keeps a later existing block) and records the audit event with it. */
  async block(
    block: { subjectKey: string; userId: string | null; until: Date; reason: string; at: Date },
    audit: AuditEventDraft | null,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('sspr_blocks')
        .select('blocked_until')
        .where('subject_key', '=', block.subjectKey)
        .executeTakeFirst();
      if (existing && existing.blocked_until >= block.until.toISOString()) return;
      await trx.deleteFrom('sspr_blocks').where('subject_key', '=', block.subjectKey).execute();
      await trx
        .insertInto('sspr_blocks')
        .values({
          subject_key: block.subjectKey,
          user_id: block.userId,
          blocked_until: block.until.toISOString(),
          reason: block.reason,
          blocked_at: block.at.toISOString(),
        })
        .execute();
      if (audit) await insertAuditEvent(trx, audit, block.at);
    });
  }

  async blockedUntil(subjectKey: string, now: Date): Promise<Date | null> {
    const row = await this.db
      .selectFrom('sspr_blocks')
      .select('blocked_until')
      .where('subject_key', '=', subjectKey)
      .where('blocked_until', '>', now.toISOString())
      .executeTakeFirst();
    return row ? new Date(row.blocked_until) : null;
  }

  /** Until when the user is blocked from SSPR (a block under their user ID key or recorded for them), or null. */
  async userBlockedUntil(userId: string, subjectKey: string, now: Date): Promise<Date | null> {
    const row = await this.db
      .selectFrom('sspr_blocks')
      .select((eb) => eb.fn.max('blocked_until').as('until'))
      .where((eb) => eb.or([eb('user_id', '=', userId), eb('subject_key', '=', subjectKey)]))
      .where('blocked_until', '>', now.toISOString())
      .executeTakeFirst();
    return row?.until ? new Date(row.until) : null;
  }

  /** How many users are blocked from SSPR right now (blocks recorded for a known user). */
  async blockedUserCount(now: Date): Promise<number> {
    const row = await this.db
      .selectFrom('sspr_blocks')
      .select((eb) => eb.fn.count<number | string>('user_id').distinct().as('count'))
      .where('user_id', 'is not', null)
      .where('blocked_until', '>', now.toISOString())
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** An administrator unblocks the user: blocks and failure counters end, with the audit event. */
  async unblockUser(userId: string, subjectKey: string, audit: AuditEventDraft, at: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('sspr_blocks')
        .where((eb) => eb.or([eb('user_id', '=', userId), eb('subject_key', '=', subjectKey)]))
        .execute();
      await trx.deleteFrom('sspr_attempts').where('subject_key', '=', subjectKey).execute();
      await insertAuditEvent(trx, audit, at);
    });
  }

  /** After a successful reset: counters start again (SPEC section 7). */
  async clear(subjectKey: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sspr_attempts').where('subject_key', '=', subjectKey).execute();
      await trx.deleteFrom('sspr_blocks').where('subject_key', '=', subjectKey).execute();
    });
  }

  /** Records a send and returns how many sends went to the destination and from the IP since `since`. */
  async recordSend(
    send: { destinationKey: string; ipAddress: string | null; channel: string; at: Date },
    since: Date,
  ): Promise<{ toDestination: number; fromAddress: number }> {
    await this.db
      .insertInto('send_events')
      .values({
        id: timeOrderedUuid(send.at),
        destination_key: send.destinationKey,
        ip_address: send.ipAddress,
        channel: send.channel,
        at: send.at.toISOString(),
      })
      .execute();
    const count = async (column: 'destination_key' | 'ip_address', value: string | null) => {
      if (value === null) return 0;
      const row = await this.db
        .selectFrom('send_events')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where(column, '=', value)
        .where('at', '>=', since.toISOString())
        .executeTakeFirstOrThrow();
      return Number(row.count);
    };
    return {
      toDestination: await count('destination_key', send.destinationKey),
      fromAddress: await count('ip_address', send.ipAddress),
    };
  }

  /** Removes counters older than `before` (they no longer count towards any limit). */
  async purgeOlderThan(before: Date): Promise<void> {
    const text = before.toISOString();
    await this.db.deleteFrom('sspr_attempts').where('at', '<', text).execute();
    await this.db.deleteFrom('send_events').where('at', '<', text).execute();
    await this.db.deleteFrom('sspr_blocks').where('blocked_until', '<', text).execute();
  }
}
