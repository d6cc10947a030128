import type SqliteDatabase from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import type {
  ImportBatchPlan,
  ImportCounts,
  ImportJobRecord,
  ImportJobStatus,
  ImportOptions,
  RowKey,
  RowOutcome,
  UserIndex,
} from '../domain/contact-import.js';
import { DomainError } from '../domain/errors.js';
import type { DirectoryUser } from '../domain/user.js';
import { auditEventRow } from './audit-writer.js';
import type { ContactImportJobTable, ContactImportResultTable, Database } from './schema.js';
import {
  otherMailKeys,
  type PublicUserRow,
  publicColumns,
  publicUserRowOf,
  replaceOtherMails,
  toColumnChanges,
  toDirectoryUser,
} from './user-repository.js';

const concurrentRun = () =>
  new DomainError('invalid_request', {}, 'Another process is running this import: wait for it to finish.');

/**
 * Bulk contact import jobs and their row results; satisfies the service's `ContactImportStore`. On SQLite a batch
 * runs as one synchronous better-sqlite3 transaction of prepared statements (the connection Kysely also uses, taken
 * only while Kysely holds no transaction on it); on PostgreSQL as one Kysely transaction.
 */
export class SqlContactImportRepository {
  private readonly statements = new Map<string, SqliteDatabase.Statement>();
  private readonly rawStatements = new Map<string, SqliteDatabase.Statement>();
  private readonly updateStatements = new Map<string, SqliteDatabase.Statement>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite?: SqliteDatabase.Database,
  ) {}

  async lookUp(keys: readonly RowKey[]): Promise<UserIndex> {
    if (this.sqlite && !this.sqlite.inTransaction) return indexOf(this.findUsersOnSqlite(keys));
    return indexOf(await this.findUsers(this.db, keys));
  }

  async createJob(job: ImportJobRecord): Promise<void> {
    await this.db.insertInto('contact_import_jobs').values(toJobRow(job)).execute();
  }

  async findJob(id: string): Promise<ImportJobRecord | undefined> {
    const row = await this.db.selectFrom('contact_import_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toJob(row);
  }

  async findUnfinishedJob(fileHash: string, options: ImportOptions): Promise<ImportJobRecord | undefined> {
    const rows = await this.db
      .selectFrom('contact_import_jobs')
      .selectAll()
      .where('file_hash', '=', fileHash)
      .where('status', '!=', 'succeeded')
      .orderBy('created_at', 'desc')
      .execute();
    const wanted = importOptionsText(options);
    const row = rows.find((candidate) => candidate.options === wanted);
    return row && toJob(row);
  }

  async applyBatch(
    jobId: string,
    fromRow: number,
    keys: readonly RowKey[],
    plan: (users: UserIndex) => ImportBatchPlan,
    beforeCommit?: () => void,
  ): Promise<ImportBatchPlan> {
    const sqlite = this.sqlite;
    if (sqlite && !sqlite.inTransaction) {
      return sqlite.transaction(() => this.applyOnSqlite(jobId, fromRow, keys, plan, beforeCommit))();
    }
    return this.db.transaction().execute(async (trx) => {
      const planned = plan(indexOf(await this.findUsers(trx, keys)));
      for (const write of planned.writes) {
        const result = await trx
          .updateTable('users')
          .set(toColumnChanges(write.changes))
          .where('id', '=', write.id)
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) throw new DomainError('resource_not_found', { resource: write.id });
        if (write.changes.otherMails !== undefined) await replaceOtherMails(trx, write.id, write.changes.otherMails);
      }
      const at = new Date();
      for (let i = 0; i < planned.writes.length; i += 200) {
        const chunk = planned.writes.slice(i, i + 200);
        await trx
          .insertInto('audit_events')
          .values(chunk.map((write) => auditEventRow(write.audit, at)))
          .execute();
      }
      if (planned.results.length > 0) {
        await trx.insertInto('contact_import_results').values(toResultRow(jobId, planned.results)).execute();
      }
      const moved = await trx
        .updateTable('contact_import_jobs')
        .set({ rows_done: planned.rowsDone, counts: JSON.stringify(planned.counts), updated_at: planned.updatedAt })
        .where('id', '=', jobId)
        .where('rows_done', '=', fromRow)
        .executeTakeFirst();
      if (moved.numUpdatedRows !== 1n) throw concurrentRun();
      beforeCommit?.();
      return planned;
    });
  }

  async finishJob(jobId: string, status: 'succeeded' | 'failed', at: string, message: string | null): Promise<void> {
    await this.db
      .updateTable('contact_import_jobs')
      .set({ status, finished_at: at, updated_at: at, message })
      .where('id', '=', jobId)
      .execute();
  }

  async reopenJob(jobId: string, at: string): Promise<void> {
    await this.db
      .updateTable('contact_import_jobs')
      .set({ status: 'running', finished_at: null, updated_at: at, message: null })
      .where('id', '=', jobId)
      .execute();
  }

  async resultBatches(jobId: string, afterLine: number, limit: number): Promise<RowOutcome[][]> {
    const rows = await this.db
      .selectFrom('contact_import_results')
      .select('outcomes')
      .where('job_id', '=', jobId)
      .where('first_line', '>', afterLine)
      .orderBy('first_line')
      .limit(limit)
      .execute();
    return rows.map((row) => JSON.parse(row.outcomes) as RowOutcome[]);
  }

  private applyOnSqlite(
    jobId: string,
    fromRow: number,
    keys: readonly RowKey[],
    plan: (users: UserIndex) => ImportBatchPlan,
    beforeCommit?: () => void,
  ): ImportBatchPlan {
    const planned = plan(indexOf(this.findUsersOnSqlite(keys)));
    const at = new Date();
    const deleteMails = this.statement('delete from "user_other_mails" where "user_id" = ?');
    const insertMail = this.statement('insert into "user_other_mails" ("user_id", "address_key") values (?, ?)');
    let insertAudit: SqliteDatabase.Statement | undefined;
    for (const write of planned.writes) {
      const values = toColumnChanges(write.changes);
      // Sorted, so that rows changing the same columns share one statement whatever the order of the file's columns.
      const columns = Object.keys(values).sort() as (keyof typeof values)[];
      const parameters: unknown[] = columns.map((column) => values[column]);
      parameters.push(write.id);
      const result = this.updateStatement(columns).run(parameters);
      if (result.changes === 0) throw new DomainError('resource_not_found', { resource: write.id });
      if (write.changes.otherMails !== undefined) {
        deleteMails.run(write.id);
        for (const key of otherMailKeys(write.changes.otherMails)) insertMail.run(write.id, key);
      }
      const audit = auditEventRow(write.audit, at);
      insertAudit ??= this.statement(
        `insert into "audit_events" (${Object.keys(audit)
          .map((column) => `"${column}"`)
          .join(', ')}) values (${Object.keys(audit)
          .map(() => '?')
          .join(', ')})`,
      );
      insertAudit.run(Object.values(audit));
    }
    if (planned.results.length > 0) {
      const row = toResultRow(jobId, planned.results);
      this.statement('insert into "contact_import_results" ("job_id", "first_line", "outcomes") values (?, ?, ?)').run(
        row.job_id,
        row.first_line,
        row.outcomes,
      );
    }
    const moved = this.statement(
      'update "contact_import_jobs" set "rows_done" = ?, "counts" = ?, "updated_at" = ? where "id" = ? and "rows_done" = ?',
    ).run(planned.rowsDone, JSON.stringify(planned.counts), planned.updatedAt, jobId, fromRow);
    if (moved.changes !== 1) throw concurrentRun();
    beforeCommit?.();
    return planned;
  }

  /**
   * One prepared look-up per key: cheaper on SQLite than an `in` list of 500 parameters. Rows come as arrays
   * (`raw`), which better-sqlite3 builds faster than objects of 23 keys.
   */
  private findUsersOnSqlite(keys: readonly RowKey[]): DirectoryUser[] {
    const byId = this.rawStatement(`${selectUsers} where "id" = ? and "soft_deleted_at" is null`);
    const byUpn = this.rawStatement(`${selectUsers} where "upn_key" = ? and "soft_deleted_at" is null`);
    const found: DirectoryUser[] = [];
    for (const key of keys) {
      const values = (
        key.id !== undefined ? byId.get(key.id.toLowerCase()) : byUpn.get((key.userPrincipalName ?? '').toLowerCase())
      ) as unknown[] | undefined;
      if (values) found.push(toDirectoryUser(publicUserRowOf(values)));
    }
    return found;
  }

  private async findUsers(
    db: Kysely<Database> | Transaction<Database>,
    keys: readonly RowKey[],
  ): Promise<DirectoryUser[]> {
    const ids = [...new Set(keys.flatMap((key) => (key.id !== undefined ? [key.id.toLowerCase()] : [])))];
    const upns = [
      ...new Set(
        keys.flatMap((key) =>
          key.id === undefined && key.userPrincipalName !== undefined ? [key.userPrincipalName.toLowerCase()] : [],
        ),
      ),
    ];
    const rows: PublicUserRow[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      rows.push(
        ...(await db
          .selectFrom('users')
          .select(publicColumns)
          .where('id', 'in', ids.slice(i, i + 500))
          .where('soft_deleted_at', 'is', null)
          .execute()),
      );
    }
    for (let i = 0; i < upns.length; i += 500) {
      rows.push(
        ...(await db
          .selectFrom('users')
          .select(publicColumns)
          .where('upn_key', 'in', upns.slice(i, i + 500))
          .where('soft_deleted_at', 'is', null)
          .execute()),
      );
    }
    return rows.map(toDirectoryUser);
  }

  /** `update users set <columns> where id = ?`, kept per list of columns (an import changes the same few). */
  private updateStatement(columns: readonly string[]): SqliteDatabase.Statement {
    const signature = columns.join(',');
    let statement = this.updateStatements.get(signature);
    if (!statement) {
      statement = this.statement(
        `update "users" set ${columns.map((column) => `"${column}" = ?`).join(', ')} where "id" = ?`,
      );
      if (this.updateStatements.size >= 100) this.updateStatements.clear();
      this.updateStatements.set(signature, statement);
    }
    return statement;
  }

  private rawStatement(text: string): SqliteDatabase.Statement {
    let statement = this.rawStatements.get(text);
    if (!statement) {
      statement = (this.sqlite as SqliteDatabase.Database).prepare(text).raw(true);
      this.rawStatements.set(text, statement);
    }
    return statement;
  }

  private statement(text: string): SqliteDatabase.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      if (this.statements.size >= 200) this.statements.clear();
      statement = (this.sqlite as SqliteDatabase.Database).prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }
}

