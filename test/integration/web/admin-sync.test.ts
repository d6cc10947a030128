import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, signedInAdmin } from '../../support/admin-session.js';
import { dialectsUnderTest } from '../../support/databases.js';
import { type FormClient, visibleText } from '../../support/form-client.js';
import { generateUsers, type RunningSlapd, startSlapd } from '../../support/slapd.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

/** Every field of the settings form, as an administrator fills it in. */
function settingsForm(slapd: RunningSlapd, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    flavor: 'openldap',
    urls: slapd.url,
    bindDn: slapd.writerDn,
    bindPassword: slapd.writerPassword,
    baseDns: `ou=people,${slapd.baseDn}`,
    filter: '',
    groupDn: '',
    caFile: '',
    serverName: '',
    pageSize: '25',
    timeoutMs: '30000',
    intervalMinutes: '15',
    mappings: '',
    ...overrides,
  };
}

describe.each(dialectsUnderTest)('admin portal: on-premises sync on $name', { timeout: 30_000 }, (dialect) => {
  let server: TestServer;
  let slapd: RunningSlapd;
  let admin: FormClient;

  beforeAll(async () => {
    // 100 users: user00096 repeats user00095's mail (an object error), some phones are messy (warnings).
    [slapd, server] = await Promise.all([
      startSlapd({ ldif: generateUsers({ count: 100 }).ldif }),
      dialect.create().then((database) => createTestServer({ database, config: { captcha: 'off' } })),
    ]);
    admin = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
  });
  afterAll(async () => {
    await server?.close();
    await slapd?.stop();
  });

  it('configures the connection through the form, with per-field validation messages', async () => {
    const empty = await admin.get('/admin/sync');
    expect(empty.status).toBe(200);
    expect(visibleText(empty.html)).toContain('Directory sync is not configured yet');
    expect(visibleText(empty.html)).toContain('No bind password is set.');

    const refused = await postForm(
      admin,
      '/admin/sync',
      settingsForm(slapd, { urls: 'http://ldap.example.org', pageSize: '0' }),
    );
    expect(refused.status).toBe(400);
    const text = visibleText(refused.html);
    expect(text).toContain('There is a problem');
    expect(text).toContain(
      "Invalid directory sync setting urls: 'http://ldap.example.org' is not an ldap:// or ldaps:// URL.",
    );
    expect(text).toContain('Invalid directory sync setting pageSize: a whole number from 1 to 10000 is expected.');
    expect(refused.html).toContain('id="urls-error"');
    expect(refused.html).toContain('id="pageSize-error"');
    // What was typed is shown again, except the write-only password.
    expect(refused.html).toContain('http://ldap.example.org');
    expect(refused.html).not.toContain(slapd.writerPassword);

    const badJson = await postForm(admin, '/admin/sync', settingsForm(slapd, { mappings: '[{' }));
    expect(badJson.status).toBe(400);
    expect(visibleText(badJson.html)).toContain('The mappings are not valid JSON.');
    const badRule = await postForm(admin, '/admin/sync', settingsForm(slapd, { mappings: '[{"target":"shoeSize"}]' }));
    expect(badRule.status).toBe(400);
    expect(badRule.html).toContain('id="mappings-error"');
    expect(await server.container.directorySync.settings()).toBeUndefined();

    const saved = await postForm(admin, '/admin/sync', settingsForm(slapd, { writebackEnabled: 'on' }));
    expect(saved.status).toBe(200);
    expect(saved.url).toBe('/admin/sync?done=saved');
    expect(visibleText(saved.html)).toContain('The settings were saved.');
    expect(visibleText(saved.html)).toContain('A bind password is set. Leave this empty to keep it.');
    expect(saved.html).not.toContain(slapd.writerPassword);
    const stored = await server.container.directorySync.settings();
    expect(stored).toMatchObject({
      flavor: 'openldap',
      urls: [slapd.url],
      baseDns: [`ou=people,${slapd.baseDn}`],
      pageSize: 25,
      intervalMinutes: 15,
      writebackEnabled: true,
      bypassDirSyncOverridesEnabled: false,
    });

    // A blank password keeps the stored one.
    await postForm(admin, '/admin/sync', settingsForm(slapd, { bindPassword: '', intervalMinutes: '20' }));
    expect(await server.container.directorySync.settings()).toMatchObject({
      intervalMinutes: 20,
      bindPassword: slapd.writerPassword,
      writebackEnabled: false,
    });

    const audit = await server.container.database.db
      .selectFrom('audit_events')
      .select(['initiated_by'])
      .where('activity_display_name', '=', 'Update directory synchronization settings')
      .execute();
    expect(audit).toHaveLength(2);
    expect(audit[0]?.initiated_by).toContain('gadmin@contoso.com');
    expect(JSON.stringify(audit)).not.toContain(slapd.writerPassword);
  });

  it('tests the connection: bind, entries in scope and the mapped sample', async () => {
    await admin.get('/admin/sync');
    const tested = await admin.submit('/admin/sync/test');
    expect(tested.status).toBe(200);
    const text = visibleText(tested.html);
    expect(text).toContain('Bind succeeded: 100 entries in scope.');
    expect(text).toContain(`Preview of uid=user00000,ou=people,${slapd.baseDn}`);
    expect(text).toContain('onPremisesDistinguishedName');
    expect(text).toContain('mobilePhone');

    // A wrong bind password: the test says so.
    await server.container.directorySync.update(operator, { bindPassword: 'not-the-password' });
    await admin.get('/admin/sync');
    const failed = await admin.submit('/admin/sync/test');
    expect(failed.status).toBe(400);
    expect(visibleText(failed.html)).toContain('The connection test failed');
    await server.container.directorySync.update(operator, {
      bindPassword: slapd.writerPassword,
    });
  });

  it('runs now: the run page shows the run while it runs, then its counts and per-object errors', async () => {
    await admin.get('/admin/sync');
    const started = await admin.submit('/admin/sync/runs', { kind: 'full' });
    const runId = /^\/admin\/sync\/runs\/([^/?]+)$/.exec(started.url)?.[1];
    expect(runId, started.url).toBeDefined();
    expect(started.status).toBe(200);
    // Running or already ended, the page is the run's (the running page is checked below).
    expect(visibleText(started.html)).toContain(`Sync run ${runId}`);
    await server.container.directorySync.whenEnded(runId as string);

    const ended = await admin.get(`/admin/sync/runs/${runId}`);
    expect(ended.status).toBe(200);
    expect(visibleText(ended.html)).not.toContain('Refresh to see its progress');
    const text = visibleText(ended.html);
    expect(text).toContain('Status succeeded');
    expect(text).toContain('Read 100');
    const run = await server.container.directorySync.findRun(runId as string);
    expect(run?.counts.added).toBeGreaterThan(90);
    expect(text).toContain(`Added ${run?.counts.added}`);
    expect(run?.counts.errors).toBeGreaterThan(0);
    // The duplicate's error names its DN; a warning on a synced user links to that user.
    expect(text).toContain(`uid=user00096,ou=people,${slapd.baseDn}`);
    const issues = await server.container.directorySync.issuesWithUsers(runId as string);
    const linked = issues.find((issue) => issue.severity === 'warning' && issue.userId !== null);
    expect(linked).toBeDefined();
    expect(ended.html).toContain(`href="/admin/users/${linked?.userId}"`);

    // The history lists it, linked to its page.
    const history = await admin.get('/admin/sync');
    expect(history.html).toContain(`href="/admin/sync/runs/${runId}"`);
    expect(visibleText(history.html)).toContain('full');

    const unknown = await admin.get('/admin/sync/runs/no-such-run');
    expect(unknown.status).toBe(404);
  });

  it('shows a running run with its progress so far and a refresh link, and never reloads by itself', async () => {
    // A run of this instance still going on (its lease held): the page as the administrator sees it meanwhile.
    const db = server.container.database.db;
    await db
      .insertInto('directory_sync_runs')
      .values({
        id: 'run-in-progress',
        kind: 'delta',
        dry_run: 0,
        status: 'running',
        started_at: new Date().toISOString(),
        finished_at: null,
        counts: JSON.stringify({ read: 7, added: 1, updated: 2, deleted: 0, unchanged: 4, errors: 0, warnings: 0 }),
        watermark: null,
        message: null,
      } as never)
      .execute();
    const running = await admin.get('/admin/sync/runs/run-in-progress');
    expect(running.status).toBe(200);
    // A timed reload would fail WCAG 2.2.1: the administrator refreshes with the link.
    expect(running.html).not.toContain('http-equiv="refresh"');
    expect(visibleText(running.html)).toContain('This run is in progress; the counts below are those so far.');
    expect(running.html).toContain('<a href="/admin/sync/runs/run-in-progress">Refresh to see its progress</a>');
    expect(visibleText(running.html)).toContain('Read 7');
    await db.deleteFrom('directory_sync_runs').where('id', '=', 'run-in-progress').execute();
  });

  it('refuses other roles with a 403 page and a POST without the session CSRF token', async () => {
    const helpdesk = await signedInAdmin(server, 'helpdesk@contoso.com', 'Helpdesk Administrator');
    const denied = await helpdesk.get('/admin/sync');
    expect(denied.status).toBe(403);
    expect(visibleText(denied.html)).toContain('Only Global Administrators can see and change directory sync.');
    expect(denied.html).not.toContain(slapd.url);
    expect((await postForm(helpdesk, '/admin/sync/runs', { kind: 'full' })).status).toBe(403);
    expect((await postForm(helpdesk, '/admin/sync', settingsForm(slapd, { intervalMinutes: '5' }))).status).toBe(403);
    expect((await helpdesk.get('/admin/sync/runs/anything')).status).toBe(403);

    const before = (await server.container.directorySync.runs(50)).length;
    const forged = await admin.request(
      'POST',
      '/admin/sync/runs',
      new URLSearchParams({ csrf_token: 'forged', kind: 'full' }).toString(),
    );
    expect(forged.status).toBe(403);
    expect(visibleText(forged.html)).toContain('This form has expired');
    const forgedSettings = await admin.request(
      'POST',
      '/admin/sync',
      new URLSearchParams({ ...settingsForm(slapd, { intervalMinutes: '5' }) }).toString(),
    );
    expect(forgedSettings.status).toBe(403);
    expect((await server.container.directorySync.runs(50)).length).toBe(before);
    expect((await server.container.directorySync.settings())?.intervalMinutes).toBe(20);
  });

  it('stops a run that would delete more users than the threshold, and allows the deletions once', async () => {
    const liveUsers = async () =>
      Number(
        (
          await server.container.database.db
            .selectFrom('users')
            .select((eb) => eb.fn.countAll().as('total'))
            .where('on_premises_sync_enabled', '=', 1)
            .where('soft_deleted_at', 'is', null)
            .executeTakeFirstOrThrow()
        ).total,
      );
    const form = await admin.get('/admin/sync');
    expect(form.html).toMatch(/id="deletionThreshold" name="deletionThreshold" value="500"/);
    const refused = await postForm(
      admin,
      '/admin/sync',
      settingsForm(slapd, { bindPassword: '', intervalMinutes: '20', deletionThreshold: 'lots' }),
    );
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('id="deletionThreshold-error"');
    expect(visibleText(refused.html)).toContain(
      'Invalid directory sync setting deletionThreshold: a whole number from 0 to 10000000 is expected.',
    );
    const saved = await postForm(
      admin,
      '/admin/sync',
      settingsForm(slapd, { bindPassword: '', intervalMinutes: '20', deletionThreshold: '5' }),
    );
    expect(saved.url).toBe('/admin/sync?done=saved');
    expect(await server.container.directorySync.settings()).toMatchObject({
      deletionThreshold: 5,
      intervalMinutes: 20,
    });

    // 6 users leave the directory: the delta run stops before deleting any of them.
    const before = await liveUsers();
    await slapd.modify(
      [10, 11, 12, 13, 14, 15]
        .map((index) => `dn: uid=user000${index},ou=people,${slapd.baseDn}\nchangetype: delete\n`)
        .join('\n'),
    );
    await admin.get('/admin/sync');
    const started = await admin.submit('/admin/sync/runs', { kind: 'delta' });
    const runId = /^\/admin\/sync\/runs\/([^/?]+)$/.exec(started.url)?.[1] as string;
    expect(runId, started.url).toBeDefined();
    await server.container.directorySync.whenEnded(runId);
    const stoppedPage = visibleText((await admin.get(`/admin/sync/runs/${runId}`)).html);
    expect(stoppedPage).toContain('Status stopped-deletion-threshold-exceeded');
    expect(stoppedPage).toContain('Deleted 0');
    expect(stoppedPage).toContain('Deletions held back 6 Deletion threshold 5');
    expect(stoppedPage).toContain('would soft-delete 6 users, more than the deletion threshold (5)');
    expect(await liveUsers()).toBe(before);

    const sync = await admin.get('/admin/sync');
    const text = visibleText(sync.html);
    expect(text).toContain('The last run stopped before deleting users');
    expect(text).toContain('would soft-delete 6 users, more than the deletion threshold (5). No user was deleted');
    expect(sync.html).toContain(`href="/admin/sync/runs/${runId}"`);
    expect(sync.html).toContain('action="/admin/sync/allow-deletions"');
    expect(text).toContain('stopped-deletion-threshold-exceeded');

    // Only who may run a sync may allow the deletions, and only with the session's CSRF token.
    const helpdesk = await signedInAdmin(server, 'helpdesk2@contoso.com', 'Helpdesk Administrator');
    await helpdesk.get('/admin');
    expect((await postForm(helpdesk, '/admin/sync/allow-deletions', { kind: 'delta' })).status).toBe(403);
    const forged = await admin.request(
      'POST',
      '/admin/sync/allow-deletions',
      new URLSearchParams({ csrf_token: 'forged', kind: 'delta' }).toString(),
    );
    expect(forged.status).toBe(403);
    expect(await liveUsers()).toBe(before);

    await admin.get('/admin/sync');
    const allowed = await admin.submit('/admin/sync/allow-deletions');
    const allowedId = /^\/admin\/sync\/runs\/([^/?]+)$/.exec(allowed.url)?.[1] as string;
    expect(allowedId, allowed.url).toBeDefined();
    expect((await server.container.directorySync.whenEnded(allowedId))?.kind).toBe('delta');
    const allowedPage = visibleText((await admin.get(`/admin/sync/runs/${allowedId}`)).html);
    expect(allowedPage).toContain('Status succeeded');
    expect(allowedPage).toContain('Deleted 6');
    expect(allowedPage).not.toContain('Deletions held back');
    expect(await liveUsers()).toBe(before - 6);
    expect(visibleText((await admin.get('/admin/sync')).html)).not.toContain('The last run stopped');
  });
});
