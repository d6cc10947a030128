import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verify } from '@node-rs/argon2';
import { type Kysely, sql } from 'kysely';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createContainer } from '../../../src/container.js';
import type { RequestContext } from '../../../src/domain/audit.js';
import { hashClientSecret } from '../../../src/services/apps/app-service.js';
import type { Database } from '../../../src/store/schema.js';
import { dialectsUnderTest, type TestDatabase } from '../../support/databases.js';

const operator: RequestContext = { principal: { kind: 'operator', name: 't' }, correlationId: 'c', ipAddress: null };

/** Every table of the database, as its raw rows. */
async function dumpAllTables(
  db: Kysely<Database>,
  dialect: TestDatabase['name'],
): Promise<Map<string, Record<string, unknown>[]>> {
  const listing =
    dialect === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'table'`
      : sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`;
  const tables = (await listing.execute(db)).rows.map((row) => row.name);
  const dump = new Map<string, Record<string, unknown>[]>();
  for (const table of tables) {
    dump.set(table, (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows);
  }
  return dump;
}

/** The value itself and the encodings a careless write would use. */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [secret, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
}

describe.each(dialectsUnderTest)('secrets at rest on $name', (dialect) => {
  let database: TestDatabase;
  let dataDir: string;

  beforeEach(async () => {
    database = await dialect.create();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-secrets-'));
  });
  afterEach(async () => {
    await database.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps no clear password or client secret in any table', async () => {
    const log: string[] = [];
    const container = await createContainer(
      loadConfig({ env: {}, flags: { dataDir, tenantDomain: 'contoso.com', logLevel: 'silent' } }),
      { database: database.store, logger: pino({ level: 'trace' }, { write: (line: string) => void log.push(line) }) },
    );
    const firstPassword = `Fp-${randomBytes(12).toString('base64url')}-7q`;
    const secondPassword = `Sp-${randomBytes(12).toString('base64url')}-3k`;

    const user = await container.users.createUser(operator, {
      userPrincipalName: 'ada@contoso.com',
      displayName: 'Ada Lovelace',
      mailNickname: 'ada',
      accountEnabled: true,
      passwordProfile: { password: firstPassword, forceChangePasswordNextSignIn: false },
    });
    await container.users.updateUser(operator, user.id, {
      passwordProfile: { password: secondPassword, forceChangePasswordNextSignIn: true },
    });
    const created = await container.apps.createApp(operator, {
      displayName: 'Payroll sync',
      permissions: ['User.Read.All'],
    });
    const clientSecret = created.clientSecret;
    const adminPassword = readFileSync(path.join(dataDir, 'initial-admin-password.txt'), 'utf8')
      .split('\n')
      .find((line) => line.length > 0 && !line.startsWith('#')) as string;

    const dump = await dumpAllTables(database.store.db, dialect.name);
    expect([...dump.keys()]).toEqual(
      expect.arrayContaining([
        'tenant',
        'server_keys',
        'signing_keys',
        'users',
        'user_other_mails',
        'directory_role_assignments',
        'app_registrations',
        'app_secrets',
        'audit_events',
      ]),
    );
    const everything = JSON.stringify([...dump.entries()]);
    // The dump holds what was written, so the absence below means something.
    expect(everything).toContain('ada@contoso.com');
    expect(everything).toContain(created.app.appId);
    expect(dump.get('audit_events')).toHaveLength(4);

    for (const [table, rows] of dump) {
      const text = JSON.stringify(rows);
      for (const secret of [firstPassword, secondPassword, adminPassword, clientSecret]) {
        for (const encoded of encodings(secret)) {
          expect(text.includes(encoded), `${table} holds a secret`).toBe(false);
        }
      }
    }

    // What is kept instead: an argon2id hash of the current password, a keyed HMAC of the secret.
    const [stored] = (dump.get('users') ?? []).filter((row) => row.id === user.id);
    expect(stored?.password_hash).toMatch(/^\$argon2id\$/);
    expect(await verify(stored?.password_hash as string, secondPassword)).toBe(true);
    expect(await verify(stored?.password_hash as string, firstPassword)).toBe(false);
    const [secretRow] = dump.get('app_secrets') ?? [];
    expect(secretRow?.secret_hash).toBe(hashClientSecret(container.tenant.serverKeys.clientSecret, clientSecret));
    expect(secretRow?.hint).toBe(clientSecret.slice(0, 3));

    const logged = log.join('');
    for (const secret of [firstPassword, secondPassword, adminPassword, clientSecret]) {
      expect(logged.includes(secret)).toBe(false);
    }
  });
});
