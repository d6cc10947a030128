import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/domain/audit.js';
import { directoryRoles } from '../../../src/domain/permissions.js';
import type { UserChanges } from '../../../src/domain/user.js';
import { dialectsUnderTest } from '../../support/databases.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

interface Details {
  id: string;
  userPrincipalName: string;
  isAdmin: boolean;
  isSsprRegistered: boolean;
  isSsprEnabled: boolean;
  isSsprCapable: boolean;
  methodsRegistered: string[];
}

const path = '/reports/authenticationMethods/userRegistrationDetails';

describe.each(dialectsUnderTest)('GET /reports/authenticationMethods/... on $name', (dialect) => {
  let server: TestServer;
  let reader: string;
  let noAudit: string;
  const ids: Record<string, string> = {};

  const get = (url: string, token: string) =>
    server.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const report = async (query: string, version = 'beta') => {
    const response = await get(`/${version}${path}${query}`, reader);
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { '@odata.context': string; '@odata.nextLink'?: string; value: Details[] };
  };
  const byUpn = (rows: Details[]) => rows.map((row) => row.userPrincipalName).sort();

  beforeAll(async () => {
    server = await createTestServer({ database: await dialect.create() });
    [reader, noAudit] = await Promise.all([
      server.tokenFor(['AuditLog.Read.All']),
      server.tokenFor(['User.Read.All', 'UserAuthenticationMethod.Read.All']),
    ]);
    const create = async (name: string, extra: Partial<UserChanges> = {}) => {
      const user = await server.container.users.createUser(operator, {
        userPrincipalName: `${name}@contoso.com`,
        displayName: name,
        accountEnabled: true,
        mailNickname: name,
        passwordProfile: { password: 'Correct-Horse-Battery-9', forceChangePasswordNextSignIn: false },
        ...extra,
      } as UserChanges);
      ids[name] = user.id;
    };
    await create('ada');
    await create('bob', { mobilePhone: '+1 4255550100' });
    await create('cara');
    await create('dan', { mobilePhone: '4255550100' });
    await create('eve', { accountEnabled: false });
    const methods = server.container.authenticationMethods;
    await methods.addEmailMethod(operator, 'cara@contoso.com', { emailAddress: 'cara@fabrikam.com' });
    await methods.addEmailMethod(operator, 'eve@contoso.com', { emailAddress: 'eve@fabrikam.com' });
    await methods.addPhoneMethod(operator, 'eve@contoso.com', { phoneNumber: '+1 4255550199', phoneType: 'mobile' });
  });
  afterAll(async () => server.close());

  it('computes every user in Graph userRegistrationDetails shape', async () => {
    const body = await report('');
    expect(body['@odata.context']).toBe(
      'http://localhost:80/beta/$metadata#reports/authenticationMethods/userRegistrationDetails',
    );
    expect(byUpn(body.value)).toEqual([
      'ada@contoso.com',
      'admin@contoso.com',
      'bob@contoso.com',
      'cara@contoso.com',
      'dan@contoso.com',
      'eve@contoso.com',
    ]);
    const cara = body.value.find((row) => row.userPrincipalName === 'cara@contoso.com');
    expect(cara).toEqual({
      id: ids.cara,
      userPrincipalName: 'cara@contoso.com',
      userDisplayName: 'cara',
      userType: 'member',
      isAdmin: false,
      isSsprRegistered: true,
      isSsprEnabled: true,
      isSsprCapable: true,
      isMfaRegistered: false,
      isMfaCapable: false,
      isPasswordlessCapable: false,
      methodsRegistered: ['email'],
      defaultMfaMethod: 'none',
      lastUpdatedDateTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    const flags = Object.fromEntries(
      body.value.map((row) => [
        row.userPrincipalName.split('@')[0],
        [row.isAdmin, row.isSsprRegistered, row.isSsprCapable, row.methodsRegistered.join(',')],
      ]),
    );
    expect(flags).toEqual({
      ada: [false, false, false, ''],
      admin: [true, false, false, ''],
      bob: [false, false, true, ''],
      cara: [false, true, true, 'email'],
      dan: [false, false, false, ''],
      eve: [false, true, false, 'mobilePhone,email'],
    });
    expect((await report('', 'v1.0')).value).toHaveLength(6);
  });

  it.each([
    ['isSsprCapable eq true', ['bob@contoso.com', 'cara@contoso.com']],
    ['isSsprRegistered eq true and isSsprCapable eq false', ['eve@contoso.com']],
    ['isAdmin eq true', ['admin@contoso.com']],
    ['isSsprEnabled eq false', []],
    ["userPrincipalName eq 'CARA@contoso.com'", ['cara@contoso.com']],
    ["userPrincipalName eq 'cara@contoso.com' and isSsprCapable eq false", []],
  ])('filters with %s', async (filter, expected) => {
    expect(byUpn((await report(`?$filter=${encodeURIComponent(filter)}`)).value)).toEqual(expected);
  });

  it('refuses unsupported and malformed filters', async () => {
    for (const filter of [
      "userPrincipalName ne 'x'",
      'isAdmin eq true or isSsprCapable eq true',
      "userDisplayName eq 'x'",
    ]) {
      const response = await get(`/beta${path}?$filter=${encodeURIComponent(filter)}`, reader);
      expect(response.statusCode, filter).toBe(400);
      expect(response.json().error.code, filter).toBe('Request_UnsupportedQuery');
    }
    for (const filter of ["isAdmin eq 'true'", 'isAdmin eq', "userPrincipalName eq 'x"]) {
      const response = await get(`/beta${path}?$filter=${encodeURIComponent(filter)}`, reader);
      expect(response.statusCode, filter).toBe(400);
      expect(response.json().error.code, filter).toBe('BadRequest');
    }
  });

  it('pages with $top and $skiptoken, with and without a filter on computed flags', async () => {
    for (const filter of ['', `&$filter=${encodeURIComponent('isSsprCapable eq false')}`]) {
      const all = byUpn((await report(filter ? `?${filter.slice(1)}` : '')).value);
      const seen: string[] = [];
      let url: string | undefined = `/beta${path}?$top=2${filter}`;
      let pages = 0;
      while (url) {
        const response = await get(url, reader);
        expect(response.statusCode, response.body).toBe(200);
        const body = response.json() as { '@odata.nextLink'?: string; value: Details[] };
        expect(body.value.length).toBeLessThanOrEqual(2);
        seen.push(...body.value.map((row) => row.userPrincipalName));
        url = body['@odata.nextLink']?.replace('http://localhost:80', '');
        pages += 1;
      }
      expect(seen.sort()).toEqual(all);
      expect(pages).toBeGreaterThan(1);
    }
    const next = (await report('?$top=2'))['@odata.nextLink'] as string;
    const token = new URL(next).searchParams.get('$skiptoken') as string;
    const replayed = await get(
      `/beta${path}?$filter=${encodeURIComponent('isAdmin eq true')}&$skiptoken=${token}`,
      reader,
    );
    expect(replayed.statusCode).toBe(400);
    const onUsers = await get(`/v1.0/users?$skiptoken=${token}`, reader);
    expect(onUsers.statusCode).not.toBe(200);
  });

  it('summarises the tenant: who can reset now, by method, and why not', async () => {
    const response = await get('/beta/reports/authenticationMethods/ssprReadinessSummary', reader);
    expect(response.statusCode, response.body).toBe(200);
    const { '@odata.context': context, ...summary } = response.json();
    expect(context).toBe('http://localhost:80/beta/$metadata#microsoft.graph.opensspr.ssprReadinessSummary');
    expect(summary).toEqual({
      totalUsers: 6,
      capableNow: 2,
      registered: 2,
      prePopulatedOnly: 1,
      byMethod: { email: 2, mobilePhone: 2, officePhone: 0, securityQuestions: 0 },
      unusable: { not_in_sspr_format: 1 },
      admins: 1,
    });
  });

  it('never shows a password, a hash or an argon2 string', async () => {
    for (const url of [`/beta${path}`, `/v1.0${path}`, '/beta/reports/authenticationMethods/ssprReadinessSummary']) {
      const response = await get(url, reader);
      for (const secret of ['Correct-Horse-Battery-9', '$argon2', 'passwordHash', 'password_hash', '"password"']) {
        expect(response.body).not.toContain(secret);
      }
    }
  });

  it('needs AuditLog.Read.All, or a reader role for signed-in users', async () => {
    for (const url of [`/beta${path}`, '/v1.0/reports/authenticationMethods/ssprReadinessSummary']) {
      const denied = await get(url, noAudit);
      expect(denied.statusCode).toBe(403);
      expect(denied.json().error.code).toBe('Authorization_RequestDenied');
    }
    const delegated = (roles: string[]): RequestContext => ({
      principal: {
        kind: 'user',
        userId: ids.ada as string,
        userPrincipalName: 'ada@contoso.com',
        scopes: new Set(['AuditLog.Read.All']),
        roles: new Set(roles),
      },
      correlationId: 'c',
      ipAddress: null,
    });
    const reports = server.container.reports;
    for (const role of [
      directoryRoles.globalAdministrator,
      directoryRoles.globalReader,
      directoryRoles.authenticationAdministrator,
    ]) {
      expect((await reports.userRegistrationDetails(delegated([role]), { top: 10 })).value).toHaveLength(6);
    }
    await expect(reports.readinessSummary(delegated([directoryRoles.passwordAdministrator]))).rejects.toMatchObject({
      code: 'permission_denied',
    });
    await expect(reports.userRegistrationDetails(delegated([]), { top: 1 })).rejects.toMatchObject({
      code: 'permission_denied',
    });
  });
});
