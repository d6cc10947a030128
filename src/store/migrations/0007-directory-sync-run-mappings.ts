import type { Kysely } from 'kysely';

/**
 * Directory sync runs remember the mapping version they used, so the scheduler can tell when a full run is due
 * after a mapping change (SPEC section 8: "a full one on demand or when the mappings change").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('directory_sync_runs').addColumn('mappings_version', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('directory_sync_runs').dropColumn('mappings_version').execute();
}
