import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectsUnderTest } from '../../support/databases.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

const deviceCodeGrant = 'urn:ietf:params:oauth:grant-type:device_code';
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const graphDefault = 'https://graph.microsoft.com/.default';

interface DeviceCodeAnswer {
  device_code: string;
  user_code: string;
  verification_uri: string;
  expires_in: number;
  interval: number;
  message: string;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** The hidden CSRF field and the cookie of a /devicelogin form. */
function csrfOf(response: { body: string; headers: Record<string, unknown> }) {
  const field = /name="csrf_token" value="([^"]+)"/.exec(response.body)?.[1];
  const setCookie = String(response.headers['set-cookie'] ?? '');
  const cookie = setCookie.split(';')[0] ?? '';
  if (!field || !cookie) throw new Error('no CSRF token on the page');
  return { field, cookie };
}

describe.each(dialectsUnderTest)('OAuth 2.0 device authorization grant and delegated tokens on $name', (dialect) => {
  let server: TestServer;
  let now = Date.parse('2026-01-05T09:00:00Z');
  let clientId: string;
  let adminPassword: string;
  const helen = { upn: 'helen@contoso.com', password: 'Helpdesk-Heroine-2026' };
  const grace = { upn: 'grace@contoso.com', password: 'Compiler-Pioneer-1952' };

  beforeAll(async () => {
    server = await createTestServer({ database: await dialect.create(), clock: () => new Date(now) });
    const created = await server.container.apps.createApp(operator, { displayName: 'Admin console', permissions: [] });
    clientId = created.app.appId;
    const lines = readFileSync(path.join(server.dataDir, 'initial-admin-password.txt'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'));
    adminPassword = lines[lines.length - 1] ?? '';
    for (const person of [helen, grace]) {
      await server.container.users.createUser(operator, {
        userPrincipalName: person.upn,
        displayName: person.upn.split('@')[0] ?? '',
        accountEnabled: true,
        mailNickname: person.upn.split('@')[0] ?? '',
        passwordProfile: { password: person.password, forceChangePasswordNextSignIn: false },
      });
    }
    await server.container.roles.assign(operator, helen.upn, 'Authentication Administrator');
    const token = await server.tokenFor(['UserAuthenticationMethod.ReadWrite.All']);
    const added = await server.app.inject({
      method: 'POST',
      url: `/v1.0/users/${grace.upn}/authentication/phoneMethods`,
      headers: { authorization: `Bearer ${token}` },
      payload: { phoneNumber: '+1 4255550100', phoneType: 'mobile' },
    });
    expect(added.statusCode, added.body).toBe(201);
  });
  afterAll(async () => server.close());

  const tokenUrl = () => `/${server.container.tenant.tenantId}/oauth2/v2.0/token`;
  const startFlow = async (scope = `${graphDefault} openid profile offline_access`, client = clientId) => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/contoso.com/oauth2/v2.0/devicecode',
      headers: form,
      payload: new URLSearchParams({ client_id: client, scope }).toString(),
    });
    return response;
  };
  const poll = (deviceCode: string, client = clientId) =>
    server.app.inject({
      method: 'POST',
      url: tokenUrl(),
      headers: form,
      payload: new URLSearchParams({
        grant_type: deviceCodeGrant,
        client_id: client,
        device_code: deviceCode,
      }).toString(),
    });
  const openForm = () => server.app.inject({ method: 'GET', url: '/devicelogin' });
  const submit = async (
    fields: Record<string, string>,
    csrf?: { field?: string; cookie?: string },
  ): Promise<{ statusCode: number; body: string }> => {
    const page = await openForm();
    const token = csrfOf(page);
    const field = csrf ? csrf.field : token.field;
    const cookie = csrf ? csrf.cookie : token.cookie;
    return server.app.inject({
      method: 'POST',
      url: '/devicelogin',
      headers: { ...form, ...(cookie !== undefined && { cookie }) },
      payload: new URLSearchParams({ ...fields, ...(field !== undefined && { csrf_token: field }) }).toString(),
    });
  };
  const signIn = async (userCode: string, upn: string, password: string, action = 'approve') =>
    submit({ user_code: userCode, username: upn, password, action });
  const advance = (seconds: number) => {
    now += seconds * 1000;
  };
  /** Device code → sign-in → tokens for the user. */
  const tokensFor = async (upn: string, password: string) => {
    const flow = (await startFlow()).json() as DeviceCodeAnswer;
    const page = await signIn(flow.user_code, upn, password);
    expect(page.statusCode, page.body).toBe(200);
    const response = await poll(flow.device_code);
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { access_token: string; refresh_token: string };
  };
  const graph = (token: string, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    server.app.inject({
      method,
      url: `/v1.0${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload && { payload }),
    });

  it('runs the whole flow for the Global Administrator and the token acts as that user', async () => {
    const started = await startFlow();
    expect(started.statusCode, started.body).toBe(200);
    const flow = started.json() as DeviceCodeAnswer;
    expect(flow).toMatchObject({ verification_uri: 'http://localhost:80/devicelogin', expires_in: 900, interval: 5 });
    expect(flow.user_code).toMatch(/^[A-HJ-NP-Z2-9]{9}$/);
    expect(Buffer.from(flow.device_code, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(flow.message).toBe(
      `To sign in, use a web browser to open the page ${flow.verification_uri} and enter the code ${flow.user_code} to authenticate.`,
    );

    const stored = JSON.stringify(await server.container.database.db.selectFrom('device_codes').selectAll().execute());
    expect(stored).not.toContain(flow.device_code);
    expect(stored).not.toContain(flow.user_code);

    const pending = await poll(flow.device_code);
    expect(pending.statusCode).toBe(400);
    expect(pending.json()).toMatchObject({ error: 'authorization_pending', error_codes: [70016] });
    expect(pending.json().error_description).toMatch(/^AADSTS70016: /);
    expect((await poll(flow.device_code)).json().error).toBe('slow_down');
    advance(5);
    expect((await poll(flow.device_code)).json().error).toBe('authorization_pending');

    const page = await openForm();
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<label for="user_code">');
    expect(String(page.headers['set-cookie'])).toMatch(/SameSite=Strict/);
    const approved = await signIn(flow.user_code.toLowerCase(), 'ADMIN@contoso.com', adminPassword);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.body).toContain('You have signed in to Admin console on your device.');

    advance(5);
    const redeemed = await poll(flow.device_code);
    expect(redeemed.statusCode, redeemed.body).toBe(200);
    const body = redeemed.json();
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: expect.any(Number),
      ext_expires_in: expect.any(Number),
    });
    expect(body.scope.split(' ')).toEqual(expect.arrayContaining(['UserAuthenticationMethod.ReadWrite.All', 'openid']));
    expect(body.refresh_token).toEqual(expect.any(String));
    const admin = (await graph(body.access_token, 'GET', '/me')).json();
    const claims = claimsOf(body.access_token);
    expect(claims).toMatchObject({
      idtyp: 'user',
      appid: clientId,
      oid: admin.id,
      sub: admin.id,
      upn: 'admin@contoso.com',
      wids: ['62e90394-69f5-4237-9190-012177145e10'],
      aud: 'https://graph.microsoft.com',
    });
    expect(String(claims.scp).split(' ')).toContain('User.Read.All');
    expect(claims.roles).toBeUndefined();
    expect(admin).toMatchObject({
      '@odata.context': 'http://localhost:80/v1.0/$metadata#users/$entity',
      userPrincipalName: 'admin@contoso.com',
    });

    const methods = await graph(body.access_token, 'GET', `/users/${grace.upn}/authentication/phoneMethods`);
    expect(methods.statusCode, methods.body).toBe(200);
    expect(methods.json().value[0].phoneNumber).toBe('+1 4255550100');

    const replayed = await poll(flow.device_code);
    expect(replayed.statusCode).toBe(400);
    expect(replayed.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('an Authentication Administrator sees masked numbers, manages users but not administrators', async () => {
    const { access_token: token } = await tokensFor(helen.upn, helen.password);
    expect(claimsOf(token).wids).toEqual(['c4e39bd9-1100-46d3-8c65-fb160da0071f']);
    const me = await graph(token, 'GET', '/me');
    expect(me.json().userPrincipalName).toBe(helen.upn);

    const masked = await graph(token, 'GET', `/users/${grace.upn}/authentication/phoneMethods`);
    expect(masked.statusCode, masked.body).toBe(200);
    expect(masked.json().value[0].phoneNumber).not.toBe('+1 4255550100');
    expect(masked.json().value[0].phoneNumber).toMatch(/X/);

    const email = await graph(token, 'POST', `/users/${grace.upn}/authentication/emailMethods`, {
      emailAddress: 'grace@example.org',
    });
    expect(email.statusCode, email.body).toBe(201);
    const onAdmin = await graph(token, 'POST', '/users/admin@contoso.com/authentication/phoneMethods', {
      phoneNumber: '+1 4255550177',
      phoneType: 'mobile',
    });
    expect(onAdmin.statusCode).toBe(403);
    expect(onAdmin.json().error.code).toBe('Authorization_RequestDenied');
  });

  it('rotates refresh tokens: each is single use', async () => {
    const first = await tokensFor(grace.upn, grace.password);
    const refresh = (token: string) =>
      server.app.inject({
        method: 'POST',
        url: tokenUrl(),
        headers: form,
        payload: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: clientId,
          refresh_token: token,
          scope: `${graphDefault} openid offline_access`,
        }).toString(),
      });
    const second = await refresh(first.refresh_token);
    expect(second.statusCode, second.body).toBe(200);
    const rotated = second.json() as { access_token: string; refresh_token: string };
    expect(rotated.refresh_token).not.toBe(first.refresh_token);
    expect((await graph(rotated.access_token, 'GET', '/me')).json().userPrincipalName).toBe(grace.upn);

    const reused = await refresh(first.refresh_token);
    expect(reused.statusCode).toBe(400);
    expect(reused.json().error).toBe('invalid_grant');
    expect((await refresh(rotated.refresh_token)).statusCode).toBe(200);
    expect((await refresh('not-a-token')).json().error).toBe('invalid_grant');
  });

  it('refuses a missing or wrong CSRF token and leaves the flow pending', async () => {
    const flow = (await startFlow()).json() as DeviceCodeAnswer;
    const fields = { user_code: flow.user_code, username: 'admin@contoso.com', password: adminPassword };
    const { cookie, field } = csrfOf(await openForm());
    const missingField = await submit(fields, { cookie });
    const missingCookie = await submit(fields, { field });
    const wrong = await submit(fields, { cookie, field: `${field.slice(0, -2)}xx` });
    for (const response of [missingField, missingCookie, wrong]) {
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain('This form has expired');
    }
    advance(10);
    expect((await poll(flow.device_code)).json().error).toBe('authorization_pending');
  });

  it('answers a wrong password, an unknown user, a wrong code and a disabled account with the same page', async () => {
    const flow = (await startFlow()).json() as DeviceCodeAnswer;
    const normalise = (body: string) =>
      body.replace(/name="csrf_token" value="[^"]+"/, '').replace(/value="[^"]*"/g, '');
    await server.container.users.createUser(operator, {
      userPrincipalName: 'gone@contoso.com',
      displayName: 'Gone',
      accountEnabled: false,
      mailNickname: 'gone',
      passwordProfile: { password: 'Disabled-Account-2026', forceChangePasswordNextSignIn: false },
    });
    const attempts = [
      await signIn(flow.user_code, grace.upn, 'Wrong-Password-1'),
      await signIn(flow.user_code, 'nobody@contoso.com', grace.password),
      await signIn('ABCDEFGHJ', grace.upn, grace.password),
      await signIn(flow.user_code, 'gone@contoso.com', 'Disabled-Account-2026'),
    ];
    for (const attempt of attempts) {
      expect(attempt.statusCode).toBe(400);
      expect(normalise(attempt.body)).toBe(normalise(attempts[0]?.body ?? ''));
    }
    expect(attempts[0]?.body).toContain('We could not sign you in.');
    advance(10);
    expect((await poll(flow.device_code)).json().error).toBe('authorization_pending');
  });

  it('declines the flow after 5 wrong passwords, so a stolen user code is no password oracle', async () => {
    const flow = (await startFlow()).json() as DeviceCodeAnswer;
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await signIn(flow.user_code, grace.upn, `Wrong-Password-${attempt}`)).statusCode).toBe(400);
    }
    // Even the right password cannot approve it now.
    expect((await signIn(flow.user_code, grace.upn, grace.password)).statusCode).toBe(400);
    advance(10);
    expect((await poll(flow.device_code)).json()).toMatchObject({ error: 'access_denied' });
  });

  it('reports a declined sign-in, an expired code and a code polled by another client', async () => {
    const declined = (await startFlow()).json() as DeviceCodeAnswer;
    expect((await signIn(declined.user_code, grace.upn, grace.password, 'deny')).body).toContain('declined');
    expect((await poll(declined.device_code)).json()).toMatchObject({ error: 'access_denied' });

    const other = (await startFlow()).json() as DeviceCodeAnswer;
    const shortGrant = await server.app.inject({
      method: 'POST',
      url: tokenUrl(),
      headers: form,
      // MSAL sends Entra's short spelling of the grant type.
      payload: new URLSearchParams({
        grant_type: 'device_code',
        client_id: clientId,
        device_code: other.device_code,
      }).toString(),
    });
    expect(shortGrant.json().error).toBe('authorization_pending');
    expect((await poll(other.device_code, '14d82eec-204b-4c2f-b7e8-296a70dab67e')).json().error).toBe('invalid_grant');

    advance(901);
    expect((await poll(other.device_code)).json()).toMatchObject({ error: 'expired_token', error_codes: [70019] });
    expect((await signIn(other.user_code, grace.upn, grace.password)).statusCode).toBe(400);
  });

  it('refuses unknown clients and scopes, and accepts the well-known public clients', async () => {
    const unknown = await startFlow(graphDefault, '11111111-2222-3333-4444-555555555555');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    const badScope = await startFlow('https://outlook.office.com/Mail.Read');
    expect(badScope.json()).toMatchObject({ error: 'invalid_scope' });
    const powershell = await startFlow(
      'User.Read.All UserAuthenticationMethod.ReadWrite.All',
      '14d82eec-204b-4c2f-b7e8-296a70dab67e',
    );
    expect(powershell.statusCode, powershell.body).toBe(200);
  });

  it('gives a delegated token with only User.Read the signed-in user, but not other users', async () => {
    const flow = (await startFlow('User.Read openid')).json() as DeviceCodeAnswer;
    await signIn(flow.user_code, grace.upn, grace.password);
    const response = await poll(flow.device_code);
    const body = response.json();
    expect(body.scope).toBe('User.Read openid');
    expect(claimsOf(body.id_token)).toMatchObject({ aud: clientId, preferred_username: grace.upn });
    expect((await graph(body.access_token, 'GET', '/me')).statusCode).toBe(200);
    expect((await graph(body.access_token, 'GET', '/users')).statusCode).toBe(403);
  });
});
