import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verify } from '@node-rs/argon2';
import pino, { type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../../src/config.js';
import { type Container, createContainer } from '../../../src/container.js';
import { directoryRoles } from '../../../src/domain/permissions.js';
import { serverKeyNames } from '../../../src/domain/tenant.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { dialectsUnderTest, type TestDatabase } from '../../support/databases.js';

const globalAdministratorTemplateId = '62e90394-69f5-4237-9190-012177145e10';

/** A pino logger whose every line lands in `lines`, to check what an operator would see. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

function configFor(dataDir: string, masterKey?: string): Config {
  return loadConfig({
    env: {},
    flags: { dataDir, tenantDomain: 'contoso.com', logLevel: 'silent', ...(masterKey && { masterKey }) },
  });
}

function passwordFile(dataDir: string): string {
  return path.join(dataDir, 'initial-admin-password.txt');
}

/** The one line of the password file that is not a comment. */
function initialPassword(dataDir: string): string {
  const lines = readFileSync(passwordFile(dataDir), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

function newMasterKey(): string {
  return randomBytes(32).toString('base64');
}

describe.each(dialectsUnderTest)('tenant bootstrap on $name', (dialect) => {
  let database: TestDatabase;
  let dataDir: string;

  beforeEach(async () => {
    database = await dialect.create();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-bootstrap-'));
  });
  afterEach(async () => {
    // Containers built on a given database leave closing it to its owner.
    await database.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(options: { masterKey?: string; logger?: Logger } = {}): Promise<Container> {
    return createContainer(configFor(dataDir, options.masterKey), {
      database: database.store,
      logger: options.logger ?? pino({ level: 'silent' }),
    });
  }

  async function counts() {
    const db = database.store.db;
    const count = async (table: 'tenant' | 'signing_keys' | 'users' | 'directory_role_assignments' | 'audit_events') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      tenants: await count('tenant'),
      signingKeys: await count('signing_keys'),
      users: await count('users'),
      roleAssignments: await count('directory_role_assignments'),
      auditEvents: await count('audit_events'),
    };
  }

  it('creates one tenant, its keys and one Global Administrator on an empty database', async () => {
    const { logger, lines } = capturingLogger();
    const container = await start({ logger });
    const db = database.store.db;

    const tenants = await db.selectFrom('tenant').selectAll().execute();
    expect(tenants).toHaveLength(1);
    expect(tenants[0]).toMatchObject({ id: container.tenant.tenantId, default_domain: 'contoso.com' });
    expect(container.tenant.verifiedDomains).toEqual(['contoso.com']);

    const signingKeys = await db.selectFrom('signing_keys').selectAll().execute();
    expect(signingKeys).toHaveLength(1);
    expect(signingKeys[0]).toMatchObject({ kid: container.tenant.signingKey.kid, retired_at: null });
    expect(container.tenant.jwks.map((jwk) => jwk.kid)).toEqual([container.tenant.signingKey.kid]);

    const serverKeys = await db.selectFrom('server_keys').select('name').execute();
    expect(serverKeys.map((row) => row.name)).toEqual(expect.arrayContaining([...serverKeyNames]));
    expect(container.tenant.serverKeys.clientSecret).toHaveLength(32);
    expect(container.tenant.serverKeys.pageToken).toHaveLength(32);
    expect(container.tenant.serverKeys.clientSecret.equals(container.tenant.serverKeys.pageToken)).toBe(false);

    const users = await db.selectFrom('users').selectAll().execute();
    expect(users).toHaveLength(1);
    const admin = users[0]!;
    expect(admin).toMatchObject({
      user_principal_name: 'admin@contoso.com',
      upn_key: 'admin@contoso.com',
      account_enabled: 1,
      force_change_password: 1,
    });
    expect(admin.password_hash).toMatch(/^\$argon2id\$/);

    const assignments = await db.selectFrom('directory_role_assignments').selectAll().execute();
    expect(assignments).toHaveLength(1);
    expect(assignments[0]).toMatchObject({ user_id: admin.id, role_template_id: globalAdministratorTemplateId });
    expect(directoryRoles.globalAdministrator).toBe(globalAdministratorTemplateId);

    const events = await db.selectFrom('audit_events').selectAll().execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ activity_display_name: 'Add user', operation_type: 'Add', result: 'success' });
    expect(JSON.parse(events[0]!.target_resources)).toMatchObject([
      { id: admin.id, userPrincipalName: 'admin@contoso.com', type: 'User' },
    ]);

    // The one-time password: in a file only the owner can read, matching the stored hash, never in the log.
    const file = passwordFile(dataDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = initialPassword(dataDir);
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(await verify(admin.password_hash as string, password)).toBe(true);
    expect(await verify(admin.password_hash as string, `${password}x`)).toBe(false);

    const log = lines.join('');
    expect(log).toContain('tenant created');
    expect(log).toContain(file);
    expect(log).not.toContain(password);
    expect(log).not.toContain(admin.password_hash as string);

    // Without a configured master key, one is made in the data folder, also private.
    expect(statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
  });

  it('reuses the tenant and its keys on the next start without rewriting the password file', async () => {
    const first = await start();
    const file = passwordFile(dataDir);
    const before = { content: readFileSync(file, 'utf8'), mtimeMs: statSync(file).mtimeMs, counts: await counts() };

    const { logger, lines } = capturingLogger();
    const second = await start({ logger });

    expect(second.tenant.tenantId).toBe(first.tenant.tenantId);
    expect(second.tenant.signingKey.kid).toBe(first.tenant.signingKey.kid);
    expect(second.tenant.jwks).toEqual(first.tenant.jwks);
    expect(second.tenant.serverKeys.clientSecret.equals(first.tenant.serverKeys.clientSecret)).toBe(true);
    expect(second.tenant.serverKeys.pageToken.equals(first.tenant.serverKeys.pageToken)).toBe(true);
    expect(await counts()).toEqual(before.counts);
    expect(before.counts).toEqual({ tenants: 1, signingKeys: 1, users: 1, roleAssignments: 1, auditEvents: 1 });

    expect(readFileSync(file, 'utf8')).toBe(before.content);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
    expect(lines.join('')).not.toContain('tenant created');
  });

  it('ends with one tenant when two starts race on a fresh database', async () => {
    // Instances sharing a database share the master key through the configuration.
    const masterKey = newMasterKey();
    const [a, b] = await Promise.all([start({ masterKey }), start({ masterKey })]);

    expect(a.tenant.tenantId).toBe(b.tenant.tenantId);
    expect(a.tenant.signingKey.kid).toBe(b.tenant.signingKey.kid);
    expect(a.tenant.serverKeys.clientSecret.equals(b.tenant.serverKeys.clientSecret)).toBe(true);
    expect(await counts()).toEqual({ tenants: 1, signingKeys: 1, users: 1, roleAssignments: 1, auditEvents: 1 });

    // Only the winner's password was kept, and it is the one in the file.
    const admin = await database.store.db.selectFrom('users').select('password_hash').executeTakeFirstOrThrow();
    expect(await verify(admin.password_hash as string, initialPassword(dataDir))).toBe(true);
  });

  it('keeps the keys encrypted with the master key at rest', async () => {
    const masterKey = newMasterKey();
    const container = await start({ masterKey });
    const db = database.store.db;

    const signingKey = await db.selectFrom('signing_keys').selectAll().executeTakeFirstOrThrow();
    expect(signingKey.encrypted_private_key).not.toContain('PRIVATE KEY');
    expect(signingKey.encrypted_private_key).toMatch(/^v1\./);
    const box = new SecretBox(Buffer.from(masterKey, 'base64'));
    expect(box.open(signingKey.encrypted_private_key).toString('utf8')).toContain('PRIVATE KEY');
    // The public half is public.
    expect(JSON.parse(signingKey.public_jwk)).toMatchObject({ kid: container.tenant.signingKey.kid, kty: 'RSA' });

    const rows = await db
      .selectFrom('server_keys')
      .selectAll()
      .where('name', 'in', [...serverKeyNames])
      .execute();
    expect(rows).toHaveLength(serverKeyNames.length);
    const clear = [container.tenant.serverKeys.clientSecret, container.tenant.serverKeys.pageToken];
    for (const row of rows) {
      expect(row.encrypted_value).toMatch(/^v1\./);
      for (const key of clear) {
        for (const encoding of ['base64', 'base64url', 'hex'] as const) {
          expect(row.encrypted_value).not.toContain(key.toString(encoding));
        }
      }
    }
    const opened = rows.map((row) => box.open(row.encrypted_value));
    expect(opened.some((key) => key.equals(container.tenant.serverKeys.clientSecret))).toBe(true);
    expect(opened.some((key) => key.equals(container.tenant.serverKeys.pageToken))).toBe(true);
  });

  it('refuses to start with a different master key, saying so, and changes nothing', async () => {
    await start({ masterKey: newMasterKey() });
    const before = await counts();

    const error = await start({ masterKey: newMasterKey() }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/master key/i);
    expect(await counts()).toEqual(before);
  });

  it('refuses to start when the master key file was replaced', async () => {
    await start();
    rmSync(path.join(dataDir, 'master.key'));
    await expect(start()).rejects.toThrow(/master key/i);
  });
});
