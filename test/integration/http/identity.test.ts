import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

type Json = Record<string, unknown>;

const graphScope = 'https://graph.microsoft.com/.default';
const fixedNow = new Date('2031-05-06T07:08:09.000Z');
const form = { 'content-type': 'application/x-www-form-urlencoded' };

function decodeSegment(token: string, index: 0 | 1): Json {
  const segment = token.split('.')[index] ?? '';
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Json;
}

function encodeForm(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** RFC 6749 error body with Entra's extra fields. */
function expectOAuthError(
  response: LightMyRequestResponse,
  status: number,
  error: string,
  aadsts: number,
  description?: string,
): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json() as Json & { error_description: string };
  expect(body).toMatchObject({
    error,
    error_codes: [aadsts],
    timestamp: '2031-05-06 07:08:09Z',
    trace_id: response.headers['request-id'],
    correlation_id: response.headers['client-request-id'],
  });
  expect(body.error_description).toMatch(new RegExp(`^AADSTS${aadsts}: `));
  if (description !== undefined) expect(body.error_description).toContain(`AADSTS${aadsts}: ${description}`);
  expect(body.error_description).toContain(`Trace ID: ${body.trace_id}`);
  expect(body.error_description).toContain(`Correlation ID: ${body.correlation_id}`);
  expect(body.error_description).toContain('Timestamp: 2031-05-06 07:08:09Z');
  expect(body).not.toHaveProperty('access_token');
}

