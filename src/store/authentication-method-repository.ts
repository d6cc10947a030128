import type { Kysely } from 'kysely';
import type { AuditEventDraft } from '../domain/audit.js';
import type { AuthenticationMethodSet, PhoneType } from '../domain/authentication-methods.js';
import { DomainError } from '../domain/errors.js';
import { insertAuditEvent } from './audit-writer.js';
import type { Database } from './schema.js';

/** Authentication phones, email and security question answer hashes; satisfies the services' `AuthenticationMethodStore`. */
export class SqlAuthenticationMethodRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async load(userId: string): Promise<AuthenticationMethodSet> {
    return (await this.loadMany([userId])).get(userId) ?? { phones: {}, email: null, securityQuestionCount: 0 };
  }

  /** Methods of many users at once, for reports: three queries whatever the number of users. */
  async loadMany(userIds: readonly string[]): Promise<Map<string, AuthenticationMethodSet>> {
    const result = new Map<
      string,
      { phones: Partial<Record<PhoneType, string>>; email: string | null; securityQuestionCount: number }
    >();
    if (userIds.length === 0) return result;
    const entry = (id: string) => {
      let value = result.get(id);
      if (!value) {
        value = { phones: {}, email: null, securityQuestionCount: 0 };
        result.set(id, value);
      }
      return value;
    };
    const ids = [...userIds];
    const [phones, emails, questions] = await Promise.all([
      this.db
        .selectFrom('authentication_phone_methods')
        .select(['user_id', 'phone_type', 'phone_number'])
        .where('user_id', 'in', ids)
        .execute(),
      this.db
        .selectFrom('authentication_email_methods')
        .select(['user_id', 'email_address'])
        .where('user_id', 'in', ids)
        .execute(),
      this.db
        .selectFrom('security_question_answers')
        .select(['user_id', (eb) => eb.fn.countAll<number | string>().as('count')])
        .where('user_id', 'in', ids)
        .groupBy('user_id')
        .execute(),
    ]);
    for (const row of phones) entry(row.user_id).phones[row.phone_type as PhoneType] = row.phone_number;
    for (const row of emails) entry(row.user_id).email = row.email_address;
    for (const row of questions) entry(row.user_id).securityQuestionCount = Number(row.count);
    return result;
  }

  async putPhone(
    userId: string,
    type: PhoneType,
    phoneNumber: string,
    mode: 'add' | 'update',
    audit: AuditEventDraft,
  ): Promise<void> {
    const now = new Date().toISOString();
    await this.db.transaction().execute(async (trx) => {
      if (mode === 'add') {
        await trx
          .insertInto('authentication_phone_methods')
          .values({ user_id: userId, phone_type: type, phone_number: phoneNumber, created_at: now, updated_at: now })
          .execute()
          .catch(() => {
            throw new DomainError('method_already_exists', { type });
          });
      } else {
        const result = await trx
          .updateTable('authentication_phone_methods')
          .set({ phone_number: phoneNumber, updated_at: now })
          .where('user_id', '=', userId)
          .where('phone_type', '=', type)
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) throw new DomainError('resource_not_found', { resource: type });
      }
      await insertAuditEvent(trx, audit);
    });
  }

  async deletePhone(userId: string, type: PhoneType, audit: AuditEventDraft): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom('authentication_phone_methods')
        .where('user_id', '=', userId)
        .where('phone_type', '=', type)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new DomainError('resource_not_found', { resource: type });
      await insertAuditEvent(trx, audit);
    });
  }

  async putEmail(userId: string, emailAddress: string, mode: 'add' | 'update', audit: AuditEventDraft): Promise<void> {
    const now = new Date().toISOString();
    await this.db.transaction().execute(async (trx) => {
      if (mode === 'add') {
        await trx
          .insertInto('authentication_email_methods')
          .values({ user_id: userId, email_address: emailAddress, created_at: now, updated_at: now })
          .execute()
          .catch(() => {
            throw new DomainError('method_already_exists', { type: 'email' });
          });
      } else {
        const result = await trx
          .updateTable('authentication_email_methods')
          .set({ email_address: emailAddress, updated_at: now })
          .where('user_id', '=', userId)
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) throw new DomainError('resource_not_found', { resource: 'email' });
      }
      await insertAuditEvent(trx, audit);
    });
  }

  async deleteEmail(userId: string, audit: AuditEventDraft): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom('authentication_email_methods')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new DomainError('resource_not_found', { resource: 'email' });
      await insertAuditEvent(trx, audit);
    });
  }

  /** Replaces every registered answer at once: a registration is all or nothing. */
  async replaceSecurityAnswers(
    userId: string,
    answers: readonly { readonly questionId: string; readonly answerHash: string }[],
    audit: AuditEventDraft,
  ): Promise<void> {
    const now = new Date().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('security_question_answers').where('user_id', '=', userId).execute();
      if (answers.length > 0) {
        await trx
          .insertInto('security_question_answers')
          .values(
            answers.map((a) => ({
              user_id: userId,
              question_id: a.questionId,
              answer_hash: a.answerHash,
              created_at: now,
            })),
          )
          .execute();
      }
      await insertAuditEvent(trx, audit);
    });
  }

  async securityAnswerHashes(userId: string): Promise<{ questionId: string; answerHash: string }[]> {
    const rows = await this.db
      .selectFrom('security_question_answers')
      .select(['question_id', 'answer_hash'])
      .where('user_id', '=', userId)
      .orderBy('question_id')
      .execute();
    return rows.map((row) => ({ questionId: row.question_id, answerHash: row.answer_hash }));
  }
}
