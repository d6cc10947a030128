import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisThrottleStore } from '../../../src/connectors/redis/redis-throttle-store.js';
import type { BucketLimit } from '../../../src/domain/throttling.js';
import type { ThrottleStore } from '../../../src/services/throttling/throttle-service.js';
import { openDatabase } from '../../../src/store/database.js';
import { MemoryThrottleStore, PostgresThrottleStore } from '../../../src/store/throttle-bucket-store.js';
import { createPostgresDatabase } from '../../support/databases.js';
import { closedPort, testRedisKeys, testRedisUrl } from '../../support/redis.js';

/** Two handles on one set of buckets: two connections where the store has connections, as two instances have. */
interface OpenedStore {
  readonly first: ThrottleStore;
  readonly second: ThrottleStore;
  dispose(): Promise<void>;
}

interface ThrottleStoreUnderTest {
  readonly name: string;
  open(): Promise<OpenedStore>;
}

const silentLogger = { error: () => undefined, info: () => undefined };
const postgresUrl = process.env.SSPR_TEST_POSTGRES_URL;

/**
 * Every bucket store answers like the in-memory one. PostgreSQL runs when SSPR_TEST_POSTGRES_URL is set; Redis
 * always runs and fails, naming SSPR_TEST_REDIS_URL, when no Redis is configured.
 */
const storesUnderTest: readonly ThrottleStoreUnderTest[] = [
  {
    name: 'memory',
    async open() {
      const store = new MemoryThrottleStore();
      return { first: store, second: store, dispose: async () => undefined };
    },
  },
  ...(postgresUrl
    ? [
        {
          name: 'PostgreSQL',
          async open(): Promise<OpenedStore> {
            const database = await createPostgresDatabase(postgresUrl);
            const secondPool = openDatabase(database.url);
            return {
              first: new PostgresThrottleStore(database.store.db),
              second: new PostgresThrottleStore(secondPool.db),
              async dispose() {
                await secondPool.close();
                await database.dispose();
              },
            };
          },
        },
      ]
    : []),
  {
    name: 'Redis',
    async open() {
      const keys = testRedisKeys();
      const first = new RedisThrottleStore({ url: keys.url, keyPrefix: keys.prefix, logger: silentLogger });
      const second = new RedisThrottleStore({ url: keys.url, keyPrefix: keys.prefix, logger: silentLogger });
      return {
        first,
        second,
        async dispose() {
          await first.close();
          await second.close();
          await keys.dispose();
        },
      };
    },
  },
];

const t0 = Date.parse('2030-01-01T00:00:00Z');

