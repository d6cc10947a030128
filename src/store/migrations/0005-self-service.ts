import type { Kysely } from 'kysely';

/**
 * Self-service: reset and registration flows, their verification codes, SSPR lockout counters and blocks,
 * send limits, message delivery records, the development outbox, web sessions and registration dates.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('self_service_flows')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('schema_version', 'integer', (c) => c.notNull())
    /** Bumped on every save; a save with a stale revision fails, so two racing requests cannot both advance. */
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('state', 'varchar(32)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(36)', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('csrf_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('binding_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)')
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('self_service_flows_expires').on('self_service_flows').column('expires_at').execute();

  await db.schema
    .createTable('verification_codes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('flow_id', 'varchar(64)', (c) => c.notNull().references('self_service_flows.id').onDelete('cascade'))
    .addColumn('channel', 'varchar(8)', (c) => c.notNull())
    /** HMAC of the destination: the code is bound to it without storing the number or address again. */
    .addColumn('destination_key', 'varchar(64)', (c) => c.notNull())
    /** HMAC-SHA-256 of flow id, destination and code with a server key; the code itself is never stored. */
    .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('consumed_at', 'varchar(40)')
    .addColumn('delivery_status', 'varchar(16)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('verification_codes_flow').on('verification_codes').column('flow_id').execute();

  // Keyed by an HMAC of the normalised user ID, not by user id: attempts against unknown users are counted and
  // blocked exactly like those against real ones, so the lockout cannot tell them apart.
  await db.schema
    .createTable('sspr_attempts')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('subject_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('kind', 'varchar(24)', (c) => c.notNull())
    .addColumn('at', 'varchar(40)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sspr_attempts_subject')
    .on('sspr_attempts')
    .columns(['subject_key', 'kind', 'at'])
    .execute();

  await db.schema
    .createTable('sspr_blocks')
    .addColumn('subject_key', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('blocked_until', 'varchar(40)', (c) => c.notNull())
    .addColumn('reason', 'varchar(64)', (c) => c.notNull())
    .addColumn('blocked_at', 'varchar(40)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('send_events')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('destination_key', 'varchar(64)', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)')
    .addColumn('channel', 'varchar(8)', (c) => c.notNull())
    .addColumn('at', 'varchar(40)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('send_events_destination').on('send_events').columns(['destination_key', 'at']).execute();
  await db.schema.createIndex('send_events_ip').on('send_events').columns(['ip_address', 'at']).execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('channel', 'varchar(8)', (c) => c.notNull())
    .addColumn('purpose', 'varchar(32)', (c) => c.notNull())
    /** Masked: the delivery record shows where a message went without holding the number or address. */
    .addColumn('recipient_masked', 'varchar(254)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deliveries_created').on('deliveries').column('created_at').execute();

  await db.schema
    .createTable('outbox_messages')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('channel', 'varchar(8)', (c) => c.notNull())
    .addColumn('recipient', 'varchar(254)', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbox_messages_created').on('outbox_messages').column('created_at').execute();

  await db.schema
    .createTable('web_sessions')
    /** SHA-256 of the cookie value; the value itself only exists in the browser. */
    .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('last_seen_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('web_sessions_user').on('web_sessions').column('user_id').execute();

  await db.schema
    .createTable('security_info_registrations')
    .addColumn('user_id', 'varchar(36)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('registered_at', 'varchar(40)')
    .addColumn('confirmed_at', 'varchar(40)')
    .addColumn('skipped_at', 'varchar(40)')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'security_info_registrations',
    'web_sessions',
    'outbox_messages',
    'deliveries',
    'send_events',
    'sspr_blocks',
    'sspr_attempts',
    'verification_codes',
    'self_service_flows',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