const selectUsers = `select ${publicColumns.map((column) => `"${column}"`).join(', ')} from "users"`;

function indexOf(users: readonly DirectoryUser[]): UserIndex {
  const byId = new Map(users.map((user) => [user.id, user]));
  const byUpn = new Map(users.map((user) => [user.userPrincipalName.toLowerCase(), user]));
  return {
    byId: (id) => byId.get(id.toLowerCase()),
    byUserPrincipalName: (upn) => byUpn.get(upn.toLowerCase()),
  };
}

/** Import options as stored (jobs, held uploads): JSON with an explicit null region. */
export function importOptionsText(options: ImportOptions): string {
  return JSON.stringify({ normalize: options.normalize, defaultRegion: options.defaultRegion ?? null });
}

export function importOptionsOf(text: string): ImportOptions {
  const options = JSON.parse(text) as { normalize: boolean; defaultRegion: string | null };
  return {
    normalize: options.normalize,
    ...(options.defaultRegion !== null && { defaultRegion: options.defaultRegion }),
  };
}

function toJobRow(job: ImportJobRecord): ContactImportJobTable {
  return {
    id: job.id,
    file_hash: job.fileHash,
    options: importOptionsText(job.options),
    status: job.status,
    total_rows: job.totalRows,
    rows_done: job.rowsDone,
    batch_size: job.batchSize,
    counts: JSON.stringify(job.counts),
    created_by: job.createdBy,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    finished_at: job.finishedAt,
    message: job.message,
  };
}

function toJob(row: ContactImportJobTable): ImportJobRecord {
  return {
    id: row.id,
    fileHash: row.file_hash,
    options: importOptionsOf(row.options),
    status: row.status as ImportJobStatus,
    totalRows: Number(row.total_rows),
    rowsDone: Number(row.rows_done),
    batchSize: Number(row.batch_size),
    counts: JSON.parse(row.counts) as ImportCounts,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    message: row.message,
  };
}

function toResultRow(jobId: string, results: readonly RowOutcome[]): ContactImportResultTable {
  return { job_id: jobId, first_line: (results[0] as RowOutcome).line, outcomes: JSON.stringify(results) };
}
