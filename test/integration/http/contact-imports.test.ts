import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryRoles } from '../../../src/domain/permissions.js';
import type { UserChanges } from '../../../src/domain/user.js';
import { signDelegatedToken } from '../../support/delegated-tokens.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

describe('contact import admin API', { timeout: 30_000 }, () => {
  let server: TestServer;
  let writer: string;
  let reader: string;
  let userAdmin: string;
  let globalReader: string;

  const signedIn = async (name: string, role: string, roleId: string) => {
    const user = await server.container.users.createUser(operator, {
      userPrincipalName: `${name}@contoso.com`,
      displayName: name,
      accountEnabled: true,
      mailNickname: name.replace(/[^A-Za-z0-9]/g, ''),
      passwordProfile: { password: 'Correct-Horse-Battery-9', forceChangePasswordNextSignIn: false },
    } as UserChanges);
    await server.container.roles.assign(operator, user.userPrincipalName, role);
    return signDelegatedToken(server, {
      user: { id: user.id, userPrincipalName: user.userPrincipalName },
      roles: [roleId],
    });
  };

  beforeAll(async () => {
    server = await createTestServer();
    [writer, reader] = await Promise.all([server.tokenFor(['User.ReadWrite.All']), server.tokenFor(['User.Read.All'])]);
    userAdmin = await signedIn('uma.admin', 'User Administrator', directoryRoles.userAdministrator);
    globalReader = await signedIn('gil.reader', 'Global Reader', directoryRoles.globalReader);
    for (const name of ['ada', 'bob']) {
      await server.container.users.createUser(operator, {
        userPrincipalName: `${name}@contoso.com`,
        displayName: name,
        accountEnabled: true,
        mailNickname: name,
        passwordProfile: { password: 'Correct-Horse-Battery-9', forceChangePasswordNextSignIn: false },
      } as UserChanges);
    }
  });
  afterAll(async () => server?.close());

  const csv = 'userPrincipalName,mobilePhone\nada@contoso.com,+1 4255550101\nnobody@contoso.com,+1 4255550102\n';
  const post = (query: string, token: string, payload: string, contentType = 'text/csv') =>
    server.app.inject({
      method: 'POST',
      url: `/api/admin/v1/contactImports${query}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      payload,
    });
  const get = (url: string, token: string) =>
    server.app.inject({ method: 'GET', url: `/api/admin/v1${url}`, headers: { authorization: `Bearer ${token}` } });

  it('dryRun=true returns the plan for every row and writes nothing', async () => {
    const response = await post('?dryRun=true', writer, csv);
    expect(response.statusCode, response.body).toBe(200);
    const plan = response.json();
    expect(plan).toMatchObject({
      dryRun: true,
      totalRows: 2,
      counts: { changed: 1, unchanged: 0, rejected: 1, warnings: 0 },
      rows: [
        { line: 2, key: 'ada@contoso.com', outcome: 'changed' },
        { line: 3, key: 'nobody@contoso.com', outcome: 'rejected', reason: 'User not found.' },
      ],
    });
    expect((await server.container.users.getUser(operator, 'ada@contoso.com')).mobilePhone).toBeNull();
  });

  it('applies, then serves the job and its results as CSV', async () => {
    const response = await post('?normalize=true', userAdmin, csv);
    expect(response.statusCode, response.body).toBe(200);
    const job = response.json();
    expect(job).toMatchObject({
      status: 'succeeded',
      totalRows: 2,
      rowsDone: 2,
      counts: { changed: 1, unchanged: 0, rejected: 1, warnings: 0 },
      createdBy: 'uma.admin@contoso.com',
      rejectedRows: [{ line: 3, key: 'nobody@contoso.com', reason: 'User not found.' }],
    });
    expect(response.headers.location).toBe(`/api/admin/v1/contactImports/${job.id}`);
    expect((await server.container.users.getUser(operator, 'ada@contoso.com')).mobilePhone).toBe('+1 4255550101');

    const status = await get(`/contactImports/${job.id}`, writer);
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ id: job.id, status: 'succeeded', rowsDone: 2 });

    const results = await get(`/contactImports/${job.id}/results`, writer);
    expect(results.statusCode).toBe(200);
    expect(results.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(results.body.split('\r\n')).toEqual([
      'line,key,outcome,column,reason,warnings,normalizations,changes',
      '2,ada@contoso.com,changed,,,,,mobilePhone: (empty) -> +1 4255550101',
      '3,nobody@contoso.com,rejected,userPrincipalName,User not found.,,,',
      '',
    ]);
    expect((await get('/contactImports/00000000-0000-4000-8000-000000000000', writer)).statusCode).toBe(404);
  });

  it('exports contact info and registration status as CSV', async () => {
    const response = await get('/users/export?$filter=startswith(userPrincipalName,%27ada%27)', globalReader);
    expect(response.statusCode, response.body).toBe(200);
    const [header, ...rows] = response.body.trimEnd().split('\r\n');
    expect(header).toMatch(
      /^userPrincipalName,id,displayName,.*,mobilePhone,businessPhones,otherMails,onPremisesSyncEnabled,isSsprRegistered/,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^ada@contoso\.com,.*,'\+1 4255550101,/);
    expect((await get('/users/export', reader)).statusCode).toBe(200);
  });

  it('follows the write rules: readers and Global Readers may not import, anonymous callers get 401', async () => {
    for (const token of [reader, globalReader]) {
      const refused = await post('', token, csv);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.code).toBe('Authorization_RequestDenied');
    }
    const anonymous = await server.app.inject({
      method: 'POST',
      url: '/api/admin/v1/contactImports',
      headers: { 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it('refuses bad input clearly: a JSON body, a bad flag, a bad header', async () => {
    const json = await post('', writer, '{"a":1}', 'application/json');
    expect(json.statusCode).toBe(400);
    expect(json.json().error.message).toBe('The body must be a CSV file sent as text/csv.');
    const flag = await post('?dryRun=maybe', writer, csv);
    expect(flag.statusCode).toBe(400);
    expect(flag.json().error.message).toBe('dryRun must be true or false.');
    const header = await post('', writer, 'userPrincipalName;pager\n');
    expect(header.statusCode).toBe(400);
    expect(header.json().error.message).toMatch(/Unknown column in the header line: 'pager'/);
  });

  it('accepts a body the size of a 100,000-row file', async () => {
    // About 10 MB: the header is refused, which shows the body was read rather than cut off at the default limit.
    const big = `userPrincipalName,pager\n${'user000000@contoso.com,+1 4255550100\n'.repeat(280_000)}`;
    expect(big.length).toBeGreaterThan(10_000_000);
    const response = await post('?dryRun=true', writer, big);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/'pager'/);
  });
});
