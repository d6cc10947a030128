import type { Kysely } from 'kysely';

/**
 * Bulk contact import jobs (docs/bulk-import.md): one row per applied file, with its hash and options so that a
 * re-run of the same file resumes after the last committed batch, and the row outcomes of each committed batch.
 * A job's progress (`rows_done`, `counts`) is written in the same transaction as each batch's user changes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('contact_import_jobs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    /** SHA-256 of the file's bytes, hex. */
    .addColumn('file_hash', 'varchar(64)', (c) => c.notNull())
    /** JSON: `{ normalize, defaultRegion }`; a resume needs the same options. */
    .addColumn('options', 'text', (c) => c.notNull())
    /** running, succeeded or failed; a job killed with its process stays `running` and is resumed. */
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('total_rows', 'integer', (c) => c.notNull())
    /** Data records of the file handled by committed batches: the resume watermark. */
    .addColumn('rows_done', 'integer', (c) => c.notNull())
    .addColumn('batch_size', 'integer', (c) => c.notNull())
    /** JSON: `{ changed, unchanged, rejected, warnings }`. */
    .addColumn('counts', 'text', (c) => c.notNull())
    /** Who started it, as the audit log names initiators. */
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
    .addColumn('finished_at', 'varchar(40)')
    .addColumn('message', 'text')
    .execute();
  await db.schema.createIndex('contact_import_jobs_file').on('contact_import_jobs').column('file_hash').execute();

  // One row per committed batch (its outcomes as a JSON array): one insert per batch instead of one per line.
  await db.schema
    .createTable('contact_import_results')
    .addColumn('job_id', 'varchar(36)', (c) => c.notNull().references('contact_import_jobs.id').onDelete('cascade'))
    /** Line of the batch's first row; batches are read back in this order. */
    .addColumn('first_line', 'integer', (c) => c.notNull())
    /** JSON array of the batch's row outcomes: `{ line, key, outcome, column?, reason?, warnings, normalizations, changes }`. */
    .addColumn('outcomes', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_import_results_pk', ['job_id', 'first_line'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('contact_import_results').execute();
  await db.schema.dropTable('contact_import_jobs').execute();
}
