import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, Session } from './support/browser.js';
import { type E2eServer, startE2eServer } from './support/e2e-server.js';
import { emailCode, secretsSeen, seedUser } from './support/reset-steps.js';

const known = { upn: 'adele@contoso.com', alternate: 'adele.vance@example.org', password: 'Old-Lantern-Ferry-41' };
const unknownUpn = 'nobody@contoso.com';

let server: E2eServer;
let browser: Browser;

beforeAll(async () => {
  server = await startE2eServer('security', async (container) => {
    await seedUser(container, known.upn, known.password, { otherMails: [known.alternate] });
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface Observed {
  readonly status: number | undefined;
  readonly headings: string[];
  readonly actions: string[];
}

/** The status, the headings and the form actions (flow id stripped) of the page the browser shows. */
async function observe(session: Session, status: number | undefined): Promise<Observed> {
  const headings = (await session.page.getByRole('heading').allTextContents()).map((text) => text.trim());
  const actions: string[] = [];
  for (const form of await session.page.locator('form').all()) {
    const action = (await form.getAttribute('action')) ?? '';
    actions.push(action.replace(/flow=[\w-]+/, 'flow=*'));
  }
  return { status, headings, actions };
}

/** Identify, then the first (email) method: both pages observed, both steps timed. */
async function walk(userName: string, testName: string) {
  const session = await Session.open(browser, server.baseUrl, testName);
  try {
    const { page } = session;
    await page.goto('/passwordreset');
    await session.visited('identify');
    await page.getByLabel('User ID').fill(userName);
    let started = performance.now();
    const [identified] = await Promise.all([
      page.waitForResponse((response) => response.url().includes('/passwordreset/identify')),
      page.getByRole('button', { name: 'Next' }).click(),
    ]);
    await page.waitForLoadState('load');
    const identifyMs = performance.now() - started;
    await session.visited('choose-method');
    const methodPage = await observe(session, identified.status());

    await page.getByLabel(/^Email my alternate email/).check();
    started = performance.now();
    const [chosen] = await Promise.all([
      page.waitForResponse((response) => response.url().includes('/passwordreset/method')),
      page.getByRole('button', { name: 'Next' }).click(),
    ]);
    await page.waitForLoadState('load');
    const methodMs = performance.now() - started;
    await session.visited('code-sent');
    const codePage = await observe(session, chosen.status());
    return { methodPage, codePage, identifyMs, methodMs };
  } finally {
    await session.close();
  }
}

describe('what the reset pages reveal', { timeout: 60_000 }, () => {
  it('a known and an unknown user see the same statuses and page structure', async () => {
    const knownWalk = await emailCodeOf(() => walk(known.upn, 'security-known-user'));
    const unknownWalk = await walk(unknownUpn, 'security-unknown-user');

    expect(unknownWalk.methodPage).toEqual(knownWalk.methodPage);
    expect(unknownWalk.codePage).toEqual(knownWalk.codePage);
    expect(knownWalk.methodPage.headings).toContain('Choose the contact method we should use for verification');
    expect(knownWalk.codePage.headings).toContain('Enter the verification code');
    console.log(
      `identify step: known ${knownWalk.identifyMs.toFixed(0)} ms, unknown ${unknownWalk.identifyMs.toFixed(0)} ms; ` +
        `method step: known ${knownWalk.methodMs.toFixed(0)} ms, unknown ${unknownWalk.methodMs.toFixed(0)} ms`,
    );
    // Only the known user was really sent something.
    expect(server.smtp.messages.every((message) => message.to.includes(known.alternate))).toBe(true);
  });

  it('the server log holds no code, password or password hash', async () => {
    const log = server.logText();
    expect(log).toContain('request completed');
    expect(log).not.toMatch(/\$argon2/);
    // Whole tokens only: an 8-digit code may by chance sit inside a 13-digit timestamp.
    const leaked = [...secretsSeen].filter((secret) => new RegExp(`(?<![\\w-])${secret}(?![\\w-])`).test(log));
    expect(leaked).toEqual([]);
    expect(secretsSeen.size).toBeGreaterThanOrEqual(2);
  });
});

/** Runs the known user's walk and keeps the code mailed meanwhile (so the log check looks for it too). */
async function emailCodeOf<T>(run: () => Promise<T>): Promise<T> {
  let result: T | undefined;
  await emailCode(server, known.alternate, async () => {
    result = await run();
  });
  return result as T;
}
