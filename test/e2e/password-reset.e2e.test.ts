import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, Session } from './support/browser.js';
import { type E2eServer, operator, startE2eServer, tenantDomain } from './support/e2e-server.js';
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

/** The Azure CLI's well-known public client id: the device-code sign-in the tests use as "a real sign-in". */
const azureCli = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

const users = {
  email: { upn: 'adele@contoso.com', alternate: 'adele.vance@example.org', password: 'Old-Lantern-Ferry-41' },
  // Never registered: only a pre-populated mobile phone, with an extension (allowed by the SSPR format).
  sms: { upn: 'grace@contoso.com', mobile: '+1 4255550123X42', dialed: '+14255550123', password: 'Old-Compiler-1952' },
  voice: {
    upn: 'lee@contoso.com',
    office: '+1 4255550144X123',
    dialed: '+14255550144',
    password: 'Old-Office-Desk-77',
  },
  twoMethods: {
    upn: 'megan@contoso.com',
    alternate: 'megan.b@example.org',
    mobile: '+1 4255550155',
    password: 'Old-Harbour-Kite-55',
  },
  admin: {
    upn: 'alex@contoso.com',
    alternate: 'alex.w@example.org',
    mobile: '+1 4255550166',
    password: 'Old-Admin-Gate-66',
  },
  lockout: { upn: 'lynne@contoso.com', alternate: 'lynne.r@example.org', password: 'Old-Lock-Smith-88' },
  signIn: { upn: 'pradeep@contoso.com', alternate: 'pradeep.g@example.org', password: 'Old-Pebble-Tower-29' },
} as const;

let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  server = await startE2eServer('password-reset', async (container) => {
    // Office phones are off in the default policy; the voice test needs them.
    await container.policies.change(operator, { officePhoneOptionEnabled: true });
    await seedUser(container, users.email.upn, users.email.password, { otherMails: [users.email.alternate] });
    await seedUser(container, users.sms.upn, users.sms.password, { mobilePhone: users.sms.mobile });
    await seedUser(container, users.voice.upn, users.voice.password, { businessPhones: [users.voice.office] });
    await seedUser(container, users.twoMethods.upn, users.twoMethods.password, {
      otherMails: [users.twoMethods.alternate],
      mobilePhone: users.twoMethods.mobile,
    });
    await seedUser(container, users.admin.upn, users.admin.password, {
      otherMails: [users.admin.alternate],
      mobilePhone: users.admin.mobile,
    });
    await container.roles.assign(operator, users.admin.upn, 'Global Administrator');
    await seedUser(container, users.lockout.upn, users.lockout.password, { otherMails: [users.lockout.alternate] });
    await seedUser(container, users.signIn.upn, users.signIn.password, { otherMails: [users.signIn.alternate] });
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const withSession = (name: string, run: (session: Session) => Promise<void>) =>
  Session.run(browser, server.baseUrl, name, run);

async function patchPolicy(changes: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${server.baseUrl}/api/admin/v1/passwordResetPolicy`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${await server.appToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify(changes),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** Resets by an email code, the whole way through. */
async function resetByEmail(session: Session, user: { upn: string; alternate: string }, newPassword: string) {
  await identify(session, user.upn);
  const code = await emailCode(server, user.alternate, () =>
    chooseMethod(session, /^Email my alternate email/, 'email-code-sent'),
  );
  await enterCode(session, code, 'new-password');
  await chooseNewPassword(session, newPassword);
}

/** Signs in on `/devicelogin` with a fresh device code; true when the sign-in was accepted. */
async function signIn(session: Session, upn: string, password: string, step: string): Promise<boolean> {
  const started = await fetch(`${server.baseUrl}/${tenantDomain}/oauth2/v2.0/devicecode`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: azureCli, scope: 'https://graph.microsoft.com/.default openid profile' }),
  });
  expect(started.status).toBe(200);
  const { user_code: userCode, device_code: deviceCode } = (await started.json()) as {
    user_code: string;
    device_code: string;
  };
  const { page } = session;
  await page.goto('/devicelogin');
  await session.visited(`${step}-form`);
  await page.getByLabel('Code shown on your device').fill(userCode);
  await page.getByLabel(/^User name/).fill(upn);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForLoadState('load');
  await session.visited(`${step}-result`);
  const signedIn = (await page.getByRole('heading', { level: 1 }).textContent()) === 'Signed in';
  if (signedIn) {
    // The device then really gets a token for the user.
    const token = await fetch(`${server.baseUrl}/${tenantDomain}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: azureCli,
        device_code: deviceCode,
      }),
    });
    expect(token.status, await token.clone().text()).toBe(200);
  }
  return signedIn;
}

