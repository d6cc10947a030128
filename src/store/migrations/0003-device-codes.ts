import type { Kysely } from 'kysely';

/**
 * The OAuth 2.0 device authorization grant (RFC 8628) and delegated refresh tokens. Device codes, user codes
 * and refresh tokens are stored only as HMAC-SHA-256 with a server key: a leaked database cannot redeem them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_codes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('device_code_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('user_code_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('client_id', 'varchar(64)', (c) => c.notNull())
    /** Space-separated scopes as requested (resource-qualified or not). */
    .addColumn('scopes', 'text', (c) => c.notNull())
    /** pending, approved, denied or redeemed. */
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('last_polled_at', 'varchar(40)')
    .addColumn('decided_at', 'varchar(40)')
    .execute();
  await db.schema.createIndex('device_codes_expires').on('device_codes').column('expires_at').execute();

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('client_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
    /** Set when the token is used: single use, each use issues a new one. */
    .addColumn('consumed_at', 'varchar(40)')
    .execute();
  await db.schema.createIndex('refresh_tokens_user').on('refresh_tokens').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('refresh_tokens_user').ifExists().execute();
  await db.schema.dropTable('refresh_tokens').ifExists().execute();
  await db.schema.dropIndex('device_codes_expires').ifExists().execute();
  await db.schema.dropTable('device_codes').ifExists().execute();
}
