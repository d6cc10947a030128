import type { Kysely } from 'kysely';

/** Failed /devicelogin attempts per flow: a stolen user code cannot be used to guess passwords for long. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('device_codes')
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('device_codes').dropColumn('failed_attempts').execute();
}