describe('password reset in Chromium', { timeout: 60_000 }, () => {
  it('(a) resets by a code mailed to the alternate email', async () => {
    await withSession('a-email', async (session) => {
      await identify(session, users.email.upn);
      await expectHeading(session, 'Choose the contact method we should use for verification');
      const code = await emailCode(server, users.email.alternate, () =>
        chooseMethod(session, /^Email my alternate email \(ad\*+@example\.org\)$/, 'email-code-sent'),
      );
      expect(await session.page.getByRole('status').textContent()).toContain('ad*****@example.org');
      await enterCode(session, code, 'new-password');
      await chooseNewPassword(session, 'Quiet-Lantern-Ferry-58');
    });
  });

  it('(b) texts a never-registered user’s pre-populated mobile phone, without its extension', async () => {
    await withSession('b-sms', async (session) => {
      await identify(session, users.sms.upn);
      await chooseMethod(session, /^Text my mobile phone \(\+X XXXXXXXX23\)$/, 'confirm-phone');
      const sms = await twilioRequest(server, 'sms', () => confirmPhone(session, '+1 425 555 0123', 'Text'));
      expect(sms.to).toBe(users.sms.dialed);
      expect(sms.from).toBe('+14255550000');
      await enterCode(session, codeOf(sms), 'new-password');
      await chooseNewPassword(session, 'Velvet-Orbit-Canyon-73');
    });
  });

  it('(c) calls the office phone, and the call says the code', async () => {
    await withSession('c-voice', async (session) => {
      await identify(session, users.voice.upn);
      await chooseMethod(session, /^Call my office phone \(\+X XXXXXXXX44\)$/, 'confirm-phone');
      const call = await twilioRequest(server, 'call', () => confirmPhone(session, '(425) 555-0144', 'Call'));
      expect(call.to).toBe(users.voice.dialed);
      expect(call.kind === 'call' && call.twiml).toMatch(/^<\?xml|<Response>/);
      const code = codeOf(call);
      expect(call.kind === 'call' && call.twiml).toContain([...code].join(', '));
      await enterCode(session, code, 'new-password');
      await chooseNewPassword(session, 'Marble-Falcon-River-64');
    });
  });

  it('(d) with a 2-method policy, an email code then an SMS code are both needed', async () => {
    await patchPolicy({ numberOfAuthenticationMethodsRequired: 2 });
    try {
      await withSession('d-two-methods', async (session) => {
        const user = users.twoMethods;
        await identify(session, user.upn);
        expect(await session.page.getByText('Verification step 1 of 2').count()).toBe(1);
        const emailed = await emailCode(server, user.alternate, () =>
          chooseMethod(session, /^Email my alternate email/, 'email-code-sent'),
        );
        await enterCode(session, emailed, 'second-gate');
        await expectHeading(session, 'Verification step 2: choose another contact method');
        expect(await session.page.getByText('Verification step 2 of 2').count()).toBe(1);
        // The method already used is not offered again.
        expect(await session.page.getByLabel(/^Email my alternate email/).count()).toBe(0);
        await chooseMethod(session, /^Text my mobile phone/, 'confirm-phone');
        const sms = await twilioRequest(server, 'sms', () => confirmPhone(session, '4255550155', 'Text'));
        expect(sms.to).toBe('+14255550155');
        await enterCode(session, codeOf(sms), 'new-password');
        await chooseNewPassword(session, 'Copper-Meadow-Signal-37');
      });
    } finally {
      await patchPolicy({ numberOfAuthenticationMethodsRequired: 1 });
    }
  });

  it('(e) an administrator needs two gates under the 1-method tenant policy', async () => {
    await withSession('e-admin', async (session) => {
      const user = users.admin;
      await identify(session, user.upn);
      expect(await session.page.getByText('Verification step 1 of 2').count()).toBe(1);
      const sms = await twilioRequest(server, 'sms', async () => {
        await chooseMethod(session, /^Text my mobile phone/, 'confirm-phone');
        await confirmPhone(session, '+14255550166', 'Text');
      });
      expect(sms.to).toBe('+14255550166');
      await enterCode(session, codeOf(sms), 'second-gate');
      await expectHeading(session, 'Verification step 2: choose another contact method');
      const emailed = await emailCode(server, user.alternate, () =>
        chooseMethod(session, /^Email my alternate email/, 'email-code-sent'),
      );
      await enterCode(session, emailed, 'new-password');
      await chooseNewPassword(session, 'Granite-Compass-Willow-92');
    });
  });

  it('(f) five wrong codes show the blocked page and audit the block', async () => {
    await withSession('f-lockout', async (session) => {
      const user = users.lockout;
      await identify(session, user.upn);
      await emailCode(server, user.alternate, () => chooseMethod(session, /^Email my alternate email/, 'code-sent'));
      for (let attempt = 1; attempt <= 4; attempt++) {
        await enterCode(session, '00000000', `wrong-code-${attempt}`);
        await expectHeading(session, 'Enter the verification code');
        expect(await session.page.getByRole('alert').textContent()).toMatch(/wrong or has expired/);
      }
      await session.page.getByLabel('Verification code').fill('00000000');
      await session.page.getByRole('button', { name: 'Next' }).click();
      await session.page.waitForLoadState('load');
      await session.visited('blocked');
      await expectHeading(session, 'You can’t reset your password right now');

      // A fresh start is blocked too.
      await identify(session, user.upn);
      await chooseMethod(session, /^Email my alternate email/, 'blocked-again');
      await expectHeading(session, 'You can’t reset your password right now');

      const filter = encodeURIComponent("activityDisplayName eq 'Blocked from self-service password reset'");
      const response = await fetch(`${server.baseUrl}/v1.0/auditLogs/directoryAudits?$filter=${filter}`, {
        headers: { authorization: `Bearer ${await server.appToken()}` },
      });
      expect(response.status).toBe(200);
      const { value } = (await response.json()) as {
        value: { activityDisplayName: string; targetResources: { userPrincipalName?: string }[] }[];
      };
      expect(value.some((event) => event.targetResources.some((t) => t.userPrincipalName === user.upn))).toBe(true);
    });
  });

  it('(g) after a reset the new password signs in and the old one does not', async () => {
    await withSession('g-sign-in', async (session) => {
      const user = users.signIn;
      expect(await signIn(session, user.upn, user.password, 'old-password-before')).toBe(true);
      const newPassword = 'Saffron-Glacier-Violin-16';
      await resetByEmail(session, user, newPassword);
      expect(await signIn(session, user.upn, user.password, 'old-password-after')).toBe(false);
      expect(await session.page.getByRole('alert').textContent()).toContain('We could not sign you in');
      expect(await signIn(session, user.upn, newPassword, 'new-password')).toBe(true);
    });
  });

  it('the server log holds no code, password or password hash', async () => {
    const log = server.logText();
    expect(log).toContain('request completed');
    expect(log).not.toMatch(/\$argon2/);
    // Whole tokens only: an 8-digit code may by chance sit inside a 13-digit timestamp.
    const leaked = [...secretsSeen].filter((secret) => new RegExp(`(?<![\\w-])${secret}(?![\\w-])`).test(log));
    expect(leaked).toEqual([]);
    expect(secretsSeen.size).toBeGreaterThan(10);
  });
});
