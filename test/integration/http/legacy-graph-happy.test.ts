import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectsUnderTest } from '../../support/databases.js';
import { azureAdGraphTokenFor, azureAdModuleHeaders, decodeClaims } from '../../support/legacy-graph.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

type Json = Record<string, unknown>;

/**
 * Requests as the AzureAD PowerShell module sends them (Set-AzureADUser / Get-AzureADUser: PATCH/GET
 * `https://graph.windows.net/{tenantId}/users/{ObjectId}?api-version=1.6`), replayed against this server.
 */
describe.each(dialectsUnderTest)('legacy Azure AD Graph API: AzureAD module requests on $name', (dialect) => {
  let server: TestServer;
  let token: string;
  let tenantId: string;
  let ada: Json;
  /** The bootstrap administrator plus the users made here. */
  let total: number;

  const send = (method: 'GET' | 'PATCH', url: string, payload?: Json, extra: Record<string, string> = {}) =>
    server.app.inject({
      method,
      url,
      headers: {
        ...azureAdModuleHeaders(token),
        ...(payload && { 'content-type': 'application/json; charset=utf-8' }),
        ...extra,
      },
      ...(payload && { payload: JSON.stringify(payload) }),
    });

  beforeAll(async () => {
    server = await createTestServer({ database: await dialect.create() });
    tenantId = server.container.tenant.tenantId;
    token = await azureAdGraphTokenFor(server, ['Directory.ReadWrite.All']);
    const created = await server.container.users.createUser(operator, {
      userPrincipalName: 'ada@contoso.com',
      displayName: 'Ada Lovelace',
      givenName: 'Ada',
      surname: 'Lovelace',
      mailNickname: 'ada',
      accountEnabled: true,
      jobTitle: 'Sales Engineer',
      passwordProfile: { password: 'Correct-Horse-Battery-9', forceChangePasswordNextSignIn: true },
    });
    ada = created as unknown as Json;
    for (let index = 0; index < 5; index += 1) {
      await server.container.users.createUser(operator, {
        userPrincipalName: `bulk${index}@contoso.com`,
        displayName: `Bulk ${index}`,
        mailNickname: `bulk${index}`,
        accountEnabled: true,
        passwordProfile: { password: 'Correct-Horse-Battery-9', forceChangePasswordNextSignIn: true },
      });
    }
    total = await server.container.users.countUsers(operator, {});
  });
  afterAll(async () => server.close());

  it('the token endpoint issues an Azure AD Graph token with the app permissions as roles', () => {
    const claims = decodeClaims(token);
    expect(claims.aud).toBe('https://graph.windows.net');
    expect(claims.roles).toEqual(['Directory.ReadWrite.All']);
    expect(claims.tid).toBe(tenantId);
  });

  it('Set-AzureADUser -ObjectId x -Mobile -TelephoneNumber -OtherMails: PATCH 204, then Get-AzureADUser shows it', async () => {
    const patch = await send('PATCH', `/${tenantId}/users/${ada.id}?api-version=1.6`, {
      mobile: '+1 4251234567',
      otherMails: ['ada@example.org', 'ada@example.net'],
      telephoneNumber: '+1 4255550100',
    });
    expect(patch.statusCode, patch.body).toBe(204);
    expect(patch.body).toBe('');

    const read = await send('GET', `/${tenantId}/users/${ada.id}?api-version=1.6`);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.headers['content-type']).toMatch(/^application\/json;odata=minimalmetadata/);
    const body = read.json() as Json;
    expect(body['odata.metadata']).toBe(
      `http://localhost:80/${tenantId}/$metadata#directoryObjects/Microsoft.DirectoryServices.User/@Element`,
    );
    expect(body).toMatchObject({
      'odata.type': 'Microsoft.DirectoryServices.User',
      objectType: 'User',
      objectId: ada.id,
      userPrincipalName: 'ada@contoso.com',
      displayName: 'Ada Lovelace',
      givenName: 'Ada',
      surname: 'Lovelace',
      jobTitle: 'Sales Engineer',
      accountEnabled: true,
      mobile: '+1 4251234567',
      telephoneNumber: '+1 4255550100',
      otherMails: ['ada@example.org', 'ada@example.net'],
      dirSyncEnabled: null,
      immutableId: null,
      lastDirSyncTime: null,
      onPremisesDistinguishedName: null,
      physicalDeliveryOfficeName: null,
      preferredLanguage: null,
      mail: null,
    });
    // Graph names do not leak into the legacy shape.
    for (const graphName of ['id', 'mobilePhone', 'businessPhones', 'officeLocation', 'onPremisesSyncEnabled'])
      expect(body).not.toHaveProperty(graphName);

    // The same change seen through Graph.
    const graph = await server.container.users.getUser(operator, String(ada.id));
    expect(graph).toMatchObject({ mobilePhone: '+1 4251234567', businessPhones: ['+1 4255550100'] });
  });

  it('the PATCH is audited as Graph\'s "Update user" with the changed properties', async () => {
    const page = await server.container.auditLog.list(operator, { top: 20 });
    const update = page.events.find((event) => event.activityDisplayName === 'Update user');
    expect(update, JSON.stringify(page.events.map((event) => event.activityDisplayName))).toBeDefined();
    const text = JSON.stringify(update);
    expect(text).toContain('mobilePhone');
    expect(text).toContain('businessPhones');
    expect(text).toContain('otherMails');
  });

  it('Get-AzureADUser -ObjectId "upn": the user by user principal name; tenant as domain or myorganization', async () => {
    for (const tenant of [tenantId, 'contoso.com', 'myorganization', 'MyOrganization']) {
      const read = await send('GET', `/${tenant}/users/ada%40contoso.com?api-version=1.6`);
      expect(read.statusCode, read.body).toBe(200);
      expect(read.json()).toMatchObject({ objectId: ada.id, userPrincipalName: 'ada@contoso.com' });
      expect((read.json() as Json)['odata.metadata']).toContain(`/${tenant}/$metadata#`);
    }
  });

  it('Get-AzureADUser -Filter "userPrincipalName eq \'...\'": a one-user list', async () => {
    const filter = encodeURIComponent("userPrincipalName eq 'ada@contoso.com'");
    const list = await send('GET', `/${tenantId}/users?api-version=1.6&$filter=${filter}`);
    expect(list.statusCode, list.body).toBe(200);
    const body = list.json() as { 'odata.metadata': string; value: Json[] };
    expect(body['odata.metadata']).toBe(
      `http://localhost:80/${tenantId}/$metadata#directoryObjects/Microsoft.DirectoryServices.User`,
    );
    expect(body.value.map((user) => user.objectId)).toEqual([ada.id]);
    expect(body).not.toHaveProperty('odata.nextLink');
  });

  it('Get-AzureADUser -Filter "startswith(JobTitle,\'Sales\')" and startswith(displayName,..): legacy names, any case', async () => {
    const byTitle = await send(
      'GET',
      `/${tenantId}/users?api-version=1.6&$filter=${encodeURIComponent("startswith(JobTitle,'Sales')")}`,
    );
    expect(byTitle.statusCode, byTitle.body).toBe(200);
    expect((byTitle.json() as { value: Json[] }).value.map((user) => user.userPrincipalName)).toEqual([
      'ada@contoso.com',
    ]);
    const byName = await send(
      'GET',
      `/${tenantId}/users?api-version=1.6&$filter=${encodeURIComponent("startswith(displayName,'Bulk')")}`,
    );
    expect((byName.json() as { value: Json[] }).value).toHaveLength(5);
    const byMobile = await send(
      'GET',
      `/${tenantId}/users?api-version=1.6&$filter=${encodeURIComponent("mobile eq '+1 4251234567'")}`,
    );
    expect((byMobile.json() as { value: Json[] }).value.map((user) => user.objectId)).toEqual([ada.id]);
  });

  it('Get-AzureADUser -All $true: pages with odata.nextLink and $skiptoken until the last page', async () => {
    const seen: unknown[] = [];
    let url = `/${tenantId}/users?api-version=1.6&$top=2`;
    for (let pages = 0; pages < 10; pages += 1) {
      const response = await send('GET', url);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json() as { value: Json[]; 'odata.nextLink'?: string };
      seen.push(...body.value.map((user) => user.objectId));
      const next = body['odata.nextLink'];
      if (!next) break;
      expect(next).toMatch(/^directoryObjects\/\$\/Microsoft\.DirectoryServices\.User\?\$top=2&\$skiptoken=/);
      // The module appends the skip token to its original request.
      const skipToken = new URLSearchParams(next.split('?')[1]).get('$skiptoken') ?? '';
      url = `/${tenantId}/users?api-version=1.6&$top=2&$skiptoken=${encodeURIComponent(skipToken)}`;
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
  });

  it('a client that follows odata.nextLink as a relative URL gets the next page too', async () => {
    const first = await send('GET', `/${tenantId}/users?api-version=1.6&$top=4`);
    const next = (first.json() as { 'odata.nextLink': string })['odata.nextLink'];
    const second = await send('GET', `/${tenantId}/${next}&api-version=1.6`);
    expect(second.statusCode, second.body).toBe(200);
    expect((second.json() as { value: Json[] }).value).toHaveLength(Math.min(4, total - 4));
  });

  it('Get-AzureADUser -Top 10: at most ten users', async () => {
    const list = await send('GET', `/${tenantId}/users?api-version=1.6&$top=10`);
    expect((list.json() as { value: Json[] }).value).toHaveLength(Math.min(10, total));
  });

  it('clearing: telephoneNumber null and otherMails [] remove the values', async () => {
    const patch = await send('PATCH', `/${tenantId}/users/${ada.id}?api-version=1.6`, {
      telephoneNumber: null,
      otherMails: [],
      physicalDeliveryOfficeName: 'Building 40',
    });
    expect(patch.statusCode, patch.body).toBe(204);
    const read = (await send('GET', `/${tenantId}/users/${ada.id}?api-version=1.6`)).json();
    expect(read).toMatchObject({ telephoneNumber: null, otherMails: [], physicalDeliveryOfficeName: 'Building 40' });
  });

  it("this server's own Graph token is accepted too", async () => {
    const graphToken = await server.tokenFor(['User.Read.All']);
    const read = await server.app.inject({
      method: 'GET',
      url: `/${tenantId}/users/${ada.id}?api-version=1.6`,
      headers: { authorization: `Bearer ${graphToken}` },
    });
    expect(read.statusCode, read.body).toBe(200);
  });
});

