import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'blocked';

/**
 * `deliveries`: one row per message, updated after each attempt. Holds the masked recipient and the last error
 * (already stripped of secrets by the delivery service), never a code or a body. Satisfies `DeliveryLog`.
 */
export class SqlDeliveryRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async record(delivery: {
    readonly id: string;
    readonly channel: string;
    readonly purpose: string;
    readonly recipientMasked: string;
    readonly status: DeliveryStatus;
    readonly attempts: number;
    readonly lastError: string | null;
    readonly at: Date;
  }): Promise<void> {
    const at = delivery.at.toISOString();
    await this.db
      .insertInto('deliveries')
      .values({
        id: delivery.id,
        channel: delivery.channel,
        purpose: delivery.purpose,
        recipient_masked: delivery.recipientMasked,
        status: delivery.status,
        attempts: delivery.attempts,
        last_error: delivery.lastError,
        created_at: at,
        updated_at: at,
      })
      .execute();
  }

  async update(
    id: string,
    changes: {
      readonly status: DeliveryStatus;
      readonly attempts: number;
      readonly lastError: string | null;
      readonly at: Date;
    },
  ): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({
        status: changes.status,
        attempts: changes.attempts,
        last_error: changes.lastError,
        updated_at: changes.at.toISOString(),
      })
      .where('id', '=', id)
      .execute();
  }
}
