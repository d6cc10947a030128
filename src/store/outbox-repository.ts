import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

type OutboxChannel = 'email' | 'sms' | 'voice';

/** A row of `outbox_messages` as the admin API and the CLI show it. */
export interface OutboxMessageRow {
  readonly id: string;
  readonly channel: OutboxChannel;
  readonly recipient: string;
  readonly subject: string | null;
  readonly body: string;
  readonly createdDateTime: string;
}

/**
 * The development outbox: instead of sending, every email, SMS and call is stored in `outbox_messages` for
 * administrators to read (`GET /api/admin/v1/outbox`, `sspr outbox list`). Satisfies the delivery service's
 * `EmailTransport`, `SmsTransport` and `VoiceTransport`, and its `OutboxReader`.
 */
export class SqlOutboxRepository {
  private lastAt = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: { readonly clock: () => Date; readonly newId: () => string },
  ) {}

  async send(mail: { readonly to: string; readonly subject: string; readonly text: string }): Promise<void> {
    await this.insert('email', mail.to, mail.subject, mail.text);
  }

  async sendSms(toE164: string, body: string): Promise<void> {
    await this.insert('sms', toE164, null, body);
  }

  async call(toE164: string, spokenText: string, language: string): Promise<void> {
    await this.insert('voice', toE164, `voice call (${language})`, spokenText);
  }

  /** Newest first. */
  async list(options: { readonly top: number }): Promise<OutboxMessageRow[]> {
    const rows = await this.db
      .selectFrom('outbox_messages')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.top)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      channel: row.channel as OutboxChannel,
      recipient: row.recipient,
      subject: row.subject,
      body: row.body,
      createdDateTime: row.created_at,
    }));
  }

  /** Deletes messages created before `before` (they hold codes long expired). */
  async purgeOlderThan(before: Date): Promise<void> {
    await this.db.deleteFrom('outbox_messages').where('created_at', '<', before.toISOString()).execute();
  }

  private async insert(channel: OutboxChannel, recipient: string, subject: string | null, body: string) {
    // Strictly increasing within this process, so "newest first" holds for messages stored in the same millisecond.
    const at = Math.max(this.deps.clock().getTime(), this.lastAt + 1);
    this.lastAt = at;
    await this.db
      .insertInto('outbox_messages')
      .values({
        id: this.deps.newId(),
        channel,
        recipient,
        subject,
        body,
        created_at: new Date(at).toISOString(),
      })
      .execute();
  }
}
