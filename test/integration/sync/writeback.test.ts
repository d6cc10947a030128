/**
 * Pass-through sign-in and password writeback against a private slapd (SPEC section 8): synced users sign in to
 * My Security Info with their on-premises password, and their resets (self-service and admin) are set
 * on-premises first, through the non-root writer account so that the directory's ppolicy has its say.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LdapDirectory } from '../../../src/connectors/ldap/ldap-directory.js';
import { passwordMethodId } from '../../../src/domain/authentication-methods.js';
import type { DirectoryEntry } from '../../../src/domain/directory-mapping.js';
import type { DirectorySource } from '../../../src/services/sync/directory-sync-service.js';
import { FormClient, visibleText } from '../../support/form-client.js';
import { type GeneratedUser, generateUsers, type RunningSlapd, startSlapd } from '../../support/slapd.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

const generated = generateUsers({ count: 6, knownPasswordCount: 6 });
let slapd: RunningSlapd;
let server: TestServer;
let now: Date;

beforeAll(async () => {
  slapd = await startSlapd({ ldif: generated.ldif });
});
afterAll(async () => {
  await slapd?.stop();
});
beforeEach(async () => {
  now = new Date('2026-11-25T09:00:00Z');
  server = await createTestServer({ config: { captcha: 'off' }, clock: () => now });
});
afterEach(async () => {
  await server.close();
});

/** One known slapd user per test: tests change passwords on the shared instance. */
function known(index: number): GeneratedUser {
  const user = generated.knownUsers[index];
  if (!user) throw new Error(`no known user ${index}`);
  return user;
}

/** A one-page source of the given slapd users (the sync engine's own tests cover reading slapd). */
function sourceOf(users: readonly GeneratedUser[]): DirectorySource {
  const entries: DirectoryEntry[] = users.map((user, index) => ({
    dn: user.dn,
    attributes: {
      entryUUID: [`00000000-0000-4000-8000-${(index + 1).toString(16).padStart(12, '0')}`],
      uid: [user.uid],
      cn: [`Synced ${user.uid}`],
      sn: ['Synced'],
      mail: [`${user.uid}@contoso.com`],
    },
  }));
  return {
    async *pages() {
      yield entries;
    },
    async *changedSince() {},
    async *anchors() {},
    currentWatermark: async () => 'w1',
  };
}

async function configureSync(target: RunningSlapd, writebackEnabled = true): Promise<void> {
  await server.container.directorySync.configure({
    flavor: 'openldap',
    urls: [target.url],
    bindDn: target.writerDn,
    bindPassword: target.writerPassword,
    baseDns: [`ou=people,${target.baseDn}`],
    filter: null,
    groupDn: null,
    pageSize: 100,
    timeoutMs: 2_000,
    tls: {},
    intervalMinutes: 30,
    mappings: [],
    bypassDirSyncOverridesEnabled: false,
    writebackEnabled,
  });
}

/** Syncs `user` in and gives them an alternate email to reset with; returns the cloud user's id. */
async function syncIn(user: GeneratedUser): Promise<{ id: string; upn: string; email: string }> {
  const result = await server.container.directorySync.runFull({ source: sourceOf([user]) });
  expect(result.counts.added).toBe(1);
  const upn = `${user.uid}@contoso.com`;
  const row = await server.container.database.db
    .selectFrom('users')
    .select(['id'])
    .where('user_principal_name', '=', upn)
    .executeTakeFirstOrThrow();
  const email = `${user.uid}.alt@example.org`;
  await server.container.authenticationMethods.addEmailMethod(operator, row.id, { emailAddress: email });
  return { id: row.id, upn, email };
}

async function signIn(client: FormClient, userName: string, password: string) {
  await client.get('/mysecurityinfo');
  return client.submit('/mysecurityinfo/signin', { username: userName, password });
}

async function lastCodeTo(recipient: string): Promise<string> {
  const messages = await server.container.outbox.list(operator, { top: 20 });
  const code = messages.find((entry) => entry.recipient === recipient)?.body.match(/\b(\d{8})\b/)?.[1];
  if (!code) throw new Error(`no code sent to ${recipient}`);
  return code;
}

/** Identify, email code, and the new-password page. */
async function reachNewPassword(upn: string, email: string): Promise<FormClient> {
  const client = new FormClient(server.app);
  await client.get('/passwordreset');
  await client.submit('/passwordreset/identify', { username: upn });
  await client.submit('/passwordreset/method', { method: 'email' });
  const page = await client.submit('/passwordreset/code', { code: await lastCodeTo(email) });
  expect(visibleText(page.html)).toContain('Choose a new password');
  return client;
}

function choose(client: FormClient, password: string) {
  return client.submit('/passwordreset/password', { new_password: password, confirm_password: password });
}

async function bindsOnPremises(target: RunningSlapd, dn: string, password: string): Promise<boolean> {
  const directory = new LdapDirectory({ urls: [target.url], bindDn: target.writerDn, bindPassword: '' });
  return directory.verifyPassword(dn, password);
}

