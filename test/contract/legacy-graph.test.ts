// The AzureAD PowerShell module's calls, made with MSAL Node and fetch over HTTPS against the real server:
//
//   Connect-AzureAD -TenantId ... -ApplicationId ... (a token for https://graph.windows.net)
//   Set-AzureADUser -ObjectId user@contoso.com -Mobile "+1 4251234567" -TelephoneNumber "+1 4252345678" -OtherMails @("emergency@phone.com")
//   Get-AzureADUser -ObjectId user@contoso.com
//   Get-AzureADUser -Filter "userPrincipalName eq 'user@contoso.com'"
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Container, createContainer } from '../../src/container.js';
import type { RequestContext } from '../../src/domain/audit.js';
import { buildServer } from '../../src/http/server.js';
import { testCertificates } from '../support/test-certificates.js';

const operator: RequestContext = {
  principal: { kind: 'operator', name: 'legacy contract test' },
  correlationId: 'legacy-contract',
  ipAddress: null,
};

describe('MSAL Node token for https://graph.windows.net and the legacy Azure AD Graph API over HTTPS', () => {
  let dataDir: string | undefined;
  let container: Container | undefined;
  let app: FastifyInstance | undefined;
  let baseUrl: string;
  let msal: ConfidentialClientApplication;

  beforeAll(async () => {
    const https = testCertificates();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-legacy-contract-'));
    const config = loadConfig({ env: {}, flags: { dataDir, tenantDomain: 'contoso.com', logLevel: 'silent' } });
    container = await createContainer(config);
    app = await buildServer(container, { https });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const host = `localhost:${port}`;
    baseUrl = `https://${host}`;
    const created = await container.apps.createApp(operator, {
      displayName: 'AzureAD module script',
      permissions: ['Directory.ReadWrite.All'],
    });
    msal = new ConfidentialClientApplication({
      auth: {
        clientId: created.app.appId,
        clientSecret: created.clientSecret,
        authority: `${baseUrl}/${container.tenant.tenantId}`,
        knownAuthorities: [host],
      },
    });
    await container.users.createUser(operator, {
      userPrincipalName: 'user@contoso.com',
      displayName: 'Seed User',
      accountEnabled: true,
      mailNickname: 'user',
      passwordProfile: { password: `Kx7!${randomUUID()}`, forceChangePasswordNextSignIn: false },
    });
  });

  afterAll(async () => {
    await app?.close();
    await container?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('acquires the token, sets the contact info and reads it back in the 1.6 shape', async () => {
    const result = await msal.acquireTokenByClientCredential({ scopes: ['https://graph.windows.net/.default'] });
    expect(result?.accessToken).toBeTruthy();
    const claims = JSON.parse(Buffer.from(result!.accessToken.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims.aud).toBe('https://graph.windows.net');
    const headers = {
      authorization: `Bearer ${result!.accessToken}`,
      accept: 'application/json',
      'client-request-id': randomUUID(),
    };
    const tenant = container!.tenant.tenantId;

    const patched = await fetch(`${baseUrl}/${tenant}/users/user@contoso.com?api-version=1.6`, {
      method: 'PATCH',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        mobile: '+1 4251234567',
        telephoneNumber: '+1 4252345678',
        otherMails: ['emergency@phone.com'],
      }),
    });
    expect(patched.status, await patched.clone().text()).toBe(204);
    expect(patched.headers.get('client-request-id')).toBe(headers['client-request-id']);

    const read = await fetch(`${baseUrl}/${tenant}/users/user@contoso.com?api-version=1.6`, { headers });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      'odata.metadata': `${baseUrl}/${tenant}/$metadata#directoryObjects/Microsoft.DirectoryServices.User/@Element`,
      objectType: 'User',
      userPrincipalName: 'user@contoso.com',
      mobile: '+1 4251234567',
      telephoneNumber: '+1 4252345678',
      otherMails: ['emergency@phone.com'],
      dirSyncEnabled: null,
    });

    const filter = encodeURIComponent("userPrincipalName eq 'user@contoso.com'");
    const listed = await fetch(`${baseUrl}/myorganization/users?api-version=1.6&$filter=${filter}`, { headers });
    const body = (await listed.json()) as { value: { mobile: string }[] };
    expect(body.value).toEqual([expect.objectContaining({ mobile: '+1 4251234567' })]);

    // The same token is no Graph token.
    const graph = await fetch(`${baseUrl}/v1.0/users/user@contoso.com`, { headers });
    expect(graph.status).toBe(401);
  });
});
