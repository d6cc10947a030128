import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSyncedUser } from '../../support/synced-user.js';
import { createTestServer, type TestServer } from '../../support/test-container.js';

type Json = Record<string, unknown>;
type Headers = Record<string, string>;

const clientRequestId = '5d1e7c0a-0000-4000-8000-00000000c1d0';

const messages = {
  invalidJson:
    'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
  notAnObject: 'The request body must be a JSON object.',
  unknownProperty: (property: string) => `Property '${property}' does not exist on type 'microsoft.graph.user'.`,
  readOnly: (property: string) => `Property '${property}' is read-only and cannot be set.`,
  invalidValue: (property: string) => `Invalid value specified for property '${property}' of resource 'User'.`,
  required: (property: string) => `A value is required for property '${property}' of resource 'User'.`,
  notFound: (resource: string) =>
    `Resource '${resource}' does not exist or one of its queried reference-property objects are not present.`,
  duplicateUpn: 'Another object with the same value for property userPrincipalName already exists.',
  unverifiedDomain:
    'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
  weakPassword:
    'The specified password does not comply with password complexity requirements. Please provide a different password.',
  pageSize: (value: string) => `Invalid page size specified: '${value}'. Must be between 1 and 999 inclusive.`,
  skipToken: 'The specified page token value has expired or is invalid.',
  consistency: (option: string) =>
    `Request with ${option} query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'`,
  onPremisesMastered:
    'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.',
};

/** Graph's error body: status, code, message, and innerError with the ids of this request. */
function expectGraphError(
  response: LightMyRequestResponse,
  status: number,
  code: string,
  message?: string | RegExp,
): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json() as { error: { code: string; message: string; innerError: Json } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  if (typeof message === 'string') expect(body.error.message).toBe(message);
  else if (message) expect(body.error.message).toMatch(message);
  else expect(body.error.message).toEqual(expect.any(String));
  expect(body.error.innerError).toEqual({
    date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
    'request-id': response.headers['request-id'],
    'client-request-id': clientRequestId,
  });
  expect(response.headers['client-request-id']).toBe(clientRequestId);
}

function query(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
}

function newUserBody(localPart: string, extra: Json = {}): Json {
  return {
    accountEnabled: true,
    displayName: `User ${localPart}`,
    mailNickname: localPart.replace(/[^A-Za-z0-9]/g, ''),
    userPrincipalName: `${localPart}@contoso.com`,
    passwordProfile: { password: 'Correct-Horse-Battery-9' },
    ...extra,
  };
}

