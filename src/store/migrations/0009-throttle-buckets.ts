import type { Kysely } from 'kysely';

/**
 * Throttling buckets shared by every server instance on one PostgreSQL database (SPEC section 9: throttling).
 * One row per bucket; each request refills and takes from it in a single atomic upsert. SQLite deployments (one
 * instance) keep their buckets in memory, but get the table too so both dialects have the same schema.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('throttle_buckets')
    .addColumn('key', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    /** Milliseconds since the epoch of the last refill (the latest clock any instance brought). */
    .addColumn('updated_at_ms', 'double precision', (c) => c.notNull())
    /** 1 when the last take was granted: read back by the same statement that took. */
    .addColumn('granted', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('throttle_buckets_updated').on('throttle_buckets').column('updated_at_ms').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('throttle_buckets').execute();
}
