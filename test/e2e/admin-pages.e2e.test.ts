import type { Browser, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desktopViewport, launchChromium, phoneViewport, Session } from './support/browser.js';
import { type E2eServer, operator, startE2eServer } from './support/e2e-server.js';
import {
  chooseMethod,
  chooseNewPassword,
  codeOf,
  confirmPhone,
  emailCode,
  enterCode,
  expectHeading,
  identify,
  secretsSeen,
  seedUser,
  twilioRequest,
} from './support/reset-steps.js';

// A Global Administrator with a mobile phone and an alternate email: the page an Authentication Administrator may
// only see masked and read-only.
const globalAdmin = {
  upn: 'gadmin@contoso.com',
  displayName: 'Gary Admin',
  password: 'Old-Console-Desk-31',
  mobile: '+1 4255550177',
  alternate: 'gary.admin@example.org',
};
const authAdmin = { upn: 'authadmin@contoso.com', displayName: 'Aiko Helpdesk', password: 'Old-Ticket-Queue-62' };
// A pre-populated mobile phone only; the Global Administrator adds her email method in the portal, so she has
// two methods when the policy asks for two.
const user = {
  upn: 'megan@contoso.com',
  displayName: 'Megan Bowen',
  password: 'Old-Harbour-Kite-55',
  mobile: '+1 4255550155',
  alternate: 'megan.b@example.org',
};