describe('users API: errors', () => {
  let server: TestServer;
  let headers: Headers;
  let existing: { id: string; userPrincipalName: string };

  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    extraHeaders: Headers = {},
  ) =>
    server.app.inject({
      method,
      url,
      headers: { ...headers, ...extraHeaders },
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });

  /** Sends `text` verbatim as the body, with the given content type. */
  const raw = (method: 'POST' | 'PATCH', url: string, text: string, contentType = 'application/json') =>
    server.app.inject({ method, url, headers: { ...headers, 'content-type': contentType }, payload: text });

  beforeAll(async () => {
    server = await createTestServer();
    headers = {
      authorization: `Bearer ${await server.tokenFor(['User.ReadWrite.All'])}`,
      'client-request-id': clientRequestId,
    };
    const created = await call('POST', '/v1.0/users', newUserBody('existing'));
    expect(created.statusCode, created.body).toBe(201);
    existing = created.json();
    // A second user so that a one-item page has a next link.
    expect((await call('POST', '/v1.0/users', newUserBody('existing-two'))).statusCode).toBe(201);
  });
  afterAll(async () => server.close());

  describe('request bodies', () => {
    it('malformed JSON is 400 BadRequest', async () => {
      expectGraphError(await raw('POST', '/v1.0/users', '{"displayName":'), 400, 'BadRequest', messages.invalidJson);
      expectGraphError(
        await raw('PATCH', `/v1.0/users/${existing.id}`, "{'mobilePhone':'+1 4251234567'}"),
        400,
        'BadRequest',
        messages.invalidJson,
      );
    });

    it('a JSON array, a JSON string and an empty body are refused', async () => {
      expectGraphError(await raw('POST', '/v1.0/users', '[]'), 400, 'Request_BadRequest', messages.notAnObject);
      expectGraphError(
        await raw('PATCH', `/v1.0/users/${existing.id}`, '[{"mobilePhone":"+1 4251234567"}]'),
        400,
        'Request_BadRequest',
        messages.notAnObject,
      );
      expectGraphError(await raw('PATCH', `/v1.0/users/${existing.id}`, '"x"'), 400, 'Request_BadRequest');
      expectGraphError(await raw('PATCH', `/v1.0/users/${existing.id}`, 'null'), 400, 'Request_BadRequest');
      expectGraphError(await raw('PATCH', `/v1.0/users/${existing.id}`, ''), 400, 'Request_BadRequest');
      expectGraphError(await call('PATCH', `/v1.0/users/${existing.id}`), 400, 'Request_BadRequest');
    });

    it('an unknown property is refused by name', async () => {
      expectGraphError(
        await call('PATCH', `/v1.0/users/${existing.id}`, { favouriteColour: 'blue' }),
        400,
        'Request_BadRequest',
        messages.unknownProperty('favouriteColour'),
      );
      expectGraphError(
        await call('POST', '/v1.0/users', newUserBody('unknown-prop', { mobile: '+1 4251234567' })),
        400,
        'Request_BadRequest',
        messages.unknownProperty('mobile'),
      );
      expectGraphError(
        await call('PATCH', `/v1.0/users/${existing.id}`, { passwordProfile: { password: 'x', hint: 'y' } }),
        400,
        'Request_BadRequest',
        messages.unknownProperty('hint'),
      );
    });

    it('read-only properties cannot be set', async () => {
      expectGraphError(
        await call('PATCH', `/v1.0/users/${existing.id}`, { onPremisesSyncEnabled: true }),
        400,
        'Request_BadRequest',
        "Property 'onPremisesSyncEnabled' is read-only and cannot be set.",
      );
      for (const property of ['id', 'createdDateTime', 'onPremisesImmutableId']) {
        expectGraphError(
          await call('PATCH', `/v1.0/users/${existing.id}`, { [property]: 'x' }),
          400,
          'Request_BadRequest',
          messages.readOnly(property),
        );
      }
      expectGraphError(
        await call('POST', '/v1.0/users', newUserBody('readonly-create', { onPremisesSyncEnabled: false })),
        400,
        'Request_BadRequest',
        messages.readOnly('onPremisesSyncEnabled'),
      );
    });

    it('values of the wrong type are refused', async () => {
      const cases: [string, unknown][] = [
        ['mobilePhone', 5],
        ['accountEnabled', 'yes'],
        ['otherMails', 'a@b.com'],
        ['otherMails', [5]],
        ['businessPhones', '+1 4255550100'],
        ['displayName', null],
        ['displayName', 42],
        ['jobTitle', { title: 'x' }],
        ['userPrincipalName', 'not a upn'],
        ['passwordProfile', 'Correct-Horse-Battery-9'],
      ];
      for (const [property, value] of cases) {
        expectGraphError(
          await call('PATCH', `/v1.0/users/${existing.id}`, { [property]: value }),
          400,
          'Request_BadRequest',
          messages.invalidValue(property),
        );
      }
    });

    it('more than one businessPhones value is refused', async () => {
      expectGraphError(
        await call('PATCH', `/v1.0/users/${existing.id}`, { businessPhones: ['+1 4255550100', '+1 4255550101'] }),
        400,
        'Request_BadRequest',
        "Invalid value specified for property 'businessPhones' of resource 'User': at most one value is allowed.",
      );
    });

    it('a mobilePhone longer than 64 characters is refused; 64 is fine', async () => {
      expectGraphError(
        await call('PATCH', `/v1.0/users/${existing.id}`, { mobilePhone: `+1 ${'4'.repeat(62)}` }),
        400,
        'Request_BadRequest',
        messages.invalidValue('mobilePhone'),
      );
      const ok = await call('PATCH', `/v1.0/users/${existing.id}`, { mobilePhone: `+1 ${'4'.repeat(61)}` });
      expect(ok.statusCode, ok.body).toBe(204);
    });

    it('invalid otherMails addresses are refused, including accented ones', async () => {
      for (const address of ['not-an-address', 'a@b', 'two@@example.org', 'josé@example.com', 'ana@exämple.com']) {
        expectGraphError(
          await call('PATCH', `/v1.0/users/${existing.id}`, { otherMails: ['ok@example.org', address] }),
          400,
          'Request_BadRequest',
          messages.invalidValue('otherMails'),
        );
      }
      const read = await call('GET', `/v1.0/users/${existing.id}?$select=otherMails`);
      expect(read.json()).toMatchObject({ otherMails: [] });
    });

    it('a body that is not JSON is refused with a Graph-shaped 4xx', async () => {
      // Fastify parses text/plain into a string, which is then not a JSON object.
      expectGraphError(
        await raw('PATCH', `/v1.0/users/${existing.id}`, 'mobilePhone=+1 4251234567', 'text/plain'),
        400,
        'Request_BadRequest',
        messages.notAnObject,
      );
      expectGraphError(
        await raw('POST', '/v1.0/users', 'accountEnabled=true', 'application/x-www-form-urlencoded'),
        415,
        'UnsupportedMediaType',
      );
    });

    it('a body over the size limit is refused with a Graph-shaped 413', async () => {
      const response = await raw(
        'PATCH',
        `/v1.0/users/${existing.id}`,
        JSON.stringify({ jobTitle: 'x'.repeat(1024 * 1024 + 10) }),
      );
      expectGraphError(response, 413, 'BadRequest');
    });
  });

  describe('users that do not exist or clash', () => {
    it('an unknown user is 404 Request_ResourceNotFound for GET, PATCH and DELETE', async () => {
      const missingId = randomUUID();
      expectGraphError(
        await call('GET', '/v1.0/users/nobody@contoso.com'),
        404,
        'Request_ResourceNotFound',
        messages.notFound('nobody@contoso.com'),
      );
      expectGraphError(
        await call('GET', `/beta/users/${missingId}`),
        404,
        'Request_ResourceNotFound',
        messages.notFound(missingId),
      );
      expectGraphError(
        await call('PATCH', `/v1.0/users/${missingId}`, { mobilePhone: '+1 4251234567' }),
        404,
        'Request_ResourceNotFound',
        messages.notFound(missingId),
      );
      expectGraphError(
        await call('DELETE', '/v1.0/users/nobody@contoso.com'),
        404,
        'Request_ResourceNotFound',
        messages.notFound('nobody@contoso.com'),
      );
    });

    it('odd characters in the user segment are a 404, not a 500', async () => {
      for (const segment of ['%25', '100%25off', 'a%25zz@contoso.com', '%E2%82%AC']) {
        const response = await call('GET', `/v1.0/users/${segment}`);
        expectGraphError(response, 404, 'Request_ResourceNotFound');
      }
    });

    it('a duplicate userPrincipalName is refused on create (case-insensitively) and on update', async () => {
      expectGraphError(
        await call('POST', '/v1.0/users', newUserBody('existing', { userPrincipalName: 'EXISTING@contoso.com' })),
        400,
        'Request_BadRequest',
        messages.duplicateUpn,
      );
      expectGraphError(
        await call('PATCH', '/v1.0/users/existing-two@contoso.com', { userPrincipalName: 'Existing@Contoso.com' }),
        400,
        'Request_BadRequest',
        messages.duplicateUpn,
      );
    });

    it('a userPrincipalName in an unverified domain is refused', async () => {
      expectGraphError(
        await call('POST', '/v1.0/users', newUserBody('elsewhere', { userPrincipalName: 'elsewhere@fabrikam.com' })),
        400,
        'Request_BadRequest',
        messages.unverifiedDomain,
      );
      expectGraphError(
        await call('PATCH', `/v1.0/users/${existing.id}`, { userPrincipalName: 'existing@fabrikam.com' }),
        400,
        'Request_BadRequest',
        messages.unverifiedDomain,
      );
    });

    it('a weak password is refused on create and on update', async () => {
      for (const password of ['Short1!', 'alllowercaseletters', 'NoDigitsOrSymbols', 'Weakpass-1']) {
        expectGraphError(
          await call(
            'POST',
            '/v1.0/users',
            newUserBody('weakpass', { displayName: 'Weak Pass', passwordProfile: { password } }),
          ),
          400,
          'Request_BadRequest',
          messages.weakPassword,
        );
      }
      expectGraphError(
        await call('PATCH', `/v1.0/users/${existing.id}`, { passwordProfile: { password: 'password' } }),
        400,
        'Request_BadRequest',
        messages.weakPassword,
      );
      const missing = await call('GET', '/v1.0/users/weakpass@contoso.com');
      expect(missing.statusCode).toBe(404);
    });

    it('each required create property is named when missing', async () => {
      for (const property of [
        'accountEnabled',
        'displayName',
        'mailNickname',
        'passwordProfile',
        'userPrincipalName',
      ]) {
        const body = newUserBody('incomplete');
        delete body[property];
        expectGraphError(
          await call('POST', '/v1.0/users', body),
          400,
          'Request_BadRequest',
          messages.required(property),
        );
      }
      expectGraphError(
        await call('POST', '/v1.0/users', newUserBody('incomplete', { passwordProfile: {} })),
        400,
        'Request_BadRequest',
        messages.required('passwordProfile.password'),
      );
      expectGraphError(
        await call('POST', '/v1.0/users', {}),
        400,
        'Request_BadRequest',
        messages.required('accountEnabled'),
      );
    });
  });

  describe('query options', () => {
    it('an unsupported $filter is 400 Request_UnsupportedQuery', async () => {
      expectGraphError(
        await call('GET', `/v1.0/users?${query({ $filter: "jobTitle gt 'a'" })}`),
        400,
        'Request_UnsupportedQuery',
        "Unsupported or invalid query filter clause specified for property 'jobTitle' of resource 'User'.",
      );
      expectGraphError(
        await call('GET', `/v1.0/users?${query({ $filter: "endswith(mail,'@contoso.com')" })}`),
        400,
        'Request_UnsupportedQuery',
      );
    });

    it('a $filter with a syntax error is 400 BadRequest', async () => {
      expectGraphError(
        await call('GET', `/v1.0/users?${query({ $filter: "displayName eq 'unterminated" })}`),
        400,
        'BadRequest',
        /^Invalid filter clause: Syntax error at position \d+ in 'displayName eq 'unterminated'/,
      );
      for (const filter of [
        'displayName eq',
        "(displayName eq 'a'",
        "displayName eq 'a' and",
        "frobnicate(displayName,'a')",
        ' ',
      ]) {
        expectGraphError(
          await call('GET', `/v1.0/users?${query({ $filter: filter })}`),
          400,
          'BadRequest',
          /^Invalid filter clause: /,
        );
      }
    });

    it('$top outside 1..999 is refused', async () => {
      for (const value of ['0', '1000', '-1', 'abc', '1.5', '']) {
        expectGraphError(
          await call('GET', `/v1.0/users?$top=${encodeURIComponent(value)}`),
          400,
          'Request_BadRequest',
          messages.pageSize(value),
        );
      }
      expectGraphError(
        await call('GET', '/v1.0/users?$top=1000'),
        400,
        'Request_BadRequest',
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
      );
    });

    it('a tampered $skiptoken, or one reused with another $filter, is refused', async () => {
      const filter = "startswith(userPrincipalName,'existing')";
      const first = await call('GET', `/v1.0/users?${query({ $filter: filter, $top: '1' })}`);
      expect(first.statusCode, first.body).toBe(200);
      const link = new URL((first.json() as { '@odata.nextLink': string })['@odata.nextLink']);
      const token = link.searchParams.get('$skiptoken') ?? '';
      expect(token).not.toBe('');
      // The genuine link works.
      expect((await call('GET', `${link.pathname}${link.search}`)).statusCode).toBe(200);

      const flipped = `${token.slice(0, 5)}${token[5] === 'A' ? 'B' : 'A'}${token.slice(6)}`;
      for (const bad of [flipped, token.slice(0, -2), `${token.slice(0, -1)}`, 'not a token', '!!!!', '']) {
        expectGraphError(
          await call('GET', `/v1.0/users?${query({ $filter: filter, $top: '1', $skiptoken: bad })}`),
          400,
          'Request_BadRequest',
          messages.skipToken,
        );
      }
      for (const other of [
        { $filter: "startswith(userPrincipalName,'e')", $top: '1', $skiptoken: token },
        { $top: '1', $skiptoken: token },
        { $filter: filter, $orderby: 'displayName', $top: '1', $skiptoken: token },
        { $filter: filter, $select: 'id', $top: '1', $skiptoken: token },
      ]) {
        expectGraphError(
          await call('GET', `/v1.0/users?${query(other)}`),
          400,
          'Request_BadRequest',
          messages.skipToken,
        );
      }
    });

    it('$search and $count need ConsistencyLevel: eventual', async () => {
      expectGraphError(
        await call('GET', `/v1.0/users?${query({ $search: '"displayName:existing"' })}`),
        400,
        'Request_UnsupportedQuery',
        messages.consistency('$search'),
      );
      expectGraphError(
        await call('GET', '/v1.0/users?$count=true'),
        400,
        'Request_UnsupportedQuery',
        messages.consistency('$count'),
      );
      expectGraphError(
        await call('GET', '/v1.0/users/$count'),
        400,
        'Request_UnsupportedQuery',
        messages.consistency('$count'),
      );
      expectGraphError(
        await call('GET', '/v1.0/users?$count=true', undefined, { consistencylevel: 'session' }),
        400,
        'Request_UnsupportedQuery',
        messages.consistency('$count'),
      );
    });

    it('a malformed $search or $count value is refused even with ConsistencyLevel', async () => {
      const eventual = { consistencylevel: 'eventual' };
      expectGraphError(
        await call('GET', `/v1.0/users?${query({ $search: 'existing' })}`, undefined, eventual),
        400,
        'BadRequest',
      );
      expectGraphError(
        await call('GET', `/v1.0/users?${query({ $search: '"jobTitle:x"' })}`, undefined, eventual),
        400,
        'Request_UnsupportedQuery',
      );
      expectGraphError(await call('GET', '/v1.0/users?$count=yes', undefined, eventual), 400, 'BadRequest');
    });

    it('an unknown $select property is refused', async () => {
      expectGraphError(
        await call('GET', `/v1.0/users/${existing.id}?$select=displayName,favouriteColour`),
        400,
        'BadRequest',
        "Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'.",
      );
      expectGraphError(await call('GET', '/v1.0/users?$select=passwordProfile'), 400, 'BadRequest');
      expectGraphError(await call('GET', '/v1.0/users?$select=displayName,,id'), 400, 'BadRequest');
    });

    it('unsupported $orderby, unknown and repeated query options are refused', async () => {
      expectGraphError(await call('GET', '/v1.0/users?$orderby=jobTitle'), 400, 'Request_UnsupportedQuery');
      expectGraphError(await call('GET', '/v1.0/users?$expand=manager'), 400, 'Request_UnsupportedQuery');
      expectGraphError(await call('GET', '/v1.0/users?$frobnicate=1'), 400, 'BadRequest');
      expectGraphError(await call('GET', '/v1.0/users?$top=1&$top=2'), 400, 'BadRequest');
    });
  });

  describe('routes', () => {
    it('an unknown segment is 400 BadRequest naming the segment', async () => {
      expectGraphError(
        await call('GET', '/v1.0/widgets'),
        400,
        'BadRequest',
        "Resource not found for the segment 'widgets'.",
      );
      expectGraphError(
        await call('GET', `/v1.0/users/${existing.id}/gadgets?$top=1`),
        400,
        'BadRequest',
        "Resource not found for the segment 'gadgets'.",
      );
      expectGraphError(await call('PUT', `/beta/users/${existing.id}`, { jobTitle: 'x' }), 400, 'BadRequest');
    });

    it('GET /me with an application token is refused', async () => {
      expectGraphError(await call('GET', '/v1.0/me'), 400, 'Request_BadRequest');
    });
  });

  describe('a synced user', () => {
    let synced: { id: string; upn: string };

    beforeAll(async () => {
      synced = await insertSyncedUser(server.container.database.db);
    });

    it('shows onPremisesSyncEnabled on beta', async () => {
      const read = await call('GET', `/beta/users/${synced.id}`);
      expect(read.json()).toMatchObject({
        onPremisesSyncEnabled: true,
        onPremisesImmutableId: 'c3luY2VkLXVzZXI=',
        businessPhones: ['+1 4250000002'],
      });
    });

    it('refuses a cloud write of the Office phone (businessPhones), which is mastered on-premises', async () => {
      for (const businessPhones of [['+1 4255550100'], [], null]) {
        expectGraphError(
          await call('PATCH', `/v1.0/users/${synced.id}`, { businessPhones }),
          400,
          'Request_BadRequest',
          messages.onPremisesMastered,
        );
      }
      expectGraphError(
        await call('PATCH', `/v1.0/users/${synced.upn}`, {
          mobilePhone: '+1 4251234567',
          businessPhones: ['+1 4255550100'],
        }),
        400,
        'Request_BadRequest',
        messages.onPremisesMastered,
      );
      const read = await call('GET', `/v1.0/users/${synced.id}?$select=businessPhones,mobilePhone`);
      expect(read.json()).toMatchObject({ businessPhones: ['+1 4250000002'], mobilePhone: '+1 4250000001' });
    });

    it('accepts mobilePhone and otherMails on the same synced user', async () => {
      const mobile = await call('PATCH', `/v1.0/users/${synced.id}`, { mobilePhone: '+1 4251234567' });
      expect(mobile.statusCode, mobile.body).toBe(204);
      const mails = await call('PATCH', `/v1.0/users/${synced.upn}`, { otherMails: ['synced@example.org'] });
      expect(mails.statusCode, mails.body).toBe(204);
      const both = await call('PATCH', `/v1.0/users/${synced.id}`, {
        mobilePhone: '+1 4257654321',
        otherMails: ['synced@example.org', 'synced@example.net'],
      });
      expect(both.statusCode, both.body).toBe(204);
      const read = await call('GET', `/beta/users/${synced.id}`);
      expect(read.json()).toMatchObject({
        mobilePhone: '+1 4257654321',
        otherMails: ['synced@example.org', 'synced@example.net'],
        businessPhones: ['+1 4250000002'],
        onPremisesSyncEnabled: true,
      });
    });
  });
});
