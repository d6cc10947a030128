import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateUsers, type RunningSlapd, startSlapd } from '../support/slapd.js';
import { desktopViewport, launchChromium, Session } from './support/browser.js';
import { type E2eServer, operator, startE2eServer } from './support/e2e-server.js';
import { expectHeading, secretsSeen, seedUser } from './support/reset-steps.js';

const admin = { upn: 'gadmin@contoso.com', password: 'Old-Console-Desk-31' };

// Besides 40 generated users (mixed phone forms: many warnings), three written by hand: Adele, whose office phone
// is in a national form (a warning that links to her user) and whose mobile phone the test changes for the delta
// run, and two entries the sync cannot take (object errors): one without mail (the UPN source), one with a mail
// that is not an address.
const generatedCount = 40;
const people = 'ou=people,dc=example,dc=org';
const adele = { dn: `uid=adele,${people}`, displayName: 'Adele Vance', mail: 'adele.vance@example.org' };
const handWritten = `
dn: ${adele.dn}
objectClass: inetOrgPerson
uid: adele
cn: ${adele.displayName}
sn: Vance
givenName: Adele
displayName: ${adele.displayName}
mail: ${adele.mail}
telephoneNumber: +1 (425) 555-0109
mobile: +1 4255550101

dn: uid=nomail,${people}
objectClass: inetOrgPerson
uid: nomail
cn: Noor Mailless
sn: Mailless

dn: uid=badmail,${people}
objectClass: inetOrgPerson
uid: badmail
cn: Pat Typo
sn: Typo
mail: pat at example.org
`;
const entriesInScope = generatedCount + 3;

let slapd: RunningSlapd;
let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  slapd = await startSlapd({ ldif: `${generateUsers({ count: generatedCount }).ldif}\n${handWritten}` });
  secretsSeen.add(slapd.adminPassword);
  secretsSeen.add(slapd.writerPassword);
  server = await startE2eServer('admin-sync', async (container) => {
    await seedUser(container, admin.upn, admin.password);
    await container.roles.assign(operator, admin.upn, 'Global Administrator');
    // An operator configured sync from the command line with a server that no longer answers: `serve` runs the
    // sync once at start (that run fails), then only after `intervalMinutes`, so no scheduled run can slip in
    // between the administrator's own runs below.
    await container.directorySync.update(operator, {
      flavor: 'openldap',
      urls: ['ldap://127.0.0.1:1'],
      bindDn: slapd.adminDn,
      bindPassword: slapd.adminPassword,
      baseDns: [slapd.baseDn],
      intervalMinutes: 30,
    });
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await slapd?.stop();
});

const withSession = (name: string, run: (session: Session) => Promise<void>) =>
  Session.run(browser, server.baseUrl, name, run, desktopViewport);

/** Screenshot and axe-core at desktop width, then again at phone width. */
async function visitedBoth(session: Session, step: string): Promise<void> {
  await session.visitedAtBothWidths(step);
}

async function signIn(session: Session): Promise<void> {
  const { page } = session;
  await page.goto('/admin');
  await page.getByLabel('User ID').fill(admin.upn);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
  await expectHeading(session, 'Dashboard');
}

async function navigate(session: Session, link: string): Promise<void> {
  await session.page.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
  await session.page.waitForLoadState('load');
}

/** The run page's summary (`Status`, `Added`, ...), each term with its value. */
async function runSummary(session: Session): Promise<Record<string, string>> {
  const summary = session.page.locator('#run-summary');
  const terms = await summary.locator('dt').allTextContents();
  const values = await summary.locator('dd').allTextContents();
  return Object.fromEntries(terms.map((term, index) => [term, values[index] ?? '']));
}

const refreshLink = 'Refresh to see its progress';

/** As the administrator would: refreshes the run's page with its link until the run has ended; its summary then. */
async function runEnded(session: Session): Promise<Record<string, string>> {
  const { page } = session;
  await expect
    .poll(
      async () => {
        const { Status: status } = await runSummary(session);
        if (status === 'running') {
          await page.getByRole('link', { name: refreshLink }).click();
          await page.waitForLoadState('load');
        }
        return status;
      },
      { timeout: 60_000 },
    )
    .not.toBe('running');
  expect(await page.getByRole('link', { name: refreshLink }).count()).toBe(0);
  return runSummary(session);
}

/** The history table's rows on the sync page, newest first, each as its cells' text but the start time. */
async function historyRows(session: Session): Promise<string[][]> {
  const rows = session.page.getByRole('table', { name: 'Run history' }).locator('tbody tr');
  const cells: string[][] = [];
  for (const row of await rows.all()) cells.push((await row.locator('td').allTextContents()).slice(1));
  return cells;
}

