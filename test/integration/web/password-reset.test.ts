import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FormClient, visibleText } from '../../support/form-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';
import { startTwilioStandIn } from '../../support/twilio-stand-in.js';

let server: TestServer;
let now: Date;

beforeEach(async () => {
  now = new Date('2026-11-25T09:00:00Z');
  server = await createTestServer({ config: { captcha: 'off' }, clock: () => now });
});
afterEach(async () => {
  await server.close();
});

async function createUser(upn: string, fields: Record<string, unknown> = {}) {
  return server.container.users.createUser(operator, {
    userPrincipalName: upn,
    displayName: 'Adele Vance',
    accountEnabled: true,
    mailNickname: upn.split('@')[0] as string,
    passwordProfile: { password: `Old-${randomUUID()}`, forceChangePasswordNextSignIn: false },
    ...fields,
  });
}

/** The newest outbox message to `recipient` and the code in it. */
async function lastCodeTo(recipient: string): Promise<string> {
  const messages = await server.container.outbox.list(operator, { top: 20 });
  const message = messages.find((entry) => entry.recipient === recipient);
  const code = message?.body.match(/\b(\d{8})\b/)?.[1];
  if (!code) throw new Error(`no code sent to ${recipient}: ${JSON.stringify(messages.map((m) => m.recipient))}`);
  return code;
}

async function identify(client: FormClient, userName: string) {
  await client.get('/passwordreset');
  return client.submit('/passwordreset/identify', { username: userName });
}

async function auditActivities(): Promise<string[]> {
  const rows = await server.container.database.db
    .selectFrom('audit_events')
    .select(['activity_display_name', 'result'])
    .orderBy('seq')
    .execute();
  return rows.map((row) => row.activity_display_name);
}

