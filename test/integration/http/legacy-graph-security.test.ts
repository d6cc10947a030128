import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryRoles } from '../../../src/domain/permissions.js';
import { signJwt } from '../../../src/services/identity/jwt.js';
import { signDelegatedToken } from '../../support/delegated-tokens.js';
import { azureAdGraphTokenFor, decodeClaims, expectLegacyError } from '../../support/legacy-graph.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const deviceCodeGrant = 'urn:ietf:params:oauth:grant-type:device_code';

function csrfOf(response: { body: string; headers: Record<string, unknown> }) {
  const field = /name="csrf_token" value="([^"]+)"/.exec(response.body)?.[1];
  const cookie = String(response.headers['set-cookie'] ?? '').split(';')[0] ?? '';
  if (!field || !cookie) throw new Error('no CSRF token on the page');
  return { field, cookie };
}

describe('legacy Azure AD Graph API: tokens, audiences and permissions', () => {
  let server: TestServer;
  let tenantId: string;
  let targetId: string;
  let clientId: string;
  const helen = { upn: 'helen@contoso.com', password: 'Helpdesk-Heroine-2026' };
  const grace = { upn: 'grace@contoso.com', password: 'Compiler-Pioneer-1952' };

  const legacy = (token: string | undefined, method: 'GET' | 'PATCH', path: string, body?: unknown) =>
    server.app.inject({
      method,
      url: `/${tenantId}${path}${path.includes('?') ? '&' : '?'}api-version=1.6`,
      headers: {
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    });

  /** Device code flow for `scope`, signed in as `person`: the token response. */
  const deviceCodeTokens = async (scope: string, person: { upn: string; password: string }) => {
    const started = await server.app.inject({
      method: 'POST',
      url: `/${tenantId}/oauth2/v2.0/devicecode`,
      headers: form,
      payload: new URLSearchParams({ client_id: clientId, scope }).toString(),
    });
    expect(started.statusCode, started.body).toBe(200);
    const flow = started.json() as { device_code: string; user_code: string };
    const page = await server.app.inject({ method: 'GET', url: '/devicelogin' });
    const csrf = csrfOf(page);
    const signedIn = await server.app.inject({
      method: 'POST',
      url: '/devicelogin',
      headers: { ...form, cookie: csrf.cookie },
      payload: new URLSearchParams({
        user_code: flow.user_code,
        username: person.upn,
        password: person.password,
        action: 'approve',
        csrf_token: csrf.field,
      }).toString(),
    });
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    const redeemed = await server.app.inject({
      method: 'POST',
      url: `/${tenantId}/oauth2/v2.0/token`,
      headers: form,
      payload: new URLSearchParams({
        grant_type: deviceCodeGrant,
        client_id: clientId,
        device_code: flow.device_code,
      }).toString(),
    });
    expect(redeemed.statusCode, redeemed.body).toBe(200);
    return redeemed.json() as { access_token: string; refresh_token: string; scope: string };
  };

  beforeAll(async () => {
    server = await createTestServer();
    tenantId = server.container.tenant.tenantId;
    clientId = (await server.container.apps.createApp(operator, { displayName: 'Legacy console', permissions: [] })).app
      .appId;
    for (const person of [helen, grace]) {
      const created = await server.container.users.createUser(operator, {
        userPrincipalName: person.upn,
        displayName: person.upn.split('@')[0] ?? '',
        accountEnabled: true,
        mailNickname: person.upn.split('@')[0] ?? '',
        passwordProfile: { password: person.password, forceChangePasswordNextSignIn: false },
      });
      if (person === grace) targetId = created.id;
    }
    await server.container.roles.assign(operator, helen.upn, 'User Administrator');
  });
  afterAll(async () => server.close());

  it('without a token: 401 Authentication_MissingOrMalformed, before the api-version or tenant is looked at', async () => {
    for (const url of [`/${tenantId}/users`, `/${tenantId}/users/${targetId}?api-version=1.6`, '/fabrikam.com/users']) {
      const response = await server.app.inject({ method: 'GET', url });
      expectLegacyError(response, 401, 'Authentication_MissingOrMalformed');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expectLegacyError(await legacy('not.a.token', 'GET', '/users'), 401, 'Authentication_MissingOrMalformed');
  });

  it('the Graph API refuses an Azure AD Graph token: wrong audience', async () => {
    const token = await azureAdGraphTokenFor(server, ['Directory.ReadWrite.All']);
    const response = await server.app.inject({
      method: 'GET',
      url: `/v1.0/users/${targetId}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode, response.body).toBe(401);
    expect(response.json()).toMatchObject({
      error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure. Invalid audience.' },
    });
    // The same token works on the legacy API, and the Graph rejection was not cached as a pass (or vice versa).
    expect((await legacy(token, 'GET', `/users/${targetId}`)).statusCode).toBe(200);
    const again = await server.app.inject({
      method: 'GET',
      url: '/v1.0/users',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(again.statusCode).toBe(401);
  });

  it('client credentials accept the resource by URI or app id; two resources at once are refused', async () => {
    const byAppId = await azureAdGraphTokenFor(
      server,
      ['User.Read.All'],
      '00000002-0000-0000-c000-000000000000/.default',
    );
    expect(decodeClaims(byAppId).aud).toBe('https://graph.windows.net');
    await expect(
      azureAdGraphTokenFor(
        server,
        ['User.Read.All'],
        'https://graph.windows.net/.default https://graph.microsoft.com/.default',
      ),
    ).rejects.toThrow(/invalid_scope/);
  });

  it('a token of another audience or issuer is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const foreign = signJwt(
      {
        aud: 'https://management.azure.com',
        iss: `http://localhost:80/${tenantId}/v2.0`,
        iat: now,
        nbf: now,
        exp: now + 600,
        tid: tenantId,
        appid: 'x',
        roles: ['Directory.ReadWrite.All'],
      },
      server.container.tenant.signingKey,
    );
    expectLegacyError(
      await legacy(foreign, 'GET', `/users/${targetId}`),
      401,
      'Authentication_MissingOrMalformed',
      /Invalid audience/,
    );
  });

  it('an expired token is 401 Authentication_ExpiredToken', async () => {
    const expired = signDelegatedToken(server, {
      user: { id: targetId, userPrincipalName: grace.upn },
      lifetimeSeconds: 1,
    });
    expectLegacyError(
      await legacy(expired, 'GET', `/users/${targetId}`),
      401,
      'Authentication_ExpiredToken',
      'Your access token has expired. Please renew it before submitting the request.',
    );
  });

  it('app permissions: User.Read.All reads but cannot PATCH (403 Authorization_RequestDenied); nothing changes', async () => {
    const reader = await azureAdGraphTokenFor(server, ['User.Read.All']);
    expect((await legacy(reader, 'GET', '/users')).statusCode).toBe(200);
    expectLegacyError(
      await legacy(reader, 'PATCH', `/users/${targetId}`, { mobile: '+1 4251234567' }),
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
    const none = await azureAdGraphTokenFor(server, []);
    expectLegacyError(await legacy(none, 'GET', '/users'), 403, 'Authorization_RequestDenied');
    const user = await server.container.users.getUser(operator, targetId);
    expect(user.mobilePhone).toBeNull();
  });

  it('device code flow for https://graph.windows.net/.default: a delegated Azure AD Graph token, refreshed as such', async () => {
    const tokens = await deviceCodeTokens('https://graph.windows.net/.default offline_access', helen);
    const claims = decodeClaims(tokens.access_token);
    expect(claims).toMatchObject({ aud: 'https://graph.windows.net', idtyp: 'user', upn: helen.upn });
    expect(String(claims.scp).split(' ')).toEqual(expect.arrayContaining(['User.ReadWrite.All']));
    expect(claims.wids).toEqual([directoryRoles.userAdministrator]);

    // A User Administrator may set a non-admin's contact info through the legacy API...
    const patched = await legacy(tokens.access_token, 'PATCH', `/users/${grace.upn}`, { mobile: '+1 4257654321' });
    expect(patched.statusCode, patched.body).toBe(204);
    // ...but the token is no Graph token.
    const graph = await server.app.inject({
      method: 'GET',
      url: '/v1.0/me',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(graph.statusCode).toBe(401);

    const refreshed = await server.app.inject({
      method: 'POST',
      url: `/${tenantId}/oauth2/v2.0/token`,
      headers: form,
      payload: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: clientId,
        refresh_token: tokens.refresh_token,
      }).toString(),
    });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    expect(decodeClaims((refreshed.json() as { access_token: string }).access_token).aud).toBe(
      'https://graph.windows.net',
    );
  });

  it('delegated rules as on Graph: a user without an admin role cannot PATCH others; admins are protected', async () => {
    const tokens = await deviceCodeTokens('https://graph.windows.net/.default', grace);
    expect((await legacy(tokens.access_token, 'GET', `/users/${grace.upn}`)).statusCode).toBe(200);
    expectLegacyError(
      await legacy(tokens.access_token, 'PATCH', `/users/${helen.upn}`, { mobile: '+1 4251111111' }),
      403,
      'Authorization_RequestDenied',
    );
    // A User Administrator may not change a Global Administrator's phone (sensitive property of an admin).
    const helenToken = await deviceCodeTokens('https://graph.windows.net/.default', helen);
    expectLegacyError(
      await legacy(helenToken.access_token, 'PATCH', '/users/admin@contoso.com', { mobile: '+1 4251111111' }),
      403,
      'Authorization_RequestDenied',
    );
  });

  it('mixing Graph and Azure AD Graph scopes in one device code request is invalid_scope', async () => {
    const started = await server.app.inject({
      method: 'POST',
      url: `/${tenantId}/oauth2/v2.0/devicecode`,
      headers: form,
      payload: new URLSearchParams({
        client_id: clientId,
        scope: 'https://graph.windows.net/.default https://graph.microsoft.com/User.Read.All',
      }).toString(),
    });
    expect(started.statusCode).toBe(400);
    expect(started.json()).toMatchObject({ error: 'invalid_scope' });
  });
});
