import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';

/** Where the Redis tests find a server (CI sets it; `npm test` sets it when a Redis answers on the default port). */
export const redisUrlVariable = 'SSPR_TEST_REDIS_URL';

/** The URL when set, else undefined: for suites that register their Redis cases only when Redis is configured. */
export const configuredRedisUrl: string | undefined = process.env[redisUrlVariable] || undefined;

/** The Redis server for tests that always need one: a missing variable fails them, naming it. */
export function testRedisUrl(): string {
  if (configuredRedisUrl) return configuredRedisUrl;
  throw new Error(
    `These tests need a Redis server: set ${redisUrlVariable}, for example ${redisUrlVariable}=redis://127.0.0.1:6379/0`,
  );
}

/** A key prefix no other test run uses, and a way to delete every key under it afterwards. */
export interface TestRedisKeys {
  readonly url: string;
  readonly prefix: string;
  /** A plain client on the same server, to look at the keys. */
  readonly client: Redis;
  dispose(): Promise<void>;
}

export function testRedisKeys(url: string = testRedisUrl()): TestRedisKeys {
  const prefix = `sspr-test:${randomBytes(6).toString('hex')}:`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  return {
    url,
    prefix,
    client,
    async dispose() {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await client.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      client.disconnect();
    },
  };
}

/** A loopback port nothing listens on (found free, then closed), for "Redis is down". */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
