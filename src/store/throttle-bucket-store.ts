import { type Kysely, sql } from 'kysely';
import {
  type BucketLimit,
  type BucketState,
  effectiveCost,
  refillPerSecond,
  takeTokens,
} from '../domain/throttling.js';
import type { Database } from './schema.js';

/**
 * Buckets in the `throttle_buckets` table (PostgreSQL), shared by every server instance on the database. One
 * statement per take: an upsert whose update refills from the row's old values and takes only when enough is
 * there, so two instances racing on one bucket are serialised by the row lock and never both spend the last token.
 */
export class PostgresThrottleStore {
  constructor(private readonly db: Kysely<Database>) {}

  async take(key: string, limit: BucketLimit, cost: number, nowMs: number) {
    const first = takeTokens(undefined, limit, cost, nowMs);
    const capacity = sql`${limit.capacity}::double precision`;
    const rate = sql`${refillPerSecond(limit)}::double precision`;
    const now = sql`${nowMs}::double precision`;
    const need = sql`${effectiveCost(limit, cost)}::double precision`;
    const refilled = sql`least(${capacity}, throttle_buckets.tokens + greatest(0, ${now} - throttle_buckets.updated_at_ms) / 1000.0 * ${rate})`;
    const result = await sql<{ tokens: number; granted: number }>`
      insert into throttle_buckets (key, tokens, updated_at_ms, granted)
      values (${key}, ${first.state.tokens}::double precision, ${now}, ${first.granted ? 1 : 0})
      on conflict (key) do update set
        tokens = case when ${refilled} + 1e-9 >= ${need} then ${refilled} - ${need} else ${refilled} end,
        granted = case when ${refilled} + 1e-9 >= ${need} then 1 else 0 end,
        updated_at_ms = greatest(throttle_buckets.updated_at_ms, ${now})
      returning tokens, granted`.execute(this.db);
    const row = result.rows[0];
    if (!row) throw new Error('throttle bucket upsert returned no row');
    return { granted: Number(row.granted) === 1, tokens: Number(row.tokens) };
  }

  /** Rows untouched since `beforeMs` are full buckets (no window is longer than a day): they can go. */
  async purgeIdle(beforeMs: number): Promise<number> {
    const result = await this.db
      .deleteFrom('throttle_buckets')
      .where('updated_at_ms', '<', beforeMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async refund(key: string, limit: BucketLimit, cost: number): Promise<void> {
    await sql`
      update throttle_buckets
      set tokens = least(${limit.capacity}::double precision, tokens + ${cost}::double precision)
      where key = ${key}`.execute(this.db);
  }
}

/** Buckets in this process: for SQLite (one instance per database file) and tests. */
export class MemoryThrottleStore {
  private readonly buckets = new Map<string, { state: BucketState; limit: BucketLimit }>();

  constructor(private readonly maxBuckets = 100_000) {}

  async take(key: string, limit: BucketLimit, cost: number, nowMs: number) {
    if (this.buckets.size >= this.maxBuckets && !this.buckets.has(key)) this.forgetFull(nowMs);
    const result = takeTokens(this.buckets.get(key)?.state, limit, cost, nowMs);
    this.buckets.set(key, { state: result.state, limit });
    return { granted: result.granted, tokens: result.state.tokens };
  }

  async refund(key: string, limit: BucketLimit, cost: number): Promise<void> {
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    const tokens = Math.min(limit.capacity, bucket.state.tokens + cost);
    this.buckets.set(key, { state: { ...bucket.state, tokens }, limit });
  }

  /** A bucket refilled to capacity is the same as no bucket: dropping those bounds the memory used. */
  private forgetFull(nowMs: number): void {
    for (const [key, bucket] of this.buckets) {
      const elapsed = Math.max(0, nowMs - bucket.state.updatedAtMs) / 1000;
      if (bucket.state.tokens + elapsed * refillPerSecond(bucket.limit) >= bucket.limit.capacity)
        this.buckets.delete(key);
    }
    // Still full of busy buckets: forget the oldest rather than grow without bound.
    while (this.buckets.size >= this.maxBuckets) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
  }
}