describe('identity platform endpoints', () => {
  let server: TestServer;
  let tenantId: string;
  let client: { id: string; secret: string; permissions: string[] };

  const token = (segment: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    server.app.inject({
      method: 'POST',
      url: `/${segment}/oauth2/v2.0/token`,
      headers: { ...form, ...headers },
      payload: encodeForm(fields),
    });

  const clientCredentials = (overrides: Record<string, string> = {}): Record<string, string> => ({
    grant_type: 'client_credentials',
    client_id: client.id,
    client_secret: client.secret,
    scope: graphScope,
    ...overrides,
  });

  beforeAll(async () => {
    server = await createTestServer({ clock: () => fixedNow });
    tenantId = server.container.tenant.tenantId;
    const permissions = ['User.Read.All', 'UserAuthenticationMethod.Read.All'];
    const created = await server.container.apps.createApp(operator, { displayName: 'Identity test app', permissions });
    client = { id: created.app.appId, secret: created.clientSecret, permissions };
  });
  afterAll(async () => server.close());

  describe('token endpoint: client credentials', () => {
    it('issues a bearer token for a secret in the body', async () => {
      const response = await token(tenantId, clientCredentials());
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.json() as Json;
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
      expect(body).toMatchObject({
        token_type: 'Bearer',
        expires_in: expect.any(Number),
        ext_expires_in: expect.any(Number),
        access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      });
      expect(body.expires_in).toBeGreaterThan(0);
    });

    it('issues a bearer token for a secret sent with HTTP Basic (form-url-encoded parts)', async () => {
      const basic = Buffer.from(
        `${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`,
        'utf8',
      ).toString('base64');
      const response = await token(
        tenantId,
        { grant_type: 'client_credentials', scope: graphScope },
        { authorization: `Basic ${basic}` },
      );
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    });

    it('puts the expected claims in an RS256 JWT', async () => {
      const response = await token(tenantId, clientCredentials(), { host: 'sspr.test:8443' });
      const { access_token: accessToken, expires_in: expiresIn } = response.json() as {
        access_token: string;
        expires_in: number;
      };
      const header = decodeSegment(accessToken, 0);
      expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: server.container.tenant.signingKey.kid });
      const claims = decodeSegment(accessToken, 1);
      const issuedAt = Math.floor(fixedNow.getTime() / 1000);
      expect(claims).toMatchObject({
        aud: 'https://graph.microsoft.com',
        iss: `http://sspr.test:8443/${tenantId}/v2.0`,
        tid: tenantId,
        oid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        appid: client.id,
        azp: client.id,
        roles: client.permissions,
        iat: issuedAt,
        nbf: issuedAt,
        exp: issuedAt + expiresIn,
      });
      expect(claims.oid).not.toBe(client.id);
      expect(claims).not.toHaveProperty('scp');

      // The token works against the Graph API on the host it was issued for.
      const read = await server.app.inject({
        method: 'GET',
        url: '/v1.0/users?$top=1',
        headers: { host: 'sspr.test:8443', authorization: `Bearer ${accessToken}` },
      });
      expect(read.statusCode, read.body).toBe(200);
    });

    it('accepts the tenant id, a verified domain, organizations and common as the tenant segment', async () => {
      for (const segment of [
        tenantId,
        tenantId.toUpperCase(),
        'contoso.com',
        'Contoso.COM',
        'organizations',
        'common',
      ]) {
        const response = await token(segment, clientCredentials());
        expect(response.statusCode, `${segment}: ${response.body}`).toBe(200);
        const claims = decodeSegment((response.json() as { access_token: string }).access_token, 1);
        expect(claims.tid).toBe(tenantId);
        expect(claims.iss).toMatch(new RegExp(`/${tenantId}/v2\\.0$`));
      }
    });

    it('accepts the Graph resource by its app id, and the client id in any case', async () => {
      const byAppId = await token(
        tenantId,
        clientCredentials({ scope: '00000003-0000-0000-c000-000000000000/.default' }),
      );
      expect(byAppId.statusCode, byAppId.body).toBe(200);
      const upper = await token(tenantId, clientCredentials({ client_id: client.id.toUpperCase() }));
      expect(upper.statusCode, upper.body).toBe(200);
    });
  });

  describe('token endpoint: errors', () => {
    it('an unknown tenant is refused', async () => {
      expectOAuthError(
        await token('fabrikam.com', clientCredentials()),
        400,
        'invalid_request',
        90002,
        "Tenant 'fabrikam.com' not found.",
      );
      expectOAuthError(
        await token('00000000-0000-0000-0000-000000000000', clientCredentials()),
        400,
        'invalid_request',
        90002,
      );
    });

    it('a wrong secret is 401 invalid_client', async () => {
      const response = await token(tenantId, clientCredentials({ client_secret: `${client.secret}x` }), {
        'client-request-id': 'b3a3c5de-0000-4000-8000-000000000001',
      });
      expectOAuthError(response, 401, 'invalid_client', 7000215, 'Invalid client secret provided.');
      expect(response.json()).toMatchObject({ correlation_id: 'b3a3c5de-0000-4000-8000-000000000001' });
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).not.toContain(client.secret);
    });

    it('a wrong secret over HTTP Basic is 401 invalid_client, and malformed Basic credentials too', async () => {
      const wrong = Buffer.from(`${client.id}:not-the-secret`).toString('base64');
      expectOAuthError(
        await token(
          tenantId,
          { grant_type: 'client_credentials', scope: graphScope },
          { authorization: `Basic ${wrong}` },
        ),
        401,
        'invalid_client',
        7000215,
      );
      const noColon = Buffer.from('just-a-client-id').toString('base64');
      expectOAuthError(
        await token(
          tenantId,
          { grant_type: 'client_credentials', scope: graphScope },
          { authorization: `Basic ${noColon}` },
        ),
        401,
        'invalid_client',
        7000215,
      );
      const badEscape = Buffer.from(`${client.id}:%zz`).toString('base64');
      expectOAuthError(
        await token(
          tenantId,
          { grant_type: 'client_credentials', scope: graphScope },
          { authorization: `Basic ${badEscape}` },
        ),
        401,
        'invalid_client',
        7000215,
      );
    });

    it('a missing secret is 401 invalid_client', async () => {
      const { client_secret: _secret, ...withoutSecret } = clientCredentials();
      expectOAuthError(await token(tenantId, withoutSecret), 401, 'invalid_client', 7000215);
    });

    it('an unknown client id is refused', async () => {
      const unknown = '11111111-2222-3333-4444-555555555555';
      expectOAuthError(
        await token(tenantId, clientCredentials({ client_id: unknown })),
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${unknown}' was not found in the directory '${tenantId}'.`,
      );
      const { client_id: _id, ...withoutId } = clientCredentials();
      expectOAuthError(
        await token(tenantId, withoutId),
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    });

    it('a scope other than the Graph .default scope is refused', async () => {
      for (const scope of [
        'User.Read.All',
        'https://graph.microsoft.com/User.Read.All',
        `${graphScope} offline_access`,
        'https://example.org/.default',
      ]) {
        expectOAuthError(
          await token(tenantId, clientCredentials({ scope })),
          400,
          'invalid_scope',
          1002012,
          `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
        );
      }
      const { scope: _scope, ...withoutScope } = clientCredentials();
      expectOAuthError(await token(tenantId, withoutScope), 400, 'invalid_request', 900144);
    });

    it('an unsupported grant type is refused', async () => {
      expectOAuthError(
        await token(tenantId, clientCredentials({ grant_type: 'password' })),
        400,
        'unsupported_grant_type',
        70003,
        "The provided value 'password' for the input parameter 'grant_type' is not valid.",
      );
    });

    it('a missing grant_type is refused', async () => {
      const { grant_type: _grant, ...withoutGrant } = clientCredentials();
      expectOAuthError(
        await token(tenantId, withoutGrant),
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
      const empty = await server.app.inject({ method: 'POST', url: `/${tenantId}/oauth2/v2.0/token` });
      expectOAuthError(empty, 400, 'invalid_request', 900144);
    });

    it('a JSON body is not a token request, even with the right fields', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: `/${tenantId}/oauth2/v2.0/token`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(clientCredentials()),
      });
      expectOAuthError(
        response,
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
    });

    it('a body that is not a form never causes a 500', async () => {
      const bodies: [string, string][] = [
        [
          'application/json',
          JSON.stringify({ grant_type: 'client_credentials', client_id: 5, client_secret: 'x', scope: graphScope }),
        ],
        [
          'application/json',
          JSON.stringify({
            grant_type: 'client_credentials',
            client_id: client.id,
            client_secret: client.secret,
            scope: ['x'],
          }),
        ],
        ['application/json', JSON.stringify({ grant_type: ['client_credentials'] })],
        ['application/json', '{"grant_type":'],
        ['application/json', '[1,2]'],
        ['text/plain', 'grant_type=client_credentials'],
        ['application/octet-stream', 'grant_type=client_credentials'],
      ];
      for (const [contentType, payload] of bodies) {
        const response = await server.app.inject({
          method: 'POST',
          url: `/${tenantId}/oauth2/v2.0/token`,
          headers: { 'content-type': contentType },
          payload,
        });
        expect(response.statusCode, `${contentType} ${payload}: ${response.body}`).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, `${contentType} ${payload}: ${response.body}`).toBeLessThan(500);
        const body = response.json() as Json;
        expect(body.error, response.body).toEqual(expect.any(String));
        expect(body.error_codes).toEqual([expect.any(Number)]);
        expect(body).not.toHaveProperty('access_token');
      }
    });
  });

  describe('discovery documents', () => {
    const host = 'example.test:8443';
    const base = `http://${host}`;

    it('openid-configuration names the host the client called', async () => {
      const response = await server.app.inject({
        method: 'GET',
        url: `/${tenantId}/v2.0/.well-known/openid-configuration`,
        headers: { host },
      });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json() as Json;
      expect(body).toMatchObject({
        issuer: `${base}/${tenantId}/v2.0`,
        token_endpoint: `${base}/${tenantId}/oauth2/v2.0/token`,
        jwks_uri: `${base}/${tenantId}/discovery/v2.0/keys`,
        authorization_endpoint: `${base}/${tenantId}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/${tenantId}/oauth2/v2.0/devicecode`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: expect.arrayContaining(['client_secret_post', 'client_secret_basic']),
      });
      for (const [name, value] of Object.entries(body)) {
        if (typeof value === 'string' && /^https?:/.test(value)) {
          expect(value.startsWith(base), `${name}: ${value}`).toBe(true);
        }
      }
    });

    it('openid-configuration for a domain or organizations keeps that segment in endpoints and the tenant id in the issuer', async () => {
      for (const segment of ['contoso.com', 'organizations', 'common']) {
        const response = await server.app.inject({
          method: 'GET',
          url: `/${segment}/v2.0/.well-known/openid-configuration`,
          headers: { host },
        });
        expect(response.statusCode, response.body).toBe(200);
        expect(response.json()).toMatchObject({
          issuer: `${base}/${tenantId}/v2.0`,
          token_endpoint: `${base}/${segment}/oauth2/v2.0/token`,
        });
      }
    });

    it('the issuer in the document is the issuer in tokens from the same host', async () => {
      const issued = await token('organizations', clientCredentials(), { host });
      const claims = decodeSegment((issued.json() as { access_token: string }).access_token, 1);
      const document = await server.app.inject({
        method: 'GET',
        url: '/organizations/v2.0/.well-known/openid-configuration',
        headers: { host },
      });
      expect(claims.iss).toBe((document.json() as Json).issuer);
    });

    it('an unknown tenant has no openid-configuration or keys', async () => {
      for (const url of ['/fabrikam.com/v2.0/.well-known/openid-configuration', '/fabrikam.com/discovery/v2.0/keys']) {
        const response = await server.app.inject({ method: 'GET', url, headers: { host } });
        expect(response.statusCode, response.body).toBe(400);
        expect(response.body).toContain('fabrikam.com');
        expect(response.body).not.toContain('"keys"');
        expect(response.body).not.toContain('"issuer"');
      }
    });

    it('the JWKS publishes the kid used in tokens, public parts only', async () => {
      const issued = await token(tenantId, clientCredentials());
      const { kid } = decodeSegment((issued.json() as { access_token: string }).access_token, 0);
      const response = await server.app.inject({
        method: 'GET',
        url: `/${tenantId}/discovery/v2.0/keys`,
        headers: { host },
      });
      expect(response.statusCode, response.body).toBe(200);
      const { keys } = response.json() as { keys: Json[] };
      const key = keys.find((candidate) => candidate.kid === kid);
      expect(key).toMatchObject({ kty: 'RSA', use: 'sig', kid, n: expect.any(String), e: 'AQAB' });
      for (const published of keys) {
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(published).not.toHaveProperty(secret);
      }
    });

    it('/common/discovery/instance has the shape MSAL expects, naming the called host', async () => {
      const response = await server.app.inject({
        method: 'GET',
        url: `/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${base}/common/oauth2/v2.0/authorize`)}`,
        headers: { host },
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({
        tenant_discovery_endpoint: `${base}/${tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    });
  });
});
