import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { operator, type TestServer } from './test-container.js';

/** A client-credentials token for the Azure AD Graph resource, as the AzureAD module's service principal asks for. */
export async function azureAdGraphTokenFor(
  server: TestServer,
  permissions: readonly string[],
  scope = 'https://graph.windows.net/.default',
): Promise<string> {
  const created = await server.container.apps.createApp(operator, {
    displayName: `legacy app ${permissions.join(' ')}`,
    permissions,
  });
  const response = await server.app.inject({
    method: 'POST',
    url: `/${server.container.tenant.tenantId}/oauth2/v2.0/token`,
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: created.app.appId,
      client_secret: created.clientSecret,
      scope,
    }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (response.statusCode !== 200) throw new Error(`token request failed: ${response.body}`);
  return (response.json() as { access_token: string }).access_token;
}

/** Headers the AzureAD module (its Azure AD Graph client) sends on every call. */
export function azureAdModuleHeaders(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    accept: 'application/json',
    'client-request-id': randomUUID(),
    'user-agent': 'Swagger-Codegen/1.4.0.0/csharp',
  };
}

export function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** `{"odata.error":{"code","message":{"lang":"en","value"}}}` and nothing else. */
export function expectLegacyError(
  response: LightMyRequestResponse,
  status: number,
  code: string,
  message?: string | RegExp,
): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json() as { 'odata.error': { code: string; message: { lang: string; value: string } } };
  expect(Object.keys(body)).toEqual(['odata.error']);
  expect(Object.keys(body['odata.error'])).toEqual(['code', 'message']);
  expect(body['odata.error'].code).toBe(code);
  expect(body['odata.error'].message.lang).toBe('en');
  if (typeof message === 'string') expect(body['odata.error'].message.value).toBe(message);
  else if (message) expect(body['odata.error'].message.value).toMatch(message);
}
