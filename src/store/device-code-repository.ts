import type { Kysely, Selectable } from 'kysely';
import type { DeviceCodeRecord, DeviceCodeStatus, RefreshTokenRecord } from '../domain/device-authorization.js';
import type { Database, DeviceCodeTable } from './schema.js';

/** Device authorization flows and delegated refresh tokens; satisfies the services' `DeviceCodeStore`. */
export class SqlDeviceCodeRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: DeviceCodeRecord): Promise<void> {
    await this.db
      .insertInto('device_codes')
      .values({
        id: record.id,
        device_code_hash: record.deviceCodeHash,
        user_code_hash: record.userCodeHash,
        client_id: record.clientId,
        scopes: record.scopes,
        status: record.status,
        user_id: record.userId,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        last_polled_at: record.lastPolledAt,
        decided_at: null,
      })
      .execute();
  }

  async findByDeviceCodeHash(hash: string): Promise<DeviceCodeRecord | undefined> {
    const row = await this.db
      .selectFrom('device_codes')
      .selectAll()
      .where('device_code_hash', '=', hash)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async findByUserCodeHash(hash: string): Promise<DeviceCodeRecord | undefined> {
    const row = await this.db
      .selectFrom('device_codes')
      .selectAll()
      .where('user_code_hash', '=', hash)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Records a poll; returns the previous poll time. */
  async recordPoll(id: string, now: string): Promise<void> {
    await this.db.updateTable('device_codes').set({ last_polled_at: now }).where('id', '=', id).execute();
  }

  /** pending → approved/denied, only while pending and unexpired; false when another request decided first. */
  async decide(id: string, status: 'approved' | 'denied', userId: string | null, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('device_codes')
      .set({ status, user_id: userId, decided_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Counts a failed sign-in against a pending flow, in one statement; the attempt that reaches the
   * limit declines the flow, so the device's poll ends with `access_denied`.
   */
  async recordFailedSignIn(id: string, limit: number, now: string): Promise<void> {
    await this.db
      .updateTable('device_codes')
      .set((eb) => ({
        failed_attempts: eb('failed_attempts', '+', 1),
        status: eb
          .case()
          .when('failed_attempts', '>=', limit - 1)
          .then('denied')
          .else(eb.ref('status'))
          .end(),
        decided_at: now,
      }))
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  /** approved → redeemed, atomically: of two racing polls exactly one gets `true`. */
  async redeem(id: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('device_codes')
      .set({ status: 'redeemed', last_polled_at: now })
      .where('id', '=', id)
      .where('status', '=', 'approved')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Removes flows that expired before `before`. */
  async purgeExpired(before: string): Promise<void> {
    await this.db.deleteFrom('device_codes').where('expires_at', '<', before).execute();
    await this.db.deleteFrom('refresh_tokens').where('expires_at', '<', before).execute();
  }

  async insertRefreshToken(record: RefreshTokenRecord): Promise<void> {
    await this.db
      .insertInto('refresh_tokens')
      .values({
        token_hash: record.tokenHash,
        user_id: record.userId,
        client_id: record.clientId,
        scopes: record.scopes,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        consumed_at: null,
      })
      .execute();
  }

  /** Marks an unexpired, unused refresh token used and returns it; `undefined` if it was not (any more) usable. */
  async consumeRefreshToken(hash: string, now: string): Promise<RefreshTokenRecord | undefined> {
    const row = await this.db
      .updateTable('refresh_tokens')
      .set({ consumed_at: now })
      .where('token_hash', '=', hash)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['token_hash', 'user_id', 'client_id', 'scopes', 'created_at', 'expires_at'])
      .executeTakeFirst();
    return (
      row && {
        tokenHash: row.token_hash,
        userId: row.user_id,
        clientId: row.client_id,
        scopes: row.scopes,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      }
    );
  }
}

function toRecord(row: Selectable<DeviceCodeTable>): DeviceCodeRecord {
  return {
    id: row.id,
    deviceCodeHash: row.device_code_hash,
    userCodeHash: row.user_code_hash,
    clientId: row.client_id,
    scopes: row.scopes,
    status: row.status as DeviceCodeStatus,
    userId: row.user_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastPolledAt: row.last_polled_at,
  };
}
