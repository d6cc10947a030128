import { type Kysely, PostgresAdapter } from 'kysely';

/**
 * Directory sync's safeguard against accidental deletes (Entra Connect's deletion threshold, default 500 users; 0
 * turns it off), and on each run the deletions it held back and the threshold they exceeded. The run status
 * `stopped-deletion-threshold-exceeded` does not fit the first schema's `varchar(16)`: PostgreSQL's column is
 * widened (SQLite does not enforce lengths).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('directory_sync_settings')
    .addColumn('deletion_threshold', 'integer', (c) => c.notNull().defaultTo(500))
    .execute();
  await db.schema.alterTable('directory_sync_runs').addColumn('pending_deletions', 'integer').execute();
  await db.schema.alterTable('directory_sync_runs').addColumn('deletion_threshold', 'integer').execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await db.schema
      .alterTable('directory_sync_runs')
      .alterColumn('status', (c) => c.setDataType('varchar(40)'))
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('directory_sync_runs').dropColumn('deletion_threshold').execute();
  await db.schema.alterTable('directory_sync_runs').dropColumn('pending_deletions').execute();
  await db.schema.alterTable('directory_sync_settings').dropColumn('deletion_threshold').execute();
}
