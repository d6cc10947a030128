import { type Kysely, PostgresAdapter } from 'kysely';

/** Tenant, keys, directory users, role assignments, app registrations and the audit log. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tenant')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('default_domain', 'varchar(255)', (c) => c.notNull())
    .addColumn('display_name', 'varchar(256)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('server_keys')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('encrypted_value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('encrypted_private_key', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('retired_at', 'varchar(40)')
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_principal_name', 'varchar(113)', (c) => c.notNull())
    .addColumn('upn_key', 'varchar(113)', (c) => c.notNull().unique())
    .addColumn('display_name', 'varchar(256)')
    .addColumn('given_name', 'varchar(64)')
    .addColumn('surname', 'varchar(64)')
    .addColumn('mail', 'varchar(254)')
    .addColumn('mail_nickname', 'varchar(64)')
    .addColumn('job_title', 'varchar(128)')
    .addColumn('office_location', 'varchar(128)')
    .addColumn('preferred_language', 'varchar(32)')
    .addColumn('account_enabled', 'integer', (c) => c.notNull())
    .addColumn('mobile_phone', 'varchar(64)')
    .addColumn('business_phone', 'varchar(64)')
    .addColumn('other_mails', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('on_premises_sync_enabled', 'integer')
    .addColumn('on_premises_immutable_id', 'varchar(256)')
    .addColumn('on_premises_last_sync_at', 'varchar(40)')
    .addColumn('on_premises_distinguished_name', 'text')
    .addColumn('on_premises_sam_account_name', 'varchar(64)')
    .addColumn('on_premises_user_principal_name', 'varchar(256)')
    .addColumn('on_premises_domain_name', 'varchar(256)')
    .addColumn('on_premises_security_identifier', 'varchar(256)')
    .addColumn('password_hash', 'text')
    .addColumn('password_changed_at', 'varchar(40)')
    .addColumn('force_change_password', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Keyset paging sorts by (key, id); these make every page an index range scan.
  await db.schema.createIndex('users_display_name').on('users').columns(['display_name', 'id']).execute();
  await db.schema.createIndex('users_upn_key_id').on('users').columns(['upn_key', 'id']).execute();
  await db.schema.createIndex('users_mail').on('users').column('mail').execute();
  await db.schema.createIndex('users_mobile_phone').on('users').column('mobile_phone').execute();
  await db.schema.createIndex('users_immutable_id').on('users').column('on_premises_immutable_id').execute();

  await db.schema
    .createTable('user_other_mails')
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('address_key', 'varchar(254)', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_other_mails_pk', ['user_id', 'address_key'])
    .execute();
  await db.schema.createIndex('user_other_mails_address').on('user_other_mails').column('address_key').execute();

  await db.schema
    .createTable('directory_role_assignments')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role_template_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addUniqueConstraint('directory_role_assignments_unique', ['user_id', 'role_template_id'])
    .execute();

  await db.schema
    .createTable('app_registrations')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('app_id', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('display_name', 'varchar(256)', (c) => c.notNull())
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('app_secrets')
    .addColumn('key_id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('app_id', 'varchar(36)', (c) => c.notNull().references('app_registrations.app_id').onDelete('cascade'))
    .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('hint', 'varchar(8)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('app_secrets_app').on('app_secrets').column('app_id').execute();

  await db.schema
    .createTable('audit_events')
    // A sequence gives the log a stable order for paging, whatever the clock does.
    .addColumn('seq', isPostgres(db) ? 'bigserial' : 'integer', (c) => c.primaryKey())
    .addColumn('id', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('activity_date_time', 'varchar(40)', (c) => c.notNull())
    .addColumn('category', 'varchar(64)', (c) => c.notNull())
    .addColumn('activity_display_name', 'varchar(128)', (c) => c.notNull())
    .addColumn('logged_by_service', 'varchar(64)', (c) => c.notNull())
    .addColumn('operation_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('result', 'varchar(16)', (c) => c.notNull())
    .addColumn('result_reason', 'text', (c) => c.notNull())
    .addColumn('correlation_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('initiated_by', 'text', (c) => c.notNull())
    .addColumn('target_resources', 'text', (c) => c.notNull())
    .addColumn('additional_details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_time').on('audit_events').column('activity_date_time').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'audit_events',
    'app_secrets',
    'app_registrations',
    'directory_role_assignments',
    'user_other_mails',
    'users',
    'signing_keys',
    'server_keys',
    'tenant',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
