import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, Session } from './support/browser.js';
import { type E2eServer, startE2eServer } from './support/e2e-server.js';
import {
  chooseMethod,
  chooseNewPassword,
  codeOf,
  emailCode,
  expectHeading,
  identify,
  secretsSeen,
  seedUser,
  twilioRequest,
} from './support/reset-steps.js';

const users = {
  // Pre-populated (never registered) mobile phone and alternate email: the registration pages pre-fill them.
  prefilled: {
    upn: 'adele@contoso.com',
    mobile: '+1 4255550100',
    alternate: 'adele.vance@example.org',
    password: 'Old-Lantern-Ferry-41',
    // What the user types instead of the pre-filled number: another number, with an extension.
    typedPhone: '+1 425 555 0177 x88',
    dialed: '+14255550177',
  },
  questions: { upn: 'grace@contoso.com', password: 'Old-Compiler-1952' },
  signOut: { upn: 'pradeep@contoso.com', alternate: 'pradeep.g@example.org', password: 'Old-Pebble-Tower-29' },
  questionsOff: { upn: 'lynne@contoso.com', alternate: 'lynne.r@example.org', password: 'Old-Lock-Smith-88' },
} as const;

/** The answers the questions user registers, in registration order (each 3 to 40 characters). */
const answers = ['Lovelace Street', 'Babbage Valley', 'Hopper Harbour'] as const;

