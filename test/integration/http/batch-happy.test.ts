import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemOf, type Json, jsonHeaders, newUserBody, postBatch } from '../../support/batch-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

describe('$batch: happy paths', () => {
  let server: TestServer;
  let token: string;

  const createUser = async (localPart: string, extra: Json = {}) =>
    server.container.users.createUser(operator, newUserBody(localPart, extra) as never);

  beforeAll(async () => {
    server = await createTestServer();
    token = await server.tokenFor(['User.ReadWrite.All']);
  });
  afterAll(async () => server.close());

  it('runs GET, POST, PATCH and DELETE in one request and answers each with status, headers and body', async () => {
    const kept = await createUser('batch-kept', { mobilePhone: '+1 4255550100' });
    const doomed = await createUser('batch-doomed');
    const { response, items, order } = await postBatch(server, token, [
      { id: '1', method: 'GET', url: `/users/${kept.id}?$select=displayName,mobilePhone` },
      {
        id: '2',
        method: 'PATCH',
        url: `users/${kept.id}`,
        headers: jsonHeaders,
        body: { otherMails: ['kept@example.org'], businessPhones: ['+1 4252345678'] },
      },
      { id: '3', method: 'DELETE', url: `/users/${doomed.id}` },
      { id: '4', method: 'POST', url: '/users', headers: jsonHeaders, body: newUserBody('batch-created') },
      { id: '5', method: 'GET', url: '/users/$count', headers: { ConsistencyLevel: 'eventual' } },
    ]);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(order).toEqual(['1', '2', '3', '4', '5']);

    const read = itemOf(items, '1');
    expect(read.status).toBe(200);
    expect(read.headers['Content-Type']).toMatch(/^application\/json/);
    expect(read.body).toEqual({
      '@odata.context': `http://localhost:80/v1.0/$metadata#users(displayName,mobilePhone)/$entity`,
      displayName: 'User batch-kept',
      mobilePhone: '+1 4255550100',
    });

    for (const id of ['2', '3']) {
      const item = itemOf(items, id);
      expect(item.status).toBe(204);
      expect(item.body).toBeNull();
      expect(item.headers).not.toHaveProperty('Content-Type');
      expect(Object.keys(item.headers).some((name) => name.toLowerCase() === 'content-type')).toBe(false);
    }
    const created = itemOf(items, '4');
    expect(created.status).toBe(201);
    expect(created.headers['Content-Type']).toMatch(/^application\/json/);
    expect(created.body).toMatchObject({ userPrincipalName: 'batch-created@contoso.com' });
    const count = itemOf(items, '5');
    expect(count.status).toBe(200);
    expect(count.headers['Content-Type']).toMatch(/^text\/plain/);
    expect(typeof count.body).toBe('string');

    // The writes happened, exactly as if sent alone.
    const after = await server.container.users.getUser(operator, kept.id);
    expect(after).toMatchObject({ otherMails: ['kept@example.org'], businessPhones: ['+1 4252345678'] });
    await expect(server.container.users.getUser(operator, doomed.id)).rejects.toMatchObject({
      code: 'resource_not_found',
    });
  });

  it('runs dependencies first whatever the order sent, and answers in the order sent', async () => {
    const user = await createUser('batch-chain');
    const { items, order } = await postBatch(server, token, [
      { id: 'read', method: 'GET', url: `/users/${user.id}?$select=jobTitle`, dependsOn: ['second'] },
      {
        id: 'second',
        method: 'PATCH',
        url: `/users/${user.id}`,
        headers: jsonHeaders,
        body: { jobTitle: 'Second' },
        dependsOn: ['first'],
      },
      { id: 'first', method: 'PATCH', url: `/users/${user.id}`, headers: jsonHeaders, body: { jobTitle: 'First' } },
    ]);
    expect(order).toEqual(['read', 'second', 'first']);
    expect(itemOf(items, 'first').status).toBe(204);
    expect(itemOf(items, 'second').status).toBe(204);
    expect(itemOf(items, 'read').body).toMatchObject({ jobTitle: 'Second' });
  });

  it('answers 424 Failed Dependency for a request whose dependency failed, and transitively', async () => {
    const user = await createUser('batch-424');
    const { response, items } = await postBatch(server, token, [
      { id: '1', method: 'GET', url: '/users/nobody@contoso.com' },
      {
        id: '2',
        method: 'PATCH',
        url: `/users/${user.id}`,
        headers: jsonHeaders,
        body: { jobTitle: 'X' },
        dependsOn: ['1'],
      },
      { id: '3', method: 'GET', url: `/users/${user.id}`, dependsOn: ['2'] },
      { id: '4', method: 'GET', url: `/users/${user.id}?$select=jobTitle` },
    ]);
    expect(response.statusCode).toBe(200);
    expect(itemOf(items, '1').status).toBe(404);
    expect((itemOf(items, '1').body as { error: Json }).error.code).toBe('Request_ResourceNotFound');
    for (const id of ['2', '3']) {
      const failed = itemOf(items, id);
      expect(failed.status).toBe(424);
      expect(failed.headers['Content-Type']).toMatch(/^application\/json/);
      expect(failed.body).toMatchObject({
        error: {
          code: 'FailedDependency',
          message: expect.stringContaining(id === '2' ? "'1'" : "'2'"),
          innerError: { date: expect.any(String), 'request-id': expect.any(String) },
        },
      });
    }
    // The dependent PATCH never ran; the independent request did.
    expect(itemOf(items, '4').body).toMatchObject({ jobTitle: null });
  });

  it('echoes client-request-id: the batch its own, each item its own or the batch one', async () => {
    const { response, items } = await postBatch(
      server,
      token,
      [
        { id: 'a', method: 'GET', url: '/users?$top=1', headers: { 'client-request-id': 'item-a-1234' } },
        { id: 'b', method: 'GET', url: '/users/missing@contoso.com' },
      ],
      { headers: { 'client-request-id': 'batch-5678' } },
    );
    expect(response.headers['client-request-id']).toBe('batch-5678');
    expect(itemOf(items, 'a').headers['client-request-id']).toBe('item-a-1234');
    expect(itemOf(items, 'b').headers['client-request-id']).toBe('batch-5678');
    expect((itemOf(items, 'b').body as { error: { innerError: Json } }).error.innerError['client-request-id']).toBe(
      'batch-5678',
    );
  });

  it('/beta/$batch runs sub-requests against beta, and accepts urls that repeat the batch version', async () => {
    const user = await createUser('batch-beta');
    const { items } = await postBatch(
      server,
      token,
      [
        { id: '1', method: 'GET', url: `/users/${user.id}?$select=id` },
        { id: '2', method: 'GET', url: `/beta/users/${user.id}?$select=id` },
      ],
      { version: 'beta' },
    );
    for (const id of ['1', '2']) {
      expect(itemOf(items, id).status).toBe(200);
      expect((itemOf(items, id).body as Json)['@odata.context']).toContain('/beta/$metadata#users');
    }
  });

  it('audits each write of a batch like a single request, with the item client-request-id as correlation', async () => {
    const user = await createUser('batch-audit');
    const { items } = await postBatch(server, token, [
      {
        id: '1',
        method: 'PATCH',
        url: `/users/${user.id}`,
        headers: { ...jsonHeaders, 'client-request-id': 'audit-corr-1' },
        body: { mobilePhone: '+1 4255550199' },
      },
    ]);
    expect(itemOf(items, '1').status).toBe(204);
    const audit = await server.app.inject({
      method: 'GET',
      url: `/v1.0/auditLogs/directoryAudits`,
      headers: { authorization: `Bearer ${await server.tokenFor(['AuditLog.Read.All'])}` },
    });
    const events = (audit.json() as { value: Json[] }).value;
    expect(events.some((event) => event.correlationId === 'audit-corr-1')).toBe(true);
  });
});