async function auditRows(session: Session, activity: string): Promise<string[]> {
  const { page } = session;
  await page.getByLabel('Activity').fill(activity);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForLoadState('load');
  const rows = await page.locator('table.data tbody tr').allTextContents();
  return rows.map((row) => row.replace(/\s+/g, ' '));
}

describe('on-premises sync page in Chromium', { timeout: 180_000 }, () => {
  it('an administrator fixes the connection, tests it, runs a full and a delta sync against slapd and finds them in the audit log', async () => {
    // The start-up run has ended (failed: nothing listens on port 1).
    await expect
      .poll(() => /directory sync full run failed/.test(server.logText()), { timeout: 30_000, interval: 100 })
      .toBe(true);
    await withSession('admin-sync', async (session) => {
      const { page } = session;
      await signIn(session);
      await navigate(session, 'On-premises sync');
      await expectHeading(session, 'On-premises sync');
      // The start-up run against the old server is in the history, failed.
      const [startup] = await historyRows(session);
      expect(startup).toEqual(['full', 'failed', '0 / 0 / 0 / 0 / 0']);
      expect(await page.getByText('A bind password is set. Leave this empty to keep it.').count()).toBe(1);
      await visitedBoth(session, 'sync-before');

      // The connection settings, through the form.
      await page.getByLabel('Server URLs').fill(slapd.url);
      await page.getByLabel('Bind DN').fill(slapd.writerDn);
      await page.getByLabel('Bind password').fill(slapd.writerPassword);
      await page.getByLabel('Base DNs').fill(people);
      await page.getByLabel('LDAP filter (optional)').fill('(objectClass=inetOrgPerson)');
      await page.getByLabel('Page size').fill('10');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.waitForLoadState('load');
      expect(await page.getByRole('status').first().textContent()).toContain('The settings were saved.');
      expect(await page.getByLabel('Server URLs').inputValue()).toBe(slapd.url);
      expect(await page.getByLabel('Bind password').inputValue()).toBe('');
      expect(await page.content()).not.toContain(slapd.writerPassword);

      // Test connection: bind, entries in scope and the first entry mapped.
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page.waitForLoadState('load');
      const test = page.locator('#test-result');
      expect(await test.getAttribute('role')).toBe('status');
      expect(await test.textContent()).toContain(`Bind succeeded: ${entriesInScope} entries in scope.`);
      expect(await test.getByRole('table', { name: `Preview of uid=user00000,${people}` }).count()).toBe(1);
      await visitedBoth(session, 'sync-tested');

      // Run now (full) while the directory is held (slapd stopped by SIGSTOP): the run has started and waits for
      // its first answer, so its page shows it in progress, whatever the machine's speed.
      process.kill(slapd.pid, 'SIGSTOP');
      try {
        await page.getByRole('button', { name: 'Run a full sync' }).click();
        await page.waitForLoadState('load');
        await expectHeading(session, /^Sync run /);
        expect(await page.getByRole('status').first().textContent()).toBe(
          `This run is in progress; the counts below are those so far. ${refreshLink}`,
        );
        expect(await runSummary(session)).toMatchObject({
          Status: 'running',
          Kind: 'full',
          'Pages read': '0',
          Read: '0',
        });
        await visitedBoth(session, 'sync-run-in-progress');
        // Refreshing while the directory is held: still in progress.
        await page.getByRole('link', { name: refreshLink }).click();
        await page.waitForLoadState('load');
        expect(await runSummary(session)).toMatchObject({ Status: 'running', 'Pages read': '0' });
      } finally {
        process.kill(slapd.pid, 'SIGCONT');
      }
      const full = await runEnded(session);
      expect(full).toMatchObject({
        Status: 'succeeded',
        Kind: 'full',
        Read: String(entriesInScope),
        Added: String(entriesInScope - 2),
        Updated: '0',
        Deleted: '0',
        Errors: '2',
      });
      expect(Number(full.Warnings)).toBeGreaterThan(1);
      const fullRunUrl = page.url();

      // The result in the history; the run's page from there, with its errors and warnings per object.
      await page.getByRole('link', { name: 'Back to On-premises sync' }).click();
      await page.waitForLoadState('load');
      const [latest] = await historyRows(session);
      expect(latest).toEqual(['full', 'succeeded', `${entriesInScope} / ${entriesInScope - 2} / 0 / 0 / 2`]);
      await visitedBoth(session, 'sync-history');
      await page.getByRole('table', { name: 'Run history' }).locator('tbody tr').first().getByRole('link').click();
      await page.waitForLoadState('load');
      expect(page.url()).toBe(fullRunUrl);
      const issues = page.getByRole('table', { name: 'Errors and warnings per object' });
      const issueRow = (dn: string) => issues.locator('tbody tr', { has: page.getByText(dn, { exact: true }) });
      const noMail = ((await issueRow(`uid=nomail,${people}`).textContent()) ?? '').replace(/\s+/g, ' ');
      expect(noMail).toContain('IdentityDataValidationFailed');
      expect(noMail).toContain('The entry has no userPrincipalName.');
      expect(await issueRow(`uid=badmail,${people}`).textContent()).toContain(
        'The userPrincipalName "pat at example.org" is not valid.',
      );
      // Objects in error made no user: their DN is not a link.
      expect(await issues.getByRole('link', { name: `uid=nomail,${people}` }).count()).toBe(0);
      expect(await issueRow(adele.dn).textContent()).toContain(
        '"+1 (425) 555-0109" is not in the format password reset needs (+CC number); synced as it is. Suggested: +1 4255550109',
      );
      await visitedBoth(session, 'sync-run-issues');
      await issues.getByRole('link', { name: adele.dn }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, adele.displayName);
      expect(await page.locator('main').textContent()).toContain(adele.mail);
      expect(await page.getByLabel('Mobile phone', { exact: true }).inputValue()).toBe('+1 4255550101');

      // A change in the directory, then a delta run from the page: one user updated.
      await slapd.modify(`dn: ${adele.dn}\nchangetype: modify\nreplace: mobile\nmobile: +1 4255550199\n`);
      await navigate(session, 'On-premises sync');
      await page.getByRole('button', { name: 'Run a delta sync' }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, /^Sync run /);
      const delta = await runEnded(session);
      // Read again besides the changed entry: the two objects the full run reported in error (still in error).
      expect(delta).toMatchObject({ Status: 'succeeded', Kind: 'delta', Added: '0', Updated: '1', Deleted: '0' });
      expect(delta.Errors).toBe('2');
      await visitedBoth(session, 'sync-delta');
      // Adele's warning is there again (her entry was read again), and her user has the new number.
      await issues.getByRole('link', { name: adele.dn }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, adele.displayName);
      expect(await page.getByLabel('Mobile phone', { exact: true }).inputValue()).toBe('+1 4255550199');
      await page.goBack();
      await page.waitForLoadState('load');
      await page.getByRole('link', { name: 'Back to On-premises sync' }).click();
      await page.waitForLoadState('load');
      const history = await historyRows(session);
      expect(history).toHaveLength(3);
      expect(history[0]).toEqual(['delta', 'succeeded', `${delta.Read} / 0 / 1 / 0 / 2`]);

      // The audit log: the settings change by the administrator, and each run's start and end.
      await navigate(session, 'Audit logs');
      await expectHeading(session, 'Audit logs');
      // The activity field suggests the sync's activities.
      expect(await page.locator('#activities option[value="Start directory synchronization run"]').count()).toBe(1);
      const settingsChanges = await auditRows(session, 'Update directory synchronization settings');
      expect(settingsChanges).toHaveLength(2);
      expect(settingsChanges[0]).toContain(admin.upn);
      expect(settingsChanges[0]).toContain(slapd.url);
      expect(settingsChanges[1]).toContain('operator:e2e');
      expect(await page.content()).not.toContain(slapd.writerPassword);
      await visitedBoth(session, 'audit-sync-settings');
      const starts = await auditRows(session, 'Start directory synchronization run');
      expect(starts).toHaveLength(3);
      expect(starts[0]).toContain('delta synchronization');
      expect(starts[1]).toContain('full synchronization');
      // The administrator's runs name them; the scheduler's start-up run is the sync's own.
      expect(starts[0]).toContain(admin.upn);
      expect(starts[1]).toContain(admin.upn);
      expect(starts[2]).not.toContain(admin.upn);
      const ends = await auditRows(session, 'End directory synchronization run');
      expect(ends).toHaveLength(3);
      expect(ends[0]).toContain('delta synchronization');
      expect(ends[0]).toMatch(/updated: → 1(?!\d)/);
      expect(ends[1]).toContain('full synchronization');
      expect(ends[1]).toContain('status: → "succeeded"');
      expect(ends[1]).toMatch(new RegExp(`added: → ${entriesInScope - 2}(?!\\d)`));
      expect(ends[2]).toContain('status: → "failed"');
      await visitedBoth(session, 'audit-sync-runs');
      // The sync's own changes to users are there too: Adele's update by the delta run.
      const updates = await auditRows(session, 'Update user');
      expect(updates.some((row) => row.includes(adele.mail))).toBe(true);
    });
    for (const secret of secretsSeen) expect(server.logText()).not.toContain(secret);
  });
});
