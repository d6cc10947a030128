/**
 * Directory sync, pass-through sign-in and password writeback against a real Active Directory: a private Samba AD
 * DC (test/support/samba.ts) in its own network namespace, reached over LDAPS with Samba's CA. ONE DC for the
 * whole file (provisioning is the slow part); each database dialect gets its own OUs, so the blocks do not see
 * each other's changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/domain/audit.js';
import { passwordMethodId } from '../../../src/domain/authentication-methods.js';
import { dialectsUnderTest } from '../../support/databases.js';
import { FormClient, visibleText } from '../../support/form-client.js';
import { type AdUser, generateAdUsers, immutableIdOf, type RunningSamba, startSamba } from '../../support/samba.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

const COUNT = 30;
const consistencyGuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
let samba: RunningSamba;

beforeAll(async () => {
  samba = await startSamba();
}, 180_000);
afterAll(async () => {
  await samba?.stop();
});

describe.each(dialectsUnderTest)('Active Directory (Samba) on $name', { timeout: 60_000 }, (dialect) => {
  let server: TestServer;
  let people: string;
  let contractors: string;
  let users: AdUser[];
  const tag = dialect.name === 'sqlite' ? 's' : 'p';
  const context: RequestContext = operator;

  beforeAll(async () => {
    people = `OU=People-${dialect.name},${samba.baseDn}`;
    contractors = `OU=Contractors-${dialect.name},${samba.baseDn}`;
    for (const ou of [people, contractors]) {
      await samba.add(ou, { objectClass: ['top', 'organizationalUnit'] });
    }
    users = generateAdUsers({ parentDn: people, count: COUNT, tag });
    // User 21 carries an mS-DS-ConsistencyGuid (as Entra Connect writes it back, here a different value): the anchor.
    const consistency = known(21).attributes;
    consistency['mS-DS-ConsistencyGuid'] = consistencyGuid;
    for (const user of users) await samba.add(user.dn, user.attributes);
    // Out of scope: another OU outside the base DN.
    const [outsider] = generateAdUsers({ parentDn: contractors, count: 1, tag: `${tag}x`, start: 100 });
    if (outsider) await samba.add(outsider.dn, outsider.attributes);

    server = await createTestServer({ database: await dialect.create(), config: { captcha: 'off' } });
    await server.container.directorySync.update(context, {
      flavor: 'ad',
      urls: [samba.url],
      bindDn: samba.adminDn,
      bindPassword: samba.adminPassword,
      baseDns: [people],
      tls: { caFile: samba.caFile, serverName: samba.serverName },
      pageSize: 10,
      timeoutMs: 10_000,
      writebackEnabled: true,
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  const user = (upn: string) => server.container.users.getUser(operator, upn).catch(() => undefined);
  const known = (index: number): AdUser => {
    const found = users[index];
    if (!found) throw new Error(`no generated user ${index}`);
    return found;
  };
  const upnOf = (index: number): string => known(index).userPrincipalName as string;
  const anchorOf = async (dn: string): Promise<string> => {
    const [entry] = await samba.search(dn, '(objectClass=*)', ['objectGUID']);
    if (!entry) throw new Error(`${dn} not found`);
    return immutableIdOf(entry);
  };

  it('full sync: AD defaults, objectGUID anchor, phones verbatim, disabled flag, per-object errors', async () => {
    const test = await server.container.directorySync.testConnection();
    expect(test.entriesInScope).toBe(COUNT);

    const progress: number[] = [];
    const result = await server.container.directorySync.runFull({ onProgress: (p) => progress.push(p.counts.read) });
    expect(result.status, result.message ?? '').toBe('succeeded');
    // Pages of 10 (Samba may end with an empty page, as AD can).
    expect(progress.slice(0, 3)).toEqual([10, 20, 30]);
    expect(progress.at(-1)).toBe(30);
    expect(result.counts).toMatchObject({ read: COUNT, added: COUNT - 3, errors: 3, deleted: 0 });

    // user 0: "+1 4255550100" and "+1 2065550100", the anchor is the objectGUID's bytes in base64.
    const first = known(0);
    expect(await user(upnOf(0))).toMatchObject({
      displayName: first.attributes.displayName,
      givenName: 'Zoë',
      surname: 'Álvarez',
      businessPhones: ['+1 4255550100'],
      mobilePhone: '+1 2065550100',
      accountEnabled: true,
      onPremisesSyncEnabled: true,
      onPremisesImmutableId: await anchorOf(first.dn),
      onPremisesDistinguishedName: first.dn,
      onPremisesSamAccountName: first.sAMAccountName,
    });
    // Messy phones verbatim: no space after the country code, an extension, a national form, a blank value.
    expect(await user(upnOf(1))).toMatchObject({ businessPhones: ['+14255550201'], mobilePhone: null });
    expect(await user(upnOf(2))).toMatchObject({ businessPhones: ['+1 4255550302 x123'] });
    expect(await user(upnOf(3))).toMatchObject({ businessPhones: ['(425) 555-0403'], accountEnabled: false });
    expect(await user(upnOf(4))).toMatchObject({ businessPhones: [], mobilePhone: '+33 6 12 34 56 04' });
    // mS-DS-ConsistencyGuid, when set, is the anchor rather than objectGUID.
    expect((await user(upnOf(21)))?.onPremisesImmutableId).toBe(consistencyGuid.toString('base64'));
    // Out of scope (another OU): never synced.
    expect(await user(`ana.smith.${tag}x100@contoso.com`)).toBeUndefined();

    const issues = await server.container.directorySync.issues(result.runId);
    const errors = issues.filter((issue) => issue.severity === 'error');
    expect(errors.map((issue) => [issue.type, issue.dn, issue.attribute]).sort()).toEqual(
      [
        ['IdentityDataValidationFailed', known(5).dn, 'userPrincipalName'],
        ['IdentityDataValidationFailed', known(11).dn, 'userPrincipalName'],
        ['AttributeValueMustBeUnique', expect.any(String), 'mail'],
      ].sort(),
    );
    // Users 8 and 9 share a mail: the one AD returned first is synced, the other reported.
    const duplicate = errors.find((issue) => issue.type === 'AttributeValueMustBeUnique');
    const [winner] = [known(8), known(9)].filter((candidate) => candidate.dn !== duplicate?.dn);
    expect([known(8).dn, known(9).dn]).toContain(duplicate?.dn);
    expect(await user(winner?.userPrincipalName as string)).toMatchObject({ mail: known(8).attributes.mail });
    const warnings = issues.filter((issue) => issue.severity === 'warning');
    expect(warnings.length).toBe(result.counts.warnings);
    expect(warnings.find((issue) => issue.dn === known(3).dn && issue.attribute === 'businessPhones')?.message).toMatch(
      /"\(425\) 555-0403" is not in the format .*; synced as it is/,
    );
  });

  const softDeletedAt = async (upn: string) =>
    (
      await server.database.store.db
        .selectFrom('users')
        .select('soft_deleted_at')
        .where('upn_key', '=', upn.toLowerCase())
        .executeTakeFirst()
    )?.soft_deleted_at;

  it('delta: adds, modifies, deletes (show-deleted), renames (same anchor) and moves out of scope', async () => {
    const [added] = generateAdUsers({ parentDn: people, count: 1, tag, start: 50 });
    if (!added) throw new Error('no user');
    await samba.add(added.dn, added.attributes);
    await samba.modify(known(0).dn, { telephoneNumber: '+1 4255550999', mobile: null });
    await samba.delete(known(6).dn);
    const renamedBefore = await user(upnOf(7));
    const renamedUpn = `renamed.${tag}7@contoso.com`;
    await samba.modify(known(7).dn, { userPrincipalName: renamedUpn });
    const movedDn = `CN=Moved ${tag}10,${people}`;
    await samba.rename(known(10).dn, movedDn);
    await samba.rename(known(12).dn, `CN=${known(12).attributes.cn},${contractors}`);
    await samba.modify(known(13).dn, { userAccountControl: '514' });

    const result = await server.container.directorySync.runDelta();
    expect(result, result.message ?? '').toMatchObject({ kind: 'delta', status: 'succeeded' });
    expect(result.counts).toMatchObject({ added: 1, updated: 4, deleted: 2, errors: 0 });

    expect(await user(added.userPrincipalName as string)).toMatchObject({
      onPremisesImmutableId: await anchorOf(added.dn),
      onPremisesDistinguishedName: added.dn,
    });
    expect(await user(upnOf(0))).toMatchObject({ businessPhones: ['+1 4255550999'], mobilePhone: null });
    expect(await user(upnOf(6))).toBeUndefined();
    expect(await softDeletedAt(upnOf(6))).not.toBeNull();
    // The rename keeps the user (same id, same anchor) under its new UPN.
    expect(await user(upnOf(7))).toBeUndefined();
    expect(await user(renamedUpn)).toMatchObject({
      id: renamedBefore?.id,
      onPremisesImmutableId: renamedBefore?.onPremisesImmutableId,
    });
    expect(await user(upnOf(10))).toMatchObject({ onPremisesDistinguishedName: movedDn });
    // Moved to an OU outside the base DN: soft-deleted, like a deletion.
    expect(await user(upnOf(12))).toBeUndefined();
    expect(await softDeletedAt(upnOf(12))).not.toBeNull();
    expect(await user(upnOf(13))).toMatchObject({ accountEnabled: false });

    // Nothing changed since: the next delta reads nothing.
    expect((await server.container.directorySync.runDelta()).counts).toMatchObject({ read: 0, updated: 0 });

    // Moved back into scope: restored, same user.
    await samba.rename(`CN=${known(12).attributes.cn},${contractors}`, known(12).dn);
    const back = await server.container.directorySync.runDelta();
    expect(back.counts).toMatchObject({ updated: 1, deleted: 0, added: 0 });
    expect(await user(upnOf(12))).toMatchObject({ onPremisesDistinguishedName: known(12).dn });
  });

  it('deletion threshold: a delta holds back tombstones above it and reads them again until allowed', async () => {
    const sync = server.container.directorySync;
    await sync.update(context, { deletionThreshold: 1 });
    try {
      await samba.delete(known(22).dn);
      await samba.delete(known(23).dn);
      await samba.modify(known(24).dn, { telephoneNumber: '+1 4255552424' });
      const stopped = await sync.runDelta();
      expect(stopped, stopped.message ?? '').toMatchObject({
        kind: 'delta',
        status: 'stopped-deletion-threshold-exceeded',
        counts: { updated: 1, deleted: 0 },
        pendingDeletions: 2,
        deletionThreshold: 1,
      });
      expect(await user(upnOf(22))).toBeDefined();
      expect(await user(upnOf(23))).toBeDefined();
      expect(await user(upnOf(24))).toMatchObject({ businessPhones: ['+1 4255552424'] });

      // No watermark was written: the next delta reads from the previous one and finds the tombstones again.
      expect(await sync.runDelta()).toMatchObject({
        status: 'stopped-deletion-threshold-exceeded',
        counts: { updated: 0, deleted: 0 },
        pendingDeletions: 2,
      });
      expect(await sync.runDelta({ allowDeletions: true })).toMatchObject({
        status: 'succeeded',
        counts: { deleted: 2 },
      });
      expect(await user(upnOf(22))).toBeUndefined();
      expect(await softDeletedAt(upnOf(23))).not.toBeNull();
      expect((await sync.runDelta()).counts).toMatchObject({ read: 0, deleted: 0 });
    } finally {
      await sync.update(context, { deletionThreshold: 500 });
    }
  });

  it('keeps a cloud override of the Mobile phone; the Office phone is read-only over Graph', async () => {
    const token = await server.tokenFor(['User.ReadWrite.All']);
    const synced = await user(upnOf(14));
    const patch = (body: Record<string, unknown>) =>
      server.app.inject({
        method: 'PATCH',
        url: `/v1.0/users/${synced?.id}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: body,
      });
    const officeBefore = synced?.businessPhones;
    const refused = await patch({ businessPhones: ['+1 2065550001'] });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      error: { code: 'Request_BadRequest', message: expect.stringContaining('on-premises mastered') },
    });
    expect((await user(upnOf(14)))?.businessPhones).toEqual(officeBefore);

    expect((await patch({ mobilePhone: '+1 2065550014' })).statusCode).toBe(204);
    await samba.modify(known(14).dn, { mobile: '+1 4255550114', telephoneNumber: '+1 4255550214' });
    const delta = await server.container.directorySync.runDelta();
    expect(delta.counts).toMatchObject({ updated: 1 });
    // The office phone follows AD; the mobile phone keeps the cloud value.
    expect(await user(upnOf(14))).toMatchObject({ mobilePhone: '+1 2065550014', businessPhones: ['+1 4255550214'] });
  });

  async function signIn(userName: string, password: string) {
    const client = new FormClient(server.app);
    await client.get('/mysecurityinfo');
    const page = await client.submit('/mysecurityinfo/signin', { username: userName, password });
    return { page, client };
  }

  it('signs a synced user in to My Security Info with the AD password (an LDAP bind over LDAPS)', async () => {
    const wrong = await signIn(upnOf(15), 'Not-The-Password-1');
    expect(wrong.page.status).toBe(400);
    expect(visibleText(wrong.page.html)).toContain('Your user ID or password is incorrect.');
    const right = await signIn(upnOf(15), known(15).password);
    expect(visibleText(right.page.html)).not.toContain('incorrect');
    expect(right.client.cookies.get('sspr_session')).toBeTruthy();
    // The disabled account (user 3) is refused even with its AD password.
    expect((await signIn(upnOf(3), known(3).password)).page.status).toBe(400);
  });

  async function lastCodeTo(recipient: string): Promise<string> {
    const messages = await server.container.outbox.list(operator, { top: 20 });
    const code = messages.find((entry) => entry.recipient === recipient)?.body.match(/\b(\d{8})\b/)?.[1];
    if (!code) throw new Error(`no code sent to ${recipient}`);
    return code;
  }

  async function reachNewPassword(upn: string, email: string): Promise<FormClient> {
    const client = new FormClient(server.app);
    await client.get('/passwordreset');
    await client.submit('/passwordreset/identify', { username: upn });
    await client.submit('/passwordreset/method', { method: 'email' });
    const page = await client.submit('/passwordreset/code', { code: await lastCodeTo(email) });
    expect(visibleText(page.html)).toContain('Choose a new password');
    return client;
  }

  const choose = (client: FormClient, password: string) =>
    client.submit('/passwordreset/password', { new_password: password, confirm_password: password });

  it('self-service reset writes unicodePwd back; an AD complexity refusal (0000052D) is shown and changes nothing', async () => {
    const target = known(16);
    const synced = await user(upnOf(16));
    const email = `${tag}16.alt@example.org`;
    await server.container.authenticationMethods.addEmailMethod(operator, synced?.id ?? '', { emailAddress: email });
    const client = await reachNewPassword(upnOf(16), email);

    // Upper and lower case and spaces: three classes for the cloud, two for AD (a space is not one of its symbols).
    const refused = await choose(client, 'Correct horse battery staple');
    expect(refused.status).toBe(400);
    expect(visibleText(refused.html)).toContain(
      'Your organisation’s on-premises directory refused this password: it is not complex enough.',
    );
    expect(visibleText(refused.html)).toContain('Choose a new password');
    expect(await samba.binds(target.dn, target.password)).toBe(true);

    const newPassword = 'Quiet-Meadow-Lantern-37';
    const done = await choose(client, newPassword);
    expect(visibleText(done.html)).toContain('Your password has been reset');
    expect(await samba.binds(target.dn, newPassword)).toBe(true);
    expect(await samba.binds(target.dn, target.password)).toBe(false);
    // Pass-through sign-in follows.
    expect((await signIn(upnOf(16), newPassword)).page.status).not.toBe(400);
    expect((await signIn(upnOf(16), target.password)).page.status).toBe(400);
  });

  it('an admin reset is written back, and a refusal is a Graph-style error that changes nothing', async () => {
    const target = known(17);
    const synced = await user(upnOf(17));
    const id = synced?.id ?? '';
    await expect(
      server.container.authenticationMethods.resetPassword(operator, id, passwordMethodId, {
        newPassword: 'Correct horse battery staple',
      }),
    ).rejects.toMatchObject({ code: 'password_policy_violation', message: /on-premises directory refused.*complex/ });
    expect(await samba.binds(target.dn, target.password)).toBe(true);

    const newPassword = 'Silver-Canyon-Rocket-64';
    await server.container.authenticationMethods.resetPassword(operator, id, passwordMethodId, { newPassword });
    expect(await samba.binds(target.dn, newPassword)).toBe(true);
    expect(await samba.binds(target.dn, target.password)).toBe(false);
  });

  it('an account without rights on the deleted objects or on passwords: the delta fails clearly, writeback is refused', async () => {
    // A plain domain user as the sync account: it reads users, but AD hides tombstones and refuses resets.
    const account = `CN=sspr-sync-${tag},CN=Users,${samba.baseDn}`;
    const password = 'Sync-Account-Pa55!';
    await samba.add(account, {
      objectClass: ['top', 'person', 'organizationalPerson', 'user'],
      sAMAccountName: `sspr-sync-${tag}`,
      userAccountControl: '66048',
      unicodePwd: Buffer.from(`"${password}"`, 'utf16le'),
    });
    await server.container.directorySync.update(context, { bindDn: account, bindPassword: password });
    try {
      const delta = await server.container.directorySync.runDelta();
      expect(delta.status).toBe('failed');
      expect(delta.message).toContain('cannot read the deleted objects');
      expect(delta.message).not.toContain(password);

      const target = known(18);
      const id = (await user(upnOf(18)))?.id ?? '';
      await expect(
        server.container.authenticationMethods.resetPassword(operator, id, passwordMethodId, {
          newPassword: 'Amber-Harbor-Window-58',
        }),
      ).rejects.toMatchObject({
        code: 'invalid_request',
        message: /password writeback is off or the directory is unavailable/,
      });
      expect(await samba.binds(target.dn, target.password)).toBe(true);
      // Pass-through sign-in binds as the user: it works whatever the sync account may do.
      expect((await signIn(upnOf(18), target.password)).page.status).not.toBe(400);
    } finally {
      await server.container.directorySync.update(context, {
        bindDn: samba.adminDn,
        bindPassword: samba.adminPassword,
      });
    }
  });

  it('StartTLS on ldap:// works as LDAPS does; a plain ldap:// bind is refused by AD and the run says so', async () => {
    await server.container.directorySync.update(context, {
      urls: [`ldap://${samba.address}`],
      tls: { caFile: samba.caFile, serverName: samba.serverName, startTls: true },
    });
    try {
      expect((await server.container.directorySync.testConnection()).entriesInScope).toBeGreaterThan(COUNT - 5);
      expect(await server.container.directorySync.runDelta()).toMatchObject({ status: 'succeeded' });
      expect((await signIn(upnOf(19), known(19).password)).page.status).not.toBe(400);

      await server.container.directorySync.update(context, { tls: { caFile: samba.caFile } });
      const plain = await server.container.directorySync.runDelta();
      expect(plain.status).toBe('failed');
      expect(plain.message).toContain('only over TLS: use ldaps:// URLs or StartTLS');
    } finally {
      await server.container.directorySync.update(context, {
        urls: [samba.url],
        tls: { caFile: samba.caFile, serverName: samba.serverName },
      });
    }
  });
});
