// Acceptance test of the foundation: the official Microsoft clients, unchanged, against the real server over HTTPS.
// It does what this seed script does with the Microsoft Graph PowerShell SDK:
//
//   Connect-MgGraph -Scopes "User.ReadWrite.All"
//   Update-MgUser -UserId user@domain.com -OtherMails @("emergency@phone.com")
//   Update-MgUser -UserId user@domain.com -MobilePhone "+1 4251234567"
//   Update-MgUser -UserId user@domain.com -BusinessPhones "+1 4252345678"
//   Update-MgUser -UserId user@domain.com -OtherMails @("emergency@phone.com") -MobilePhone "+1 4251234567" -BusinessPhones "+1 4252345678"
//   Get-MgUser -UserId user@domain.com -Property otherMails,mobilePhone,businessPhones | select otherMails,mobilePhone,businessPhones
//   Get-MgUser -All -Property displayName,userPrincipalName,otherMails,mobilePhone,businessPhones | Format-Table
//
// with `@azure/msal-node` (client credentials, this server as the authority) and `@microsoft/microsoft-graph-client`.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfidentialClientApplication } from '@azure/msal-node';
import {
  type AuthenticationProvider,
  BatchRequestContent,
  BatchResponseContent,
  Client,
  GraphError,
  type PageCollection,
  PageIterator,
} from '@microsoft/microsoft-graph-client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Container, createContainer } from '../../src/container.js';
import type { RequestContext } from '../../src/domain/audit.js';
import { buildServer } from '../../src/http/server.js';
import { testCertificates } from '../support/test-certificates.js';

const graphScope = 'https://graph.microsoft.com/.default';
const contactFields = ['otherMails', 'mobilePhone', 'businessPhones'] as const;
const tableColumns = ['displayName', 'userPrincipalName', 'otherMails', 'mobilePhone', 'businessPhones'] as const;

const operator: RequestContext = {
  principal: { kind: 'operator', name: 'graph-sdk contract test' },
  correlationId: 'graph-sdk-contract',
  ipAddress: null,
};

interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

type GraphUser = Record<string, unknown>;

/** `Connect-MgGraph`: MSAL gets an app-only token for Graph, and the Graph client sends it to this server. */
function graphClientFor(msal: ConfidentialClientApplication, baseUrl: string): Client {
  const authProvider: AuthenticationProvider = {
    async getAccessToken() {
      const result = await msal.acquireTokenByClientCredential({ scopes: [graphScope] });
      if (!result?.accessToken) throw new Error('MSAL returned no access token');
      return result.accessToken;
    },
  };
  return Client.initWithMiddleware({
    authProvider,
    baseUrl: `${baseUrl}/`,
    defaultVersion: 'v1.0',
    // The Graph client attaches the token only to Graph's own hosts and these.
    customHosts: new Set(['localhost']),
  });
}

/** What a GraphError carries, for comparing in one assertion. */
async function graphFailure(request: Promise<unknown>): Promise<{ statusCode: number; code: string | null }> {
  try {
    await request;
  } catch (error) {
    if (!(error instanceof GraphError)) throw error;
    return { statusCode: error.statusCode, code: error.code };
  }
  throw new Error('the request succeeded, but a GraphError was expected');
}

