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

async function createUser(upn: string, role?: string, fields: Record<string, unknown> = {}) {
  const user = await server.container.users.createUser(operator, {
    userPrincipalName: upn,
    displayName: upn.split('@')[0] as string,
    accountEnabled: true,
    mailNickname: upn.split('@')[0] as string,
    passwordProfile: { password, forceChangePasswordNextSignIn: false },
    ...fields,
  });
  if (role) await server.container.roles.assign(operator, upn, role);
  return user;
}

async function signIn(client: FormClient, userName: string, secret = password) {
  await client.get('/admin/signin');
  return client.submit('/admin/signin', { username: userName, password: secret });
}

describe('admin portal sign-in', () => {
  it('signs in an account holding a directory role and shows the layout', async () => {
    await createUser('gadmin@contoso.com', 'Global Administrator');
    const client = new FormClient(server.app);
    const first = await client.get('/admin');
    expect(first.url).toBe('/admin/signin?next=%2Fadmin');
    const page = await client.submit('/admin/signin', { username: 'gadmin@contoso.com', password });
    expect(page.status).toBe(200);
    expect(page.url).toBe('/admin');
    const text = visibleText(page.html);
    expect(text).toContain('Dashboard');
    expect(text).toContain('Signed in as gadmin@contoso.com');
    for (const link of ['Users', 'Password reset policy', 'On-premises sync', 'Bulk operations', 'Audit logs'])
      expect(text).toContain(link);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.html).not.toMatch(/<script|style=/);
    // The development outbox is in use in tests: the dashboard warns and the Outbox link is there.
    expect(text).toContain('Development outbox in use');
    expect(text).toContain('Outbox');
    expect([...client.cookies.keys()]).toContain('sspr_admin');
  });

  it('gives the same answer for a wrong password, an unknown user and a user without a role', async () => {
    await createUser('gadmin@contoso.com', 'Global Administrator');
    await createUser('adele@contoso.com');
    const wrong = await signIn(new FormClient(server.app), 'gadmin@contoso.com', 'not-the-password');
    const unknown = await signIn(new FormClient(server.app), 'nobody@contoso.com');
    const noRole = await signIn(new FormClient(server.app), 'adele@contoso.com');
    expect(noRole.status).toBe(400);
    const strip = (html: string) => visibleText(html).replace(/gadmin|nobody|adele/g, 'X');
    expect(strip(noRole.html)).toBe(strip(wrong.html));
    expect(strip(unknown.html)).toBe(strip(wrong.html));
    expect(visibleText(noRole.html)).toContain('Your user ID or password is incorrect');
    const rows = await server.container.database.db.selectFrom('web_sessions').selectAll().execute();
    expect(rows).toHaveLength(0);
  });

  it('keeps the admin session apart from the My Security Info session', async () => {
    await createUser('gadmin@contoso.com', 'Global Administrator');
    const client = new FormClient(server.app);
    await signIn(client, 'gadmin@contoso.com');
    const token = client.cookies.get('sspr_admin') as string;
    const endUser = new FormClient(server.app);
    endUser.cookies.set('sspr_session', token);
    expect(visibleText((await endUser.get('/mysecurityinfo')).html)).toContain('Sign in');
  });

  it('refuses a POST without the session CSRF token', async () => {
    await createUser('gadmin@contoso.com', 'Global Administrator');
    const client = new FormClient(server.app);
    await signIn(client, 'gadmin@contoso.com');
    const refused = await client.request('POST', '/admin/signout', 'csrf_token=forged');
    expect(refused.status).toBe(403);
    expect(visibleText(refused.html)).toContain('This form has expired');
    expect((await client.get('/admin')).url).toBe('/admin');
  });

  it('refuses the sign-in form without its login CSRF cookie', async () => {
    await createUser('gadmin@contoso.com', 'Global Administrator');
    const client = new FormClient(server.app);
    await client.get('/admin/signin');
    client.cookies.delete('sspr_admin_signin');
    const page = await client.submit('/admin/signin', { username: 'gadmin@contoso.com', password });
    expect(page.status).toBe(403);
  });

  it('ends the session after 30 idle minutes and after 8 hours at most', async () => {
    await createUser('gadmin@contoso.com', 'Global Administrator');
    const client = new FormClient(server.app);
    await signIn(client, 'gadmin@contoso.com');
    now = new Date(now.getTime() + 29 * 60_000);
    expect((await client.get('/admin')).url).toBe('/admin');
    now = new Date(now.getTime() + 30 * 60_000);
    const ended = await client.get('/admin');
    expect(ended.url).toBe('/admin/signin?next=%2Fadmin');
    expect(visibleText(ended.html)).toContain('Sign in to the admin portal');

    await signIn(client, 'gadmin@contoso.com');
    for (let step = 0; step < 17; step++) {
      now = new Date(now.getTime() + 29 * 60_000);
      await client.get('/admin');
    }
    expect(client.last?.url).toBe('/admin/signin?next=%2Fadmin');
  });

  it('signs out, and a removed role ends the session', async () => {
    await createUser('gadmin@contoso.com', 'Global Administrator');
    await createUser('helpdesk@contoso.com', 'Authentication Administrator');
    const client = new FormClient(server.app);
    await signIn(client, 'gadmin@contoso.com');
    const out = await client.submit('/admin/signout');
    expect(visibleText(out.html)).toContain('You have signed out.');
    expect((await client.get('/admin')).url).toContain('/admin/signin');

    const helpdesk = new FormClient(server.app);
    await signIn(helpdesk, 'helpdesk@contoso.com');
    await server.container.roles.remove(operator, 'helpdesk@contoso.com', 'Authentication Administrator');
    expect((await helpdesk.get('/admin')).url).toContain('/admin/signin');
  });

  it('sends a `next` target only inside the portal', async () => {
    await createUser('gadmin@contoso.com', 'Global Administrator');
    const client = new FormClient(server.app);
    await client.get('/admin/signin?next=//evil.example/admin');
    const page = await client.submit('/admin/signin', { username: 'gadmin@contoso.com', password });
    expect(page.url).toBe('/admin');
  });

  it('uses __Host- cookies with Secure and Path=/ behind an HTTPS public URL', async () => {
    await server.close();
    server = await createTestServer({
      config: { captcha: 'off', publicUrl: 'https://sspr.contoso.com' },
      clock: () => now,
    });
    await createUser('gadmin@contoso.com', 'Global Administrator');
    const client = new FormClient(server.app);
    const form = await client.get('/admin/signin');
    expect(String(form.headers['set-cookie'])).toMatch(
      /^__Host-sspr_admin_signin=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Secure/,
    );
    const csrfToken = form.html.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
    const response = await server.app.inject({
      method: 'POST',
      url: '/admin/signin',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `__Host-sspr_admin_signin=${client.cookies.get('__Host-sspr_admin_signin')}`,
      },
      payload: new URLSearchParams({ username: 'gadmin@contoso.com', password, csrf_token: csrfToken }).toString(),
    });
    expect(response.statusCode).toBe(303);
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    expect(cookies[0]).toMatch(
      /^__Host-sspr_admin=[\w-]{22}; Path=\/; HttpOnly; SameSite=Strict; Secure; Max-Age=28800$/,
    );
  });
});
