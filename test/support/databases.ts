import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrateToLatest, openDatabase, type StoreDatabase } from '../../src/store/database.js';

/** A fresh, migrated database of one dialect, and how to throw it away. */
export interface TestDatabase {
  readonly name: 'sqlite' | 'postgres';
  readonly url: string;
  readonly store: StoreDatabase;
  dispose(): Promise<void>;
}

export interface DialectUnderTest {
  readonly name: 'sqlite' | 'postgres';
  create(): Promise<TestDatabase>;
}

const postgresUrl = process.env.SSPR_TEST_POSTGRES_URL;

/**
 * The dialects every store test runs on: SQLite always, PostgreSQL when SSPR_TEST_POSTGRES_URL is set
 * (CI sets it). Each database is private: a temp file, or a schema of its own on the shared server.
 */
export const dialectsUnderTest: readonly DialectUnderTest[] = [
  { name: 'sqlite', create: createSqliteDatabase },
  ...(postgresUrl ? [{ name: 'postgres' as const, create: () => createPostgresDatabase(postgresUrl) }] : []),
];

export async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-test-'));
  const url = `sqlite:${path.join(dir, 'sspr.db')}`;
  const store = openDatabase(url);
  await migrateToLatest(store.db, store.dialect);
  return {
    name: 'sqlite',
    url,
    store,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function createPostgresDatabase(serverUrl: string): Promise<TestDatabase> {
  const schema = `sspr_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = withSearchPath(serverUrl, schema);
  const store = openDatabase(url);
  await migrateToLatest(store.db, store.dialect);
  return {
    name: 'postgres',
    url,
    store,
    async dispose() {
      await store.close();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop schema ${schema} cascade`);
      await cleanup.end();
    },
  };
}

function withSearchPath(serverUrl: string, schema: string): string {
  const url = new URL(serverUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}
