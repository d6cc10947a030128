import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, Session } from './support/browser.js';
import { type E2eServer, operator, startE2eServer } from './support/e2e-server.js';
import {
  chooseMethod,
  chooseNewPassword,
  codeOf,
  confirmPhone,
  enterCode,
  expectHeading,
  identify,
  secretsSeen,
  seedUser,
  twilioRequest,
} from './support/reset-steps.js';

const admin = { upn: 'gadmin@contoso.com', password: 'Old-Console-Desk-31' };
// Never registered, no contact data at all: the administrator pre-populates her mobile phone.
const user = { upn: 'nestor@contoso.com', password: 'Old-Window-Frame-19', mobile: '+1 4255550188' };

let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  server = await startE2eServer('admin-portal', async (container) => {
    await seedUser(container, admin.upn, admin.password);
    await container.roles.assign(operator, admin.upn, 'Global Administrator');
    await seedUser(container, user.upn, user.password, { displayName: 'Nestor Wilke' });
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const withSession = (name: string, run: (session: Session) => Promise<void>) =>
  Session.run(browser, server.baseUrl, name, run);

/** The "Usable authentication methods" row of a method, as its cells' text. */
async function usableRow(session: Session, method: string): Promise<string> {
  const row = session.page.locator('#usable tr', { has: session.page.getByRole('rowheader', { name: method }) });
  return ((await row.textContent()) ?? '').replace(/\s+/g, ' ');
}

describe('admin portal in Chromium', { timeout: 90_000 }, () => {
  it('an admin pre-populates a mobile phone, it becomes usable, and the user resets by SMS', async () => {
    await withSession('admin-portal', async (session) => {
      const { page } = session;
      await page.goto('/admin');
      await expectHeading(session, 'Sign in to the admin portal');
      await session.visited('signin');
      await page.getByLabel('User ID').fill(admin.upn);
      await page.getByLabel('Password').fill(admin.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, 'Dashboard');
      await session.visited('dashboard');

      await page.getByRole('navigation').getByRole('link', { name: 'Users', exact: true }).click();
      await page.waitForLoadState('load');
      await page.getByLabel('Search by name, user ID, phone or email').fill('nestor');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForLoadState('load');
      await session.visited('users');
      await page.getByRole('link', { name: 'Nestor Wilke' }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, 'Nestor Wilke');
      await session.visited('user-detail');

      await page.getByRole('link', { name: 'Authentication methods' }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, 'Authentication methods of Nestor Wilke');
      expect(await page.getByText('Can reset their password now: No').count()).toBe(1);
      expect(await usableRow(session, 'Mobile phone')).toContain('Not usable');
      await session.visited('methods-before');

      await page.getByRole('link', { name: '+ Add authentication method' }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, 'Add authentication method');
      await page.getByLabel('Method').selectOption('mobile');
      await page.getByLabel(/^Phone number/).fill(user.mobile);
      await session.visited('add-method');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.waitForLoadState('load');
      expect(await page.getByRole('status').first().textContent()).toContain('The method was added.');
      expect(await page.getByText('Can reset their password now: Yes').count()).toBe(1);
      expect(await usableRow(session, 'Mobile phone')).toContain(`${user.mobile}Authentication phoneUsable`);
      await session.visited('methods-after');
      // The same page at phone width (screenshot and axe-core again).
      await page.setViewportSize({ width: 390, height: 844 });
      await session.visited('methods-after-phone');
      await page.setViewportSize({ width: 1280, height: 720 });

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, 'Sign in to the admin portal');
    });

    await withSession('admin-portal-user-reset', async (session) => {
      await identify(session, user.upn);
      await chooseMethod(session, /^Text my mobile phone/, 'confirm-phone');
      const sms = await twilioRequest(server, 'sms', () => confirmPhone(session, user.mobile, 'Text'));
      expect(sms.to).toBe('+14255550188');
      await enterCode(session, codeOf(sms), 'new-password');
      await chooseNewPassword(session, 'Granite-Meadow-Lamp-84');
    });

    // The admin's action is in the audit log with the admin as initiator.
    const response = await fetch(
      `${server.baseUrl}/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent("activityDisplayName eq 'Admin registered security info'")}`,
      { headers: { authorization: `Bearer ${await server.appToken()}` } },
    );
    const body = (await response.json()) as { value?: { initiatedBy: { user: { userPrincipalName: string } } }[] };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.value?.[0]?.initiatedBy.user.userPrincipalName).toBe(admin.upn);
    for (const secret of secretsSeen) expect(server.logText()).not.toContain(secret);
  });
  it('bulk operations: a CSV dry run shows the diff and a rejected line, then apply changes the user', async () => {
    await withSession('admin-portal-bulk', async (session) => {
      const { page } = session;
      await page.goto('/admin/signin');
      await page.getByLabel('User ID').fill(admin.upn);
      await page.getByLabel('Password').fill(admin.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState('load');
      await page.getByRole('navigation').getByRole('link', { name: 'Bulk operations' }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, 'Bulk operations');
      await session.visited('bulk');

      const csv = `userPrincipalName,jobTitle,officeLocation\r\n${user.upn},Field engineer,Building 4\r\nghost@contoso.com,Nobody,\r\n`;
      await page
        .getByLabel('CSV file')
        .setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await page.getByRole('button', { name: 'Preview (dry run)' }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, 'Preview of the import');
      const preview = ((await page.locator('main').textContent()) ?? '').replace(/\s+/g, ' ');
      expect(preview).toContain('Field engineer');
      expect(preview).toContain('User not found.');
      await session.visited('bulk-preview');

      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForLoadState('load');
      await expectHeading(session, 'Import results');
      expect(await page.getByRole('status').first().textContent()).toContain('The import is finished.');
      await session.visited('bulk-results');
      const response = await fetch(`${server.baseUrl}/v1.0/users/${user.upn}?$select=jobTitle,officeLocation`, {
        headers: { authorization: `Bearer ${await server.appToken()}` },
      });
      expect(await response.json()).toMatchObject({ jobTitle: 'Field engineer', officeLocation: 'Building 4' });
    });
  });
});
