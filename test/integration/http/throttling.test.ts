import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigInput, loadConfig } from '../../../src/config.js';
import { type Container, createContainer } from '../../../src/container.js';
import { buildServer } from '../../../src/http/server.js';
import { openDatabase, type StoreDatabase } from '../../../src/store/database.js';
import { PostgresThrottleStore } from '../../../src/store/throttle-bucket-store.js';
import { itemOf, type Json, jsonHeaders, newUserBody, postBatch } from '../../support/batch-client.js';
import { createPostgresDatabase, type TestDatabase } from '../../support/databases.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

type GraphError = { error: { code: string; message: string; innerError: Json } };

/** Three writes per 3 seconds per application (one a second), 10 resource units per 10 seconds. */
const smallLimits: Partial<ConfigInput> = {
  throttleAppWrites: 3,
  throttleAppWritesWindowSeconds: 3,
  throttleAppResourceUnits: 10,
  throttleAppResourceUnitsWindowSeconds: 10,
};

function appIdOf(token: string): string {
  const [, payload = ''] = token.split('.');
  return String((JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Json).appid);
}

describe('throttling', () => {
  let now = new Date('2030-01-01T00:00:00Z');
  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  let server: TestServer;
  let token: string;
  let target: { id: string };

  const patch = (body: Json, headers: Record<string, string> = {}) =>
    server.app.inject({
      method: 'PATCH',
      url: `/v1.0/users/${target.id}`,
      headers: { authorization: `Bearer ${token}`, ...headers },
      payload: body,
    });

  beforeAll(async () => {
    server = await createTestServer({ clock: () => now, config: smallLimits });
    target = await server.container.users.createUser(operator, newUserBody('throttled') as never);
  });
  afterAll(async () => server.close());

  it('answers 429 TooManyRequests with Retry-After and Graph headers past the write limit, and again after it', async () => {
    token = await server.tokenFor(['User.ReadWrite.All']);
    for (let i = 0; i < 3; i++) {
      const allowed = await patch({ jobTitle: `t${i}` });
      expect(allowed.statusCode, allowed.body).toBe(204);
      expect(allowed.headers['x-ms-resource-unit']).toBe('1');
    }
    const refused = await patch({ jobTitle: 'too many' }, { 'client-request-id': 'throttle-echo-1' });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['x-ms-throttle-scope']).toBe(
      `Tenant_Application/Write/${appIdOf(token)}/${server.container.tenant.tenantId}`,
    );
    expect(refused.headers['x-ms-throttle-information']).toBe('WriteLimitExceeded');
    expect(refused.headers['client-request-id']).toBe('throttle-echo-1');
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    const body = refused.json() as GraphError;
    expect(body).toEqual({
      error: {
        code: 'TooManyRequests',
        message: 'Too many requests. Retry after 1 second.',
        innerError: {
          date: '2030-01-01T00:00:00',
          'request-id': refused.headers['request-id'],
          'client-request-id': 'throttle-echo-1',
        },
      },
    });
    expect((await server.container.users.getUser(operator, target.id)).jobTitle).toBe('t2');

    // Reads still pass while writes are throttled; near the resource-unit limit Graph's alert header appears.
    const read = await server.app.inject({
      method: 'GET',
      url: '/v1.0/users',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(read.statusCode).toBe(200);
    expect(read.headers['x-ms-resource-unit']).toBe('2');

    advance(999);
    expect((await patch({ jobTitle: 'still early' })).statusCode).toBe(429);
    advance(1);
    expect((await patch({ jobTitle: 'after waiting' })).statusCode).toBe(204);
  });

  it('throttles each sub-request of a batch by itself: items past the limit are 429 with Retry-After', async () => {
    advance(60_000);
    token = await server.tokenFor(['User.ReadWrite.All']);
    const requests = Array.from({ length: 5 }, (_, index) => ({
      id: String(index + 1),
      method: 'PATCH',
      url: `/users/${target.id}`,
      headers: jsonHeaders,
      body: { jobTitle: `batch ${index + 1}` },
    }));
    const { response, items } = await postBatch(server, token, requests);
    expect(response.statusCode).toBe(200);
    expect([1, 2, 3, 4, 5].map((id) => itemOf(items, String(id)).status)).toEqual([204, 204, 204, 429, 429]);
    const throttled = itemOf(items, '4');
    expect(throttled.headers['Retry-After']).toBe('1');
    expect(throttled.headers['Content-Type']).toMatch(/^application\/json/);
    expect(throttled.headers['x-ms-throttle-information']).toBe('WriteLimitExceeded');
    expect((throttled.body as GraphError).error.code).toBe('TooManyRequests');
    expect((await server.container.users.getUser(operator, target.id)).jobTitle).toBe('batch 3');
    // The batch envelope itself costs nothing: a read in the next batch passes.
    const next = await postBatch(server, token, [{ id: 'r', method: 'GET', url: `/users/${target.id}` }]);
    expect(itemOf(next.items, 'r').status).toBe(200);
  });

  it('each application has its own buckets', async () => {
    advance(60_000);
    const first = await server.tokenFor(['User.ReadWrite.All']);
    const second = await server.tokenFor(['User.ReadWrite.All']);
    token = first;
    for (let i = 0; i < 3; i++) expect((await patch({ jobTitle: `first ${i}` })).statusCode).toBe(204);
    expect((await patch({ jobTitle: 'first over' })).statusCode).toBe(429);
    token = second;
    expect((await patch({ jobTitle: 'second' })).statusCode).toBe(204);
  });

  it('SSPR_THROTTLE=off serves everything unthrottled and sends no throttling headers', async () => {
    const open = await createTestServer({ clock: () => now, config: { ...smallLimits, throttle: 'off' } });
    try {
      const openToken = await open.tokenFor(['User.ReadWrite.All']);
      const user = await open.container.users.createUser(operator, newUserBody('unthrottled') as never);
      for (let i = 0; i < 10; i++) {
        const response = await open.app.inject({
          method: 'PATCH',
          url: `/v1.0/users/${user.id}`,
          headers: { authorization: `Bearer ${openToken}` },
          payload: { jobTitle: `n${i}` },
        });
        expect(response.statusCode).toBe(204);
        expect(response.headers).not.toHaveProperty('x-ms-resource-unit');
      }
    } finally {
      await open.close();
    }
  });

  it('reads the limits from SSPR_* environment variables', () => {
    const config = loadConfig({
      env: { SSPR_THROTTLE: 'off', SSPR_THROTTLE_APP_WRITES: '40', SSPR_THROTTLE_TENANT_WRITES_WINDOW_SECONDS: '60' },
    });
    expect(config).toMatchObject({ throttle: 'off', throttleAppWrites: 40, throttleTenantWritesWindowSeconds: 60 });
    expect(() => loadConfig({ env: { SSPR_THROTTLE_APP_WRITES: '0' } })).toThrow(/throttleAppWrites/);
  });
});

const postgresUrl = process.env.SSPR_TEST_POSTGRES_URL;

describe.skipIf(!postgresUrl)('throttling shared through PostgreSQL', () => {
  let database: TestDatabase;
  let secondStore: StoreDatabase;
  let first: TestServer;
  let secondContainer: Container;
  let second: FastifyInstance;
  const now = new Date('2030-01-01T00:00:00Z');

  beforeAll(async () => {
    database = await createPostgresDatabase(postgresUrl as string);
    first = await createTestServer({ database, clock: () => now, config: smallLimits });
    // A second instance: its own connection pool and Fastify app, the same database and data folder (master key).
    secondStore = openDatabase(database.url);
    secondContainer = await createContainer(
      loadConfig({
        env: {},
        flags: { dataDir: first.dataDir, tenantDomain: 'contoso.com', logLevel: 'silent', ...smallLimits },
      }),
      { database: secondStore, logger: pino({ level: 'silent' }), clock: () => now },
    );
    second = await buildServer(secondContainer);
    await second.ready();
  });
  afterAll(async () => {
    await second?.close();
    await secondStore?.close();
    await first?.close();
  });

  it('two server instances on one database share an application bucket', async () => {
    const token = await first.tokenFor(['User.ReadWrite.All']);
    const user = await first.container.users.createUser(operator, newUserBody('shared') as never);
    const patchOn = (app: FastifyInstance, jobTitle: string) =>
      app.inject({
        method: 'PATCH',
        url: `/v1.0/users/${user.id}`,
        headers: { authorization: `Bearer ${token}` },
        payload: { jobTitle },
      });
    expect((await patchOn(first.app, 'one')).statusCode).toBe(204);
    expect((await patchOn(second, 'two')).statusCode).toBe(204);
    expect((await patchOn(first.app, 'three')).statusCode).toBe(204);
    const refused = await patchOn(second, 'four');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect((await patchOn(first.app, 'five')).statusCode).toBe(429);
  });

  it('concurrent takes from two connection pools never hand out more than the bucket holds', async () => {
    const stores = [new PostgresThrottleStore(first.container.database.db), new PostgresThrottleStore(secondStore.db)];
    const limit = { capacity: 10, windowSeconds: 1000 };
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, index) => stores[index % 2]!.take('race/bucket', limit, 1, now.getTime())),
    );
    expect(results.filter((result) => result.granted)).toHaveLength(10);
    // A refund gives back, never above capacity.
    await stores[0]!.refund('race/bucket', limit, 50);
    expect((await stores[1]!.take('race/bucket', limit, 10, now.getTime())).granted).toBe(true);
    expect((await stores[1]!.take('race/bucket', limit, 1, now.getTime())).granted).toBe(false);
    // Buckets idle for a day are purged; busy ones stay.
    await stores[0]!.take('idle/bucket', limit, 1, now.getTime() - 2 * 24 * 60 * 60 * 1000);
    expect(await stores[0]!.purgeIdle(now.getTime() - 24 * 60 * 60 * 1000)).toBe(1);
    expect((await stores[0]!.take('race/bucket', limit, 1, now.getTime())).granted).toBe(false);
  });
});
