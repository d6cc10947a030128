import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchItemResponse,
  itemOf,
  type Json,
  jsonHeaders,
  newUserBody,
  postBatch,
} from '../../support/batch-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

type GraphError = { error: { code: string; message: string; innerError: Json } };

describe('$batch: errors', () => {
  let server: TestServer;
  let token: string;

  const gets = (count: number) =>
    Array.from({ length: count }, (_, index) => ({ id: String(index + 1), method: 'GET', url: '/users?$top=1' }));

  const expectBatchRefused = async (requests: unknown, message: RegExp) => {
    const { response } = await postBatch(server, token, requests);
    expect(response.statusCode, response.body).toBe(400);
    const body = response.json() as GraphError;
    expect(body.error.code).toBe('BadRequest');
    expect(body.error.message).toMatch(message);
    expect(body.error.innerError).toMatchObject({
      date: expect.any(String),
      'request-id': response.headers['request-id'],
    });
  };

  const expectItemError = (item: BatchItemResponse, status: number, code: string, message?: RegExp) => {
    expect(item.status, JSON.stringify(item)).toBe(status);
    expect(item.headers['Content-Type']).toMatch(/^application\/json/);
    expect((item.body as GraphError).error.code).toBe(code);
    if (message) expect((item.body as GraphError).error.message).toMatch(message);
  };

  beforeAll(async () => {
    server = await createTestServer();
    token = await server.tokenFor(['User.ReadWrite.All']);
  });
  afterAll(async () => server.close());

  it('takes 20 requests and refuses 21 with Graph error body, running none of them', async () => {
    const countUsers = async () => (await server.container.users.listUsers(operator, { top: 999 })).users.length;
    const before = await countUsers();
    const { response, items } = await postBatch(server, token, gets(20));
    expect(response.statusCode).toBe(200);
    expect(items.size).toBe(20);
    await expectBatchRefused(
      [
        ...gets(20),
        { id: '21', method: 'POST', url: '/users', headers: jsonHeaders, body: newUserBody('never-created') },
      ],
      /21 requests; at most 20/,
    );
    expect(await countUsers()).toBe(before);
  });

  it('refuses duplicate ids, unknown and cyclic dependencies, and empty batches', async () => {
    await expectBatchRefused(
      [
        { id: '1', method: 'GET', url: '/users' },
        { id: '1', method: 'GET', url: '/users' },
      ],
      /id '1' more than once/,
    );
    await expectBatchRefused([{ id: '1', method: 'GET', url: '/users', dependsOn: ['9'] }], /depends on '9'/);
    await expectBatchRefused([{ id: '1', method: 'GET', url: '/users', dependsOn: ['1'] }], /depends on itself/);
    await expectBatchRefused(
      [
        { id: 'a', method: 'GET', url: '/users', dependsOn: ['c'] },
        { id: 'b', method: 'GET', url: '/users', dependsOn: ['a'] },
        { id: 'c', method: 'GET', url: '/users', dependsOn: ['b'] },
      ],
      /cycle: a -> c -> b -> a/,
    );
    await expectBatchRefused([], /no requests/);
    await expectBatchRefused([{ id: '1', method: 'GET', url: '/users', dependsOn: '2' }], /array of request ids/);
  });

  it('refuses malformed envelopes and items: no requests array, missing id, method or url', async () => {
    const notObject = await server.app.inject({
      method: 'POST',
      url: '/v1.0/$batch',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      payload: '[1, 2]',
    });
    expect(notObject.statusCode).toBe(400);
    expect((notObject.json() as GraphError).error.message).toMatch(/'requests' array/);
    const badJson = await server.app.inject({
      method: 'POST',
      url: '/v1.0/$batch',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      payload: '{"requests": [',
    });
    expect(badJson.statusCode).toBe(400);
    expect((badJson.json() as GraphError).error.code).toBe('BadRequest');
    await expectBatchRefused([{ method: 'GET', url: '/users' }], /no 'id'/);
    await expectBatchRefused([{ id: 7, method: 'GET', url: '/users' }], /no 'id'/);
    await expectBatchRefused([{ id: '1', url: '/users' }], /no 'method'/);
    await expectBatchRefused([{ id: '1', method: 'GET' }], /no 'url'/);
    await expectBatchRefused([{ id: '1', method: 'GET', url: '/users', headers: ['x'] }], /headers .* JSON object/);
  });

  it('refuses a request with a body but no Content-Type header, as Graph does', async () => {
    await expectBatchRefused(
      [{ id: '1', method: 'PATCH', url: '/users/someone@contoso.com', body: { jobTitle: 'x' } }],
      /body but no Content-Type/,
    );
  });

  it('answers a bad url or method in its own item with 400 while the other requests run', async () => {
    const { response, items } = await postBatch(server, token, [
      { id: 'ok', method: 'GET', url: '/users?$top=1' },
      { id: 'absolute', method: 'GET', url: 'https://graph.microsoft.com/v1.0/users' },
      { id: 'scheme-relative', method: 'GET', url: '//graph.microsoft.com/v1.0/users' },
      { id: 'other-version', method: 'GET', url: '/beta/users' },
      { id: 'nested', method: 'POST', url: '/$batch', headers: jsonHeaders, body: { requests: [] } },
      { id: 'method', method: 'TRACE', url: '/users' },
      { id: 'unknown-path', method: 'GET', url: '/groups' },
      { id: 'bad-property', method: 'PATCH', url: '/users/x@contoso.com', headers: jsonHeaders, body: { nope: 1 } },
    ]);
    expect(response.statusCode).toBe(200);
    expect(itemOf(items, 'ok').status).toBe(200);
    expectItemError(itemOf(items, 'absolute'), 400, 'BadRequest', /absolute/);
    expectItemError(itemOf(items, 'scheme-relative'), 400, 'BadRequest', /absolute/);
    expectItemError(itemOf(items, 'other-version'), 400, 'BadRequest', /another API version/);
    expectItemError(itemOf(items, 'nested'), 400, 'BadRequest', /cannot be nested/);
    expectItemError(itemOf(items, 'method'), 400, 'BadRequest', /'TRACE' is not supported/);
    expectItemError(itemOf(items, 'unknown-path'), 400, 'BadRequest', /segment 'groups'/);
    expect(itemOf(items, 'bad-property').status).toBe(400);
  });

  it('a body that is not JSON is refused with 400 in Graph shape', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/v1.0/$batch',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` },
      payload: 'requests',
    });
    expect(response.statusCode).toBe(400);
    expect((response.json() as GraphError).error).toMatchObject({
      code: 'BadRequest',
      message: expect.stringMatching(/'requests' array/),
    });
  });
});
