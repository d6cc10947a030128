import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FormClient, visibleText } from '../../support/form-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

let server: TestServer;
let now: Date;
const password = 'Quiet-Lantern-Orbit-42';

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
    passwordProfile: { password, forceChangePasswordNextSignIn: false },
    ...fields,
  });
}

async function lastCodeTo(recipient: string): Promise<string> {
  const messages = await server.container.outbox.list(operator, { top: 20 });
  const message = messages.find((entry) => entry.recipient === recipient);
  const code = message?.body.match(/\b(\d{8})\b/)?.[1];
  if (!code) throw new Error(`no code sent to ${recipient}: ${JSON.stringify(messages.map((m) => m.recipient))}`);
  return code;
}

async function signIn(client: FormClient, userName: string, secret = password) {
  await client.get('/mysecurityinfo');
  return client.submit('/mysecurityinfo/signin', { username: userName, password: secret });
}

async function auditEvents() {
  return server.container.database.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
}

describe('My Security Info', () => {
  it('gives the same answer for an unknown user, a wrong password and a disabled account', async () => {
    await createUser('adele@contoso.com');
    await createUser('disabled@contoso.com', { accountEnabled: false });
    const unknown = await signIn(new FormClient(server.app), 'nobody@contoso.com');
    const wrong = await signIn(new FormClient(server.app), 'adele@contoso.com', 'not-the-password');
    const disabled = await signIn(new FormClient(server.app), 'disabled@contoso.com');
    expect(unknown.status).toBe(400);
    expect(wrong.status).toBe(400);
    const strip = (html: string) => visibleText(html).replace(/nobody|adele|disabled/g, 'X');
    expect(strip(wrong.html)).toBe(strip(unknown.html));
    expect(strip(disabled.html)).toBe(strip(unknown.html));
    expect(visibleText(unknown.html)).toContain('Your user ID or password is incorrect.');
    expect(unknown.html).toContain('role="alert"');
    expect(String(unknown.headers['set-cookie'] ?? '')).not.toContain('sspr_session=');
  });

  it('pauses sign-in for a user ID after ten failures, the same for unknown user IDs', async () => {
    await createUser('adele@contoso.com');
    for (const userName of ['adele@contoso.com', 'nobody@contoso.com']) {
      for (let attempt = 0; attempt < 10; attempt++)
        await signIn(new FormClient(server.app), userName, 'wrong-password');
      const paused = await signIn(new FormClient(server.app), userName, password);
      expect(visibleText(paused.html)).toContain('Too many failed sign-ins');
    }
    now = new Date(now.getTime() + 16 * 60_000);
    const back = await signIn(new FormClient(server.app), 'adele@contoso.com');
    expect(visibleText(back.html)).toContain('More information required');
  });

  it('refuses a user who must change their password with a clear message, and a synced user like a wrong password', async () => {
    await createUser('forced@contoso.com', { passwordProfile: { password, forceChangePasswordNextSignIn: true } });
    const forced = await signIn(new FormClient(server.app), 'forced@contoso.com');
    expect(visibleText(forced.html)).toContain('/passwordreset');
    expect(String(forced.headers['set-cookie'] ?? '')).not.toContain('sspr_session=');
    const synced = await createUser('synced@contoso.com');
    await server.container.database.db
      .updateTable('users')
      .set({ on_premises_sync_enabled: 1 } as never)
      .where('id', '=', synced.id)
      .execute();
    const page = await signIn(new FormClient(server.app), 'synced@contoso.com');
    const wrong = await signIn(new FormClient(server.app), 'forced@contoso.com', 'not-the-password');
    expect(page.status).toBe(wrong.status);
    expect(visibleText(page.html)).toBe(visibleText(wrong.html));
  });

  it('sets a strict session cookie, stores only its hash, and sign-out ends the session', async () => {
    await createUser('adele@contoso.com');
    const client = new FormClient(server.app);
    const signInForm = await client.get('/mysecurityinfo');
    const csrfToken = signInForm.html.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
    const response = await server.app.inject({
      method: 'POST',
      url: '/mysecurityinfo/signin',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `sspr_signin=${client.cookies.get('sspr_signin')}`,
      },
      payload: new URLSearchParams({ username: 'adele@contoso.com', password, csrf_token: csrfToken }).toString(),
    });
    expect(response.statusCode).toBe(303);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^sspr_session=[\w-]{22};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/mysecurityinfo');
    const token = setCookie.split(';')[0]?.split('=')[1] as string;
    const rows = await server.container.database.db.selectFrom('web_sessions').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]?.id_hash).not.toContain(token);

    client.cookies.set('sspr_session', token);
    const page = await client.get('/mysecurityinfo');
    expect(visibleText(page.html)).toContain('More information required');
    const skipped = await client.submit('/mysecurityinfo/skip');
    expect(visibleText(skipped.html)).toContain('Security info');
    const out = await client.submit('/mysecurityinfo/signout');
    expect(visibleText(out.html)).toContain('You have signed out.');
    expect(await server.container.database.db.selectFrom('web_sessions').selectAll().execute()).toHaveLength(0);
    client.cookies.set('sspr_session', token);
    const after = await client.get('/mysecurityinfo');
    expect(visibleText(after.html)).toContain('Sign in');
    expect(after.html).toContain('action="/mysecurityinfo/signin"');
  });

  it('ends an idle session after 60 minutes', async () => {
    await createUser('adele@contoso.com');
    const client = new FormClient(server.app);
    await signIn(client, 'adele@contoso.com');
    now = new Date(now.getTime() + 61 * 60_000);
    const page = await client.get('/mysecurityinfo');
    expect(page.html).toContain('action="/mysecurityinfo/signin"');
  });

  it('refuses a POST without the CSRF token', async () => {
    await createUser('adele@contoso.com');
    const client = new FormClient(server.app);
    await signIn(client, 'adele@contoso.com');
    const refused = await client.request('POST', '/mysecurityinfo/skip', '');
    expect(refused.status).toBe(403);
    const registration = await server.container.database.db
      .selectFrom('security_info_registrations')
      .selectAll()
      .execute();
    expect(registration.every((row) => row.skipped_at === null)).toBe(true);
    const forged = await client.request('POST', '/mysecurityinfo/signout', 'csrf_token=forged');
    expect(forged.status).toBe(403);
    expect(await server.container.database.db.selectFrom('web_sessions').selectAll().execute()).toHaveLength(1);
  });

  it('interrupts registration with pre-filled values; a changed phone verified by SMS becomes the authentication phone', async () => {
    const user = await createUser('adele@contoso.com', {
      mobilePhone: '+1 4255550100',
      otherMails: ['adele.vance@example.org'],
    });
    const client = new FormClient(server.app);
    const interrupt = await signIn(client, 'adele@contoso.com');
    expect(visibleText(interrupt.html)).toContain('More information required');
    const review = await client.submit('/mysecurityinfo/start');
    expect(visibleText(review.html)).toContain('Looks good');

    const phoneForm = await client.get('/mysecurityinfo/phone');
    expect(phoneForm.html).toContain('value="+1 4255550100"');
    expect(phoneForm.html).toContain('<label for="phone">');
    const emailForm = await client.get('/mysecurityinfo/email');
    expect(emailForm.html).toContain('value="adele.vance@example.org"');

    await client.get('/mysecurityinfo/phone');
    const bad = await client.submit('/mysecurityinfo/phone', { phone: '12', region: '', channel: 'sms' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('aria-describedby="phone-hint phone-error"');
    const verify = await client.submit('/mysecurityinfo/phone', {
      phone: '(425) 555-0199',
      region: 'US',
      channel: 'sms',
    });
    expect(visibleText(verify.html)).toContain('We just sent an 8-digit code');
    const code = await lastCodeTo('+14255550199');
    const saved = await client.submit('/mysecurityinfo/verify', { code });
    expect(visibleText(saved.html)).toContain('Your security info was updated.');
    expect(visibleText(saved.html)).toContain('Phone: +X XXXXXXXX99');

    const token = await server.tokenFor(['UserAuthenticationMethod.Read.All']);
    const graph = await server.app.inject({
      method: 'GET',
      url: `/v1.0/users/${user.id}/authentication/phoneMethods`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(graph.statusCode).toBe(200);
    expect(graph.json().value).toEqual([
      expect.objectContaining({ phoneNumber: '+1 4255550199', phoneType: 'mobile' }),
    ]);
    const activities = (await auditEvents()).map((event) => event.activity_display_name);
    expect(activities).toContain('User started security info registration');
    expect(activities).toContain('User registered security info');
    expect(activities).toContain('User registered all required security info');
    const dump = JSON.stringify(await auditEvents());
    expect(dump).not.toContain(code);

    const confirmed = await client.submit('/mysecurityinfo/confirm');
    expect(visibleText(confirmed.html)).not.toContain('Looks good');
    expect(visibleText(confirmed.html)).toContain('Default method: Phone (+X XXXXXXXX99)');
  });

  it('verifies and saves an email; refuses a wrong code, then an expired one', async () => {
    const user = await createUser('adele@contoso.com');
    const client = new FormClient(server.app);
    await signIn(client, 'adele@contoso.com');
    await client.submit('/mysecurityinfo/skip');
    await client.get('/mysecurityinfo/email');
    await client.submit('/mysecurityinfo/email', { email: 'adele@example.org' });
    const code = await lastCodeTo('adele@example.org');
    const wrong = await client.submit('/mysecurityinfo/verify', {
      code: code === '00000000' ? '11111111' : '00000000',
    });
    expect(wrong.status).toBe(400);
    expect(visibleText(wrong.html)).toContain('That code is wrong or has expired.');
    now = new Date(now.getTime() + 6 * 60_000);
    const expired = await client.submit('/mysecurityinfo/verify', { code });
    expect(expired.status).toBe(400);
    expect((await server.container.authenticationMethods.listEmailMethods(operator, user.id)).length).toBe(0);

    await client.get('/mysecurityinfo/email');
    await client.submit('/mysecurityinfo/email', { email: 'adele@example.org' });
    const fresh = await lastCodeTo('adele@example.org');
    const saved = await client.submit('/mysecurityinfo/verify', { code: fresh });
    expect(visibleText(saved.html)).toContain('Email: ad*****@example.org');
    const emails = await server.container.authenticationMethods.listEmailMethods(operator, user.id);
    expect(emails.map((email) => email.emailAddress)).toEqual(['adele@example.org']);
  });

  it('ends a verification after five wrong codes', async () => {
    await createUser('adele@contoso.com');
    const client = new FormClient(server.app);
    await signIn(client, 'adele@contoso.com');
    await client.submit('/mysecurityinfo/skip');
    await client.get('/mysecurityinfo/email');
    await client.submit('/mysecurityinfo/email', { email: 'adele@example.org' });
    const code = await lastCodeTo('adele@example.org');
    const wrongCode = code === '00000000' ? '11111111' : '00000000';
    for (let attempt = 0; attempt < 4; attempt++) await client.submit('/mysecurityinfo/verify', { code: wrongCode });
    const ended = await client.submit('/mysecurityinfo/verify', { code: wrongCode });
    expect(visibleText(ended.html)).toContain('Verification ended');
  });

  it('registers security questions as hashes only, with errors beside the fields', async () => {
    await server.container.policies.change(operator, { securityQuestionsOptionEnabled: true });
    const user = await createUser('adele@contoso.com');
    const client = new FormClient(server.app);
    await signIn(client, 'adele@contoso.com');
    await client.submit('/mysecurityinfo/skip');
    const form = await client.get('/mysecurityinfo/questions');
    const ids = [...form.html.matchAll(/<option value="([\w-]+)"/g)].map((match) => match[1] as string);
    expect(ids.length).toBeGreaterThan(3);
    const invalid = await client.submit('/mysecurityinfo/questions', {
      question_0: ids[0] as string,
      answer_0: 'Lovelace',
      question_1: ids[0] as string,
      answer_1: 'Babbage',
      question_2: ids[2] as string,
      answer_2: 'no',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.html).toContain('id="question-1-error"');
    expect(invalid.html).toContain('id="answer-2-error"');
    expect(invalid.html).not.toContain('Lovelace');
    const saved = await client.submit('/mysecurityinfo/questions', {
      question_0: ids[0] as string,
      answer_0: 'Lovelace',
      question_1: ids[1] as string,
      answer_1: 'Babbage',
      question_2: ids[2] as string,
      answer_2: 'Hopper',
    });
    expect(visibleText(saved.html)).toContain('Security questions: 3 registered');
    expect(saved.html).not.toMatch(/Lovelace|Babbage|Hopper/);
    const hashes = await server.container.database.db
      .selectFrom('security_answers' as never)
      .selectAll()
      .execute()
      .catch(() => []);
    if (hashes.length > 0) expect(JSON.stringify(hashes)).not.toMatch(/Lovelace|lovelace/);
    expect(
      await server.container.securityQuestions.verify(user.id, [{ questionId: ids[0] as string, answer: 'lovelace' }]),
    ).toBe(true);
  });

  it('asks again at the next sign-in after a skip', async () => {
    await createUser('adele@contoso.com');
    const first = new FormClient(server.app);
    expect(visibleText((await signIn(first, 'adele@contoso.com')).html)).toContain('More information required');
    const inside = await first.submit('/mysecurityinfo/skip');
    expect(visibleText(inside.html)).toContain('Security info');
    expect(visibleText((await first.get('/mysecurityinfo')).html)).not.toContain('More information required');
    now = new Date(now.getTime() + 1000);
    const second = new FormClient(server.app);
    expect(visibleText((await signIn(second, 'adele@contoso.com')).html)).toContain('More information required');
  });

  it('deletes a method after a confirmation, with an audit event', async () => {
    const user = await createUser('adele@contoso.com');
    await server.container.authenticationMethods.addEmailMethod(operator, user.id, {
      emailAddress: 'adele@example.org',
    });
    const client = new FormClient(server.app);
    await signIn(client, 'adele@contoso.com');
    await client.submit('/mysecurityinfo/skip');
    const confirm = await client.get('/mysecurityinfo/delete?method=email');
    expect(visibleText(confirm.html)).toContain('Are you sure');
    const after = await client.submit('/mysecurityinfo/delete', {});
    expect(visibleText(after.html)).toContain('Email: Not set');
    const events = await auditEvents();
    const deleted = events.find((event) => event.activity_display_name === 'User deleted security info');
    expect(deleted).toBeDefined();
    expect(JSON.stringify(deleted)).toContain(user.id);
  });

  it('speaks French with ?mkt=fr-FR', async () => {
    const page = await new FormClient(server.app).get('/mysecurityinfo?mkt=fr-FR');
    expect(page.html).toContain('<html lang="fr"');
    expect(visibleText(page.html)).toContain('Connexion');
    expect(visibleText(page.html)).toContain('Mot de passe');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.html).not.toMatch(/<script|style=/);
  });

  it('refuses a sign-in posted without the form’s own token (login CSRF)', async () => {
    await createUser('adele@contoso.com');
    const client = new FormClient(server.app);
    const forged = await client.request(
      'POST',
      '/mysecurityinfo/signin',
      new URLSearchParams({ username: 'adele@contoso.com', password }).toString(),
    );
    expect(forged.status).toBe(403);
    expect(forged.headers['set-cookie'] ?? '').not.toContain('sspr_session=');
    const page = await signIn(client, 'adele@contoso.com');
    expect(page.status).toBe(200);
  });

  it('pauses sign-in from one address after fifty failures across any user IDs', async () => {
    await createUser('adele@contoso.com');
    for (let attempt = 0; attempt < 50; attempt++) {
      await signIn(new FormClient(server.app), `user${attempt}@contoso.com`, 'wrong-password');
    }
    const paused = await signIn(new FormClient(server.app), 'adele@contoso.com');
    expect(visibleText(paused.html)).toContain('Too many failed sign-ins');
  });
});
