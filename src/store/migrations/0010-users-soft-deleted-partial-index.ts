import { type Kysely, sql } from 'kysely';

/**
 * `users_soft_deleted_at` (0006) indexed every user, and nearly every user has no `soft_deleted_at`. SQLite, which
 * keeps no statistics, then answered every list and count (all of them say `soft_deleted_at is null`) by reading
 * that index - every live user - and sorting them all for each page: a `$top=999` walk over 100,000 users read
 * 10 million rows. The index now holds only the soft-deleted users: the purge (`soft_deleted_at < ?`) still uses
 * it, and lists walk the primary key (or the sort column's index) again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_soft_deleted_at').execute();
  await db.schema
    .createIndex('users_soft_deleted_at')
    .on('users')
    .column('soft_deleted_at')
    .where(sql.ref('soft_deleted_at'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_soft_deleted_at').execute();
  await db.schema.createIndex('users_soft_deleted_at').on('users').column('soft_deleted_at').execute();
}