interface Exchange {
  readonly cmdlet: string;
  readonly request: {
    readonly method: 'GET' | 'PATCH';
    readonly path: string;
    readonly query: Record<string, string>;
    readonly headers: Record<string, string>;
    readonly body?: Json;
  };
  readonly response: {
    readonly status: number;
    readonly headers?: Record<string, string>;
    readonly body?: Json;
    readonly bodyHas?: string[];
  };
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/azuread-module.json', import.meta.url), 'utf8')) as {
  exchanges: Exchange[];
};

describe('legacy Azure AD Graph API: the hand-written AzureAD module fixtures, in order', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await createTestServer();
    token = await azureAdGraphTokenFor(server, ['Directory.ReadWrite.All']);
    for (const upn of ['user@contoso.com', 'other@contoso.com']) {
      await server.container.users.createUser(operator, {
        userPrincipalName: upn,
        displayName: upn === 'user@contoso.com' ? 'Seed User' : 'Other User',
        mailNickname: upn.split('@')[0] ?? 'x',
        accountEnabled: true,
        passwordProfile: { password: 'Correct-Horse-Battery-9', forceChangePasswordNextSignIn: true },
      });
    }
  });
  afterAll(async () => server.close());

  it.each(fixture.exchanges.map((exchange, index) => [index, exchange.cmdlet, exchange] as const))(
    '%i: %s',
    async (_index, _cmdlet, exchange) => {
      const query = new URLSearchParams(exchange.request.query).toString();
      const response = await server.app.inject({
        method: exchange.request.method,
        url: `${exchange.request.path.replace('{tenantId}', server.container.tenant.tenantId)}?${query}`,
        headers: { ...exchange.request.headers, authorization: `Bearer ${token}` },
        ...(exchange.request.body && { payload: JSON.stringify(exchange.request.body) }),
      });
      expect(response.statusCode, response.body).toBe(exchange.response.status);
      for (const [name, value] of Object.entries(exchange.response.headers ?? {}))
        expect(response.headers[name]).toBe(value);
      if (exchange.response.status === 204) expect(response.body).toBe('');
      if (exchange.response.body) expect(response.json()).toMatchObject(exchange.response.body);
      for (const key of exchange.response.bodyHas ?? []) expect(response.json()).toHaveProperty([key]);
    },
  );
});