/** A repeatable pseudo-random sequence (mulberry32), so a failing mix of takes and refunds can be replayed. */
function randomSequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe.each(storesUnderTest)('throttle bucket store: $name', (underTest) => {
  let opened: OpenedStore | undefined;
  let store: ThrottleStore;
  beforeAll(async () => {
    opened = await underTest.open();
    store = opened.first;
  });
  afterAll(async () => opened?.dispose());

  it('starts a bucket full, takes the cost, and refuses without taking when the bucket is short', async () => {
    const limit = { capacity: 5, windowSeconds: 5 };
    expect(await store.take('start/a', limit, 2, t0)).toEqual({ granted: true, tokens: 3 });
    expect(await store.take('start/a', limit, 3, t0)).toEqual({ granted: true, tokens: 0 });
    expect(await store.take('start/a', limit, 1, t0)).toEqual({ granted: false, tokens: 0 });
    // Another key is another bucket.
    expect(await store.take('start/b', limit, 1, t0)).toEqual({ granted: true, tokens: 4 });
  });

  it('refills evenly over the window up to the capacity; a clock going backwards adds nothing', async () => {
    const limit = { capacity: 10, windowSeconds: 10 };
    expect((await store.take('refill', limit, 10, t0)).granted).toBe(true);
    expect(await store.take('refill', limit, 3, t0 + 2_500)).toEqual({ granted: false, tokens: 2.5 });
    expect(await store.take('refill', limit, 3, t0 + 3_000)).toEqual({ granted: true, tokens: 0 });
    expect(await store.take('refill', limit, 1, t0 + 1_000)).toEqual({ granted: false, tokens: 0 });
    expect(await store.take('refill', limit, 1, t0 + 60_000)).toEqual({ granted: true, tokens: 9 });
  });

  it('lets a request costing more than the capacity through when the bucket is full', async () => {
    const limit = { capacity: 2, windowSeconds: 10 };
    expect(await store.take('oversized', limit, 5, t0)).toEqual({ granted: true, tokens: 0 });
    expect((await store.take('oversized', limit, 5, t0 + 5_000)).granted).toBe(false);
  });

  it('gives a refund back, never above the capacity, and ignores a refund to a bucket that is not there', async () => {
    const limit = { capacity: 4, windowSeconds: 100 };
    await store.take('refund', limit, 3, t0);
    await store.refund('refund', limit, 2, t0);
    expect(await store.take('refund', limit, 3, t0)).toEqual({ granted: true, tokens: 0 });
    await store.refund('refund', limit, 50, t0);
    expect(await store.take('refund', limit, 4, t0)).toEqual({ granted: true, tokens: 0 });
    await store.refund('refund/never-taken', limit, 1, t0);
    expect(await store.take('refund/never-taken', limit, 4, t0)).toEqual({ granted: true, tokens: 0 });
  });

  it('answers a long mix of takes and refunds exactly as the in-memory store', async () => {
    const reference = new MemoryThrottleStore();
    const next = randomSequence(20_300_101);
    const limits: Record<string, BucketLimit> = {
      'mix/reads': { capacity: 7, windowSeconds: 3 },
      'mix/writes': { capacity: 3, windowSeconds: 7 },
      'mix/tenant': { capacity: 11, windowSeconds: 13 },
    };
    const keys = Object.keys(limits);
    let now = t0;
    const answers: { expected: unknown; actual: unknown }[] = [];
    for (let step = 0; step < 300; step++) {
      now += Math.floor(next() * 900);
      const key = keys[Math.floor(next() * keys.length)] as string;
      const limit = limits[key] as BucketLimit;
      const cost = 1 + Math.floor(next() * 3);
      if (next() < 0.15) {
        await reference.refund(key, limit, cost);
        await store.refund(key, limit, cost, now);
        continue;
      }
      const expected = await reference.take(key, limit, cost, now);
      const actual = await (step % 2 === 0 ? store : (opened as OpenedStore).second).take(key, limit, cost, now);
      answers.push({ expected, actual });
    }
    for (const { expected, actual } of answers) {
      const { granted, tokens } = actual as { granted: boolean; tokens: number };
      expect(granted).toBe((expected as { granted: boolean }).granted);
      expect(tokens).toBeCloseTo((expected as { tokens: number }).tokens, 9);
    }
    expect(answers.some(({ expected }) => !(expected as { granted: boolean }).granted)).toBe(true);
  });

  it('never grants more than the bucket holds to 50 concurrent takes from two connections', async () => {
    const limit = { capacity: 20, windowSeconds: 1_000 };
    const both = [store, (opened as OpenedStore).second];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) => (both[index % 2] as ThrottleStore).take('race', limit, 1, t0)),
    );
    expect(results.filter((result) => result.granted)).toHaveLength(20);
    expect(await store.take('race', limit, 1, t0)).toEqual({ granted: false, tokens: 0 });
  });
});

// PostgreSQL keeps rows until they are purged: registered where PostgreSQL is configured, as the dialect loop does.
for (const underTest of storesUnderTest.filter((candidate) => candidate.name === 'PostgreSQL')) {
  describe(`throttle bucket store: ${underTest.name} rows`, () => {
    it('purges buckets idle for a day and keeps busy ones', async () => {
      const database = await createPostgresDatabase(postgresUrl as string);
      try {
        const store = new PostgresThrottleStore(database.store.db);
        const limit = { capacity: 10, windowSeconds: 1_000 };
        await store.take('busy', limit, 10, t0);
        await store.take('idle', limit, 1, t0 - 2 * 24 * 60 * 60 * 1000);
        expect(await store.purgeIdle(t0 - 24 * 60 * 60 * 1000)).toBe(1);
        expect((await store.take('busy', limit, 1, t0)).granted).toBe(false);
      } finally {
        await database.dispose();
      }
    });
  });
}

