import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/domain/audit.js';
import { directoryRoles } from '../../../src/domain/permissions.js';
import { dialectsUnderTest } from '../../support/databases.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

const day = 24 * 60 * 60 * 1000;

interface Audit {
  id: string;
  activityDisplayName: string;
  activityDateTime: string;
  loggedByService: string;
  category: string;
  result: string;
  initiatedBy: { app: { appId: string } | null; user: { userPrincipalName: string | null } | null };
  targetResources: { id: string; userPrincipalName: string | null }[];
}

describe.each(dialectsUnderTest)('GET /auditLogs/directoryAudits on $name', (dialect) => {
  let server: TestServer;
  let auditor: string;
  let writer: string;
  let noAudit: string;
  let clockOffset = 0;
  let graceId: string;
  let between: string;

  const get = (url: string, token: string) =>
    server.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const list = async (query: string, version = 'v1.0') => {
    const response = await get(`/${version}/auditLogs/directoryAudits${query}`, auditor);
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { '@odata.context': string; '@odata.nextLink'?: string; value: Audit[] };
  };

  beforeAll(async () => {
    server = await createTestServer({
      database: await dialect.create(),
      clock: () => new Date(Date.now() + clockOffset),
    });
    // One after another: events written by concurrent transactions may commit (and so be numbered) in another
    // order than their timestamps, and the list below is checked to be in time order.
    auditor = await server.tokenFor(['AuditLog.Read.All']);
    writer = await server.tokenFor(['UserAuthenticationMethod.ReadWrite.All']);
    noAudit = await server.tokenFor(['User.Read.All', 'Directory.Read.All']);
    const grace = await server.container.users.createUser(operator, {
      userPrincipalName: 'grace@contoso.com',
      displayName: 'Grace Hopper',
      accountEnabled: true,
      mailNickname: 'grace',
      passwordProfile: { password: 'Compiler-Pioneer-1952', forceChangePasswordNextSignIn: false },
    });
    graceId = grace.id;
    await new Promise((resolve) => setTimeout(resolve, 15));
    between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 15));
    await server.container.users.createUser(operator, {
      userPrincipalName: 'alan@contoso.com',
      displayName: 'Alan Turing',
      accountEnabled: true,
      mailNickname: 'alan',
      passwordProfile: { password: 'Enigma-Machine-1939', forceChangePasswordNextSignIn: false },
    });
    // Through the API, so the initiator is an app.
    const added = await server.app.inject({
      method: 'POST',
      url: '/v1.0/users/grace@contoso.com/authentication/phoneMethods',
      headers: { authorization: `Bearer ${writer}` },
      payload: { phoneNumber: '+1 4255550100', phoneType: 'mobile' },
    });
    expect(added.statusCode, added.body).toBe(201);
  });
  afterAll(async () => server.close());

  it('lists events newest first in the directoryAudit shape', async () => {
    const body = await list('');
    expect(body['@odata.context']).toBe('http://localhost:80/v1.0/$metadata#auditLogs/directoryAudits');
    const activities = body.value.map((event) => event.activityDisplayName);
    expect(activities.slice(0, 3)).toEqual(['Admin registered security info', 'Add user', 'Add user']);
    const times = body.value.map((event) => event.activityDateTime);
    expect([...times].sort().reverse()).toEqual(times);
    const [phone] = body.value;
    expect(Object.keys(phone as object).sort()).toEqual(
      [
        'activityDateTime',
        'activityDisplayName',
        'additionalDetails',
        'category',
        'correlationId',
        'id',
        'initiatedBy',
        'loggedByService',
        'operationType',
        'result',
        'resultReason',
        'targetResources',
      ].sort(),
    );
    expect(phone).toMatchObject({
      category: 'UserManagement',
      result: 'success',
      loggedByService: 'Authentication Methods',
      operationType: 'Add',
      additionalDetails: [],
      initiatedBy: {
        app: { appId: expect.any(String), displayName: null, servicePrincipalId: null, servicePrincipalName: null },
        user: null,
      },
      targetResources: [
        {
          id: graceId,
          displayName: 'Grace Hopper',
          type: 'User',
          userPrincipalName: 'grace@contoso.com',
          groupType: null,
          modifiedProperties: [{ displayName: 'mobile', oldValue: null, newValue: '"+1 4255550100"' }],
        },
      ],
    });
    const addGrace = body.value.find(
      (event) => event.activityDisplayName === 'Add user' && event.targetResources[0]?.id === graceId,
    );
    expect(addGrace?.initiatedBy).toEqual({
      app: null,
      user: { id: null, displayName: null, userPrincipalName: 'operator:test', ipAddress: null },
    });
    expect((await list('', 'beta')).value).toHaveLength(body.value.length);
  });

  it('never shows a password, a hash or an argon2 string', async () => {
    const response = await get('/v1.0/auditLogs/directoryAudits', auditor);
    for (const secret of ['Compiler-Pioneer-1952', 'Enigma-Machine-1939', '$argon2', 'password_hash']) {
      expect(response.body).not.toContain(secret);
    }
    expect(response.body).toContain('[redacted]');
  });

  it.each([
    ["activityDisplayName eq 'Add user'", 2],
    ["loggedByService eq 'Authentication Methods'", 1],
    ["category eq 'UserManagement' and loggedByService eq 'Core Directory'", 2],
    ["result eq 'failure'", 0],
    ["initiatedBy/user/userPrincipalName eq 'OPERATOR:test' and activityDisplayName eq 'Add user'", 2],
  ])('filters with %s', async (filter, count) => {
    const body = await list(`?$filter=${encodeURIComponent(filter)}`);
    expect(
      body.value.filter((event) => event.targetResources[0]?.userPrincipalName !== 'admin@contoso.com'),
    ).toHaveLength(count);
  });

  it('filters on activityDateTime ranges and on a target with any()', async () => {
    const after = await list(
      `?$filter=${encodeURIComponent(`activityDateTime ge ${between} and activityDisplayName eq 'Add user'`)}`,
    );
    expect(after.value.map((event) => event.targetResources[0]?.userPrincipalName)).toEqual(['alan@contoso.com']);
    const before = await list(`?$filter=${encodeURIComponent(`activityDateTime lt ${between}`)}`);
    expect(before.value.some((event) => event.targetResources[0]?.userPrincipalName === 'grace@contoso.com')).toBe(
      true,
    );
    expect(before.value.some((event) => event.targetResources[0]?.userPrincipalName === 'alan@contoso.com')).toBe(
      false,
    );
    const aboutGrace = await list(`?$filter=${encodeURIComponent(`targetResources/any(t:t/id eq '${graceId}')`)}`);
    expect(aboutGrace.value.map((event) => event.activityDisplayName)).toEqual([
      'Admin registered security info',
      'Add user',
    ]);
  });

  it('refuses unsupported and malformed filters', async () => {
    for (const filter of [
      "activityDisplayName ne 'Add user'",
      "category eq 'UserManagement' or result eq 'success'",
      "startswith(activityDisplayName,'Add')",
      "id eq 'x'",
      'activityDateTime eq 2024-01-01T00:00:00Z',
    ]) {
      const response = await get(`/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}`, auditor);
      expect(response.statusCode, filter).toBe(400);
      expect(response.json().error.code, filter).toBe('Request_UnsupportedQuery');
    }
    for (const filter of [
      "category eq 'open",
      'activityDateTime ge 2024-01-01',
      'category eq',
      "category eq 'a' and",
    ]) {
      const response = await get(`/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}`, auditor);
      expect(response.statusCode, filter).toBe(400);
      expect(response.json().error.code, filter).toBe('BadRequest');
    }
    const expand = await get('/v1.0/auditLogs/directoryAudits?$expand=x', auditor);
    expect(expand.json().error.code).toBe('Request_UnsupportedQuery');
  });

  it('pages with $top and a signed $skiptoken, without gaps or repeats', async () => {
    const all = (await list('')).value.map((event) => event.id);
    expect(all.length).toBeGreaterThanOrEqual(4);
    const seen: string[] = [];
    let url: string | undefined = '/v1.0/auditLogs/directoryAudits?$top=1';
    while (url) {
      const response = await get(url, auditor);
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json() as { '@odata.nextLink'?: string; value: Audit[] };
      expect(body.value.length).toBeLessThanOrEqual(1);
      seen.push(...body.value.map((event) => event.id));
      url = body['@odata.nextLink']?.replace('http://localhost:80', '');
    }
    expect(seen).toEqual(all);

    const first = (await list('?$top=2'))['@odata.nextLink'] as string;
    expect(first).toMatch(/^http:\/\/localhost:80\/v1\.0\/auditLogs\/directoryAudits\?\$top=2&\$skiptoken=/);
    const token = new URL(first).searchParams.get('$skiptoken') as string;
    const tampered = await get(`/v1.0/auditLogs/directoryAudits?$skiptoken=${token.slice(0, -2)}AA`, auditor);
    expect(tampered.statusCode).toBe(400);
    const otherQuery = await get(
      `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent("result eq 'success'")}&$skiptoken=${token}`,
      auditor,
    );
    expect(otherQuery.statusCode).toBe(400);
    expect((await get('/v1.0/auditLogs/directoryAudits?$top=0', auditor)).statusCode).toBe(400);
    expect((await get('/v1.0/auditLogs/directoryAudits?$top=1000', auditor)).statusCode).toBe(400);
  });

  it('needs AuditLog.Read.All', async () => {
    const denied = await get('/v1.0/auditLogs/directoryAudits', noAudit);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('Authorization_RequestDenied');
    expect((await server.app.inject({ method: 'GET', url: '/v1.0/auditLogs/directoryAudits' })).statusCode).toBe(401);
  });

  it('lets signed-in users read it only with the scope and a reader role', async () => {
    const delegated = (scopes: string[], roles: string[]): RequestContext => ({
      principal: {
        kind: 'user',
        userId: graceId,
        userPrincipalName: 'grace@contoso.com',
        scopes: new Set(scopes),
        roles: new Set(roles),
      },
      correlationId: 'c',
      ipAddress: '127.0.0.1',
    });
    const audit = server.container.auditLog;
    for (const role of [
      directoryRoles.globalAdministrator,
      directoryRoles.globalReader,
      directoryRoles.privilegedAuthenticationAdministrator,
    ]) {
      await expect(audit.list(delegated(['AuditLog.Read.All'], [role]), { top: 1 })).resolves.toBeDefined();
    }
    await expect(
      audit.list(delegated(['AuditLog.Read.All'], [directoryRoles.helpdeskAdministrator]), { top: 1 }),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(
      audit.list(delegated(['User.Read.All'], [directoryRoles.globalAdministrator]), { top: 1 }),
    ).rejects.toMatchObject({ code: 'permission_denied' });
  });

  it('prunes events older than the retention (30 days by default) against the clock', async () => {
    const count = async () => (await server.container.auditLog.list(operator, { top: 999 })).events.length;
    const before = await count();
    expect(before).toBeGreaterThan(0);
    clockOffset = 29 * day;
    expect((await server.container.auditLog.prune()).deleted).toBe(0);
    expect(await count()).toBe(before);
    clockOffset = 31 * day;
    const result = await server.container.auditLog.prune();
    expect(result.deleted).toBe(before);
    expect(Date.parse(result.olderThan)).toBeGreaterThan(Date.now());
    expect(await count()).toBe(0);
    clockOffset = 0;
  });

  it('prunes at start and then on a daily timer, until stopped', async () => {
    await server.container.users.createUser(operator, {
      userPrincipalName: 'edsger@contoso.com',
      displayName: 'Edsger Dijkstra',
      accountEnabled: true,
      mailNickname: 'edsger',
      passwordProfile: { password: 'Shortest-Path-1956', forceChangePasswordNextSignIn: false },
    });
    const count = async () => (await server.container.auditLog.list(operator, { top: 999 })).events.length;
    expect(await count()).toBe(1);
    clockOffset = 31 * day;
    const stop = server.container.startAuditRetention();
    try {
      await expect.poll(count, { timeout: 5000 }).toBe(0);
    } finally {
      stop();
      clockOffset = 0;
    }
  });
});
