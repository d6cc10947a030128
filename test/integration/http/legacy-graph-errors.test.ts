import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureAdGraphTokenFor, azureAdModuleHeaders, expectLegacyError } from '../../support/legacy-graph.js';
import { insertSyncedUser } from '../../support/synced-user.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

type Json = Record<string, unknown>;

describe('legacy Azure AD Graph API: errors in the odata.error shape', () => {
  let server: TestServer;
  let token: string;
  let tenantId: string;
  let userId: string;
  let synced: { id: string; upn: string };

  const send = (method: 'GET' | 'PATCH', url: string, payload?: unknown) =>
    server.app.inject({
      method,
      url,
      headers: { ...azureAdModuleHeaders(token), ...(payload !== undefined && { 'content-type': 'application/json' }) },
      ...(payload !== undefined && { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
  const patch = (body: unknown, id = userId) => send('PATCH', `/${tenantId}/users/${id}?api-version=1.6`, body);

  beforeAll(async () => {
    server = await createTestServer();
    tenantId = server.container.tenant.tenantId;
    token = await azureAdGraphTokenFor(server, ['Directory.ReadWrite.All']);
    const created = await server.container.users.createUser(operator, {
      userPrincipalName: 'grace@contoso.com',
      displayName: 'Grace Hopper',
      mailNickname: 'grace',
      accountEnabled: true,
      passwordProfile: { password: 'Correct-Horse-Battery-9', forceChangePasswordNextSignIn: true },
    });
    userId = created.id;
    synced = await insertSyncedUser(server.container.database.db);
  });
  afterAll(async () => server.close());

  describe('api-version', () => {
    it('missing is 400 Request_BadRequest naming the parameter', async () => {
      expectLegacyError(await send('GET', `/${tenantId}/users/${userId}`), 400, 'Request_BadRequest', /api-version/);
      expectLegacyError(await send('GET', `/${tenantId}/users`), 400, 'Request_BadRequest', /api-version/);
    });

    it('another version (1.5, 2.0, beta, twice) is 400 Request_BadRequest naming 1.6', async () => {
      for (const version of ['1.5', '2.0', 'beta', '1.6&api-version=1.6']) {
        expectLegacyError(
          await send('GET', `/${tenantId}/users/${userId}?api-version=${version}`),
          400,
          'Request_BadRequest',
          /api-version=1\.6/,
        );
      }
    });
  });

  describe('tenant and resources', () => {
    it('another tenant is 404 Request_ResourceNotFound', async () => {
      for (const tenant of [randomUUID(), 'fabrikam.com', 'common', 'organizations']) {
        expectLegacyError(
          await send('GET', `/${tenant}/users/${userId}?api-version=1.6`),
          404,
          'Request_ResourceNotFound',
          new RegExp(tenant),
        );
      }
    });

    it('an unknown user is 404 Request_ResourceNotFound for GET and PATCH', async () => {
      const missing = randomUUID();
      for (const response of [
        await send('GET', `/${tenantId}/users/${missing}?api-version=1.6`),
        await patch({ mobile: '+1 4251234567' }, missing),
      ]) {
        expectLegacyError(response, 404, 'Request_ResourceNotFound', new RegExp(missing));
      }
    });

    it('other methods and navigation paths are a legacy 400 naming what is served, not a Graph-shaped 404', async () => {
      for (const [method, path] of [
        ['POST', '/users'],
        ['DELETE', `/users/${userId}`],
        ['GET', `/users/${userId}/memberOf`],
        ['PATCH', `/users/${userId}/manager/$ref`],
      ] as const) {
        const response = await server.app.inject({
          method,
          url: `/${tenantId}${path}?api-version=1.6`,
          headers: azureAdModuleHeaders(token),
        });
        expectLegacyError(response, 400, 'Request_BadRequest', /not supported by this server's Azure AD Graph API/);
      }
      // Anonymous callers still get the 401 first.
      const anonymous = await server.app.inject({
        method: 'DELETE',
        url: `/${tenantId}/users/${userId}?api-version=1.6`,
      });
      expectLegacyError(anonymous, 401, 'Authentication_MissingOrMalformed');
      // Nothing was deleted.
      expect((await send('GET', `/${tenantId}/users/${userId}?api-version=1.6`)).statusCode).toBe(200);
    });
  });

  describe('PATCH bodies', () => {
    it('an unknown property is 400 Request_BadRequest naming it and the legacy type', async () => {
      expectLegacyError(
        await patch({ favouriteColour: 'blue' }),
        400,
        'Request_BadRequest',
        "The property 'favouriteColour' does not exist on type 'Microsoft.DirectoryServices.User'. Make sure to only use property names that are defined by the type.",
      );
      // Graph names are not legacy names.
      expectLegacyError(await patch({ mobilePhone: '+1 4251234567' }), 400, 'Request_BadRequest', /'mobilePhone'/);
    });

    it('read-only properties are refused by their legacy name', async () => {
      for (const property of ['objectId', 'dirSyncEnabled', 'immutableId', 'lastDirSyncTime', 'objectType']) {
        expectLegacyError(
          await patch({ [property]: 'x' }),
          400,
          'Request_BadRequest',
          `Property '${property}' is read-only and cannot be set.`,
        );
      }
    });

    it('wrong values are refused by their legacy name', async () => {
      expectLegacyError(
        await patch({ otherMails: ['not an address'] }),
        400,
        'Request_BadRequest',
        "Invalid value specified for property 'otherMails' of resource 'User'.",
      );
      expectLegacyError(
        await patch({ telephoneNumber: ['+1 4255550100'] }),
        400,
        'Request_BadRequest',
        "Invalid value specified for property 'telephoneNumber' of resource 'User'.",
      );
      expectLegacyError(
        await patch({ mobile: 'x'.repeat(65) }),
        400,
        'Request_BadRequest',
        "Invalid value specified for property 'mobile' of resource 'User'.",
      );
      expectLegacyError(
        await patch({ physicalDeliveryOfficeName: 42 }),
        400,
        'Request_BadRequest',
        /'physicalDeliveryOfficeName'/,
      );
    });

    it('malformed JSON and non-object bodies are 400 Request_BadRequest', async () => {
      expectLegacyError(await patch('{"mobile":'), 400, 'Request_BadRequest');
      expectLegacyError(await patch([]), 400, 'Request_BadRequest');
    });
  });

  describe('source of authority (synced users)', () => {
    it("a synced user's telephoneNumber is mastered on-premises: refused, unchanged", async () => {
      for (const body of [{ telephoneNumber: '+1 4255550100' }, { telephoneNumber: null }]) {
        expectLegacyError(
          await patch(body, synced.id),
          400,
          'Request_BadRequest',
          'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.',
        );
      }
      const read = (await send('GET', `/${tenantId}/users/${synced.id}?api-version=1.6`)).json() as Json;
      expect(read).toMatchObject({
        telephoneNumber: '+1 4250000002',
        dirSyncEnabled: true,
        immutableId: 'c3luY2VkLXVzZXI=',
        onPremisesDistinguishedName: 'CN=Synced User,OU=Staff,DC=contoso,DC=com',
      });
      expect(read.lastDirSyncTime).toEqual(expect.any(String));
    });

    it("a synced user's mobile and otherMails can be set in the cloud", async () => {
      const response = await patch({ mobile: '+1 4257654321', otherMails: ['synced@example.org'] }, synced.upn);
      expect(response.statusCode, response.body).toBe(204);
      const read = (await send('GET', `/${tenantId}/users/${synced.upn}?api-version=1.6`)).json();
      expect(read).toMatchObject({ mobile: '+1 4257654321', otherMails: ['synced@example.org'] });
    });
  });

  describe('queries', () => {
    it('an unparseable $filter is 400; unsupported options are 400 Request_UnsupportedQuery', async () => {
      const bad = await send(
        'GET',
        `/${tenantId}/users?api-version=1.6&$filter=${encodeURIComponent('displayName eq')}`,
      );
      expect(bad.statusCode, bad.body).toBe(400);
      expect(Object.keys(bad.json() as Json)).toEqual(['odata.error']);
      expectLegacyError(
        await send('GET', `/${tenantId}/users?api-version=1.6&$expand=manager`),
        400,
        'Request_UnsupportedQuery',
      );
    });

    it('$top outside 1-999 is 400', async () => {
      for (const top of ['0', '1000', 'ten'])
        expectLegacyError(
          await send('GET', `/${tenantId}/users?api-version=1.6&$top=${top}`),
          400,
          'Request_BadRequest',
        );
    });

    it('a forged or foreign $skiptoken is 400 Directory_ExpiredPageToken', async () => {
      expectLegacyError(
        await send('GET', `/${tenantId}/users?api-version=1.6&$skiptoken=X'4453707402000100'`),
        400,
        'Directory_ExpiredPageToken',
      );
    });
  });
});
