import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  type DatabaseIntrospector,
  Kysely,
  type SqliteDatabase as KyselySqliteDatabase,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
} from 'kysely';
import pg from 'pg';
import { DomainError } from '../domain/errors.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

export type DialectName = 'sqlite' | 'postgres';

export interface StoreDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** The SQLite handle, for prepared statements on hot paths; absent on PostgreSQL. */
  readonly sqlite?: SqliteDatabase.Database;
  close(): Promise<void>;
}

/**
 * Opens the database named by a URL: `postgres://` / `postgresql://` for PostgreSQL,
 * `sqlite:PATH`, `file:PATH` or a bare path for a SQLite file (`:memory:` works for tests).
 */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): StoreDatabase {
  if (/^postgres(ql)?:\/\//i.test(url)) return openPostgres(url);
  const file = url.replace(/^(sqlite|file):(\/\/)?/i, '');
  if (!file) throw new DomainError('invalid_configuration', { detail: `database URL '${url}' names no file` });
  return openSqlite(file, options);
}

export interface OpenDatabaseOptions {
  /**
   * SQLite file: copy the write-ahead log into the file on a worker thread instead of inside commits
   * (default true; see `wal-checkpointer.ts`).
   */
  readonly backgroundCheckpoints?: boolean;
  /** Told when the checkpoint worker fails and SQLite's own checkpoints take over again. */
  readonly onCheckpointFailure?: (error: Error) => void;
}

function openSqlite(file: string, options: OpenDatabaseOptions): StoreDatabase {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  // WAL lets readers run while a writer commits; NORMAL is durable across application crashes.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // SQLite's own lower() folds ASCII only; case-insensitive filters on names like 'Émile' need Unicode, as on PostgreSQL.
  sqlite.function('lower', { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  );
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const checkpointer =
    file !== ':memory:' && (options.backgroundCheckpoints ?? true)
      ? startWalCheckpointer(sqlite, options.onCheckpointFailure ? { onFailure: options.onCheckpointFailure } : {})
      : undefined;
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/** Distinct SQL texts whose prepared statements are kept; the oldest goes first beyond that. */
const statementCacheSize = 500;

/**
 * The SQLite handle as Kysely sees it, with its prepared statements kept by SQL text: Kysely's SQLite driver
 * prepares every query afresh, which costs as much as running a simple one. A statement still iterating (a
 * streamed query) is never handed out twice.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): KyselySqliteDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text) {
      let statement = statements.get(text);
      if (statement === undefined || statement.busy) {
        statement = sqlite.prepare(text);
        if (statements.size >= statementCacheSize) statements.delete(statements.keys().next().value as string);
        statements.set(text, statement);
      }
      return statement;
    },
  };
}

function openPostgres(url: string): StoreDatabase {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/** Applies every pending numbered migration; safe to run at each start. */
export async function migrateToLatest(db: Kysely<Database>, dialect: DialectName): Promise<string[]> {
  // On PostgreSQL, Kysely looks for its bookkeeping tables in every schema unless told which one: another schema's
  // `kysely_migration_lock` (a second application, or parallel test schemas) would be taken for ours. Name ours.
  const migrationTableSchema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db: migrationTableSchema === undefined ? db : withSchemaScopedIntrospection(db, migrationTableSchema),
    provider: migrationProvider,
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * The database as the migrator sees it on PostgreSQL: the same, but listing only the tables of one schema, by name.
 * Kysely's own listing reads every table of the database with functions that look tables up by name
 * (`pg_get_serial_sequence`), which fails with "schema ... does not exist" when another schema is dropped meanwhile
 * (another application, parallel test schemas); the migrator only needs to know whether its two tables exist.
 */
function withSchemaScopedIntrospection(db: Kysely<Database>, schema: string): Kysely<Database> {
  const introspection: DatabaseIntrospector = {
    async getSchemas() {
      const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(db);
      return rows;
    },
    async getTables() {
      const { rows } = await sql<{ name: string; kind: string }>`
        select c.relname as name, c.relkind as kind
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm')`.execute(db);
      return rows.map((row) => ({ name: row.name, schema, isView: row.kind === 'v' || row.kind === 'm', columns: [] }));
    },
    async getMetadata() {
      return { tables: await this.getTables() };
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value = Reflect.get(target, property, target);
      // Kysely's methods use private fields: they must run on the real instance.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
