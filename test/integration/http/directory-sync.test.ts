import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryRoles } from '../../../src/domain/permissions.js';
import { signDelegatedToken } from '../../support/delegated-tokens.js';
import { generateUsers, type RunningSlapd, startSlapd } from '../../support/slapd.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

describe('directory sync admin API', { timeout: 20_000 }, () => {
  let server: TestServer;
  let slapd: RunningSlapd;
  let app: string;
  let reader: string;
  let globalAdmin: string;
  let globalReader: string;

  const signedIn = async (name: string, role: string) => {
    const user = await server.container.users.createUser(operator, {
      userPrincipalName: `${name}@example.org`,
      displayName: name,
      accountEnabled: true,
      mailNickname: name.replace(/[^A-Za-z0-9]/g, ''),
      passwordProfile: { password: 'Directory-Sync-Passphrase-2030', forceChangePasswordNextSignIn: false },
    });
    await server.container.roles.assign(operator, user.userPrincipalName, role);
    return signDelegatedToken(server, {
      user: { id: user.id, userPrincipalName: user.userPrincipalName },
      roles: [role === 'Global Administrator' ? directoryRoles.globalAdministrator : directoryRoles.globalReader],
    });
  };

  beforeAll(async () => {
    [slapd, server] = await Promise.all([
      startSlapd({ ldif: generateUsers({ count: 40 }).ldif }),
      createTestServer({ config: { tenantDomain: 'example.org' } }),
    ]);
    [app, reader] = await Promise.all([
      server.tokenFor(['Directory.ReadWrite.All']),
      server.tokenFor(['Directory.Read.All']),
    ]);
    globalAdmin = await signedIn('grace.admin', 'Global Administrator');
    globalReader = await signedIn('gary.reader', 'Global Reader');
  });
  afterAll(async () => {
    await server?.close();
    await slapd?.stop();
  });

  const call = (method: 'GET' | 'PUT' | 'POST', path: string, token: string, payload?: unknown) =>
    server.app.inject({
      method,
      url: `/api/admin/v1/directorySync${path}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  it('is 404 until configured, then keeps the bind password write-only', async () => {
    expect((await call('GET', '/settings', app)).statusCode).toBe(404);
    const refused = await call('PUT', '/settings', app, { flavor: 'openldap', urls: [slapd.url] });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toContain('bindDn');

    const put = await call('PUT', '/settings', globalAdmin, {
      flavor: 'openldap',
      urls: [slapd.url],
      bindDn: slapd.writerDn,
      bindPassword: slapd.writerPassword,
      baseDns: [`ou=people,${slapd.baseDn}`],
      pageSize: 25,
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ flavor: 'openldap', pageSize: 25, bindPasswordSet: true, intervalMinutes: 30 });
    expect(put.body).not.toContain(slapd.writerPassword);
    const got = await call('GET', '/settings', app);
    expect(got.statusCode).toBe(200);
    expect(got.json()).not.toHaveProperty('bindPassword');
    expect(got.body).not.toContain(slapd.writerPassword);

    // Without bindPassword the stored one stays.
    expect((await call('PUT', '/settings', app, { intervalMinutes: 10 })).json()).toMatchObject({
      intervalMinutes: 10,
      bindPasswordSet: true,
    });
    const audit = await server.container.database.db
      .selectFrom('audit_events')
      .select(['initiated_by'])
      .where('activity_display_name', '=', 'Update directory synchronization settings')
      .orderBy('id')
      .execute();
    expect(audit).toHaveLength(2);
    expect(audit[0]?.initiated_by).toContain('grace.admin@example.org');
  });

  /** POSTs a run: 202 with its id and Location; then waits for its end (in this instance) and GETs it. */
  const runToEnd = async (token: string, body: Record<string, unknown>) => {
    const started = await call('POST', '/runs', token, body);
    expect(started.statusCode, started.body).toBe(202);
    const { runId } = started.json();
    expect(started.json()).toMatchObject({ kind: body.kind, dryRun: body.dryRun === true, status: 'running' });
    expect(started.headers.location).toBe(`/api/admin/v1/directorySync/runs/${runId}`);
    await server.container.directorySync.whenEnded(runId);
    const ended = await call('GET', `/runs/${runId}`, token);
    expect(ended.statusCode).toBe(200);
    return ended.json();
  };

  it('starts runs in the background, shows them, lists runs and their errors', async () => {
    const dry = await runToEnd(app, { kind: 'full', dryRun: true });
    expect(dry).toMatchObject({
      kind: 'full',
      dryRun: true,
      status: 'succeeded',
      counts: { read: 40 },
      pagesRead: null,
    });
    const full = await runToEnd(globalAdmin, { kind: 'full' });
    expect(full).toMatchObject({ kind: 'full', dryRun: false, status: 'succeeded', counts: { read: 40 } });
    expect(full.finishedAt).not.toBeNull();
    const runs = (await call('GET', '/runs?top=5', app)).json().value;
    expect(runs.map((run: { dryRun: boolean }) => run.dryRun)).toEqual([false, true]);
    const errors = await call('GET', `/runs/${full.id}/errors`, app);
    expect(errors.statusCode).toBe(200);
    expect(errors.json().value.length).toBe(full.counts.errors + full.counts.warnings);
    expect((await call('POST', '/runs', app, { kind: 'sideways' })).statusCode).toBe(400);
    const unknown = await call('GET', '/runs/no-such-run', app);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('Request_ResourceNotFound');
  });

  it('answers 409 while another run holds the lease', async () => {
    // A run of another server instance (another host), still within its lease.
    await server.container.database.db
      .updateTable('directory_sync_lease')
      .set({ holder: 'other-host:4242:run-elsewhere', expires_at: new Date(Date.now() + 60_000).toISOString() })
      .execute();
    try {
      const refused = await call('POST', '/runs', app, { kind: 'delta' });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatchObject({ code: 'Request_Conflict' });
      expect(refused.json().error.message).toContain('already in progress (run run-elsewhere)');
      expect(refused.json().error.innerError).toHaveProperty('request-id');
    } finally {
      await server.container.database.db
        .updateTable('directory_sync_lease')
        .set({ holder: null, expires_at: null })
        .execute();
    }
    expect(await runToEnd(app, { kind: 'delta' })).toMatchObject({ kind: 'delta', status: 'succeeded' });
  });

  it('refuses everyone but Global Administrators, the operator and Directory.ReadWrite.All apps', async () => {
    for (const token of [reader, globalReader]) {
      expect((await call('GET', '/settings', token)).statusCode).toBe(403);
      expect((await call('PUT', '/settings', token, { intervalMinutes: 5 })).statusCode).toBe(403);
      expect((await call('POST', '/runs', token, { kind: 'delta' })).statusCode).toBe(403);
      expect((await call('GET', '/runs', token)).statusCode).toBe(403);
    }
    expect((await server.app.inject({ method: 'GET', url: '/api/admin/v1/directorySync/runs' })).statusCode).toBe(401);
  });

  it('stops a run above the deletion threshold; allowDeletions applies them once', async () => {
    expect((await call('GET', '/settings', app)).json()).toMatchObject({ deletionThreshold: 500 });
    const refused = await call('PUT', '/settings', app, { deletionThreshold: 'none' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toBe(
      'Invalid directory sync setting deletionThreshold: a whole number from 0 to 10000000 is expected.',
    );
    expect((await call('PUT', '/settings', app, { deletionThreshold: 5 })).json()).toMatchObject({
      deletionThreshold: 5,
    });

    await slapd.modify(
      [20, 21, 22, 23, 24, 25]
        .map((index) => `dn: uid=user000${index},ou=people,${slapd.baseDn}\nchangetype: delete\n`)
        .join('\n'),
    );
    const stopped = await runToEnd(app, { kind: 'delta' });
    expect(stopped).toMatchObject({
      kind: 'delta',
      status: 'stopped-deletion-threshold-exceeded',
      counts: { deleted: 0 },
      pendingDeletions: 6,
      deletionThreshold: 5,
      watermark: null,
      pagesRead: null,
    });
    expect(stopped.message).toContain('would soft-delete 6 users, more than the deletion threshold (5)');
    expect((await call('GET', '/runs?top=1', app)).json().value[0]).toMatchObject({
      id: stopped.id,
      status: 'stopped-deletion-threshold-exceeded',
      pendingDeletions: 6,
    });

    expect((await call('POST', '/runs', app, { kind: 'delta', allowDeletions: 'yes' })).statusCode).toBe(400);
    const started = await call('POST', '/runs', globalAdmin, { kind: 'delta', allowDeletions: true });
    expect(started.statusCode, started.body).toBe(202);
    expect(started.json()).toMatchObject({ kind: 'delta', allowDeletions: true, status: 'running' });
    await server.container.directorySync.whenEnded(started.json().runId);
    const allowed = (await call('GET', `/runs/${started.json().runId}`, app)).json();
    expect(allowed).toMatchObject({ status: 'succeeded', counts: { deleted: 6 }, pendingDeletions: null });
    // The next run finds nothing left to delete.
    expect(await runToEnd(app, { kind: 'delta' })).toMatchObject({ status: 'succeeded', counts: { deleted: 0 } });
  });
});