let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  server = await startE2eServer('admin-pages', async (container) => {
    await seedUser(container, globalAdmin.upn, globalAdmin.password, {
      displayName: globalAdmin.displayName,
      mobilePhone: globalAdmin.mobile,
      otherMails: [globalAdmin.alternate],
    });
    await container.roles.assign(operator, globalAdmin.upn, 'Global Administrator');
    await seedUser(container, authAdmin.upn, authAdmin.password, { displayName: authAdmin.displayName });
    await container.roles.assign(operator, authAdmin.upn, 'Authentication Administrator');
    await seedUser(container, user.upn, user.password, { displayName: user.displayName, mobilePhone: user.mobile });
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const withSession = (name: string, run: (session: Session) => Promise<void>) =>
  Session.run(browser, server.baseUrl, name, run, desktopViewport);

/**
 * Screenshot and axe-core at desktop width, then again at phone width, where nothing may need sideways
 * scrolling (the data tables stack their rows as cards).
 */
async function visitedBoth(session: Session, step: string): Promise<void> {
  const pageWidth = await session.visitedAtBothWidths(step);
  expect(pageWidth, `${step} is wider than the phone`).toBeLessThanOrEqual(phoneViewport.width);
}

async function signIn(session: Session, account: { upn: string; password: string }, screens = false): Promise<void> {
  const { page } = session;
  await page.goto('/admin');
  await expectHeading(session, 'Sign in to the admin portal');
  if (screens) await visitedBoth(session, 'signin');
  await page.getByLabel('User ID').fill(account.upn);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
  await expectHeading(session, 'Dashboard');
}

async function navigate(session: Session, link: string): Promise<void> {
  await session.page.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
  await session.page.waitForLoadState('load');
}

/** Users → search → the user's detail page → their Authentication methods page. */
async function openMethods(session: Session, search: string, displayName: string, screens: boolean): Promise<void> {
  const { page } = session;
  await navigate(session, 'Users');
  await page.getByLabel('Search by name, user ID, phone or email').fill(search);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForLoadState('load');
  if (screens) await visitedBoth(session, 'users');
  await page.getByRole('link', { name: displayName }).click();
  await page.waitForLoadState('load');
  await expectHeading(session, displayName);
  if (screens) await visitedBoth(session, 'user-detail');
  await page.getByRole('link', { name: 'Authentication methods' }).click();
  await page.waitForLoadState('load');
  await expectHeading(session, `Authentication methods of ${displayName}`);
}

/**
 * What a hand-made form would send: a POST from the page with the session's own CSRF token (taken from the
 * sign-out form), so only the permission rule can refuse it. Returns the response.
 */
async function forgePost(session: Session, action: string, fields: Record<string, string>): Promise<Response> {
  const { page } = session;
  const csrf = await page.locator('input[name="csrf_token"]').first().inputValue();
  const all = JSON.stringify({ csrf_token: csrf, ...fields });
  const posted = page.waitForResponse((response) => response.request().method() === 'POST');
  await page.evaluate(
    `(() => { const form = document.createElement('form'); form.method = 'post'; form.action = ${JSON.stringify(action)};
      for (const [name, value] of Object.entries(${all})) { const input = document.createElement('input');
        input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input); }
      document.body.appendChild(form); form.submit(); })()`,
  );
  const response = await posted;
  await page.waitForLoadState('load');
  return response;
}

async function currentPolicy(): Promise<{ numberOfAuthenticationMethodsRequired: number }> {
  const response = await fetch(`${server.baseUrl}/api/admin/v1/passwordResetPolicy`, {
    headers: { authorization: `Bearer ${await server.appToken()}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { numberOfAuthenticationMethodsRequired: number };
}

/** At phone width: the label the style sheet shows before each cell of the first table row (its card). */
async function cardLabels(session: Session): Promise<string[]> {
  await session.page.setViewportSize(phoneViewport);
  const labels = (await session.page.evaluate(
    `[...document.querySelectorAll('table.data tbody tr:first-child > *')].map((cell) => getComputedStyle(cell, '::before').content)`,
  )) as string[];
  await session.page.setViewportSize(desktopViewport);
  return labels;
}

/** The audit table's rows, each as its cells' text. */
async function auditRows(session: Session): Promise<string[]> {
  const rows = await session.page.locator('table.data tbody tr').allTextContents();
  return rows.map((row) => row.replace(/\s+/g, ' '));
}

describe('admin pages in Chromium', { timeout: 120_000 }, () => {
  it('an Authentication Administrator sees a Global Administrator’s methods masked and read-only, and cannot change them or the policy', async () => {
    await withSession('admin-pages-auth-admin', async (session) => {
      const { page } = session;
      await signIn(session, authAdmin);
      await openMethods(session, 'gary', globalAdmin.displayName, false);
      await visitedBoth(session, 'admin-methods-masked');
      expect(await page.getByText('Phone numbers are masked for your role.').count()).toBe(1);
      expect(await page.getByText('Your role lets you see these methods but not change them.').count()).toBe(1);
      expect(await page.getByRole('link', { name: '+ Add authentication method' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: /^Edit / }).count()).toBe(0);
      expect(await page.getByRole('link', { name: /^Delete / }).count()).toBe(0);
      const text = (await page.locator('body').textContent()) ?? '';
      expect(text).toContain('+X XXXXXXXX77');
      expect(text).not.toContain('4255550177');
      const methodsUrl = new URL(page.url()).pathname;

      // A hand-made "add" form with a valid CSRF token: the use case refuses it and nothing is added.
      const refused = await forgePost(session, `${methodsUrl}/add`, {
        method: 'alternateMobile',
        value: '+1 4255550199',
      });
      expect(refused.status()).toBe(403);
      await expectHeading(session, 'You don’t have permission');
      await visitedBoth(session, 'methods-forged-add-refused');
      await page.goto(methodsUrl);
      await page.waitForLoadState('load');
      expect(await page.locator('#methods').textContent()).not.toContain('XX99');

      // The policy: visible, but disabled and without a Save button; a forged save is refused too.
      await navigate(session, 'Password reset policy');
      await expectHeading(session, 'Password reset policy');
      await visitedBoth(session, 'policy-read-only');
      expect(
        await page.getByText('You can see the policy but only a Global Administrator can change it.').count(),
      ).toBe(1);
      expect(await page.getByRole('button', { name: 'Save', exact: true }).count()).toBe(0);
      expect(await page.getByRole('radio', { name: '2', exact: true }).isDisabled()).toBe(true);
      // The page's own form, its fields enabled again by hand and "2" chosen, sent with the session's CSRF token.
      const posted = page.waitForResponse((response) => response.request().method() === 'POST');
      await page.evaluate(
        `(() => { const form = document.querySelector('form[action="/admin/policy"]');
          for (const field of form.querySelectorAll('[disabled]')) field.disabled = false;
          form.querySelector('input[name="numberOfAuthenticationMethodsRequired"][value="2"]').checked = true;
          form.submit(); })()`,
      );
      const forged = await posted;
      await page.waitForLoadState('load');
      expect(forged.status()).toBe(403);
      await expectHeading(session, 'You don’t have permission');
      expect((await currentPolicy()).numberOfAuthenticationMethodsRequired).toBe(1);
    });
  });

  it('a Global Administrator adds a method and requires 2 methods; the user then resets with two methods', async () => {
    await withSession('admin-pages-global-admin', async (session) => {
      const { page } = session;
      await signIn(session, globalAdmin, true);
      await visitedBoth(session, 'dashboard');
      // The server really delivers (SMTP, Twilio): no outbox link, and the outbox page does not exist.
      expect(await page.getByRole('navigation').getByRole('link', { name: 'Outbox' }).count()).toBe(0);

      await openMethods(session, 'megan', user.displayName, true);
      await visitedBoth(session, 'methods-before');
      await page.getByRole('link', { name: '+ Add authentication method' }).click();
      await page.waitForLoadState('load');
      await page.getByLabel('Method').selectOption('email');
      await page.getByLabel(/Email address/).fill(user.alternate);
      await visitedBoth(session, 'add-method');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.waitForLoadState('load');
      expect(await page.getByRole('status').first().textContent()).toContain('The method was added.');
      expect(await page.locator('#methods').textContent()).toContain(user.alternate);
      await visitedBoth(session, 'methods-after');

      await navigate(session, 'Password reset policy');
      await expectHeading(session, 'Password reset policy');
      await visitedBoth(session, 'policy');
      await page
        .getByRole('group', { name: 'Number of methods required to reset' })
        .getByRole('radio', { name: '2', exact: true })
        .check();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.waitForLoadState('load');
      expect(await page.getByRole('status').first().textContent()).toContain('The password reset policy was saved.');
      expect(
        await page
          .getByRole('group', { name: 'Number of methods required to reset' })
          .getByRole('radio', { name: '2', exact: true })
          .isChecked(),
      ).toBe(true);
      await visitedBoth(session, 'policy-saved');
      expect((await currentPolicy()).numberOfAuthenticationMethodsRequired).toBe(2);

      await navigate(session, 'App registrations');
      await expectHeading(session, 'App registrations');
      await visitedBoth(session, 'apps');
    });

    await withSession('admin-pages-user-reset', async (session) => {
      await identify(session, user.upn);
      expect(await session.page.getByText('Verification step 1 of 2').count()).toBe(1);
      const emailed = await emailCode(server, user.alternate, () =>
        chooseMethod(session, /^Email my alternate email/, 'email-code-sent'),
      );
      await enterCode(session, emailed, 'second-gate');
      await expectHeading(session, 'Verification step 2: choose another contact method');
      expect(await session.page.getByText('Verification step 2 of 2').count()).toBe(1);
      await chooseMethod(session, /^Text my mobile phone/, 'confirm-phone');
      const sms = await twilioRequest(server, 'sms', () => confirmPhone(session, '4255550155', 'Text'));
      expect(sms.to).toBe('+14255550155');
      await enterCode(session, codeOf(sms), 'new-password');
      await chooseNewPassword(session, 'Copper-Meadow-Signal-37');
    });
  });

  it('the audit page shows the method added, the policy change and the reset', async () => {
    await withSession('admin-pages-audit', async (session) => {
      const { page } = session;
      await signIn(session, globalAdmin);
      await navigate(session, 'Audit logs');
      await expectHeading(session, 'Audit logs');
      await visitedBoth(session, 'audit');
      expect(await cardLabels(session)).toEqual(
        ['Date (UTC)', 'Service', 'Activity', 'Result', 'Initiated by', 'Target', 'Modified properties'].map(
          (label) => `"${label}"`,
        ),
      );
      const all = await auditRows(session);
      const row = (activity: string) => all.find((text) => text.includes(activity)) ?? '';
      expect(row('Admin registered security info')).toContain(globalAdmin.upn);
      expect(row('Admin registered security info')).toContain(user.upn);
      expect(row('Update password reset policy')).toContain(globalAdmin.upn);
      expect(row('Update password reset policy')).toMatch(/numberOfAuthenticationMethodsRequired: 1 → 2/i);
      expect(row('Reset password (self-service)')).toContain(user.upn);
      expect(row('Reset password (self-service)')).toContain('Success');

      // Filtered by initiator: the administrator's two changes and nothing by the Authentication Administrator.
      await page.getByLabel('Initiated by (user ID)').fill(globalAdmin.upn);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForLoadState('load');
      await visitedBoth(session, 'audit-filtered');
      const mine = await auditRows(session);
      expect(mine.some((text) => text.includes('Admin registered security info'))).toBe(true);
      expect(mine.some((text) => text.includes('Update password reset policy'))).toBe(true);
      expect(mine.every((text) => text.includes(globalAdmin.upn))).toBe(true);
      expect(all.some((text) => text.includes(authAdmin.upn) && text.includes('Update password reset policy'))).toBe(
        false,
      );

      const outbox = await page.goto('/admin/outbox');
      expect(outbox?.status()).toBe(404);
    });
    for (const secret of secretsSeen) expect(server.logText()).not.toContain(secret);
  });
});
