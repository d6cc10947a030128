import type { Kysely } from 'kysely';
import type { AuditEventDraft } from '../domain/audit.js';
import { insertAuditEvent } from './audit-writer.js';
import type { Database } from './schema.js';

/** A signed-in browser session of My Security Info; the cookie value only ever exists as its SHA-256. */
export interface WebSessionRecord {
  readonly idHash: string;
  readonly userId: string;
  readonly csrfHash: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
}

export interface RegistrationRecord {
  readonly registeredAt: string | null;
  readonly confirmedAt: string | null;
  readonly skippedAt: string | null;
}

/** Web sessions and the per-user registration record; satisfies `SecurityInfoService`'s `SessionStore`. */
export class SqlWebSessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(session: WebSessionRecord): Promise<void> {
    await this.db
      .insertInto('web_sessions')
      .values({
        id_hash: session.idHash,
        user_id: session.userId,
        csrf_hash: session.csrfHash,
        created_at: session.createdAt,
        last_seen_at: session.lastSeenAt,
        expires_at: session.expiresAt,
      })
      .execute();
  }

  async find(idHash: string): Promise<WebSessionRecord | undefined> {
    const row = await this.db.selectFrom('web_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    return (
      row && {
        idHash: row.id_hash,
        userId: row.user_id,
        csrfHash: row.csrf_hash,
        createdAt: row.created_at,
        lastSeenAt: row.last_seen_at,
        expiresAt: row.expires_at,
      }
    );
  }

  async touch(idHash: string, lastSeenAt: string): Promise<void> {
    await this.db.updateTable('web_sessions').set({ last_seen_at: lastSeenAt }).where('id_hash', '=', idHash).execute();
  }

  /**
   * Every web session and refresh token of the user ends (after a password reset, or an admin's "Revoke
   * sessions", whose audit event is written in the same transaction).
   */
  async revokeAllForUser(userId: string, audit: AuditEventDraft | null = null, at: Date = new Date()): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('web_sessions').where('user_id', '=', userId).execute();
      await trx.deleteFrom('refresh_tokens').where('user_id', '=', userId).execute();
      if (audit) await insertAuditEvent(trx, audit, at);
    });
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('web_sessions').where('id_hash', '=', idHash).execute();
  }

  /** Removes sessions past their absolute expiry or idle since before `idleSince`. */
  async purgeExpired(now: string, idleSince: string): Promise<number> {
    const result = await this.db
      .deleteFrom('web_sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<', idleSince)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Whether the user must change their password before anything else (read for sign-in only). */
  async forcesPasswordChange(userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('users')
      .select('force_change_password')
      .where('id', '=', userId)
      .executeTakeFirst();
    return Boolean(row?.force_change_password);
  }

  async registrationOf(userId: string): Promise<RegistrationRecord | undefined> {
    const row = await this.db
      .selectFrom('security_info_registrations')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row && { registeredAt: row.registered_at, confirmedAt: row.confirmed_at, skippedAt: row.skipped_at };
  }

  /** Sets the given timestamps (others kept), with an audit event in the same transaction when given. */
  async recordRegistration(
    userId: string,
    changes: Partial<RegistrationRecord>,
    audit: AuditEventDraft | null = null,
    at: Date = new Date(),
  ): Promise<void> {
    const values = {
      ...(changes.registeredAt !== undefined && { registered_at: changes.registeredAt }),
      ...(changes.confirmedAt !== undefined && { confirmed_at: changes.confirmedAt }),
      ...(changes.skippedAt !== undefined && { skipped_at: changes.skippedAt }),
    };
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('security_info_registrations')
        .values({ user_id: userId, registered_at: null, confirmed_at: null, skipped_at: null, ...values })
        .onConflict((oc) =>
          Object.keys(values).length > 0 ? oc.column('user_id').doUpdateSet(values) : oc.doNothing(),
        )
        .execute();
      if (audit) await insertAuditEvent(trx, audit, at);
    });
  }
}
