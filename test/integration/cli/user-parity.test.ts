// The seed's PowerShell lines, each next to the `sspr` line docs/cli.md gives for it, run in-process against a
// local store and, with --remote, against a server through its Graph API with a saved `sspr login` session.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { directoryRoles } from '../../../src/domain/permissions.js';
import { signDelegatedToken } from '../../support/delegated-tokens.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

async function run(args: readonly string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const program = buildProgram({
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
  });
  let error: Error | undefined;
  try {
    await program.parseAsync(['node', 'sspr', ...args]);
  } catch (caught) {
    error = caught as Error;
  }
  return { stdout, stderr, error };
}

/** Runs and expects success; returns stdout. */
async function ok(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(args, env);
  expect(result.error?.message, `sspr ${args.join(' ')}: ${result.stderr}`).toBeUndefined();
  return result.stdout;
}

async function fails(args: readonly string[], env: NodeJS.ProcessEnv, message: string | RegExp): Promise<void> {
  const result = await run(args, env);
  expect(result.error, `sspr ${args.join(' ')} should fail`).toBeDefined();
  if (typeof message === 'string') expect(result.error?.message).toContain(message);
  else expect(result.error?.message).toMatch(message);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'sspr-parity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The same checks against both targets: `target` adds the store or `--remote` arguments. */
function parityCases(name: string, setup: () => Promise<{ env: NodeJS.ProcessEnv; target: string[] }>) {
  describe(name, { timeout: 60_000 }, () => {
    let env: NodeJS.ProcessEnv;
    let target: string[];
    const sspr = (...args: string[]) => ok([...args, ...target], env);
    const json = async (...args: string[]) => JSON.parse(await sspr(...args, '--output', 'json'));

    beforeAll(async () => {
      ({ env, target } = await setup());
      await sspr('user', 'create', '--user-principal-name', 'user@contoso.com', '--display-name', 'Seed User');
      await sspr('user', 'create', '--user-principal-name', 'ada@contoso.com', '--display-name', 'Ada Lovelace');
    });

    it('Update-MgUser -UserId u -OtherMails / -MobilePhone / -BusinessPhones, one at a time and together', async () => {
      const user = ['--user-id', 'user@contoso.com'];
      await sspr('user', 'update', ...user, '--other-mails', 'emergency@phone.com');
      await sspr('user', 'update', ...user, '--mobile-phone', '+1 4251234567');
      await sspr('user', 'update', ...user, '--business-phones', '+1 4252345678');
      await sspr(
        'user',
        'update',
        ...user,
        '--other-mails',
        'emergency@phone.com',
        '--mobile-phone',
        '+1 4251234567',
        '--business-phones',
        '+1 4252345678',
      );
      // Get-MgUser -UserId u -Property otherMails,mobilePhone,businessPhones | select ...
      expect(await json('user', 'get', ...user, '--property', 'otherMails,mobilePhone,businessPhones')).toEqual({
        otherMails: ['emergency@phone.com'],
        mobilePhone: '+1 4251234567',
        businessPhones: ['+1 4252345678'],
      });
    });

    it('the Get-MgUser trap does not exist: what is asked for comes back, otherMails included', async () => {
      const table = await sspr('user', 'get', 'user@contoso.com', '--property', 'otherMails');
      expect(table).toBe('otherMails : emergency@phone.com\n');
    });

    it('Set-AzureADUser -ObjectId u -Mobile -TelephoneNumber -OtherMails (and the `set` spelling)', async () => {
      await sspr(
        'user',
        'set',
        '--object-id',
        'ada@contoso.com',
        '--mobile',
        '+1 4255550101',
        '--telephone-number',
        '+1 4255550102',
        '--other-mails',
        'ada@example.org,ada@example.net',
      );
      // Get-AzureADUser -ObjectId u | select UserPrincipalName, OtherMails, Mobile, TelephoneNumber
      expect(
        await json(
          'user',
          'get',
          '--object-id',
          'ada@contoso.com',
          '--property',
          'userPrincipalName,otherMails,mobile,telephoneNumber',
        ),
      ).toEqual({
        userPrincipalName: 'ada@contoso.com',
        otherMails: ['ada@example.org', 'ada@example.net'],
        mobile: '+1 4255550101',
        telephoneNumber: '+1 4255550102',
      });
    });

    it('Get-MgUser -All -Property ... | Format-Table: a table with exactly those columns; CSV too', async () => {
      const properties = 'displayName,userPrincipalName,otherMails,mobilePhone,businessPhones';
      const table = (await sspr('user', 'list', '--all', '--property', properties)).trimEnd().split('\n');
      expect(table[0]).toMatch(/^displayName +userPrincipalName +otherMails +mobilePhone +businessPhones$/);
      expect(
        table.some((line) =>
          /^Seed User +user@contoso\.com +emergency@phone\.com +\+1 4251234567 +\+1 4252345678$/.test(line),
        ),
      ).toBe(true);
      const csv = (await sspr('user', 'list', '--all', '--property', properties, '--output', 'csv')).split('\n');
      expect(csv[0]).toBe(properties);
      expect(csv).toContain('Ada Lovelace,ada@contoso.com,ada@example.org;ada@example.net,+1 4255550101,+1 4255550102');
    });

    it('--property * is every Graph property once', async () => {
      const all = await json('user', 'get', 'ada@contoso.com', '--property', '*');
      expect(Object.keys(all)).toContain('otherMails');
      expect(Object.keys(all)).toContain('onPremisesSyncEnabled');
      expect(Object.keys(all)).not.toContain('mobile');
    });

    it('Get-MgUser -Filter / Get-AzureADUser -Filter and -Top', async () => {
      expect(
        await json(
          'user',
          'list',
          '--filter',
          "userPrincipalName eq 'ada@contoso.com'",
          '--property',
          'objectId,displayName',
        ),
      ).toEqual([{ objectId: expect.any(String), displayName: 'Ada Lovelace' }]);
      expect(await json('user', 'list', '--top', '1')).toHaveLength(1);
    });

    it('New-/Get-/Update-/Remove-MgUserAuthenticationPhoneMethod', async () => {
      const user = ['--user-id', 'ada@contoso.com'];
      const added = await json(
        'user',
        'phone-method',
        'add',
        ...user,
        '--phone-number',
        '+1 4255550199',
        '--phone-type',
        'mobile',
      );
      expect(added).toEqual({
        id: '3179e48a-750b-4051-897c-87b9720928f7',
        phoneNumber: '+1 4255550199',
        phoneType: 'mobile',
        smsSignInState: expect.any(String),
      });
      await sspr(
        'user',
        'phone-method',
        'update',
        ...user,
        '--phone-authentication-method-id',
        '3179e48a-750b-4051-897c-87b9720928f7',
        '--phone-number',
        '+1 4255550198',
      );
      const listed = await json('user', 'phone-method', 'list', ...user);
      expect(listed).toEqual([expect.objectContaining({ phoneNumber: '+1 4255550198', phoneType: 'mobile' })]);
      expect(
        await json(
          'user',
          'phone-method',
          'list',
          ...user,
          '--phone-authentication-method-id',
          '3179e48a-750b-4051-897c-87b9720928f7',
        ),
      ).toMatchObject({ phoneNumber: '+1 4255550198' });
      const table = await sspr('user', 'phone-method', 'list', ...user);
      expect(table.split('\n')[0]).toMatch(/^id +phoneNumber +phoneType +smsSignInState$/);
      await sspr('user', 'phone-method', 'remove', ...user, '--phone-type', 'mobile');
      expect(await json('user', 'phone-method', 'list', ...user)).toEqual([]);
    });

    it('New-/Remove-MgUserAuthenticationEmailMethod', async () => {
      const user = ['--user-id', 'ada@contoso.com'];
      expect(await json('user', 'email-method', 'add', ...user, '--email-address', 'ada@example.org')).toEqual({
        id: '3ddfcfc8-9383-446f-83cc-3ab9be4be18f',
        emailAddress: 'ada@example.org',
      });
      await sspr('user', 'email-method', 'update', ...user, '--email-address', 'ada@example.net');
      expect(await json('user', 'email-method', 'list', ...user)).toEqual([
        { id: '3ddfcfc8-9383-446f-83cc-3ab9be4be18f', emailAddress: 'ada@example.net' },
      ]);
      await sspr('user', 'email-method', 'remove', ...user);
      expect(await json('user', 'email-method', 'list', ...user)).toEqual([]);
    });

    it('a phone method outside the SSPR format is refused with the server message', async () => {
      await fails(
        [
          'user',
          'phone-method',
          'add',
          'ada@contoso.com',
          '--phone-number',
          '4255550199',
          '--phone-type',
          'mobile',
          ...target,
        ],
        env,
        /phone/i,
      );
    });

    it('Remove-MgUser -UserId / update --output json', async () => {
      await sspr('user', 'create', '--user-principal-name', 'gone@contoso.com', '--display-name', 'Gone');
      expect(await json('user', 'update', '--user-id', 'gone@contoso.com', '--job-title', 'Temp')).toEqual({
        updated: 'gone@contoso.com',
        properties: ['jobTitle'],
      });
      expect(await json('user', 'delete', '--user-id', 'gone@contoso.com')).toEqual({ deleted: 'gone@contoso.com' });
      await fails(['user', 'get', 'gone@contoso.com', ...target], env, "Resource 'gone@contoso.com' does not exist");
    });

    it('contradicting spellings are refused before anything is written', async () => {
      await fails(
        ['user', 'update', '--user-id', 'ada@contoso.com', '--mobile', '+1 1', '--mobile-phone', '+1 2', ...target],
        env,
        '--mobile-phone and --mobile both give the mobile phone',
      );
      await fails(
        ['user', 'get', 'ada@contoso.com', '--user-id', 'user@contoso.com', ...target],
        env,
        'both give the user',
      );
      await fails(['user', 'get', ...target], env, 'which user?');
      await fails(['user', 'list', '--all', '--top', '2', ...target], env, '--all and --top');
      expect(await json('user', 'get', 'ada@contoso.com', '--property', 'mobile')).toEqual({ mobile: '+1 4255550101' });
    });
  });
}

parityCases('local store', async () => {
  const dataDir = path.join(work, 'local');
  return { env: { SSPR_TENANT_DOMAIN: 'contoso.com', SSPR_LOG_LEVEL: 'silent' }, target: ['--data-dir', dataDir] };
});

let server: TestServer | undefined;
afterAll(async () => server?.close());

parityCases('remote server (--remote, session of `sspr login`)', async () => {
  server = await createTestServer();
  const address = await server.app.listen({ host: '127.0.0.1', port: 0 });
  const base = new URL(address).origin;
  const admin = await server.container.users.getUser(operator, 'admin@contoso.com');
  const accessToken = signDelegatedToken(server, {
    user: { id: admin.id, userPrincipalName: admin.userPrincipalName },
    roles: [directoryRoles.globalAdministrator],
    issuerBase: base,
  });
  const configHome = path.join(work, 'remote-config');
  mkdirSync(path.join(configHome, 'opensspr'), { recursive: true });
  writeFileSync(
    path.join(configHome, 'opensspr', 'session.json'),
    JSON.stringify({
      server: base,
      tenant: server.container.tenant.tenantId,
      clientId: '14d82eec-204b-4c2f-b7e8-296a70dab67e',
      accessToken,
      refreshToken: null,
      expiresAt: Date.now() + 3_600_000,
      userPrincipalName: admin.userPrincipalName,
    }),
    { mode: 0o600 },
  );
  return { env: { XDG_CONFIG_HOME: configHome }, target: ['--remote'] };
});

describe('--remote without a session', () => {
  it('says to sign in first', async () => {
    const result = await run(['user', 'list', '--remote'], { XDG_CONFIG_HOME: path.join(work, 'nobody') });
    expect(result.error?.message).toBe('not signed in: run `sspr login --server URL` first');
  });

  it('refuses a local store option next to --remote', async () => {
    const result = await run(['user', 'list', '--remote', '--data-dir', work], { XDG_CONFIG_HOME: work });
    expect(result.error?.message).toContain('--remote works on the signed-in server');
  });
});
