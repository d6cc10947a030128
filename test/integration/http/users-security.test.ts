import { createHmac } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, signJwt } from '../../../src/services/identity/jwt.js';
import { createTestServer, type TestServer } from '../../support/test-container.js';

type Json = Record<string, unknown>;

const insufficientPrivileges = 'Insufficient privileges to complete the operation.';
const emptyToken = 'Access token is empty.';

function expectGraphError(response: LightMyRequestResponse, status: number, code: string, message?: string): void {
  expect(response.statusCode, response.body).toBe(status);
  const body = response.json() as { error: { code: string; message: string; innerError: Json } };
  expect(body.error.code).toBe(code);
  if (message !== undefined) expect(body.error.message).toBe(message);
  expect(body.error.innerError).toMatchObject({
    date: expect.any(String),
    'request-id': response.headers['request-id'],
    'client-request-id': expect.any(String),
  });
}

function expectUnauthorized(response: LightMyRequestResponse, message?: string): void {
  expectGraphError(response, 401, 'InvalidAuthenticationToken', message);
  expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
  expect(response.body).not.toMatch(/"value"/);
}

function decodePayload(token: string): Json {
  const [, payload = ''] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function newUserBody(localPart: string, password = 'Correct-Horse-Battery-9'): Json {
  return {
    accountEnabled: true,
    displayName: `User ${localPart}`,
    mailNickname: localPart.replace(/[^A-Za-z0-9]/g, ''),
    userPrincipalName: `${localPart}@contoso.com`,
    passwordProfile: { password },
  };
}

describe('users API: security', () => {
  let now = new Date('2030-01-01T00:00:00Z');
  let server: TestServer;
  let writeToken: string;
  let target: { id: string };

  const get = (url: string, headers: Record<string, string>) => server.app.inject({ method: 'GET', url, headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  /** Claims like the server's own token, for crafting tokens that differ in one respect. */
  const claimsLike = (overrides: Json = {}): Json => ({ ...decodePayload(writeToken), ...overrides });
  const signWithServerKey = (claims: Json) => signJwt(claims, server.container.tenant.signingKey);

  beforeAll(async () => {
    server = await createTestServer({ clock: () => now });
    writeToken = await server.tokenFor(['User.ReadWrite.All']);
    const created = await server.app.inject({
      method: 'POST',
      url: '/v1.0/users',
      headers: bearer(writeToken),
      payload: newUserBody('target'),
    });
    expect(created.statusCode, created.body).toBe(201);
    target = created.json();
  });
  afterAll(async () => server.close());

  describe('authentication', () => {
    it('no token is 401 InvalidAuthenticationToken on every route', async () => {
      expectUnauthorized(await server.app.inject({ method: 'GET', url: '/v1.0/users' }), emptyToken);
      expectUnauthorized(await server.app.inject({ method: 'GET', url: `/beta/users/${target.id}` }), emptyToken);
      expectUnauthorized(
        await server.app.inject({
          method: 'GET',
          url: '/v1.0/users/$count',
          headers: { consistencylevel: 'eventual' },
        }),
        emptyToken,
      );
      expectUnauthorized(
        await server.app.inject({ method: 'POST', url: '/v1.0/users', payload: newUserBody('anonymous') }),
        emptyToken,
      );
      expectUnauthorized(
        await server.app.inject({
          method: 'PATCH',
          url: `/v1.0/users/${target.id}`,
          payload: { mobilePhone: '+1 4251234567' },
        }),
        emptyToken,
      );
      expectUnauthorized(await server.app.inject({ method: 'DELETE', url: `/v1.0/users/${target.id}` }), emptyToken);
    });

    it('an anonymous request is refused before its body or query is looked at', async () => {
      expectUnauthorized(
        await server.app.inject({
          method: 'PATCH',
          url: `/v1.0/users/${target.id}`,
          headers: { 'content-type': 'application/json' },
          payload: '{"mobilePhone":',
        }),
        emptyToken,
      );
      expectUnauthorized(await server.app.inject({ method: 'GET', url: '/v1.0/users?$top=0' }), emptyToken);
      expectUnauthorized(await server.app.inject({ method: 'GET', url: '/v1.0/users/nobody@contoso.com' }), emptyToken);
    });

    it('an authorization header that is not a bearer token is refused', async () => {
      const message = 'Access token validation failure. The authorization header is not a bearer token.';
      expectUnauthorized(await get('/v1.0/users', { authorization: 'Basic dXNlcjpwYXNz' }), message);
      expectUnauthorized(await get('/v1.0/users', { authorization: 'Bearer' }), message);
      expectUnauthorized(await get('/v1.0/users', { authorization: `Bearer ${writeToken} extra` }), message);
    });

    it('a garbage token is refused', async () => {
      for (const token of [
        'garbage',
        'a.b.c',
        'eyJhbGciOiJSUzI1NiJ9.e30.',
        `${writeToken}x`,
        writeToken.slice(0, -3),
      ]) {
        expectUnauthorized(await get('/v1.0/users', bearer(token)));
      }
      const message = (await get('/v1.0/users', bearer('garbage'))).json() as { error: { message: string } };
      expect(message.error.message).toBe('Access token validation failure. The token is malformed.');
    });

    it('a well-formed token signed with the server key is accepted (control for the forged tokens below)', async () => {
      const response = await get('/v1.0/users', bearer(signWithServerKey(claimsLike())));
      expect(response.statusCode, response.body).toBe(200);
    });

    it('a token signed by a foreign RSA key is refused, whatever kid it claims', async () => {
      const foreign = generateSigningKey();
      const claims = claimsLike({ roles: ['User.ReadWrite.All', 'Directory.ReadWrite.All'] });
      const ownKid = signJwt(claims, { kid: foreign.kid, privateKey: foreign.privateKeyPem });
      expectUnauthorized(
        await get('/v1.0/users', bearer(ownKid)),
        'Access token validation failure. Invalid signature.',
      );
      const stolenKid = signJwt(claims, {
        kid: server.container.tenant.signingKey.kid,
        privateKey: foreign.privateKeyPem,
      });
      expectUnauthorized(
        await get('/v1.0/users', bearer(stolenKid)),
        'Access token validation failure. Invalid signature.',
      );
    });

    it('a token whose payload was edited after signing is refused', async () => {
      const [header, , signature] = writeToken.split('.');
      const edited = `${header}.${base64url(claimsLike({ roles: ['Directory.ReadWrite.All'] }))}.${signature}`;
      expectUnauthorized(
        await server.app.inject({ method: 'DELETE', url: `/v1.0/users/${target.id}`, headers: bearer(edited) }),
        'Access token validation failure. Invalid signature.',
      );
    });

    it('alg none and HS256 tokens are refused', async () => {
      const claims = claimsLike();
      const kid = server.container.tenant.signingKey.kid;
      const none = `${base64url({ alg: 'none', typ: 'JWT', kid })}.${base64url(claims)}.`;
      expectUnauthorized(await get('/v1.0/users', bearer(none)));
      const noneSigned = `${base64url({ alg: 'none', typ: 'JWT', kid })}.${base64url(claims)}.c2ln`;
      expectUnauthorized(
        await get('/v1.0/users', bearer(noneSigned)),
        'Access token validation failure. Invalid signature.',
      );

      // The classic confusion attack: HMAC keyed with the published public key.
      const jwk = server.container.tenant.jwks[0];
      const input = `${base64url({ alg: 'HS256', typ: 'JWT', kid })}.${base64url(claims)}`;
      for (const secret of [JSON.stringify(jwk), String(jwk?.n)]) {
        const hs256 = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        expectUnauthorized(
          await get('/v1.0/users', bearer(hs256)),
          'Access token validation failure. Invalid signature.',
        );
      }
    });

    it('a token for another audience is refused', async () => {
      for (const aud of ['https://graph.windows.net', 'api://someone-else', ['api://someone-else']]) {
        expectUnauthorized(
          await get('/v1.0/users', bearer(signWithServerKey(claimsLike({ aud })))),
          'Access token validation failure. Invalid audience.',
        );
      }
      const accepted = await get(
        '/v1.0/users',
        bearer(signWithServerKey(claimsLike({ aud: '00000003-0000-0000-c000-000000000000' }))),
      );
      expect(accepted.statusCode, accepted.body).toBe(200);
    });

    it('a token from another issuer or tenant is refused', async () => {
      expectUnauthorized(
        await get(
          '/v1.0/users',
          bearer(signWithServerKey(claimsLike({ iss: 'https://login.microsoftonline.com/x/v2.0' }))),
        ),
        'Access token validation failure. Invalid issuer.',
      );
      expectUnauthorized(
        await get(
          '/v1.0/users',
          bearer(signWithServerKey(claimsLike({ tid: '00000000-0000-0000-0000-000000000001' }))),
        ),
        'Access token validation failure. Invalid tenant.',
      );
      // Issued for one host, presented to another.
      expectUnauthorized(
        await get('/v1.0/users', { ...bearer(writeToken), host: 'other.example:8443' }),
        'Access token validation failure. Invalid issuer.',
      );
    });

    it('an expired token is refused once the clock passes exp, even if it was accepted (and cached) before', async () => {
      const token = await server.tokenFor(['User.Read.All']);
      const { exp } = decodePayload(token) as { exp: number };
      expect((await get('/v1.0/users', bearer(token))).statusCode).toBe(200);

      const start = now;
      try {
        now = new Date(exp * 1000 - 1000);
        expect((await get('/v1.0/users', bearer(token))).statusCode).toBe(200);
        now = new Date(exp * 1000);
        expectUnauthorized(
          await get('/v1.0/users', bearer(token)),
          'Lifetime validation failed, the token is expired.',
        );
        now = new Date(exp * 1000 + 86_400_000);
        expectUnauthorized(
          await get('/v1.0/users', bearer(token)),
          'Lifetime validation failed, the token is expired.',
        );
      } finally {
        now = start;
      }
    });

    it('a token that is not valid yet, or has no exp, is refused', async () => {
      const issuedAt = Math.floor(now.getTime() / 1000);
      expectUnauthorized(
        await get(
          '/v1.0/users',
          bearer(signWithServerKey(claimsLike({ nbf: issuedAt + 600, iat: issuedAt + 600, exp: issuedAt + 4000 }))),
        ),
        'Access token validation failure. The token is not yet valid.',
      );
      const { exp: _exp, ...withoutExp } = claimsLike();
      expectUnauthorized(await get('/v1.0/users', bearer(signWithServerKey(withoutExp))));
    });
  });

  describe('permissions', () => {
    let readToken: string;
    let noneToken: string;

    beforeAll(async () => {
      readToken = await server.tokenFor(['User.Read.All']);
      noneToken = await server.tokenFor([]);
    });

    it('User.Read.All can read users', async () => {
      expect((await get('/v1.0/users', bearer(readToken))).statusCode).toBe(200);
      expect((await get(`/v1.0/users/${target.id}`, bearer(readToken))).statusCode).toBe(200);
      expect((await get('/beta/users/target@contoso.com', bearer(readToken))).statusCode).toBe(200);
      const count = await get('/v1.0/users/$count', { ...bearer(readToken), consistencylevel: 'eventual' });
      expect(count.statusCode, count.body).toBe(200);
    });

    it('User.Read.All cannot create, update or delete: 403 Authorization_RequestDenied', async () => {
      const headers = bearer(readToken);
      expectGraphError(
        await server.app.inject({ method: 'POST', url: '/v1.0/users', headers, payload: newUserBody('reader-made') }),
        403,
        'Authorization_RequestDenied',
        insufficientPrivileges,
      );
      expectGraphError(
        await server.app.inject({
          method: 'PATCH',
          url: `/v1.0/users/${target.id}`,
          headers,
          payload: { mobilePhone: '+1 4259999999', otherMails: ['attacker@example.org'] },
        }),
        403,
        'Authorization_RequestDenied',
        insufficientPrivileges,
      );
      expectGraphError(
        await server.app.inject({ method: 'DELETE', url: `/v1.0/users/${target.id}`, headers }),
        403,
        'Authorization_RequestDenied',
        insufficientPrivileges,
      );
      expectGraphError(
        await server.app.inject({
          method: 'PATCH',
          url: '/v1.0/users/nobody@contoso.com',
          headers,
          payload: { jobTitle: 'x' },
        }),
        403,
        'Authorization_RequestDenied',
        insufficientPrivileges,
      );

      // Nothing changed.
      expect((await get('/v1.0/users/reader-made@contoso.com', bearer(writeToken))).statusCode).toBe(404);
      const read = await get(`/v1.0/users/${target.id}?$select=mobilePhone,otherMails`, bearer(writeToken));
      expect(read.json()).toMatchObject({ mobilePhone: null, otherMails: [] });
    });

    it('a token with no user permission cannot read', async () => {
      for (const token of [noneToken, await server.tokenFor(['UserAuthenticationMethod.ReadWrite.All'])]) {
        expectGraphError(
          await get('/v1.0/users', bearer(token)),
          403,
          'Authorization_RequestDenied',
          insufficientPrivileges,
        );
        expectGraphError(
          await get(`/v1.0/users/${target.id}`, bearer(token)),
          403,
          'Authorization_RequestDenied',
          insufficientPrivileges,
        );
        expectGraphError(
          await get('/v1.0/users/$count', { ...bearer(token), consistencylevel: 'eventual' }),
          403,
          'Authorization_RequestDenied',
          insufficientPrivileges,
        );
        // An unknown user does not leak as 404 either.
        expectGraphError(
          await get('/v1.0/users/nobody@contoso.com', bearer(token)),
          403,
          'Authorization_RequestDenied',
        );
      }
    });

    it('Directory.Read.All implies reading users, but not writing them', async () => {
      const token = await server.tokenFor(['Directory.Read.All']);
      expect((await get(`/v1.0/users/${target.id}`, bearer(token))).statusCode).toBe(200);
      expectGraphError(
        await server.app.inject({
          method: 'PATCH',
          url: `/v1.0/users/${target.id}`,
          headers: bearer(token),
          payload: { jobTitle: 'x' },
        }),
        403,
        'Authorization_RequestDenied',
      );
    });
  });

  describe('secrets never leave the server', () => {
    const password = 'Unguessable-Secret-Sauce-42';
    const forbidden = [/password/i, /passwordHash/i, /password_hash/i, /\$argon2/, new RegExp(password)];
    const expectNoSecrets = (response: LightMyRequestResponse) => {
      for (const pattern of forbidden) expect(response.body).not.toMatch(pattern);
    };

    it('no user response contains a password or its hash', async () => {
      const headers = bearer(writeToken);
      const created = await server.app.inject({
        method: 'POST',
        url: '/beta/users',
        headers,
        payload: newUserBody('secretive', password),
      });
      expect(created.statusCode, created.body).toBe(201);
      expectNoSecrets(created);
      const id = (created.json() as { id: string }).id;

      const patched = await server.app.inject({
        method: 'PATCH',
        url: `/v1.0/users/${id}`,
        headers,
        payload: { passwordProfile: { password: `${password}-2`, forceChangePasswordNextSignIn: false } },
      });
      expect(patched.statusCode, patched.body).toBe(204);
      expectNoSecrets(patched);

      const reads = [
        `/v1.0/users/${id}`,
        `/beta/users/${id}`,
        `/beta/users/${id}?$select=*`,
        `/v1.0/users/${id}?$select=*`,
        '/beta/users?$top=999',
        '/v1.0/users?$select=*',
        `/beta/users?$filter=${encodeURIComponent(`id eq '${id}'`)}`,
      ];
      for (const url of reads) {
        const response = await get(url, headers);
        expect(response.statusCode, response.body).toBe(200);
        expect(response.body).toContain(id);
        expectNoSecrets(response);
      }
    });

    it('errors about passwords do not echo the password', async () => {
      const headers = bearer(writeToken);
      const duplicate = await server.app.inject({
        method: 'POST',
        url: '/v1.0/users',
        headers,
        payload: newUserBody('target', password),
      });
      expect(duplicate.statusCode).toBe(400);
      expect(duplicate.body).not.toContain(password);
      const weak = 'weakweakweak';
      const refused = await server.app.inject({
        method: 'PATCH',
        url: `/v1.0/users/${target.id}`,
        headers,
        payload: { passwordProfile: { password: weak } },
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).not.toContain(weak);
    });
  });
});