describe('throttle bucket store: Redis keys and failures', () => {
  const errors: Record<string, unknown>[] = [];
  const infos: string[] = [];
  const recordingLogger = {
    error: (fields: Record<string, unknown>) => errors.push(fields),
    info: (_fields: Record<string, unknown>, message: string) => infos.push(message),
  };
  const limit = { capacity: 10, windowSeconds: 10 };

  it('keeps a bucket under the prefix and lets it expire when it would be full again', async () => {
    const keys = testRedisKeys(testRedisUrl());
    const store = new RedisThrottleStore({ url: keys.url, keyPrefix: keys.prefix, logger: silentLogger });
    try {
      await store.take('tenant/app/a/rw', limit, 3, Date.now());
      expect(await keys.client.hgetall(`${keys.prefix}tenant/app/a/rw`)).toEqual({
        tokens: '7',
        updated_at_ms: expect.stringMatching(/^\d+$/),
      });
      // 3 tokens at 1 a second: full again in 3 s, plus one second of margin for clock skew between instances.
      const ttl = await keys.client.pttl(`${keys.prefix}tenant/app/a/rw`);
      expect(ttl).toBeGreaterThan(3_000);
      expect(ttl).toBeLessThanOrEqual(4_000);
      await store.refund('tenant/app/a/rw', limit, 3);
      expect(await keys.client.pttl(`${keys.prefix}tenant/app/a/rw`)).toBeLessThanOrEqual(1_000);
    } finally {
      await store.close();
      await keys.dispose();
    }
  });

  it('sends the script again when Redis has forgotten it', async () => {
    const keys = testRedisKeys(testRedisUrl());
    const store = new RedisThrottleStore({ url: keys.url, keyPrefix: keys.prefix, logger: recordingLogger });
    try {
      expect((await store.take('flushed', limit, 4, t0)).tokens).toBe(6);
      await keys.client.script('FLUSH');
      expect((await store.take('flushed', limit, 4, t0)).tokens).toBe(2);
      expect(errors).toEqual([]);
    } finally {
      await store.close();
      await keys.dispose();
    }
  });

  it('grants every take at once while Redis is unreachable, logging one error for the whole outage', async () => {
    errors.length = 0;
    const store = new RedisThrottleStore({
      url: `redis://127.0.0.1:${await closedPort()}/0`,
      keyPrefix: 'sspr-test:down:',
      logger: recordingLogger,
    });
    try {
      const started = performance.now();
      for (let i = 0; i < 20; i++)
        expect(await store.take('down', limit, 5, t0)).toEqual({ granted: true, tokens: 10 });
      await store.refund('down', limit, 5);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(errors).toEqual([{ reason: expect.stringMatching(/ECONNREFUSED/) }]);
    } finally {
      await store.close();
    }
  });

  it('stops waiting for a Redis that accepts connections but never answers', async () => {
    errors.length = 0;
    const accepted = new Set<net.Socket>();
    const silent = net.createServer((socket) => accepted.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const store = new RedisThrottleStore({
      url: `redis://127.0.0.1:${port}/0`,
      keyPrefix: 'sspr-test:silent:',
      logger: recordingLogger,
      commandTimeoutMs: 200,
    });
    try {
      const started = performance.now();
      expect(await store.take('silent', limit, 1, t0)).toEqual({ granted: true, tokens: 10 });
      // The next requests do not wait again: Redis is left alone for a moment after a failure.
      for (let i = 0; i < 10; i++) expect((await store.take('silent', limit, 1, t0)).granted).toBe(true);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(errors).toEqual([{ reason: 'Command timed out' }]);
    } finally {
      await store.close();
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('throttles again, and says so once, when Redis answers again after an outage', async () => {
    errors.length = 0;
    infos.length = 0;
    const keys = testRedisKeys(testRedisUrl());
    const target = new URL(keys.url);
    // A relay to the real Redis that the test can cut and restore, standing for a network outage.
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    const listen = (port: number) => new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    await listen(0);
    const { port } = relay.address() as net.AddressInfo;
    const store = new RedisThrottleStore({
      url: `redis://127.0.0.1:${port}${target.pathname}`,
      keyPrefix: keys.prefix,
      logger: recordingLogger,
      pauseAfterFailureMs: 0,
    });
    try {
      expect(await store.take('outage', limit, 10, t0)).toEqual({ granted: true, tokens: 0 });
      await new Promise((resolve) => {
        relay.close(resolve);
        for (const socket of sockets) socket.destroy();
      });
      expect(await store.take('outage', limit, 10, t0)).toEqual({ granted: true, tokens: 10 });
      expect(errors).toHaveLength(1);
      await listen(port);
      // The client reconnects by itself within its back-off; the bucket it left empty is still empty.
      await vi.waitFor(async () => expect((await store.take('outage', limit, 1, t0)).granted).toBe(false), {
        timeout: 5_000,
        interval: 50,
      });
      expect(infos).toEqual(['Redis answers again: Graph throttling buckets are shared again']);
      expect(errors).toHaveLength(1);
    } finally {
      await store.close();
      await new Promise((resolve) => relay.close(resolve));
      for (const socket of sockets) socket.destroy();
      await keys.dispose();
    }
  });
});
