import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

type Json = Record<string, unknown>;
type Headers = Record<string, string>;

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** SPEC section 2: v1.0's default property set, returned when no `$select` is given. */
const v1DefaultProperties = [
  'businessPhones',
  'displayName',
  'givenName',
  'id',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
];

const onPremisesProperties = [
  'onPremisesDistinguishedName',
  'onPremisesDomainName',
  'onPremisesImmutableId',
  'onPremisesLastSyncDateTime',
  'onPremisesSamAccountName',
  'onPremisesSecurityIdentifier',
  'onPremisesSyncEnabled',
  'onPremisesUserPrincipalName',
];

function query(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
}

function keysOf(body: Json): string[] {
  return Object.keys(body).sort();
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

describe('users API: happy paths', () => {
  let server: TestServer;
  let auth: Headers;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Headers = {}) =>
    server.app.inject({
      method,
      url,
      headers: { ...auth, ...headers },
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });

  const createUser = async (localPart: string, extra: Json = {}): Promise<Json> => {
    const response = await call('POST', '/v1.0/users', newUserBody(localPart, extra));
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  };

  const listValues = async (url: string, headers: Headers = {}): Promise<Json[]> => {
    const response = await call('GET', url, undefined, headers);
    expect(response.statusCode, response.body).toBe(200);
    return (response.json() as { value: Json[] }).value;
  };

  beforeAll(async () => {
    server = await createTestServer();
    auth = { authorization: `Bearer ${await server.tokenFor(['User.ReadWrite.All'])}` };
  });
  afterAll(async () => server.close());

  describe('create, read, update, delete', () => {
    it('POST /v1.0/users returns 201 with the default property set and @odata.context', async () => {
      const response = await call(
        'POST',
        '/v1.0/users',
        newUserBody('grace', {
          displayName: 'Grace Hopper',
          givenName: 'Grace',
          surname: 'Hopper',
          jobTitle: 'Rear Admiral',
          mobilePhone: '+1 4251234567',
          businessPhones: ['+1 4255550100'],
          otherMails: ['grace@example.org'],
        }),
      );
      expect(response.statusCode, response.body).toBe(201);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const body = response.json() as Json;
      expect(keysOf(body)).toEqual(['@odata.context', ...v1DefaultProperties].sort());
      expect(body['@odata.context']).toMatch(/^http:\/\/[^/]+\/v1\.0\/\$metadata#users\/\$entity$/);
      expect(body).toMatchObject({
        displayName: 'Grace Hopper',
        givenName: 'Grace',
        surname: 'Hopper',
        jobTitle: 'Rear Admiral',
        mail: null,
        officeLocation: null,
        preferredLanguage: null,
        mobilePhone: '+1 4251234567',
        businessPhones: ['+1 4255550100'],
        userPrincipalName: 'grace@contoso.com',
      });
      expect(body.id).toMatch(guid);
      expect(body).not.toHaveProperty('passwordProfile');
    });

    it('beta POST returns every property, including otherMails', async () => {
      const response = await call(
        'POST',
        '/beta/users',
        newUserBody('beta-created', { otherMails: ['beta@example.org'] }),
      );
      expect(response.statusCode, response.body).toBe(201);
      const body = response.json() as Json;
      expect(body['@odata.context']).toMatch(/\/beta\/\$metadata#users\/\$entity$/);
      expect(body.otherMails).toEqual(['beta@example.org']);
      expect(body.accountEnabled).toBe(true);
    });

    it('GET by id and by userPrincipalName (case-insensitively) return the same user', async () => {
      const created = await createUser('linus');
      const byId = await call('GET', `/v1.0/users/${created.id}`);
      expect(byId.statusCode, byId.body).toBe(200);
      expect(byId.json()).toEqual(created);

      const byUpperId = await call('GET', `/v1.0/users/${String(created.id).toUpperCase()}`);
      expect(byUpperId.statusCode, byUpperId.body).toBe(200);
      expect(byUpperId.json()).toMatchObject({ id: created.id });

      for (const upn of ['linus@contoso.com', 'LINUS@Contoso.COM', 'Linus%40contoso.com']) {
        const byUpn = await call('GET', `/v1.0/users/${upn}`);
        expect(byUpn.statusCode, byUpn.body).toBe(200);
        expect(byUpn.json()).toEqual(created);
      }
    });

    it('PATCH returns 204 with an empty body and the change reads back', async () => {
      const created = await createUser('patchme');
      const response = await call('PATCH', `/v1.0/users/${created.id}`, { jobTitle: 'Analyst', displayName: 'Pat Me' });
      expect(response.statusCode, response.body).toBe(204);
      expect(response.body).toBe('');
      const read = await call('GET', `/v1.0/users/${created.id}`);
      expect(read.json()).toMatchObject({
        jobTitle: 'Analyst',
        displayName: 'Pat Me',
        userPrincipalName: 'patchme@contoso.com',
      });
    });

    it('sets otherMails, mobilePhone and businessPhones one at a time, leaving the others alone', async () => {
      const created = await createUser('contact-one');
      const url = `/v1.0/users/${created.id}`;
      const select = `${url}?$select=mobilePhone,businessPhones,otherMails`;

      expect((await call('PATCH', url, { otherMails: ['one@example.org', 'two@example.net'] })).statusCode).toBe(204);
      expect((await call('GET', select)).json()).toMatchObject({
        otherMails: ['one@example.org', 'two@example.net'],
        mobilePhone: null,
        businessPhones: [],
      });

      expect((await call('PATCH', url, { mobilePhone: '+1 4251234567' })).statusCode).toBe(204);
      expect((await call('GET', select)).json()).toMatchObject({
        otherMails: ['one@example.org', 'two@example.net'],
        mobilePhone: '+1 4251234567',
        businessPhones: [],
      });

      expect((await call('PATCH', url, { businessPhones: ['+1 4255550100X123'] })).statusCode).toBe(204);
      expect((await call('GET', select)).json()).toMatchObject({
        otherMails: ['one@example.org', 'two@example.net'],
        mobilePhone: '+1 4251234567',
        businessPhones: ['+1 4255550100X123'],
      });
    });

    it('sets all three contact fields at once and stores free-text phone values verbatim', async () => {
      const created = await createUser('contact-all');
      const url = `/v1.0/users/${created.id}`;
      const patch = await call('PATCH', url, {
        mobilePhone: '425-555-0100',
        businessPhones: ['+14255550199'],
        otherMails: ['all@example.org'],
      });
      expect(patch.statusCode, patch.body).toBe(204);
      const read = await call('GET', `${url}?$select=mobilePhone,businessPhones,otherMails`);
      expect(read.json()).toMatchObject({
        mobilePhone: '425-555-0100',
        businessPhones: ['+14255550199'],
        otherMails: ['all@example.org'],
      });
    });

    it('clears contact fields with null and []', async () => {
      const created = await createUser('contact-clear', {
        mobilePhone: '+1 4251234567',
        businessPhones: ['+1 4255550100'],
        otherMails: ['clear@example.org'],
      });
      const url = `/v1.0/users/${created.id}`;
      const select = `${url}?$select=mobilePhone,businessPhones,otherMails`;

      expect((await call('PATCH', url, { mobilePhone: null, businessPhones: [], otherMails: [] })).statusCode).toBe(
        204,
      );
      expect((await call('GET', select)).json()).toMatchObject({
        mobilePhone: null,
        businessPhones: [],
        otherMails: [],
      });

      await call('PATCH', url, { businessPhones: ['+1 4255550100'], otherMails: ['again@example.org'] });
      expect((await call('PATCH', url, { businessPhones: null, otherMails: null })).statusCode).toBe(204);
      expect((await call('GET', select)).json()).toMatchObject({ businessPhones: [], otherMails: [] });
      // A cleared address no longer matches an otherMails filter.
      const found = await listValues(`/v1.0/users?${query({ $filter: "otherMails/any(m:m eq 'again@example.org')" })}`);
      expect(found).toEqual([]);
    });

    it('DELETE returns 204, then the user is gone (404)', async () => {
      const created = await createUser('deleteme');
      const deleted = await call('DELETE', `/v1.0/users/${created.id}`);
      expect(deleted.statusCode, deleted.body).toBe(204);
      expect(deleted.body).toBe('');
      const read = await call('GET', `/v1.0/users/${created.id}`);
      expect(read.statusCode).toBe(404);
      expect(read.json()).toMatchObject({ error: { code: 'Request_ResourceNotFound' } });
      const again = await call('DELETE', '/v1.0/users/deleteme@contoso.com');
      expect(again.statusCode).toBe(404);
      // The UPN can be used again.
      await createUser('deleteme');
    });
  });

  describe('property sets and $select', () => {
    let user: Json;
    beforeAll(async () => {
      user = await createUser('props', { otherMails: ['props@example.org'], mobilePhone: '+1 4251234567' });
    });

    it('v1.0 without $select returns exactly the default set (no otherMails)', async () => {
      const body = (await call('GET', `/v1.0/users/${user.id}`)).json() as Json;
      expect(keysOf(body)).toEqual(['@odata.context', ...v1DefaultProperties].sort());
      expect(body['@odata.context']).toMatch(/\/v1\.0\/\$metadata#users\/\$entity$/);

      const listed = await listValues(`/v1.0/users?${query({ $filter: "userPrincipalName eq 'props@contoso.com'" })}`);
      expect(listed).toHaveLength(1);
      expect(keysOf(listed[0] as Json)).toEqual([...v1DefaultProperties].sort());
    });

    it('beta without $select returns every property, otherMails and onPremises* included', async () => {
      const body = (await call('GET', `/beta/users/${user.id}`)).json() as Json;
      expect(body['@odata.context']).toMatch(/\/beta\/\$metadata#users\/\$entity$/);
      expect(Object.keys(body)).toEqual(
        expect.arrayContaining([
          ...v1DefaultProperties,
          'otherMails',
          'accountEnabled',
          'createdDateTime',
          'mailNickname',
          ...onPremisesProperties,
        ]),
      );
      expect(body.otherMails).toEqual(['props@example.org']);
      expect(body.onPremisesSyncEnabled).toBeNull();

      const listed = await listValues(`/beta/users?${query({ $filter: "userPrincipalName eq 'props@contoso.com'" })}`);
      expect(keysOf(listed[0] as Json)).toEqual(keysOf(body).filter((key) => key !== '@odata.context'));
    });

    it('$select names are case-insensitive and only the selected properties come back', async () => {
      const response = await call('GET', `/v1.0/users/${user.id}?$select=DisplayName,OTHERMAILS,mobilephone`);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json() as Json;
      expect(keysOf(body)).toEqual(['@odata.context', 'displayName', 'mobilePhone', 'otherMails']);
      expect(body).toMatchObject({
        displayName: 'User props',
        otherMails: ['props@example.org'],
        mobilePhone: '+1 4251234567',
      });
      expect(body['@odata.context']).toMatch(/#users\(displayName,otherMails,mobilePhone\)\/\$entity$/);
    });

    it('$select on beta narrows the full set too, and applies to every item of a list', async () => {
      const single = (await call('GET', `/beta/users/${user.id}?$select=id`)).json() as Json;
      expect(keysOf(single)).toEqual(['@odata.context', 'id']);

      const response = await call('GET', `/v1.0/users?${query({ $select: 'id,otherMails', $top: '5' })}`);
      const body = response.json() as { '@odata.context': string; value: Json[] };
      expect(body['@odata.context']).toMatch(/\/v1\.0\/\$metadata#users\(id,otherMails\)$/);
      expect(body.value.length).toBeGreaterThan(0);
      for (const item of body.value) expect(keysOf(item)).toEqual(['id', 'otherMails']);
    });
  });

  describe('listing with $filter, $orderby, $count and $search', () => {
    const upns = {
      alice: 'flt-alice@contoso.com',
      bob: 'flt-bob@contoso.com',
      carol: 'flt-carol@contoso.com',
    };
    const onlyFiltered = "startswith(userPrincipalName,'flt-')";
    const upnsOf = (users: Json[]) => users.map((user) => user.userPrincipalName);
    const filtered = (filter: string, extra: Record<string, string> = {}) =>
      listValues(`/v1.0/users?${query({ $filter: filter, ...extra })}`);

    beforeAll(async () => {
      await createUser('flt-alice', {
        displayName: 'Alice Filter',
        jobTitle: 'Engineer',
        mobilePhone: '+1 4251110001',
        businessPhones: ['+1 4255550101'],
        otherMails: ['alice@example.org'],
      });
      await createUser('flt-bob', {
        displayName: 'Bob Filter',
        jobTitle: 'Manager',
        otherMails: ['bob@example.org', 'Bob.Alt@Example.net'],
      });
      await createUser('flt-carol', {
        displayName: 'Carol Filter',
        accountEnabled: false,
        businessPhones: ['+44 2071234567'],
      });
    });

    it('eq on userPrincipalName is case-insensitive', async () => {
      expect(upnsOf(await filtered("userPrincipalName eq 'FLT-Alice@Contoso.com'"))).toEqual([upns.alice]);
    });

    it('ne also matches users where the property is not set', async () => {
      const users = await filtered(`${onlyFiltered} and jobTitle ne 'Engineer'`, { $orderby: 'userPrincipalName' });
      expect(upnsOf(users)).toEqual([upns.bob, upns.carol]);
    });

    it('startswith on displayName', async () => {
      expect(upnsOf(await filtered("startswith(displayName,'bo')"))).toEqual([upns.bob]);
    });

    it('in with a list of values', async () => {
      const users = await filtered(`userPrincipalName in ('${upns.alice}','${upns.carol}','nobody@contoso.com')`, {
        $orderby: 'userPrincipalName',
      });
      expect(upnsOf(users)).toEqual([upns.alice, upns.carol]);
    });

    it('and / or with parentheses', async () => {
      const users = await filtered(`(jobTitle eq 'Engineer' or jobTitle eq 'Manager') and ${onlyFiltered}`, {
        $orderby: 'userPrincipalName',
      });
      expect(upnsOf(users)).toEqual([upns.alice, upns.bob]);
      const either = await filtered(`accountEnabled eq false or mobilePhone eq '+1 4251110001'`, {
        $orderby: 'userPrincipalName',
      });
      expect(upnsOf(either)).toEqual([upns.alice, upns.carol]);
    });

    it('otherMails/any(x:x eq ...) matches any entry, case-insensitively', async () => {
      expect(upnsOf(await filtered("otherMails/any(x:x eq 'bob.alt@example.net')"))).toEqual([upns.bob]);
      expect(upnsOf(await filtered("otherMails/any(x:x eq 'alice@example.org')"))).toEqual([upns.alice]);
      expect(await filtered("otherMails/any(x:x eq 'nobody@example.org')")).toEqual([]);
    });

    it('businessPhones/any with eq and startswith', async () => {
      expect(upnsOf(await filtered("businessPhones/any(p:p eq '+1 4255550101')"))).toEqual([upns.alice]);
      expect(upnsOf(await filtered("businessPhones/any(p:startswith(p,'+44'))"))).toEqual([upns.carol]);
    });

    it('$orderby displayName asc and desc, and userPrincipalName', async () => {
      const ascending = await filtered(onlyFiltered, { $orderby: 'displayName' });
      expect(ascending.map((user) => user.displayName)).toEqual(['Alice Filter', 'Bob Filter', 'Carol Filter']);
      const explicitAscending = await filtered(onlyFiltered, { $orderby: 'displayName asc' });
      expect(upnsOf(explicitAscending)).toEqual(upnsOf(ascending));
      const descending = await filtered(onlyFiltered, { $orderby: 'displayName desc' });
      expect(descending.map((user) => user.displayName)).toEqual(['Carol Filter', 'Bob Filter', 'Alice Filter']);
      expect(upnsOf(await filtered(onlyFiltered, { $orderby: 'userPrincipalName' }))).toEqual([
        upns.alice,
        upns.bob,
        upns.carol,
      ]);
      expect(upnsOf(await filtered(onlyFiltered, { $orderby: 'userPrincipalName desc' }))).toEqual([
        upns.carol,
        upns.bob,
        upns.alice,
      ]);
    });

    it('$count=true with ConsistencyLevel: eventual adds @odata.count', async () => {
      const response = await call('GET', `/v1.0/users?${query({ $filter: onlyFiltered, $count: 'true' })}`, undefined, {
        consistencylevel: 'eventual',
      });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json() as { '@odata.count': number; value: Json[] };
      expect(body['@odata.count']).toBe(3);
      expect(body.value).toHaveLength(3);
    });

    it('$search with ConsistencyLevel: eventual matches the start of words', async () => {
      const headers = { ConsistencyLevel: 'eventual' };
      expect(upnsOf(await listValues(`/v1.0/users?${query({ $search: '"displayName:bob"' })}`, headers))).toEqual([
        upns.bob,
      ]);
      const both = await listValues(
        `/v1.0/users?${query({ $search: '"displayName:filter" AND "userPrincipalName:flt-c"' })}`,
        headers,
      );
      expect(upnsOf(both)).toEqual([upns.carol]);
      const counted = await call(
        'GET',
        `/v1.0/users?${query({ $search: '"displayName:filter"', $count: 'true', $orderby: 'displayName' })}`,
        undefined,
        headers,
      );
      expect(counted.json()).toMatchObject({ '@odata.count': 3 });
      expect(upnsOf((counted.json() as { value: Json[] }).value)).toEqual([upns.alice, upns.bob, upns.carol]);
    });

    it('GET /v1.0/users/$count answers a bare number as text/plain', async () => {
      const all = await listValues('/v1.0/users?$top=999');
      const response = await call('GET', '/v1.0/users/$count', undefined, { consistencylevel: 'eventual' });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.body).toBe(String(all.length));

      const filteredCount = await call('GET', `/v1.0/users/$count?${query({ $filter: onlyFiltered })}`, undefined, {
        consistencylevel: 'eventual',
      });
      expect(filteredCount.body).toBe('3');
    });
  });

  describe('request ids', () => {
    const check = (response: LightMyRequestResponse, clientRequestId: string) => {
      expect(response.headers['client-request-id']).toBe(clientRequestId);
      expect(response.headers['request-id']).toMatch(guid);
    };

    it('echoes client-request-id and sends request-id on every response', async () => {
      const id = 'c0ffee00-1111-2222-3333-444455556666';
      const headers = { 'client-request-id': id };
      check(await call('GET', '/v1.0/users?$top=1', undefined, headers), id);
      check(await call('GET', '/v1.0/users/nobody@contoso.com', undefined, headers), id);
      check(await call('POST', '/v1.0/users', newUserBody('reqid'), headers), id);
      check(await call('PATCH', '/v1.0/users/reqid@contoso.com', { jobTitle: 'x' }, headers), id);
      check(await call('DELETE', '/v1.0/users/reqid@contoso.com', undefined, headers), id);
      check(await call('GET', '/v1.0/users/$count', undefined, { ...headers, consistencylevel: 'eventual' }), id);
      check(await call('GET', '/v1.0/nothing-here', undefined, headers), id);
      check(await server.app.inject({ method: 'GET', url: '/v1.0/users', headers }), id);
    });

    it('uses the request id as client-request-id when the client sends none', async () => {
      const response = await call('GET', '/v1.0/users?$top=1');
      expect(response.headers['request-id']).toMatch(guid);
      expect(response.headers['client-request-id']).toBe(response.headers['request-id']);
    });
  });
});

describe('users API: paging through @odata.nextLink', () => {
  const total = 250;
  let server: TestServer;
  let auth: Headers;
  let createdIds: Set<string>;
  let adminId: string;

  /** Follows @odata.nextLink from `url` until there is none; returns every page's items. */
  const walk = async (url: string): Promise<{ pages: Json[][]; links: string[] }> => {
    const pages: Json[][] = [];
    const links: string[] = [];
    let next: string | undefined = url;
    while (next !== undefined) {
      const response = await server.app.inject({ method: 'GET', url: next, headers: auth });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json() as { value: Json[]; '@odata.nextLink'?: string };
      pages.push(body.value);
      const link = body['@odata.nextLink'];
      if (link === undefined) {
        next = undefined;
      } else {
        links.push(link);
        const parsed = new URL(link);
        expect(parsed.pathname).toBe('/v1.0/users');
        expect(parsed.searchParams.get('$skiptoken')).toBeTruthy();
        next = `${parsed.pathname}${parsed.search}`;
      }
      expect(pages.length).toBeLessThan(50);
    }
    return { pages, links };
  };

  const pagingUsers = "startswith(userPrincipalName,'page-')";

  beforeAll(async () => {
    server = await createTestServer();
    auth = { authorization: `Bearer ${await server.tokenFor(['User.Read.All'])}` };
    createdIds = new Set();
    const displayNameOf = (n: number) => `Pager ${String(n % 40).padStart(2, '0')}`;
    const numberOf = (n: number) => String(n).padStart(3, '0');
    // A few users go through the real service; the rest are inserted in one statement, because argon2
    // hashing makes each service create cost tens of milliseconds and paging does not need passwords.
    const throughService = 20;
    const created = await Promise.all(
      Array.from({ length: throughService }, (_, n) =>
        server.container.users.createUser(operator, {
          accountEnabled: true,
          // Only 40 distinct names: ties must be broken the same way on every page.
          displayName: displayNameOf(n),
          mailNickname: `page${numberOf(n)}`,
          userPrincipalName: `page-${numberOf(n)}@contoso.com`,
          passwordProfile: { password: 'Correct-Horse-Battery-9', forceChangePasswordNextSignIn: false },
        }),
      ),
    );
    for (const user of created) createdIds.add(user.id);
    const createdAt = new Date().toISOString();
    const rows = Array.from({ length: total - throughService }, (_, offset) => {
      const n = throughService + offset;
      const upn = `page-${numberOf(n)}@contoso.com`;
      return {
        id: randomUUID(),
        user_principal_name: upn,
        upn_key: upn,
        display_name: displayNameOf(n),
        given_name: null,
        surname: null,
        mail: null,
        mail_nickname: `page${numberOf(n)}`,
        job_title: null,
        office_location: null,
        preferred_language: null,
        account_enabled: 1,
        mobile_phone: null,
        business_phone: null,
        other_mails: '[]',
        created_at: createdAt,
        updated_at: createdAt,
        on_premises_sync_enabled: null,
        on_premises_immutable_id: null,
        on_premises_last_sync_at: null,
        on_premises_distinguished_name: null,
        on_premises_sam_account_name: null,
        on_premises_user_principal_name: null,
        on_premises_domain_name: null,
        on_premises_security_identifier: null,
        password_hash: null,
        password_changed_at: null,
        force_change_password: 0,
      };
    });
    await server.container.database.db.insertInto('users').values(rows).execute();
    for (const row of rows) createdIds.add(row.id);
    const admin = await server.app.inject({ method: 'GET', url: '/v1.0/users/admin@contoso.com', headers: auth });
    adminId = (admin.json() as { id: string }).id;
  });
  afterAll(async () => server.close());

  it('defaults to 100 per page and walks every user exactly once', async () => {
    const { pages, links } = await walk('/v1.0/users');
    expect(pages.map((page) => page.length)).toEqual([100, 100, total + 1 - 200]);
    expect(links).toHaveLength(2);
    const ids = pages.flat().map((user) => String(user.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set([...createdIds, adminId]));

    const again = await walk('/v1.0/users');
    expect(again.pages.flat().map((user) => user.id)).toEqual(ids);
  });

  it('keeps $filter, $orderby, $select and $top across pages, with ties in displayName', async () => {
    const first = `/v1.0/users?${query({
      $filter: pagingUsers,
      $orderby: 'displayName',
      $select: 'id,displayName',
      $top: '37',
    })}`;
    const { pages, links } = await walk(first);
    expect(pages.map((page) => page.length)).toEqual([37, 37, 37, 37, 37, 37, 28]);
    for (const link of links) {
      const params = new URL(link).searchParams;
      expect(params.get('$filter')).toBe(pagingUsers);
      expect(params.get('$orderby')).toBe('displayName');
      expect(params.get('$select')).toBe('id,displayName');
      expect(params.get('$top')).toBe('37');
    }
    const users = pages.flat();
    for (const user of users) expect(keysOf(user)).toEqual(['displayName', 'id']);
    const ids = users.map((user) => String(user.id));
    expect(new Set(ids)).toEqual(createdIds);
    expect(ids).toHaveLength(total);
    const names = users.map((user) => String(user.displayName));
    expect(names).toEqual([...names].sort());

    const again = await walk(first);
    expect(again.pages.flat().map((user) => user.id)).toEqual(ids);
  });

  it('pages in descending displayName order', async () => {
    const { pages } = await walk(
      `/v1.0/users?${query({ $filter: pagingUsers, $orderby: 'displayName desc', $top: '64' })}`,
    );
    expect(pages.map((page) => page.length)).toEqual([64, 64, 64, 58]);
    const users = pages.flat();
    expect(new Set(users.map((user) => String(user.id)))).toEqual(createdIds);
    const names = users.map((user) => String(user.displayName));
    expect(names).toEqual([...names].sort().reverse());
  });

  it('pages by userPrincipalName', async () => {
    const { pages } = await walk(
      `/v1.0/users?${query({ $filter: pagingUsers, $orderby: 'userPrincipalName', $top: '99' })}`,
    );
    expect(pages.map((page) => page.length)).toEqual([99, 99, 52]);
    const upns = pages.flat().map((user) => String(user.userPrincipalName));
    expect(upns).toEqual(Array.from({ length: total }, (_, n) => `page-${String(n).padStart(3, '0')}@contoso.com`));
  });

  it('returns a single page without nextLink when $top covers everything', async () => {
    const response = await server.app.inject({
      method: 'GET',
      url: `/v1.0/users?${query({ $filter: pagingUsers, $top: '999' })}`,
      headers: auth,
    });
    const body = response.json() as Json & { value: Json[] };
    expect(body.value).toHaveLength(total);
    expect(body).not.toHaveProperty('@odata.nextLink');
  });

  it('keeps @odata.count on every page of a counted query', async () => {
    const headers = { ...auth, consistencylevel: 'eventual' };
    const first = await server.app.inject({
      method: 'GET',
      url: `/v1.0/users?${query({ $filter: pagingUsers, $count: 'true', $top: '200' })}`,
      headers,
    });
    const firstBody = first.json() as { '@odata.count': number; '@odata.nextLink': string; value: Json[] };
    expect(firstBody['@odata.count']).toBe(total);
    expect(firstBody.value).toHaveLength(200);
    const link = new URL(firstBody['@odata.nextLink']);
    const second = await server.app.inject({ method: 'GET', url: `${link.pathname}${link.search}`, headers });
    expect(second.json()).toMatchObject({ '@odata.count': total });
    expect((second.json() as { value: Json[] }).value).toHaveLength(total - 200);
  });
});
