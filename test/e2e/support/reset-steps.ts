import { expect } from 'vitest';
import type { Container } from '../../../src/container.js';
import type { SinkMessage } from '../../support/smtp-sink.js';
import type { TwilioRequestRecord } from '../../support/twilio-stand-in.js';
import type { Session } from './browser.js';
import { type E2eServer, operator } from './e2e-server.js';

/** Every code, password and hash the tests handled: none may ever appear in the server's log. */
export const secretsSeen = new Set<string>();

export async function seedUser(
  container: Container,
  upn: string,
  password: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  secretsSeen.add(password);
  await container.users.createUser(operator, {
    userPrincipalName: upn,
    displayName: upn.split('@')[0] as string,
    accountEnabled: true,
    mailNickname: upn.split('@')[0] as string,
    passwordProfile: { password, forceChangePasswordNextSignIn: false },
    ...fields,
  });
}

const heading = (session: Session) => session.page.getByRole('heading', { level: 1 });

/** Opens `/passwordreset`, types the user ID and goes on to the method page. */
export async function identify(session: Session, userName: string): Promise<void> {
  const { page } = session;
  await page.goto('/passwordreset');
  await expect.poll(() => heading(session).textContent()).toBe('Who are you?');
  await session.visited('identify');
  await page.getByLabel('User ID').fill(userName);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.waitForLoadState('load');
  await session.visited('choose-method');
}

export async function expectHeading(session: Session, text: string | RegExp): Promise<void> {
  const actual = (await heading(session).textContent()) ?? '';
  if (typeof text === 'string') expect(actual).toBe(text);
  else expect(actual).toMatch(text);
}

/** Picks a method by its radio's label and presses Next. */
export async function chooseMethod(session: Session, label: RegExp, step: string): Promise<void> {
  await session.page.getByLabel(label).check();
  await session.page.getByRole('button', { name: 'Next' }).click();
  await session.page.waitForLoadState('load');
  await session.visited(step);
}

/** The confirm-phone page: the full number, then Text or Call. */
export async function confirmPhone(session: Session, typed: string, button: 'Text' | 'Call'): Promise<void> {
  await expectHeading(session, 'Confirm your phone number');
  await session.page.getByLabel('Enter your phone number').fill(typed);
  await session.page.getByRole('button', { name: button, exact: true }).click();
  await session.page.waitForLoadState('load');
  await session.visited('code-sent');
}

export async function enterCode(session: Session, code: string, step: string): Promise<void> {
  await expectHeading(session, 'Enter the verification code');
  await session.page.getByLabel('Verification code').fill(code);
  await session.page.getByRole('button', { name: 'Next' }).click();
  await session.page.waitForLoadState('load');
  await session.visited(step);
}

export async function chooseNewPassword(session: Session, password: string): Promise<void> {
  secretsSeen.add(password);
  await expectHeading(session, 'Choose a new password');
  await session.page.getByLabel('Enter new password').fill(password);
  await session.page.getByLabel('Confirm new password').fill(password);
  await session.page.getByRole('button', { name: 'Finish' }).click();
  await session.page.waitForLoadState('load');
  await session.visited('done');
  await expectHeading(session, 'Your password has been reset');
  expect(await session.page.getByRole('status').textContent()).toBe('You can now sign in with your new password.');
}

/** Runs `action`, then waits for the first mail to `recipient` that came after it and returns its code. */
export async function emailCode(server: E2eServer, recipient: string, action: () => Promise<void>): Promise<string> {
  const before = new Set<SinkMessage>(server.smtp.messages);
  await action();
  const message = await server.smtp.waitFor((m) => !before.has(m) && m.to.includes(recipient));
  expect(message.subject).toContain('verification code');
  const code = /\b(\d{8})\b/.exec(message.text)?.[1];
  if (!code) throw new Error(`no code in the mail to ${recipient}: ${message.text}`);
  secretsSeen.add(code);
  return code;
}

/** Runs `action`, then waits for the Twilio stand-in's next request of `kind` and returns it. */
export async function twilioRequest(
  server: E2eServer,
  kind: 'sms' | 'call',
  action: () => Promise<void>,
): Promise<TwilioRequestRecord> {
  const before = new Set<TwilioRequestRecord>(server.twilio.requests);
  await action();
  return server.twilio.waitFor((r) => !before.has(r) && r.kind === kind);
}

/** The 8-digit code of an SMS body or of a call's TwiML (spoken digit by digit: "1, 2, 3, ..."). */
export function codeOf(record: TwilioRequestRecord): string {
  const code =
    record.kind === 'sms'
      ? /\b(\d{8})\b/.exec(record.body)?.[1]
      : /is: ((?:\d, ){7}\d)/.exec(record.twiml)?.[1]?.replace(/\D/g, '');
  if (!code) throw new Error(`no code in the ${record.kind}: ${JSON.stringify(record)}`);
  secretsSeen.add(code);
  return code;
}