let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  server = await startE2eServer('security-info', async (container) => {
    await seedUser(container, users.prefilled.upn, users.prefilled.password, {
      mobilePhone: users.prefilled.mobile,
      otherMails: [users.prefilled.alternate],
    });
    await seedUser(container, users.questions.upn, users.questions.password);
    await seedUser(container, users.signOut.upn, users.signOut.password, { otherMails: [users.signOut.alternate] });
    await seedUser(container, users.questionsOff.upn, users.questionsOff.password, {
      otherMails: [users.questionsOff.alternate],
    });
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function withSession(name: string, run: (session: Session) => Promise<void>): Promise<void> {
  const session = await Session.open(browser, server.baseUrl, name);
  try {
    await run(session);
  } finally {
    await session.close();
  }
}

async function patchPolicy(changes: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${server.baseUrl}/api/admin/v1/passwordResetPolicy`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${await server.appToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify(changes),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function graph<T>(pathAndQuery: string): Promise<T> {
  const response = await fetch(`${server.baseUrl}/v1.0/${pathAndQuery}`, {
    headers: { authorization: `Bearer ${await server.appToken()}` },
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as T;
}

/** Clicks a button (or link) and waits for the page it leads to. */
async function press(session: Session, role: 'button' | 'link', name: string | RegExp, step: string): Promise<void> {
  await session.page.getByRole(role, { name, exact: typeof name === 'string' }).click();
  await session.page.waitForLoadState('load');
  await session.visited(step);
}

/** Opens `/mysecurityinfo` (the sign-in page), signs in, and returns the heading of the page that follows. */
async function signInToSecurityInfo(session: Session, upn: string, password: string, step: string): Promise<string> {
  const { page } = session;
  await page.goto('/mysecurityinfo');
  await expectHeading(session, 'Sign in');
  await session.visited(`${step}-sign-in`);
  await page.getByLabel('User ID').fill(upn);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await press(session, 'button', 'Sign in', `${step}-signed-in`);
  return (await page.getByRole('heading', { level: 1 }).textContent()) ?? '';
}

/** The text of each `li` of the review page's list of methods. */
async function methodLines(session: Session): Promise<string[]> {
  return (await session.page.locator('ul.methods > li').allTextContents()).map((text) => text.replace(/\s+/g, ' '));
}

describe('My Security Info in Chromium', { timeout: 90_000 }, () => {
  it('(1) registration pre-fills the pre-populated phone and email; the user changes the phone', async () => {
    await withSession('si-1-prefilled', async (session) => {
      const user = users.prefilled;
      const { page } = session;
      expect(await signInToSecurityInfo(session, user.upn, user.password, 'password')).toBe(
        'More information required',
      );
      expect(await page.getByText(user.upn).count()).toBe(1);
      await press(session, 'button', 'Next', 'review-setup');
      await expectHeading(session, 'Security info');

      // The phone: pre-filled with the pre-populated number, changed to another one.
      await press(session, 'link', /^(Add|Change) Phone$/, 'phone-form');
      await expectHeading(session, 'Phone');
      expect(await page.getByLabel('Phone number').inputValue()).toBe(user.mobile);
      await page.getByLabel('Phone number').fill(user.typedPhone);
      await page.getByLabel('Text me a code').check();
      const sms = await twilioRequest(server, 'sms', () => press(session, 'button', 'Next', 'phone-code-sent'));
      expect(sms.to).toBe(user.dialed);
      await expectHeading(session, 'Enter the code');
      expect(await page.getByRole('status').textContent()).toMatch(/^We just sent an 8-digit code to \+X X+77\.$/);
      await page.getByLabel('Code', { exact: true }).fill(codeOf(sms));
      await press(session, 'button', 'Verify', 'phone-saved');
      await expectHeading(session, 'Security info');
      expect(await page.getByRole('status').textContent()).toBe('Your security info was updated.');

      // The email: pre-filled with the pre-populated address, kept.
      await press(session, 'link', /^(Add|Change) Email$/, 'email-form');
      await expectHeading(session, 'Email');
      expect(await page.getByLabel('Email address').inputValue()).toBe(user.alternate);
      const code = await emailCode(server, user.alternate, () => press(session, 'button', 'Next', 'email-code-sent'));
      await expectHeading(session, 'Enter the code');
      expect(await page.getByRole('status').textContent()).toContain('ad*****@example.org');
      await page.getByLabel('Code', { exact: true }).fill(code);
      await press(session, 'button', 'Verify', 'email-saved');

      // The review page lists both, masked.
      await expectHeading(session, 'Security info');
      const lines = await methodLines(session);
      expect(lines.some((line) => line.startsWith('Phone: +X XXXXXXXX77'))).toBe(true);
      expect(lines.some((line) => line.startsWith('Email: ad*****@example.org'))).toBe(true);
      const shown = await page.locator('main').textContent();
      expect(shown).not.toContain('4255550177');
      expect(shown).not.toContain(user.alternate);
      await press(session, 'button', 'Looks good', 'confirmed');
      await expectHeading(session, 'Security info');
      expect(await page.getByRole('button', { name: 'Looks good' }).count()).toBe(0);
      expect(await page.getByText('Default method: Phone (+X XXXXXXXX77)').count()).toBe(1);

      // Graph: the authentication phone is the new number.
      const found = await graph<{ value: { id: string }[] }>(
        `users?$filter=${encodeURIComponent(`userPrincipalName eq '${user.upn}'`)}`,
      );
      const id = found.value[0]?.id;
      expect(id).toBeDefined();
      const phones = await graph<{ value: { phoneNumber: string; phoneType: string }[] }>(
        `users/${id}/authentication/phoneMethods`,
      );
      expect(phones.value).toHaveLength(1);
      expect(phones.value[0]?.phoneType).toBe('mobile');
      // Stored in the SSPR format with the typed extension; only the texting left the extension out.
      expect(phones.value[0]?.phoneNumber).toBe('+1 4255550177X88');
      expect(phones.value[0]?.phoneNumber).not.toContain('4255550100');
    });
  });

  it('(2) registers three security questions, then resets the password with them', async () => {
    const user = users.questions;
    const newPassword = 'Amber-Quarry-Lighthouse-83';
    for (const answer of answers) secretsSeen.add(answer);
    await patchPolicy({
      securityQuestionsOptionEnabled: true,
      numberOfQuestionsToRegister: 3,
      numberOfQuestionsToReset: 3,
    });
    try {
      /** Question text → answer, as the user registered them. */
      const registered = new Map<string, string>();
      await withSession('si-2-questions-register', async (session) => {
        const { page } = session;
        expect(await signInToSecurityInfo(session, user.upn, user.password, 'password')).toBe(
          'More information required',
        );
        await press(session, 'button', 'Next', 'review-setup');
        await press(session, 'link', /^(Add|Change) Security questions$/, 'questions-form');
        await expectHeading(session, 'Security questions');
        const texts = (await page.getByLabel('Question 1').locator('option').allTextContents())
          .map((text) => text.trim())
          .filter((text) => text !== 'Choose a question');
        expect(texts.length).toBeGreaterThanOrEqual(3);
        for (let index = 0; index < 3; index++) {
          const text = texts[index] as string;
          const answer = answers[index] as string;
          await page.getByLabel(`Question ${index + 1}`).selectOption({ label: text });
          await page.getByLabel(`Answer ${index + 1}`).fill(answer);
          registered.set(text, answer);
        }
        await session.visited('questions-filled');
        await press(session, 'button', 'Save', 'questions-saved');
        await expectHeading(session, 'Security info');
        expect(await page.getByRole('status').textContent()).toBe('Your security info was updated.');
        expect(await methodLines(session)).toContainEqual(expect.stringMatching(/^Security questions: 3 registered/));
        const html = await page.content();
        for (const answer of answers) expect(html).not.toContain(answer);
        await press(session, 'button', 'Sign out', 'signed-out');
      });

      await withSession('si-2-questions-reset', async (session) => {
        const { page } = session;
        await identify(session, user.upn);
        await chooseMethod(session, /^Answer my security questions$/, 'questions');
        await expectHeading(session, 'Answer your security questions');

        /** Fills every drawn question; `wrong` gets a wrong answer. Returns the question texts shown. */
        const answerDrawn = async (wrong: number | null): Promise<string[]> => {
          const labels = (await page.locator('form label').allTextContents()).map((text) => text.trim());
          expect(labels).toHaveLength(3);
          for (const [index, label] of labels.entries()) {
            const answer = registered.get(label);
            if (answer === undefined) throw new Error(`the reset page asked a question never registered: ${label}`);
            await page.getByLabel(label, { exact: true }).fill(index === wrong ? 'Not My Answer' : answer);
          }
          return labels;
        };

        const firstDraw = await answerDrawn(0);
        await press(session, 'button', 'Next', 'wrong-answer');
        await expectHeading(session, 'Answer your security questions');
        expect(await page.getByRole('alert').textContent()).toContain(
          'One or more of your answers didn’t match. Answer these questions instead.',
        );
        // A new draw: the form is empty again (all three registered questions, in any order).
        for (const input of await page.locator('form input[type=text]').all())
          expect(await input.inputValue()).toBe('');
        const secondDraw = await answerDrawn(null);
        expect([...secondDraw].sort()).toEqual([...firstDraw].sort());
        await session.visited('answers-filled');
        await press(session, 'button', 'Next', 'new-password');
        await chooseNewPassword(session, newPassword);
      });

      await withSession('si-2-questions-sign-in', async (session) => {
        const { page } = session;
        expect(await signInToSecurityInfo(session, user.upn, user.password, 'old-password')).toBe('Sign in');
        expect(await page.getByRole('alert').textContent()).toContain('Your user ID or password is incorrect.');
        expect(await signInToSecurityInfo(session, user.upn, newPassword, 'new-password')).toMatch(
          /^(More information required|Security info)$/,
        );
      });
    } finally {
      await patchPolicy({ securityQuestionsOptionEnabled: false });
    }
  });

  it('(3) after sign-out, going back to /mysecurityinfo shows the sign-in page', async () => {
    await withSession('si-3-sign-out', async (session) => {
      const user = users.signOut;
      const { page } = session;
      expect(await signInToSecurityInfo(session, user.upn, user.password, 'password')).toBe(
        'More information required',
      );
      await press(session, 'button', 'Skip for now', 'skipped');
      await expectHeading(session, 'Security info');
      expect(await page.getByText(user.upn).count()).toBe(1);
      await press(session, 'button', 'Sign out', 'signed-out');
      await expectHeading(session, 'Sign in');
      expect(await page.getByRole('status').textContent()).toBe('You have signed out.');
      const cookies = await session.context.cookies();
      expect(cookies.filter((cookie) => cookie.name === 'sspr_session')).toEqual([]);

      // The browser's Back button: the review page is not shown from the cache.
      await page.goBack();
      await page.waitForLoadState('load');
      await session.visited('back');
      await expectHeading(session, 'Sign in');
      expect(await page.getByText(user.upn).count()).toBe(0);

      await page.goto('/mysecurityinfo');
      await session.visited('revisited');
      await expectHeading(session, 'Sign in');
      expect(await page.getByText(user.upn).count()).toBe(0);
      await page.goto('/mysecurityinfo/phone');
      await session.visited('deep-link');
      await expectHeading(session, 'Sign in');
    });
  });

  // Regression: a method the policy does not offer was once offered ("Add") to users who had none of it.
  it('(4) with security questions off in the policy, the review page does not offer them', async () => {
    await withSession('si-4-questions-off', async (session) => {
      const user = users.questionsOff;
      expect(await signInToSecurityInfo(session, user.upn, user.password, 'password')).toBe(
        'More information required',
      );
      await press(session, 'button', 'Skip for now', 'review');
      await expectHeading(session, 'Security info');
      expect(await methodLines(session)).not.toContainEqual(expect.stringMatching(/^Security questions/));
      expect(await session.page.getByRole('link', { name: /Security questions$/ }).count()).toBe(0);
    });
  });

  it('the server log holds no code, password, answer or password hash', async () => {
    const log = server.logText();
    expect(log).toContain('request completed');
    expect(log).not.toMatch(/\$argon2/);
    const leaked = [...secretsSeen].filter((secret) => new RegExp(`(?<![\\w-])${secret}(?![\\w-])`).test(log));
    expect(leaked).toEqual([]);
    expect(secretsSeen.size).toBeGreaterThanOrEqual(8);
  });
});
