import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, type Run, sspr } from '../../support/run-sspr.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'sspr-cli-test-'));
const dataDir = path.join(work, 'data');
const store = ['--data-dir', dataDir];
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Each step is a fresh Node process (tsx, SQLite, sometimes argon2): generous under a loaded CI machine.
describe('sspr CLI', { timeout: 90_000 }, () => {
  let first: Run;
  beforeAll(async () => {
    // The first command on a new data folder bootstraps the tenant and its administrator.
    first = await sspr(['migrate', ...store]);
  });

  describe('first start', () => {
    it('migrate exits 0 and says the database is up to date', () => {
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/database is up to date \(sqlite\)/);
    });

    it('leaves the administrator password in a file only its owner can read, and never prints it', () => {
      const file = path.join(dataDir, 'initial-admin-password.txt');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, 'utf8')
        .split('\n')
        .find((line) => line.length > 0 && !line.startsWith('#'));
      expect(password).toMatch(/^\S{12,}$/);
      expect(first.stdout).not.toContain(password);
      expect(first.stderr).not.toContain(password);
    });

    it('keeps the master key private', () => {
      expect(statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    });

    it('migrate is idempotent', async () => {
      const again = await sspr(['migrate', ...store]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/up to date/);
    });
  });

  describe.concurrent('config show', () => {
    const masterKey = randomBytes(32).toString('base64');
    const configFile = path.join(work, 'config.json');
    beforeAll(() => {
      writeFileSync(configFile, JSON.stringify({ port: 1111, host: '0.0.0.0', tenantDomain: 'file.example' }));
    });

    it('prints the effective configuration as JSON with the master key redacted', async () => {
      const run = await sspr(['config', 'show', ...store], { SSPR_MASTER_KEY: masterKey });
      expect(run.code, run.stderr).toBe(0);
      const shown = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(shown.masterKey).toBe('****');
      expect(run.stdout).not.toContain(masterKey);
      expect(shown).toMatchObject({
        dataDir,
        databaseUrl: `sqlite:${path.join(dataDir, 'sspr.db')}`,
        host: '127.0.0.1',
        port: 8080,
        tenantDomain: 'example.com',
      });
    });

    it('takes --port over SSPR_PORT over the config file', async () => {
      const port = async (args: string[], env: Record<string, string>) => {
        const run = await sspr(['config', 'show', '--config', configFile, ...args], env);
        expect(run.code, run.stderr).toBe(0);
        return JSON.parse(run.stdout) as { port: number; host: string; tenantDomain: string };
      };
      expect(await port([], {})).toMatchObject({ port: 1111, host: '0.0.0.0', tenantDomain: 'file.example' });
      expect(await port([], { SSPR_PORT: '2222' })).toMatchObject({ port: 2222, host: '0.0.0.0' });
      expect(await port(['--port', '3333'], { SSPR_PORT: '2222' })).toMatchObject({ port: 3333, host: '0.0.0.0' });
    });

    it('reads the config file named by SSPR_CONFIG', async () => {
      const run = await sspr(['config', 'show'], { SSPR_CONFIG: configFile });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ port: 1111, tenantDomain: 'file.example' });
    });

    it('hides the password of a PostgreSQL URL', async () => {
      const run = await sspr(['config', 'show'], { SSPR_DATABASE_URL: 'postgres://sspr:hunter2-secret@db:5432/sspr' });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).not.toContain('hunter2-secret');
      expect(JSON.parse(run.stdout).databaseUrl).toBe('postgres://sspr:****@db:5432/sspr');
    });

    it('rejects an invalid value in one line naming the key', async () => {
      expectOneLineError(
        await sspr(['config', 'show'], { SSPR_TENANT_DOMAIN: 'not a domain' }),
        /^sspr: error: Invalid configuration: tenantDomain/,
      );
    });

    it('rejects an out-of-range --port in one line', async () => {
      expectOneLineError(await sspr(['config', 'show', '--port', '70000']), '70000');
    });
  });

  describe('app create', () => {
    it('--json prints the tenant id, client id and client secret', async () => {
      const run = await sspr([
        'app',
        'create',
        '--name',
        'contact-info script',
        '--permissions',
        'User.Read.All,User.ReadWrite.All',
        '--json',
        ...store,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const created = JSON.parse(run.stdout) as Record<string, string>;
      expect(Object.keys(created).sort()).toEqual(['clientId', 'clientSecret', 'tenantId']);
      expect(created.tenantId).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.clientId).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.clientSecret?.length).toBeGreaterThanOrEqual(20);
    });

    it('without --json prints the client id and the secret once, in words', async () => {
      const run = await sspr(['app', 'create', '--name', 'reader', '--permissions', 'User.Read.All', ...store]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^client id: +[0-9a-f-]{36}$/m);
      expect(run.stdout).toMatch(/^client secret: +\S{20,}$/m);
      expect(run.stdout).toMatch(/shown only now/);
    });
  });

  describe('users', () => {
    const upn = 'ada@example.com';

    it('creates a user', async () => {
      const run = await sspr([
        'user',
        'create',
        '--user-principal-name',
        upn,
        '--display-name',
        'Ada Lovelace',
        '--password',
        'Analytical-Engine-1843',
        ...store,
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^created ada@example\.com \([0-9a-f-]{36}\)$/m);
    });

    it('updates contact info and reads it back as JSON', async () => {
      const update = await sspr([
        'user',
        'update',
        upn,
        '--mobile-phone',
        '+1 4251234567',
        '--business-phones',
        '+1 4252345678',
        '--other-mails',
        'a@example.org,b@example.org',
        ...store,
      ]);
      expect(update.code, update.stderr).toBe(0);
      const get = await sspr([
        'user',
        'get',
        upn,
        '--select',
        'mobilePhone,businessPhones,otherMails',
        '--output',
        'json',
        ...store,
      ]);
      expect(get.code, get.stderr).toBe(0);
      expect(JSON.parse(get.stdout)).toEqual({
        mobilePhone: '+1 4251234567',
        businessPhones: ['+1 4252345678'],
        otherMails: ['a@example.org', 'b@example.org'],
      });
    });

    it('shows one user as "name : value" lines by default', async () => {
      const run = await sspr(['user', 'get', upn, '--select', 'displayName,otherMails', ...store]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('displayName : Ada Lovelace\notherMails  : a@example.org, b@example.org\n');
    });

    it('lists users as CSV with a header', async () => {
      const run = await sspr([
        'user',
        'list',
        '--select',
        'userPrincipalName,displayName,otherMails',
        '--output',
        'csv',
        ...store,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe('userPrincipalName,displayName,otherMails');
      expect(lines).toContain('ada@example.com,Ada Lovelace,a@example.org;b@example.org');
      expect(lines).toContain('admin@example.com,Administrator,');
    });

    it('lists users as a table by default', async () => {
      const run = await sspr(['user', 'list', ...store]);
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^displayName +userPrincipalName +id$/);
      expect(lines[1]).toMatch(/^-+ +-+ +-+$/);
      expect(lines.some((line) => /^Ada Lovelace +ada@example\.com +[0-9a-f-]{36}$/.test(line))).toBe(true);
    });

    it('filters the list with OData startswith', async () => {
      const run = await sspr([
        'user',
        'list',
        '--filter',
        "startswith(displayName,'Ada')",
        '--select',
        'userPrincipalName',
        '--output',
        'json',
        ...store,
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual([{ userPrincipalName: upn }]);
    });

    it('finds the data folder through SSPR_DATA_DIR', async () => {
      const run = await sspr(['user', 'list', '--select', 'userPrincipalName', '--output', 'json'], {
        SSPR_DATA_DIR: dataDir,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(
        expect.arrayContaining([{ userPrincipalName: upn }, { userPrincipalName: 'admin@example.com' }]),
      );
    });

    it('clears the mobile phone with an empty value', async () => {
      const update = await sspr(['user', 'update', upn, '--mobile-phone', '', ...store]);
      expect(update.code, update.stderr).toBe(0);
      const get = await sspr(['user', 'get', upn, '--select', 'mobilePhone', '--output', 'json', ...store]);
      expect(JSON.parse(get.stdout)).toEqual({ mobilePhone: null });
    });

    it('creates a user with a generated password and deletes it', async () => {
      const created = await sspr([
        'user',
        'create',
        '--user-principal-name',
        'grace@example.com',
        '--display-name',
        'Grace Hopper',
        ...store,
      ]);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(/^initial password \(shown once.*\): \S{12,}$/m);
      const deleted = await sspr(['user', 'delete', 'grace@example.com', ...store]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stdout).toBe('deleted grace@example.com\n');
      expectOneLineError(await sspr(['user', 'get', 'grace@example.com', ...store]), 'grace@example.com');
    });
  });

  describe.concurrent('errors are one line on stderr and a non-zero exit code', () => {
    it('an unknown user gives the Graph message', async () => {
      const run = await sspr(['user', 'get', 'nobody@example.com', ...store]);
      expectOneLineError(
        run,
        "sspr: error: Resource 'nobody@example.com' does not exist or one of its queried reference-property objects are not present.",
      );
    });

    it('an invalid --other-mails address', async () => {
      expectOneLineError(
        await sspr(['user', 'update', 'ada@example.com', '--other-mails', 'not-an-address', ...store]),
        "Invalid value specified for property 'otherMails' of resource 'User'",
      );
    });

    it('two business phones', async () => {
      expectOneLineError(
        await sspr(['user', 'update', 'ada@example.com', '--business-phones', '+1 4252345678,+1 4252345679', ...store]),
        "Invalid value specified for property 'businessPhones' of resource 'User'",
      );
    });

    it('an invalid change leaves the stored value as it was', async () => {
      const get = await sspr([
        'user',
        'get',
        'ada@example.com',
        '--select',
        'businessPhones,otherMails',
        '--output',
        'json',
        ...store,
      ]);
      expect(JSON.parse(get.stdout)).toEqual({
        businessPhones: ['+1 4252345678'],
        otherMails: ['a@example.org', 'b@example.org'],
      });
    });

    it('an update with nothing to change', async () => {
      expectOneLineError(await sspr(['user', 'update', 'ada@example.com', ...store]), 'nothing to change');
    });

    it('an unknown --output format', async () => {
      expectOneLineError(await sspr(['user', 'get', 'ada@example.com', '--output', 'xml', ...store]), "'xml'");
      expectOneLineError(await sspr(['user', 'list', '--output', 'xml', ...store]), "'xml'");
    });

    it('an unknown property in --select', async () => {
      expectOneLineError(await sspr(['user', 'list', '--select', 'shoeSize', ...store]), 'shoeSize');
    });

    it('an invalid --filter', async () => {
      expectOneLineError(await sspr(['user', 'list', '--filter', 'shoeSize eq 42', ...store]), 'shoeSize');
    });

    it('an unknown command', async () => {
      expectOneLineError(await sspr(['frobnicate']), "unknown command 'frobnicate'");
    });

    it('an unknown option', async () => {
      expectOneLineError(await sspr(['user', 'list', '--colour', 'blue', ...store]), '--colour');
    });

    it('a missing required option', async () => {
      expectOneLineError(await sspr(['app', 'create', ...store]), '--name');
    });

    it('an unreadable config file', async () => {
      const missing = path.join(work, 'missing.json');
      expectOneLineError(await sspr(['migrate', '--config', missing, ...store]), missing);
    });

    it('a master key that is not 32 bytes', async () => {
      const run = await sspr(['user', 'list', ...store], { SSPR_MASTER_KEY: 'c2hvcnQ=' });
      expectOneLineError(run, 'master key');
    });
  });

  describe('help', () => {
    it('--help prints usage on stdout and exits 0', async () => {
      const run = await sspr(['user', 'update', '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('--mobile-phone');
      expect(run.stdout).toContain('--business-phones');
      expect(run.stdout).toContain('--other-mails');
    });
  });

  describe('dev-cert', () => {
    it('writes ca.pem, cert.pem and key.pem, the key private', async () => {
      const out = path.join(work, 'tls');
      const run = await sspr(['dev-cert', '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      const ca = new X509Certificate(readFileSync(path.join(out, 'ca.pem')));
      const cert = new X509Certificate(readFileSync(path.join(out, 'cert.pem')));
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkHost('localhost')).toBe('localhost');
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(readFileSync(path.join(out, 'key.pem'), 'utf8')).toMatch(/^-----BEGIN (RSA )?PRIVATE KEY-----/);
      expect(statSync(path.join(out, 'key.pem')).mode & 0o777).toBe(0o600);
      expect(run.stdout).toContain(path.join(out, 'ca.pem'));
    });
  });
});
