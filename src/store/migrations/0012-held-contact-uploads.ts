import { type Kysely, PostgresAdapter } from 'kysely';

/**
 * The CSV files an administrator previewed in the portal and may now apply (docs/admin-portal.md, bulk operations).
 * Kept in the database, not in one server's memory, so the apply works on any instance behind a load balancer and
 * across a restart. The row's key is a hash of the upload id (the id itself is a bearer value in the page's form).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const bytes = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
  await db.schema
    .createTable('held_contact_uploads')
    .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
    /** Whose it is: the admin session that uploaded it (a hash of its id). */
    .addColumn('owner_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('filename', 'varchar(260)', (c) => c.notNull())
    .addColumn('data', bytes, (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    /** The import options of the preview (JSON): the apply uses the same. */
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('held_contact_uploads_owner').on('held_contact_uploads').column('owner_hash').execute();
  await db.schema.createIndex('held_contact_uploads_expires').on('held_contact_uploads').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('held_contact_uploads').execute();
}