describe('password reset pages', () => {
  it('a user pre-populated with only an alternate email resets by email code, and the new password works', async () => {
    const user = await createUser('adele@contoso.com', { otherMails: ['adele.vance@example.org'] });
    const client = new FormClient(server.app);
    const identified = await identify(client, 'Adele@Contoso.com');
    expect(identified.status).toBe(200);
    expect(visibleText(identified.html)).toContain('Email my alternate email (ad*****@example.org)');

    const codePage = await client.submit('/passwordreset/method', { method: 'email' });
    expect(visibleText(codePage.html)).toContain('We’ve sent an email with a verification code');
    const code = await lastCodeTo('adele.vance@example.org');

    const passwordPage = await client.submit('/passwordreset/code', { code });
    expect(visibleText(passwordPage.html)).toContain('Choose a new password');
    const weak = await client.submit('/passwordreset/password', { new_password: 'short', confirm_password: 'short' });
    expect(weak.status).toBe(400);
    expect(visibleText(weak.html)).toContain('at least 8 characters');

    const newPassword = 'Correct-Horse-Battery-91';
    const done = await client.submit('/passwordreset/password', {
      new_password: newPassword,
      confirm_password: newPassword,
    });
    expect(visibleText(done.html)).toContain('Your password has been reset');

    const stored = await server.container.database.db
      .selectFrom('users')
      .select(['password_hash', 'force_change_password'])
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
    expect(stored.force_change_password).toBe(0);
    const activities = await auditActivities();
    expect(activities).toContain('Reset password (self-service)');
    expect(activities).toContain('Self-service password reset flow activity progress');
  });

  it('SMS to a pre-populated mobile phone needs the full number first', async () => {
    await createUser('grace@contoso.com', { mobilePhone: '+1 4255550101' });
    const client = new FormClient(server.app);
    const page = await identify(client, 'grace@contoso.com');
    expect(visibleText(page.html)).toContain('Text my mobile phone (+X XXXXXXXX01)');
    await client.submit('/passwordreset/method', { method: 'mobilePhone:sms' });
    const wrong = await client.submit('/passwordreset/phone', { phone: '+1 425 555 0199' });
    expect(visibleText(wrong.html)).toContain('doesn’t match');
    const messages = await server.container.outbox.list(operator, { top: 5 });
    expect(messages).toHaveLength(0);
    const sent = await client.submit('/passwordreset/phone', { phone: '(425) 555-0101' });
    expect(visibleText(sent.html)).toContain('We’ve sent a text message');
    const code = await lastCodeTo('+14255550101');
    const next = await client.submit('/passwordreset/code', { code });
    expect(visibleText(next.html)).toContain('Choose a new password');
  });

  it('an unknown user walks the same pages and nothing is ever sent', async () => {
    await createUser('adele@contoso.com', { otherMails: ['adele.vance@example.org'] });
    const known = new FormClient(server.app);
    const unknown = new FormClient(server.app);
    const knownPage = await identify(known, 'adele@contoso.com');
    const unknownPage = await identify(unknown, 'nobody@contoso.com');
    expect(unknownPage.status).toBe(knownPage.status);
    const formActions = (html: string) => [...html.matchAll(/action="\/passwordreset\/(\w+)/g)].map((m) => m[1]);
    expect(formActions(unknownPage.html)).toEqual(formActions(knownPage.html));
    expect(visibleText(unknownPage.html)).toContain('Choose the contact method');
    const codePage = await unknown.submit('/passwordreset/method', { method: 'email' });
    expect(visibleText(codePage.html)).toContain('We’ve sent an email with a verification code');
    expect(await server.container.outbox.list(operator, { top: 5 })).toHaveLength(0);
    const wrong = await unknown.submit('/passwordreset/code', { code: '12345678' });
    expect(wrong.status).toBe(400);
    expect(visibleText(wrong.html)).toContain('wrong or has expired');
  });

  it('a code works once, only in its own flow, and not after 5 minutes', async () => {
    await createUser('adele@contoso.com', { otherMails: ['adele.vance@example.org'] });
    const first = new FormClient(server.app);
    await identify(first, 'adele@contoso.com');
    await first.submit('/passwordreset/method', { method: 'email' });
    const firstCode = await lastCodeTo('adele.vance@example.org');

    const second = new FormClient(server.app);
    await identify(second, 'adele@contoso.com');
    await second.submit('/passwordreset/method', { method: 'email' });
    const fromOtherFlow = await second.submit('/passwordreset/code', { code: firstCode });
    expect(visibleText(fromOtherFlow.html)).toContain('wrong or has expired');

    now = new Date(now.getTime() + 5 * 60_000 + 1);
    const late = await first.submit('/passwordreset/code', { code: firstCode });
    expect(visibleText(late.html)).toContain('wrong or has expired');
  });

  it('five wrong codes block the user for 24 hours and audit it', async () => {
    await createUser('adele@contoso.com', { otherMails: ['adele.vance@example.org'] });
    const client = new FormClient(server.app);
    await identify(client, 'adele@contoso.com');
    await client.submit('/passwordreset/method', { method: 'email' });
    let page = client.last;
    for (let attempt = 0; attempt < 5; attempt++)
      page = await client.submit('/passwordreset/code', { code: '00000000' });
    expect(visibleText(page?.html ?? '')).toContain('You can’t reset your password right now');
    expect(await auditActivities()).toContain('Blocked from self-service password reset');

    // A fresh flow stays blocked, with the right code too.
    const again = new FormClient(server.app);
    await identify(again, 'adele@contoso.com');
    const blocked = await again.submit('/passwordreset/method', { method: 'email' });
    expect(visibleText(blocked.html)).toContain('You can’t reset your password right now');
  });

  it('refuses a missing or wrong CSRF token and a tampered flow id with the start-over page', async () => {
    await createUser('adele@contoso.com', { otherMails: ['adele.vance@example.org'] });
    const client = new FormClient(server.app);
    await client.get('/passwordreset');
    const flowUrl = client.last?.url ?? '';
    const noCsrf = await client.request(
      'POST',
      flowUrl.replace('/passwordreset?', '/passwordreset/identify?'),
      'username=adele%40contoso.com',
    );
    expect(noCsrf.status).toBe(400);
    expect(visibleText(noCsrf.html)).toContain('Your session has expired');
    const tampered = await client.get(flowUrl.replace(/flow=[\w-]+/, 'flow=AAAAAAAAAAAAAAAAAAAAAA'));
    expect(visibleText(tampered.html)).toContain('Your session has expired');
    // Another browser (without the flow's cookie) gets a flow of its own, never this one.
    const stranger = new FormClient(server.app);
    const foreign = await stranger.get(flowUrl);
    expect(foreign.url).not.toBe(flowUrl);
    stranger.cookies.set('sspr_reset', 'forged-binding-value');
    const forged = await stranger.get(flowUrl);
    expect(visibleText(forged.html)).toContain('Your session has expired');
  });

  it('pages are French with ?mkt=fr-FR and send strict security headers', async () => {
    const client = new FormClient(server.app);
    const page = await client.get('/passwordreset?mkt=fr-FR');
    expect(page.html).toContain('<html lang="fr">');
    expect(visibleText(page.html)).toContain('Qui êtes-vous ?');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(String(page.headers['content-security-policy'])).not.toContain('unsafe-inline');
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('a used code cannot be replayed, and a wrong CSRF token is refused', async () => {
    await createUser('adele@contoso.com', { otherMails: ['adele.vance@example.org'] });
    const client = new FormClient(server.app);
    await identify(client, 'adele@contoso.com');
    await client.submit('/passwordreset/method', { method: 'email' });
    const code = await lastCodeTo('adele.vance@example.org');
    const flowUrl = client.last?.url ?? '';
    const codeForm = client.last?.html ?? '';
    await client.submit('/passwordreset/code', { code });
    // The same form posted again (a replay): the flow has moved on and the code is spent.
    client.last = { status: 200, html: codeForm, url: flowUrl, headers: {} };
    const replay = await client.submit('/passwordreset/code', { code });
    expect(replay.status).toBe(400);
    expect(visibleText(replay.html)).not.toContain('Your password has been reset');
    expect(visibleText(replay.html)).toContain('Choose a new password');
    const forged = await client.submit('/passwordreset/password', {
      csrf_token: 'a'.repeat(64),
      new_password: 'Correct-Horse-Battery-91',
      confirm_password: 'Correct-Horse-Battery-91',
    });
    expect(visibleText(forged.html)).toContain('Your session has expired');
  });
});

describe('password reset: what an attacker could try', () => {
  it('offers every method the policy enables to everyone; one the user lacks sends nothing and never verifies', async () => {
    await createUser('adele@contoso.com', { otherMails: ['adele.vance@example.org'] });
    const client = new FormClient(server.app);
    const page = await identify(client, 'adele@contoso.com');
    expect(visibleText(page.html)).toContain('Email my alternate email (ad*****@example.org)');
    expect(visibleText(page.html)).toMatch(/Text my mobile phone \(\+X+ X+\d\d\)/);
    await client.submit('/passwordreset/method', { method: 'mobilePhone:sms' });
    const sent = await client.submit('/passwordreset/phone', { phone: '+1 425 555 0101' });
    expect(sent.status).toBe(400);
    expect(visibleText(sent.html)).toContain('doesn’t match');
    expect(await server.container.outbox.list(operator, { top: 5 })).toHaveLength(0);
  });

  it('counts wrong codes across parallel flows of the same user ID', async () => {
    await createUser('adele@contoso.com', { otherMails: ['adele.vance@example.org'] });
    const flows = [new FormClient(server.app), new FormClient(server.app)];
    for (const flow of flows) {
      await identify(flow, 'adele@contoso.com');
      await flow.submit('/passwordreset/method', { method: 'email' });
    }
    const pages = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const flow = flows[attempt % 2] as FormClient;
      pages.push(await flow.submit('/passwordreset/code', { code: '00000000' }));
    }
    expect(visibleText(pages[3]?.html ?? '')).toContain('wrong or has expired');
    expect(visibleText(pages[4]?.html ?? '')).toContain('You can’t reset your password right now');
    expect(visibleText(pages[5]?.html ?? '')).toContain('You can’t reset your password right now');
    // The right code does not help any more.
    const code = await lastCodeTo('adele.vance@example.org');
    const blocked = await (flows[0] as FormClient).get((flows[0] as FormClient).last?.url ?? '');
    expect(visibleText(blocked.html)).not.toContain('Choose a new password');
    expect(code).toMatch(/^\d{8}$/);
  });

  it('replaces the browser binding at identify, so a planted one is useless', async () => {
    const client = new FormClient(server.app);
    const start = await client.get('/passwordreset');
    const planted = client.cookies.get('sspr_reset');
    await client.submit('/passwordreset/identify', { username: 'adele@contoso.com' });
    const rotated = client.cookies.get('sspr_reset');
    expect(rotated).toBeTruthy();
    expect(rotated).not.toBe(planted);
    const attacker = new FormClient(server.app);
    attacker.cookies.set('sspr_reset', planted ?? '');
    const page = await attacker.get(start.url);
    expect(visibleText(page.html)).toContain('Your session has expired');
    const owner = await client.get(start.url);
    expect(visibleText(owner.html)).toContain('Choose the contact method');
  });

  it('going back invalidates the code that was sent', async () => {
    await createUser('adele@contoso.com', { otherMails: ['adele.vance@example.org'] });
    const client = new FormClient(server.app);
    await identify(client, 'adele@contoso.com');
    await client.submit('/passwordreset/method', { method: 'email' });
    const code = await lastCodeTo('adele.vance@example.org');
    await client.submit('/passwordreset/back');
    const rechosen = await client.submit('/passwordreset/method', { method: 'email' });
    expect(visibleText(rechosen.html)).toContain('We’ve sent an email');
    const fresh = await lastCodeTo('adele.vance@example.org');
    if (fresh !== code) {
      const stale = await client.submit('/passwordreset/code', { code });
      expect(visibleText(stale.html)).toContain('wrong or has expired');
    }
    const ok = await client.submit('/passwordreset/code', { code: fresh });
    expect(visibleText(ok.html)).toContain('Choose a new password');
  });

  it('ends the user’s signed-in sessions and refresh tokens when the password is reset', async () => {
    const user = await createUser('adele@contoso.com', { otherMails: ['adele.vance@example.org'] });
    const now = new Date().toISOString();
    await server.container.database.db
      .insertInto('web_sessions')
      .values({
        id_hash: 'a'.repeat(64),
        user_id: user.id,
        csrf_hash: 'b'.repeat(64),
        created_at: now,
        last_seen_at: now,
        expires_at: '2999-01-01T00:00:00.000Z',
      })
      .execute();
    const client = new FormClient(server.app);
    await identify(client, 'adele@contoso.com');
    await client.submit('/passwordreset/method', { method: 'email' });
    await client.submit('/passwordreset/code', { code: await lastCodeTo('adele.vance@example.org') });
    await client.submit('/passwordreset/password', {
      new_password: 'Correct-Horse-Battery-91',
      confirm_password: 'Correct-Horse-Battery-91',
    });
    const sessions = await server.container.database.db.selectFrom('web_sessions').selectAll().execute();
    expect(sessions).toHaveLength(0);
  });
});

describe('password reset with an SMS provider that fails', () => {
  it('retries, then tells the user the code could not be sent, and recommends another method', async () => {
    const twilio = await startTwilioStandIn();
    const failing = await createTestServer({
      config: {
        captcha: 'off',
        smsProvider: 'twilio',
        twilioApiBaseUrl: twilio.baseUrl,
        twilioAccountSid: twilio.accountSid,
        twilioAuthToken: twilio.authToken,
        twilioFrom: '+14255550000',
      },
    });
    try {
      await failing.container.users.createUser(operator, {
        userPrincipalName: 'grace@contoso.com',
        displayName: 'Grace Hopper',
        accountEnabled: true,
        mailNickname: 'grace',
        mobilePhone: '+1 4255550101',
        passwordProfile: { password: `Old-${randomUUID()}`, forceChangePasswordNextSignIn: false },
      });
      twilio.failNext(3);
      const client = new FormClient(failing.app);
      await client.get('/passwordreset');
      await client.submit('/passwordreset/identify', { username: 'grace@contoso.com' });
      await client.submit('/passwordreset/method', { method: 'mobilePhone:sms' });
      const page = await client.submit('/passwordreset/phone', { phone: '+1 425 555 0101' });
      expect(visibleText(page.html)).toContain('We couldn’t send the code. Try again later or choose another method.');
      expect(twilio.requests).toHaveLength(0);
      const attempts = await failing.container.database.db
        .selectFrom('deliveries')
        .select(['status', 'attempts'])
        .execute();
      expect(attempts).toEqual([{ status: 'failed', attempts: 3 }]);
      // The provider is back: a new code goes out.
      const resent = await client.submit('/passwordreset/resend');
      expect(visibleText(resent.html)).toContain('We’ve sent a text message');
      expect(twilio.requests.at(-1)).toMatchObject({ kind: 'sms', to: '+14255550101' });
    } finally {
      await failing.close();
      await twilio.stop();
    }
  });
});
