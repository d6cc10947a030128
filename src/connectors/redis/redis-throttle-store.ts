import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { type BucketLimit, effectiveCost, refillPerSecond } from '../../domain/throttling.js';

/** pino's shape, narrowed to what the store reports: structured fields without secrets, and a message. */
export interface RedisThrottleLogger {
  error(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface RedisThrottleStoreOptions {
  /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. */
  readonly url: string;
  /** Put before every bucket key, so several deployments (or test runs) can share one Redis. */
  readonly keyPrefix: string;
  readonly logger: RedisThrottleLogger;
  /** How long a first connection may take before requests stop waiting for it. */
  readonly connectTimeoutMs?: number;
  /** How long one take or refund may wait for Redis's answer. */
  readonly commandTimeoutMs?: number;
  /** After a failure, how long requests pass without asking Redis (so a hung Redis delays one request, not all). */
  readonly pauseAfterFailureMs?: number;
}

/**
 * A bucket is a hash `{ tokens, updated_at_ms }` under `prefix + key`. The script does what `takeTokens`
 * (domain/throttling.ts) does, with the same double arithmetic in the same order, so it answers exactly as the
 * in-memory store; Redis runs one script at a time, so racing instances never both spend the last token. The
 * key expires when the bucket would be full again (plus a second for clock skew between instances): an absent
 * bucket and a full one mean the same, so idle buckets cost no memory.
 * ARGV: capacity, refill per second, now (ms), tokens needed, expiry margin (ms).
 */
const takeScript = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local need = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated_at_ms')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = capacity
  updated = now
else
  tokens = math.min(capacity, tokens + math.max(0, now - updated) / 1000 * rate)
  updated = math.max(updated, now)
end
local granted = 0
if tokens + 1e-9 >= need then
  tokens = tokens - need
  granted = 1
end
local shown = string.format('%.17g', tokens)
redis.call('HSET', KEYS[1], 'tokens', shown, 'updated_at_ms', string.format('%.17g', updated))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + tonumber(ARGV[5]))
return { granted, shown }
`;

/**
 * Gives tokens back to an existing bucket, never above its capacity, without refilling it (as the other stores
 * do). ARGV: capacity, refill per second, tokens given back, expiry margin (ms).
 */
const refundScript = `
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens'))
if tokens == nil then return 0 end
local capacity = tonumber(ARGV[1])
tokens = math.min(capacity, tokens + tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / tonumber(ARGV[2]) * 1000) + tonumber(ARGV[4]))
return 1
`;

interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

const script = (source: string): LuaScript => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
});
const take = script(takeScript);
const refund = script(refundScript);
const expiryMarginMs = 1000;

/**
 * Throttling buckets in Redis, shared by every server instance that points at the same Redis and prefix,
 * whatever their database. Each take and each refund is one Lua script (EVALSHA, EVAL once per server that has
 * not cached it yet).
 *
 * Redis failing never fails a request: while Redis is unreachable, slow or answering errors, every take is
 * granted (fail open: clients keep working, unthrottled, rather than getting errors Graph would never send) and
 * refunds are dropped. One error line is logged when failures start and one info line when Redis answers again.
 * No request waits longer than the command timeout, and after a failure requests stop asking Redis for a moment.
 */
export class RedisThrottleStore {
  private readonly redis: Redis;
  private readonly pauseAfterFailureMs: number;
  private failing = false;
  private pausedUntil = 0;

  constructor(private readonly options: RedisThrottleStoreOptions) {
    this.pauseAfterFailureMs = options.pauseAfterFailureMs ?? 1000;
    this.redis = new Redis(options.url, {
      // The CLI builds the container too: only a Graph request opens the connection.
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      commandTimeout: options.commandTimeoutMs ?? 500,
      // Closing waits this long for a dead socket to say goodbye (2 s by default, which would hold up shutdown).
      disconnectTimeout: 500,
      // A command waiting for a connection fails as soon as that attempt fails, instead of across reconnections.
      maxRetriesPerRequest: 0,
      // Keep reconnecting, at most every 2 seconds, so throttling resumes when Redis is back.
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    });
    // Connection errors arrive here too; without a listener ioredis would print each one.
    this.redis.on('error', (error: Error) => this.failed(error));
  }

  async take(key: string, limit: BucketLimit, cost: number, nowMs: number) {
    const reply = await this.run(take, key, [
      limit.capacity,
      refillPerSecond(limit),
      nowMs,
      effectiveCost(limit, cost),
      expiryMarginMs,
    ]);
    if (!Array.isArray(reply)) return { granted: true, tokens: limit.capacity };
    return { granted: Number(reply[0]) === 1, tokens: Number(reply[1]) };
  }

  async refund(key: string, limit: BucketLimit, cost: number): Promise<void> {
    await this.run(refund, key, [limit.capacity, refillPerSecond(limit), cost, expiryMarginMs]);
  }

  /** Ends the connection at once: a take still waiting fails open. */
  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** The script's reply, or `undefined` when Redis did not give one (the caller then fails open). */
  private async run(lua: LuaScript, key: string, args: readonly number[]): Promise<unknown> {
    const status = this.redis.status;
    if (status === 'reconnecting' || status === 'close' || status === 'end') return undefined;
    if (this.failing && performance.now() < this.pausedUntil) return undefined;
    const fullKey = this.options.keyPrefix + key;
    const values = args.map(String);
    try {
      let reply: unknown;
      try {
        reply = await this.redis.evalsha(lua.sha, 1, fullKey, ...values);
      } catch (error) {
        // A Redis that restarted or flushed its scripts has forgotten this one: EVAL sends it (and caches it).
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        reply = await this.redis.eval(lua.source, 1, fullKey, ...values);
      }
      if (this.failing) {
        this.failing = false;
        this.options.logger.info({}, 'Redis answers again: Graph throttling buckets are shared again');
      }
      return reply;
    } catch (error) {
      this.failed(error);
      return undefined;
    }
  }

  private failed(error: unknown): void {
    this.pausedUntil = performance.now() + this.pauseAfterFailureMs;
    if (this.failing) return;
    this.failing = true;
    // The message only: ioredis errors name the host and port, never the URL's password.
    const reason = error instanceof Error ? error.message : String(error);
    this.options.logger.error(
      { reason },
      'Redis for Graph throttling failed: requests pass unthrottled until it answers again',
    );
  }
}
