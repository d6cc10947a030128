import type { Kysely } from 'kysely';
import { PostgresAdapter } from 'kysely';

/** Authentication methods, security question answer hashes, custom questions and the SSPR policy history. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('authentication_phone_methods')
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('phone_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('phone_number', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
    .addPrimaryKeyConstraint('authentication_phone_methods_pk', ['user_id', 'phone_type'])
    .execute();

  await db.schema
    .createTable('authentication_email_methods')
    .addColumn('user_id', 'varchar(36)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('email_address', 'varchar(254)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('security_question_answers')
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('question_id', 'varchar(64)', (c) => c.notNull())
    /** argon2id of the normalised answer; the answer itself is never stored. */
    .addColumn('answer_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addPrimaryKeyConstraint('security_question_answers_pk', ['user_id', 'question_id'])
    .execute();

  await db.schema
    .createTable('custom_security_questions')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('text', 'varchar(200)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sspr_policy_versions')
    .addColumn(
      'version',
      (db.getExecutor().adapter instanceof PostgresAdapter ? 'bigserial' : 'integer') as 'integer',
      (c) => c.primaryKey(),
    )
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createIndex('directory_role_assignments_role')
    .on('directory_role_assignments')
    .column('role_template_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('directory_role_assignments_role').ifExists().execute();
  for (const table of [
    'sspr_policy_versions',
    'custom_security_questions',
    'security_question_answers',
    'authentication_email_methods',
    'authentication_phone_methods',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
