// The device code flow as an administrator runs it from a terminal (`Connect-MgGraph -UseDeviceCode`, `az login
// --use-device-code`): `@azure/msal-node`'s PublicClientApplication.acquireTokenByDeviceCode against this server over
// HTTPS, the sign-in completed in "the browser" (fetch: the form, its CSRF token and cookie), then the official Graph
// JS client managing a user's phone and email methods with the delegated token.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type AuthenticationResult, type DeviceCodeRequest, PublicClientApplication } from '@azure/msal-node';
import { type AuthenticationProvider, Client, GraphError } from '@microsoft/microsoft-graph-client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Container, createContainer } from '../../src/container.js';
import type { RequestContext } from '../../src/domain/audit.js';
import { buildServer } from '../../src/http/server.js';
import { testCertificates } from '../support/test-certificates.js';

const graphScope = 'https://graph.microsoft.com/.default';
const mobileId = '3179e48a-750b-4051-897c-87b9720928f7';
const emailId = '3ddfcfc8-9383-446f-83cc-3ab9be4be18f';

/** What MSAL hands the device code callback (its type is not exported by name). */
type DeviceCodeResponse = Parameters<DeviceCodeRequest['deviceCodeCallback']>[0];

const operator: RequestContext = {
  principal: { kind: 'operator', name: 'device code contract test' },
  correlationId: 'device-code-contract',
  ipAddress: null,
};

/** What a person does in the browser: open the verification page, enter the code and their credentials. */
async function completeDeviceLogin(response: DeviceCodeResponse, userPrincipalName: string, password: string) {
  const page = await fetch(response.verificationUri);
  const html = await page.text();
  expect(page.status, html).toBe(200);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  const cookie = page.headers.get('set-cookie')?.split(';')[0];
  if (!csrf || !cookie) throw new Error('the sign-in page has no CSRF token');
  const signedIn = await fetch(response.verificationUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({
      csrf_token: csrf,
      user_code: response.userCode,
      username: userPrincipalName,
      password,
      action: 'approve',
    }),
  });
  const body = await signedIn.text();
  if (signedIn.status !== 200) throw new Error(`sign-in failed (${signedIn.status}): ${body}`);
  expect(body).toContain('You have signed in to');
}

describe('MSAL Node device code flow and the Graph JS client with a delegated token, over HTTPS', () => {
  let dataDir: string | undefined;
  let container: Container | undefined;
  let app: FastifyInstance | undefined;
  let baseUrl: string;
  let host: string;
  let clientId: string;
  let adminPassword: string;

  beforeAll(async () => {
    const https = testCertificates();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-contract-device-'));
    const config = loadConfig({ env: {}, flags: { dataDir, tenantDomain: 'contoso.com', logLevel: 'silent' } });
    container = await createContainer(config);
    app = await buildServer(container, { https });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    host = `localhost:${port}`;
    baseUrl = `https://${host}`;
    clientId = (await container.apps.createApp(operator, { displayName: 'Helpdesk console', permissions: [] })).app
      .appId;
    const lines = readFileSync(path.join(dataDir, 'initial-admin-password.txt'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'));
    adminPassword = lines[lines.length - 1] ?? '';
    await container.users.createUser(operator, {
      userPrincipalName: 'ada@contoso.com',
      displayName: 'Ada Lovelace',
      accountEnabled: true,
      mailNickname: 'ada',
      passwordProfile: { password: 'Analytical-Engine-1843', forceChangePasswordNextSignIn: false },
    });
  });

  afterAll(async () => {
    await app?.close();
    await container?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs the Global Administrator in by device code and manages phone and email methods of a user', async () => {
    const msal = new PublicClientApplication({
      auth: { clientId, authority: `${baseUrl}/contoso.com`, knownAuthorities: [host] },
    });
    let browser: Promise<void> | undefined;
    let shown: DeviceCodeResponse | undefined;
    const result = (await msal.acquireTokenByDeviceCode({
      scopes: [graphScope],
      deviceCodeCallback: (response) => {
        shown = response;
        browser = completeDeviceLogin(response, 'admin@contoso.com', adminPassword);
        // Awaited below; marked handled so a failing MSAL call reports its own error, not an unhandled rejection.
        browser.catch(() => undefined);
      },
    })) as AuthenticationResult;
    await browser;
    expect(shown?.message).toMatch(
      /^To sign in, use a web browser to open the page https:\/\/localhost:\d+\/devicelogin/,
    );
    expect(result.account?.username).toBe('admin@contoso.com');
    expect(result.account?.homeAccountId).toBe(`${result.uniqueId}.${container!.tenant.tenantId}`);

    let accessToken = result.accessToken;
    const authProvider: AuthenticationProvider = { getAccessToken: async () => accessToken };
    const graph = Client.initWithMiddleware({
      authProvider,
      baseUrl: `${baseUrl}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set(['localhost']),
    });

    expect(await graph.api('/me').select(['userPrincipalName']).get()).toMatchObject({
      userPrincipalName: 'admin@contoso.com',
    });
    const methods = '/users/ada@contoso.com/authentication';
    expect(
      await graph.api(`${methods}/phoneMethods`).post({ phoneNumber: '+1 4255550100', phoneType: 'mobile' }),
    ).toMatchObject({ id: mobileId, phoneNumber: '+1 4255550100', phoneType: 'mobile' });
    await graph.api(`${methods}/phoneMethods/${mobileId}`).patch({ phoneNumber: '+1 4255550111' });
    expect(await graph.api(`${methods}/emailMethods`).post({ emailAddress: 'ada@example.org' })).toMatchObject({
      id: emailId,
      emailAddress: 'ada@example.org',
    });
    const all = await graph.api(`${methods}/methods`).get();
    expect(all.value).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          '@odata.type': '#microsoft.graph.phoneAuthenticationMethod',
          phoneNumber: '+1 4255550111',
        }),
        expect.objectContaining({
          '@odata.type': '#microsoft.graph.emailAuthenticationMethod',
          emailAddress: 'ada@example.org',
        }),
      ]),
    );
    await graph.api(`${methods}/emailMethods/${emailId}`).delete();

    // MSAL's refresh token (single use, rotated) gets a fresh token for the same account.
    const refreshed = await msal.acquireTokenSilent({
      account: result.account!,
      scopes: [graphScope],
      forceRefresh: true,
    });
    expect(refreshed.accessToken).not.toBe(result.accessToken);
    accessToken = refreshed.accessToken;
    const phones = await graph.api(`${methods}/phoneMethods`).get();
    expect(phones.value).toEqual([expect.objectContaining({ id: mobileId, phoneNumber: '+1 4255550111' })]);
    const missing = await graph
      .api(`${methods}/emailMethods/${emailId}`)
      .get()
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(GraphError);
    expect((missing as GraphError).statusCode).toBe(404);
  }, 60_000);
});
