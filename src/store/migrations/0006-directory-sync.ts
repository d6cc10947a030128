import type { Kysely } from 'kysely';

/**
 * Directory sync (SPEC section 8): its settings (one row; the bind password sealed with the master key), its runs
 * and their per-object errors and warnings, a lease so that one run at a time happens even with several server
 * instances, and on `users` the cloud override of the mobile phone, the run that last saw a synced user, and
 * the soft deletion of a synced user that left the scope.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('directory_sync_settings')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('flavor', 'varchar(16)', (c) => c.notNull())
    /** JSON array of LDAP URLs, tried in order (failover). */
    .addColumn('urls', 'text', (c) => c.notNull())
    .addColumn('bind_dn', 'text', (c) => c.notNull())
    /** `SecretBox.seal` of the bind password. */
    .addColumn('bind_password', 'text', (c) => c.notNull())
    .addColumn('base_dns', 'text', (c) => c.notNull())
    .addColumn('filter', 'text')
    .addColumn('group_dn', 'text')
    .addColumn('page_size', 'integer', (c) => c.notNull())
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    /** JSON: `{ caFile?, serverName? }`. */
    .addColumn('tls', 'text', (c) => c.notNull())
    .addColumn('interval_minutes', 'integer', (c) => c.notNull().defaultTo(30))
    /** JSON array of mapping rules. */
    .addColumn('mappings', 'text', (c) => c.notNull())
    /** Bumped on every mapping change: a full run is due when the last full run used an older version. */
    .addColumn('mappings_version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('bypass_dir_sync_overrides_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('writeback_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('directory_sync_runs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull())
    /** running, succeeded or failed; a run killed with its process stays `running` (its lease expires). */
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('finished_at', 'varchar(40)')
    /** JSON: `{ read, added, updated, deleted, unchanged, errors, warnings }`, committed with each page. */
    .addColumn('counts', 'text', (c) => c.notNull())
    /** JSON string: the source watermark, set in the same transaction as the run's last page. */
    .addColumn('watermark', 'text')
    .addColumn('message', 'text')
    .execute();
  await db.schema.createIndex('directory_sync_runs_started').on('directory_sync_runs').column('started_at').execute();

  await db.schema
    .createTable('directory_sync_errors')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('run_id', 'varchar(36)', (c) => c.notNull().references('directory_sync_runs.id').onDelete('cascade'))
    .addColumn('dn', 'text', (c) => c.notNull())
    .addColumn('anchor', 'varchar(256)')
    .addColumn('user_id', 'varchar(36)')
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('attribute', 'varchar(64)')
    .addColumn('message', 'text', (c) => c.notNull())
    /** error or warning. */
    .addColumn('severity', 'varchar(8)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('directory_sync_errors_run').on('directory_sync_errors').column('run_id').execute();

  // One row, created here: taking the lease is a conditional UPDATE of it, so there is no insert race.
  await db.schema
    .createTable('directory_sync_lease')
    .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('holder', 'varchar(256)')
    .addColumn('expires_at', 'varchar(40)')
    .execute();
  await (db as Kysely<{ directory_sync_lease: { name: string; holder: string | null; expires_at: string | null } }>)
    .insertInto('directory_sync_lease')
    .values({ name: 'directory-sync', holder: null, expires_at: null })
    .execute();

  await db.schema
    .alterTable('users')
    .addColumn('mobile_phone_cloud_override', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('users').addColumn('sync_seen_run', 'varchar(36)').execute();
  await db.schema.alterTable('users').addColumn('soft_deleted_at', 'varchar(40)').execute();
  // `users_immutable_id` (0001) already indexes the anchor; this one serves the end-of-run scans.
  await db.schema
    .createIndex('users_sync_seen_run')
    .on('users')
    .columns(['on_premises_sync_enabled', 'sync_seen_run'])
    .execute();
  await db.schema.createIndex('users_soft_deleted_at').on('users').column('soft_deleted_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_soft_deleted_at').execute();
  await db.schema.dropIndex('users_sync_seen_run').execute();
  await db.schema.alterTable('users').dropColumn('soft_deleted_at').execute();
  await db.schema.alterTable('users').dropColumn('sync_seen_run').execute();
  await db.schema.alterTable('users').dropColumn('mobile_phone_cloud_override').execute();
  await db.schema.dropTable('directory_sync_lease').execute();
  await db.schema.dropTable('directory_sync_errors').execute();
  await db.schema.dropTable('directory_sync_runs').execute();
  await db.schema.dropTable('directory_sync_settings').execute();
}