async function cloudPassword(id: string) {
  return server.container.database.db
    .selectFrom('users')
    .select(['password_hash', 'password_changed_at'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function resetAudits() {
  return server.container.database.db
    .selectFrom('audit_events')
    .select(['result', 'result_reason'])
    .where('activity_display_name', '=', 'Reset password (self-service)')
    .orderBy('seq')
    .execute();
}

describe('pass-through sign-in', () => {
  it('a synced user signs in to My Security Info with the on-premises password; a wrong one fails generically', async () => {
    const user = known(0);
    await configureSync(slapd);
    const { upn } = await syncIn(user);

    const wrong = await signIn(new FormClient(server.app), upn, 'Not-The-Password-1');
    expect(wrong.status).toBe(400);
    expect(visibleText(wrong.html)).toContain('Your user ID or password is incorrect.');
    const unknown = await signIn(new FormClient(server.app), 'nobody@contoso.com', 'Not-The-Password-1');
    const strip = (html: string) => visibleText(html).replace(/nobody|user\d+/g, 'X');
    expect(strip(wrong.html)).toBe(strip(unknown.html));

    const client = new FormClient(server.app);
    const signedIn = await signIn(client, upn, user.password);
    expect(visibleText(signedIn.html)).not.toContain('incorrect');
    expect(client.cookies.get('sspr_session')).toBeTruthy();
  });

  it('the device-login page checks a synced user with an LDAP bind', async () => {
    const user = known(1);
    await configureSync(slapd);
    const { upn } = await syncIn(user);
    const start = () =>
      server.container.deviceCodes.start({
        tenant: 'common',
        clientId: '14d82eec-204b-4c2f-b7e8-296a70dab67e',
        scope: 'https://graph.microsoft.com/.default',
        verificationUri: 'https://sspr.test/devicelogin',
      });
    const signIn = async (password: string) =>
      server.container.deviceCodes.signIn({
        userCode: (await start()).user_code,
        userPrincipalName: upn,
        password,
        decision: 'approve',
      });
    expect(await signIn('Not-The-Password-1')).toEqual({ ok: false });
    expect(await signIn(user.password)).toMatchObject({ ok: true, decision: 'approve' });
  });

  it('an unreachable directory is the same generic failure', async () => {
    const user = known(1);
    await configureSync({ ...slapd, url: 'ldap://127.0.0.1:1/' });
    const { upn } = await syncIn(user);
    const page = await signIn(new FormClient(server.app), upn, user.password);
    expect(page.status).toBe(400);
    expect(visibleText(page.html)).toContain('Your user ID or password is incorrect.');
  });
});

describe('password writeback', () => {
  it('a reset is written back on-premises; the history refusal keeps the user on the new-password step', async () => {
    const user = known(2);
    await configureSync(slapd);
    const { id, upn, email } = await syncIn(user);
    const first = 'Correct-Horse-Battery-91';

    const done = await choose(await reachNewPassword(upn, email), first);
    expect(visibleText(done.html)).toContain('Your password has been reset');
    expect(await bindsOnPremises(slapd, user.dn, first)).toBe(true);
    expect(await bindsOnPremises(slapd, user.dn, user.password)).toBe(false);
    const stored = await cloudPassword(id);
    expect(stored.password_hash).toBeNull();
    expect(stored.password_changed_at).toBe(now.toISOString());
    expect(await resetAudits()).toEqual([
      { result: 'success', result_reason: 'User reset their password; written back to the on-premises directory' },
    ]);

    // The same password again: slapd's ppolicy remembers 3 old passwords.
    now = new Date(now.getTime() + 60_000);
    const again = await reachNewPassword(upn, email);
    const refused = await choose(again, first);
    expect(refused.status).toBe(400);
    expect(visibleText(refused.html)).toContain('you have used it recently');
    expect(visibleText(refused.html)).toContain('Choose a new password');
    expect((await cloudPassword(id)).password_changed_at).not.toBe(now.toISOString());
    expect((await resetAudits()).at(-1)).toEqual({
      result: 'failure',
      result_reason: 'The on-premises directory refused the password (in_history)',
    });

    // Still on the new-password step: another password goes through.
    const second = 'Quiet-Meadow-Lantern-37';
    const finished = await choose(again, second);
    expect(visibleText(finished.html)).toContain('Your password has been reset');
    expect(await bindsOnPremises(slapd, user.dn, second)).toBe(true);
    expect(await bindsOnPremises(slapd, user.dn, first)).toBe(false);
  });

  it('with the directory stopped or writeback off, the reset is refused and nothing changes anywhere', async () => {
    const own = await startSlapd({ ldif: generated.ldif });
    try {
      const user = known(4);
      await configureSync(own);
      const { id, upn, email } = await syncIn(user);
      const before = await cloudPassword(id);
      const client = await reachNewPassword(upn, email);
      await own.stop();
      const refused = await choose(client, 'Correct-Horse-Battery-91');
      expect(refused.status).toBe(400);
      expect(visibleText(refused.html)).toContain('password writeback is not available');
      expect(visibleText(refused.html)).toContain('Choose a new password');
      expect(await cloudPassword(id)).toEqual(before);
      expect((await resetAudits()).map((row) => row.result)).toEqual(['failure']);

      await configureSync(slapd, false);
      const off = await choose(client, 'Correct-Horse-Battery-91');
      expect(visibleText(off.html)).toContain('password writeback is not available');
      expect(await cloudPassword(id)).toEqual(before);
      expect(await bindsOnPremises(slapd, user.dn, user.password)).toBe(true);
    } finally {
      await own.stop();
    }
  });

  it('an admin reset is written back, and a policy refusal is a Graph error that changes nothing', async () => {
    const user = known(5);
    await configureSync(slapd);
    const { id } = await syncIn(user);
    const newPassword = 'Silver-Canyon-Rocket-64';
    await server.container.authenticationMethods.resetPassword(operator, id, passwordMethodId, { newPassword });
    expect(await bindsOnPremises(slapd, user.dn, newPassword)).toBe(true);
    expect((await cloudPassword(id)).password_hash).toBeNull();

    now = new Date(now.getTime() + 60_000);
    await expect(
      server.container.authenticationMethods.resetPassword(operator, id, passwordMethodId, { newPassword }),
    ).rejects.toMatchObject({ code: 'password_policy_violation', message: /on-premises directory refused/ });
    expect((await cloudPassword(id)).password_changed_at).not.toBe(now.toISOString());
  });
});
