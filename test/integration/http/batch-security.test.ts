import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemOf, type Json, jsonHeaders, newUserBody, postBatch } from '../../support/batch-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

type GraphError = { error: { code: string; message: string } };

describe('$batch: security', () => {
  let server: TestServer;
  let readToken: string;
  let writeToken: string;
  let target: { id: string };

  beforeAll(async () => {
    server = await createTestServer();
    readToken = await server.tokenFor(['User.Read.All']);
    writeToken = await server.tokenFor(['User.ReadWrite.All']);
    target = await server.container.users.createUser(operator, newUserBody('batch-target') as never);
  });
  afterAll(async () => server.close());

  it('an anonymous or badly signed batch is refused as a whole with 401, and runs nothing', async () => {
    const requests = [
      { id: '1', method: 'PATCH', url: `/users/${target.id}`, headers: jsonHeaders, body: { jobTitle: 'anon' } },
    ];
    const anonymous = await postBatch(server, null, requests);
    expect(anonymous.response.statusCode).toBe(401);
    expect((anonymous.response.json() as GraphError).error.code).toBe('InvalidAuthenticationToken');
    const forged = await postBatch(server, `${writeToken.slice(0, -4)}AAAA`, requests);
    expect(forged.response.statusCode).toBe(401);
    expect(await server.container.users.getUser(operator, target.id)).toMatchObject({ jobTitle: null });
  });

  it('a sub-request the caller may not make gets its own 403 while the others succeed', async () => {
    const { response, items } = await postBatch(server, readToken, [
      { id: 'read', method: 'GET', url: `/users/${target.id}?$select=id` },
      { id: 'write', method: 'PATCH', url: `/users/${target.id}`, headers: jsonHeaders, body: { jobTitle: 'nope' } },
      { id: 'create', method: 'POST', url: '/users', headers: jsonHeaders, body: newUserBody('batch-nope') },
      { id: 'list', method: 'GET', url: '/users?$top=1' },
    ]);
    expect(response.statusCode).toBe(200);
    expect(itemOf(items, 'read').status).toBe(200);
    expect(itemOf(items, 'list').status).toBe(200);
    for (const id of ['write', 'create']) {
      expect(itemOf(items, id).status).toBe(403);
      expect((itemOf(items, id).body as GraphError).error.code).toBe('Authorization_RequestDenied');
    }
    expect(await server.container.users.getUser(operator, target.id)).toMatchObject({ jobTitle: null });
  });

  it('an Authorization header inside an item is ignored: every item runs as the batch caller', async () => {
    const { items } = await postBatch(server, readToken, [
      {
        id: '1',
        method: 'PATCH',
        url: `/users/${target.id}`,
        headers: { ...jsonHeaders, Authorization: `Bearer ${writeToken}` },
        body: { jobTitle: 'escalated' },
      },
    ]);
    expect(itemOf(items, '1').status).toBe(403);
    expect(await server.container.users.getUser(operator, target.id)).toMatchObject({ jobTitle: null });
  });

  it('dot segments cannot walk out of the Graph API into other routes', async () => {
    const urls = [
      '/users/../../api/admin/v1/policies',
      '/../api/admin/v1/outbox',
      'users/%2e%2e/%2E%2E/api/admin/v1/policies',
      '/users/./x',
      '/users/a%2F..%2F..%2Fhealthz',
      '/users\\..\\..\\healthz',
      '/users/%zz',
    ];
    const { items } = await postBatch(
      server,
      writeToken,
      urls.map((url, index) => ({ id: String(index), method: 'GET', url })),
    );
    for (const [index, url] of urls.entries()) {
      const item = itemOf(items, String(index));
      expect(item.status, url).toBe(400);
      // Refused by the batch itself: the route was never reached.
      expect((item.body as GraphError).error.message).toMatch(
        /path segment that is not allowed|characters a request url may not contain|not correctly percent-encoded/,
      );
    }
  });

  it('Host, forwarding and internal headers in an item or from outside cannot change the URLs the server writes', async () => {
    const { items } = await postBatch(
      server,
      writeToken,
      [
        {
          id: '1',
          method: 'GET',
          url: `/users/${target.id}?$select=id`,
          headers: {
            Host: 'evil.example',
            'X-Forwarded-Host': 'evil.example',
            'X-Forwarded-Proto': 'https',
            'x-sspr-batch-origin': 'guess',
          },
        },
      ],
      { headers: { 'x-sspr-batch-origin': 'guess' } },
    );
    expect((itemOf(items, '1').body as Json)['@odata.context']).toMatch(/^http:\/\/localhost:80\/v1\.0\//);
    const direct = await server.app.inject({
      method: 'GET',
      url: `/v1.0/users/${target.id}?$select=id`,
      headers: { authorization: `Bearer ${writeToken}`, 'x-sspr-batch-origin': 'guess' },
    });
    expect((direct.json() as Json)['@odata.context']).toMatch(/^http:\/\/localhost:80\/v1\.0\//);
  });

  it('audits a batch write with the caller as initiator, as a single request would be', async () => {
    const { items } = await postBatch(server, writeToken, [
      {
        id: '1',
        method: 'PATCH',
        url: `/users/${target.id}`,
        headers: { ...jsonHeaders, 'client-request-id': 'sec-audit-1' },
        body: { otherMails: ['target@example.org'] },
      },
    ]);
    expect(itemOf(items, '1').status).toBe(204);
    const events = await server.app.inject({
      method: 'GET',
      url: '/v1.0/auditLogs/directoryAudits',
      headers: { authorization: `Bearer ${await server.tokenFor(['AuditLog.Read.All'])}` },
    });
    const event = (events.json() as { value: Json[] }).value.find((entry) => entry.correlationId === 'sec-audit-1');
    expect(event).toBeDefined();
    expect(JSON.stringify(event?.initiatedBy)).toContain('"app"');
  });
});