describe('Microsoft Graph JS client and MSAL Node against the server over HTTPS', () => {
  let dataDir: string | undefined;
  let container: Container | undefined;
  let app: FastifyInstance | undefined;
  let baseUrl: string;
  let authority: string;
  let host: string;
  let readWrite: ClientCredentials;
  let readOnly: ClientCredentials;

  const knownAuthorityClient = (credentials: ClientCredentials) =>
    new ConfidentialClientApplication({
      auth: { ...credentials, authority, knownAuthorities: [host] },
    });

  beforeAll(async () => {
    const https = testCertificates();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-contract-'));
    const config = loadConfig({ env: {}, flags: { dataDir, tenantDomain: 'contoso.com', logLevel: 'silent' } });
    container = await createContainer(config);
    app = await buildServer(container, { https });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    host = `localhost:${port}`;
    baseUrl = `https://${host}`;
    authority = `${baseUrl}/${container.tenant.tenantId}`;

    const createApp = async (displayName: string, permissions: string[]): Promise<ClientCredentials> => {
      const created = await container!.apps.createApp(operator, { displayName, permissions });
      return { clientId: created.app.appId, clientSecret: created.clientSecret };
    };
    readWrite = await createApp('contact info script', ['User.ReadWrite.All']);
    readOnly = await createApp('contact info report', ['User.Read.All']);

    const people = [
      { userPrincipalName: 'user@contoso.com', displayName: 'Seed User' },
      { userPrincipalName: 'ada@contoso.com', displayName: 'Ada Lovelace', otherMails: ['ada@example.org'] },
      { userPrincipalName: 'grace@contoso.com', displayName: 'Grace Hopper', mobilePhone: '+1 4255550101' },
      { userPrincipalName: 'alan@contoso.com', displayName: 'Alan Turing', businessPhones: ['+44 2079460000'] },
    ];
    for (const person of people) {
      await container.users.createUser(operator, {
        ...person,
        accountEnabled: true,
        mailNickname: person.userPrincipalName.split('@')[0]!,
        passwordProfile: { password: `Kx7!${randomUUID()}`, forceChangePasswordNextSignIn: false },
      });
    }
  });

  afterAll(async () => {
    await app?.close();
    await container?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the seed script: each update alone, then all at once, reads back exactly and shows in the table', async () => {
    const graph = graphClientFor(knownAuthorityClient(readWrite), baseUrl);
    const user = '/users/user@contoso.com';
    const readContactInfo = () =>
      graph
        .api(user)
        .select([...contactFields])
        .get();

    // Update-MgUser -OtherMails @("emergency@phone.com")
    expect(await graph.api(user).patch({ otherMails: ['emergency@phone.com'] })).toBeUndefined();
    expect(await readContactInfo()).toEqual({
      '@odata.context': expect.stringContaining('$metadata#users('),
      otherMails: ['emergency@phone.com'],
      mobilePhone: null,
      businessPhones: [],
    });

    // Update-MgUser -MobilePhone "+1 4251234567"
    await graph.api(user).patch({ mobilePhone: '+1 4251234567' });
    expect(await readContactInfo()).toMatchObject({
      otherMails: ['emergency@phone.com'],
      mobilePhone: '+1 4251234567',
      businessPhones: [],
    });

    // Update-MgUser -BusinessPhones "+1 4252345678"
    await graph.api(user).patch({ businessPhones: ['+1 4252345678'] });
    const afterEach = await readContactInfo();
    expect(afterEach).toMatchObject({
      otherMails: ['emergency@phone.com'],
      mobilePhone: '+1 4251234567',
      businessPhones: ['+1 4252345678'],
    });
    expect(Object.keys(afterEach).sort()).toEqual(['@odata.context', ...contactFields].sort());

    // Clear the three fields, so the combined update below has something to do.
    await graph.api(user).patch({ otherMails: [], mobilePhone: null, businessPhones: [] });
    expect(await readContactInfo()).toMatchObject({ otherMails: [], mobilePhone: null, businessPhones: [] });

    // Update-MgUser -OtherMails @("emergency@phone.com") -MobilePhone "+1 4251234567" -BusinessPhones "+1 4252345678"
    await graph.api(user).patch({
      otherMails: ['emergency@phone.com'],
      mobilePhone: '+1 4251234567',
      businessPhones: ['+1 4252345678'],
    });

    // Get-MgUser -UserId user@domain.com -Property otherMails,mobilePhone,businessPhones
    expect(await readContactInfo()).toEqual({
      '@odata.context': expect.stringContaining('$metadata#users('),
      otherMails: ['emergency@phone.com'],
      mobilePhone: '+1 4251234567',
      businessPhones: ['+1 4252345678'],
    });

    // Get-MgUser -All -Property displayName,userPrincipalName,otherMails,mobilePhone,businessPhones | Format-Table
    // Small pages, so the table is only complete if the client follows @odata.nextLink.
    const firstPage: PageCollection = await graph
      .api('/users')
      .select([...tableColumns])
      .top(2)
      .get();
    expect(firstPage['@odata.nextLink']).toMatch(new RegExp(`^${baseUrl}/v1\\.0/users\\?`));
    const table: GraphUser[] = [];
    await new PageIterator(graph, firstPage, (row: GraphUser) => {
      table.push(row);
      return true;
    }).iterate();

    expect(table.map((row) => row.userPrincipalName).sort()).toEqual([
      'ada@contoso.com',
      'admin@contoso.com',
      'alan@contoso.com',
      'grace@contoso.com',
      'user@contoso.com',
    ]);
    for (const row of table) expect(Object.keys(row).sort()).toEqual([...tableColumns].sort());
    expect(table.find((row) => row.userPrincipalName === 'user@contoso.com')).toEqual({
      displayName: 'Seed User',
      userPrincipalName: 'user@contoso.com',
      otherMails: ['emergency@phone.com'],
      mobilePhone: '+1 4251234567',
      businessPhones: ['+1 4252345678'],
    });
    expect(table.find((row) => row.userPrincipalName === 'alan@contoso.com')).toMatchObject({
      otherMails: [],
      mobilePhone: null,
      businessPhones: ['+44 2079460000'],
    });
  });

  it('accepts the instance discovery document served at /common/discovery/instance as cloudDiscoveryMetadata', async () => {
    const discovery = new URL(`${baseUrl}/common/discovery/instance`);
    discovery.searchParams.set('api-version', '1.1');
    discovery.searchParams.set('authorization_endpoint', `${authority}/oauth2/v2.0/authorize`);
    const response = await fetch(discovery);
    expect(response.status).toBe(200);
    const cloudDiscoveryMetadata = await response.text();
    expect(JSON.parse(cloudDiscoveryMetadata)).toMatchObject({
      tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });

    const msal = new ConfidentialClientApplication({
      auth: { ...readWrite, authority, cloudDiscoveryMetadata },
    });
    const token = await msal.acquireTokenByClientCredential({ scopes: [graphScope] });
    expect(token).toMatchObject({ tokenType: 'Bearer', scopes: [graphScope] });
    expect(token!.expiresOn!.getTime()).toBeGreaterThan(Date.now());
    const claims = JSON.parse(Buffer.from(token!.accessToken.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      iss: `${authority}/v2.0`,
      tid: container!.tenant.tenantId,
      appid: readWrite.clientId,
      roles: ['User.ReadWrite.All'],
    });

    const graph = graphClientFor(msal, baseUrl);
    await graph.api('/users/grace@contoso.com').patch({ otherMails: ['grace@example.org'] });
    expect(
      await graph
        .api('/users/grace@contoso.com')
        .select([...contactFields])
        .get(),
    ).toMatchObject({
      otherMails: ['grace@example.org'],
      mobilePhone: '+1 4255550101',
      businessPhones: [],
    });
  });

  it('gives MSAL an OAuth error it understands for a wrong client secret', async () => {
    const msal = knownAuthorityClient({ clientId: readWrite.clientId, clientSecret: 'not-the-secret' });
    await expect(msal.acquireTokenByClientCredential({ scopes: [graphScope] })).rejects.toMatchObject({
      name: 'ServerError',
      errorCode: 'invalid_client',
      errorMessage: expect.stringContaining('AADSTS7000215'),
    });
  });

  it('returns otherMails without $select on beta only, as Graph does', async () => {
    const graph = graphClientFor(knownAuthorityClient(readOnly), baseUrl);

    const v1 = await graph.api('/users/ada@contoso.com').get();
    expect(v1).toMatchObject({ userPrincipalName: 'ada@contoso.com', mobilePhone: null, businessPhones: [] });
    expect(v1).not.toHaveProperty('otherMails');
    expect(v1['@odata.context']).toBe(`${baseUrl}/v1.0/$metadata#users/$entity`);

    const beta = await graph.api('/users/ada@contoso.com').version('beta').get();
    expect(beta).toMatchObject({ userPrincipalName: 'ada@contoso.com', otherMails: ['ada@example.org'] });
    expect(beta['@odata.context']).toBe(`${baseUrl}/beta/$metadata#users/$entity`);
  });

  it('lets a User.Read.All app read but refuses its update with 403 Authorization_RequestDenied', async () => {
    const graph = graphClientFor(knownAuthorityClient(readOnly), baseUrl);
    const alan = '/users/alan@contoso.com';

    expect(
      await graph
        .api(alan)
        .select([...contactFields])
        .get(),
    ).toMatchObject({
      businessPhones: ['+44 2079460000'],
    });
    expect(await graphFailure(graph.api(alan).patch({ mobilePhone: '+1 4259999999' }))).toEqual({
      statusCode: 403,
      code: 'Authorization_RequestDenied',
    });
    expect(
      await graph
        .api(alan)
        .select([...contactFields])
        .get(),
    ).toMatchObject({ mobilePhone: null });
  });

  it('reports a missing user as a GraphError 404 Request_ResourceNotFound', async () => {
    const graph = graphClientFor(knownAuthorityClient(readWrite), baseUrl);
    expect(await graphFailure(graph.api('/users/nobody@contoso.com').get())).toEqual({
      statusCode: 404,
      code: 'Request_ResourceNotFound',
    });
    expect(await graphFailure(graph.api('/users/nobody@contoso.com').patch({ mobilePhone: '+1 4251234567' }))).toEqual({
      statusCode: 404,
      code: 'Request_ResourceNotFound',
    });
  });

  it('runs a JSON batch built with BatchRequestContent and reads it with BatchResponseContent, unchanged', async () => {
    const graph = graphClientFor(knownAuthorityClient(readWrite), baseUrl);
    const json = { 'Content-Type': 'application/json' };
    // In Node a fetch Request needs an absolute URL; the client sends its path (`/v1.0/users/...`) in the batch.
    const batch = new BatchRequestContent([
      {
        id: 'patch',
        request: new Request(`${baseUrl}/v1.0/users/alan@contoso.com`, {
          method: 'PATCH',
          headers: json,
          body: JSON.stringify({ otherMails: ['alan@example.org'], mobilePhone: '+44 7700900123' }),
        }),
      },
      {
        id: 'read',
        dependsOn: ['patch'],
        request: new Request(`${baseUrl}/v1.0/users/alan@contoso.com?$select=otherMails,mobilePhone`),
      },
      // The client allows only parallel, serial or same-dependency batches: this one is serial.
      { id: 'missing', dependsOn: ['read'], request: new Request(`${baseUrl}/v1.0/users/nobody@contoso.com`) },
    ]);
    const reply = new BatchResponseContent(await graph.api('/$batch').post(await batch.getContent()));

    const patched = reply.getResponseById('patch');
    expect(patched).toBeInstanceOf(Response);
    expect(patched.status).toBe(204);
    expect(patched.headers.get('content-type')).toBeNull();
    expect(await patched.text()).toBe('');

    const read = reply.getResponseById('read');
    expect(read.ok).toBe(true);
    expect(read.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await read.json()).toEqual({
      '@odata.context': `${baseUrl}/v1.0/$metadata#users(otherMails,mobilePhone)/$entity`,
      otherMails: ['alan@example.org'],
      mobilePhone: '+44 7700900123',
    });

    const missing = reply.getResponseById('missing');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('Request_ResourceNotFound');
  });

  it('answers a batch item the app may not make with its own 403 Response, and a failed dependency with 424', async () => {
    const graph = graphClientFor(knownAuthorityClient(readOnly), baseUrl);
    const patchAda = () =>
      new Request(`${baseUrl}/v1.0/users/ada@contoso.com`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ mobilePhone: '+1 4259999999' }),
      });
    const readAda = () => new Request(`${baseUrl}/v1.0/users/ada@contoso.com?$select=id`);
    const statusesOf = async (batch: BatchRequestContent) => {
      const reply = new BatchResponseContent(await graph.api('/$batch').post(await batch.getContent()));
      const statuses: Record<string, number> = {};
      for (const [id, response] of reply.getResponses()) statuses[id] = response.status;
      return { reply, statuses };
    };

    // Parallel: the refused write does not stop the read.
    const parallel = new BatchRequestContent();
    parallel.addRequest({ id: '1', request: patchAda() });
    parallel.addRequest({ id: '2', request: readAda() });
    const first = await statusesOf(parallel);
    expect(first.statuses).toEqual({ '1': 403, '2': 200 });
    expect(((await first.reply.getResponseById('1').json()) as { error: { code: string } }).error.code).toBe(
      'Authorization_RequestDenied',
    );

    // Same dependency: both requests that depend on the refused write fail with 424.
    const dependent = new BatchRequestContent();
    dependent.addRequest({ id: '1', request: patchAda() });
    dependent.addRequest({ id: '2', request: readAda() });
    dependent.addRequest({ id: '3', request: readAda() });
    dependent.addDependency('2', '1');
    dependent.addDependency('3', '1');
    const second = await statusesOf(dependent);
    expect(second.statuses).toEqual({ '1': 403, '2': 424, '3': 424 });
  });
});
