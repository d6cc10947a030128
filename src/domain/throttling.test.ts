import { describe, expect, it } from 'vitest';
import { type BucketLimit, refill, requestCost, retryAfterSeconds, takeTokens } from './throttling.js';

const tenPerTenSeconds: BucketLimit = { capacity: 10, windowSeconds: 10 };

describe('token buckets', () => {
  it('a new bucket starts full and a take spends exactly the cost', () => {
    const first = takeTokens(undefined, tenPerTenSeconds, 3, 1_000);
    expect(first).toEqual({ granted: true, state: { tokens: 7, updatedAtMs: 1_000 } });
  });

  it('refuses a take the bucket cannot cover, and then takes nothing', () => {
    const empty = { tokens: 0.5, updatedAtMs: 0 };
    const refused = takeTokens(empty, tenPerTenSeconds, 1, 0);
    expect(refused.granted).toBe(false);
    expect(refused.state.tokens).toBe(0.5);
  });

  it('refills at capacity per window, never beyond capacity, and not when the clock goes back', () => {
    const empty = { tokens: 0, updatedAtMs: 10_000 };
    expect(refill(empty, tenPerTenSeconds, 12_500).tokens).toBeCloseTo(2.5);
    expect(refill(empty, tenPerTenSeconds, 60_000).tokens).toBe(10);
    expect(refill(empty, tenPerTenSeconds, 5_000)).toEqual({ tokens: 0, updatedAtMs: 10_000 });
  });

  it('drains at the limit and grants again once the fake clock has moved on', () => {
    let state = undefined as ReturnType<typeof takeTokens>['state'] | undefined;
    let granted = 0;
    for (let i = 0; i < 15; i++) {
      const result = takeTokens(state, tenPerTenSeconds, 1, 0);
      state = result.state;
      if (result.granted) granted++;
    }
    expect(granted).toBe(10);
    expect(takeTokens(state, tenPerTenSeconds, 1, 999).granted).toBe(false);
    expect(takeTokens(state, tenPerTenSeconds, 1, 1_000).granted).toBe(true);
  });

  it('a request costing more than the whole bucket passes when the bucket is full, instead of never', () => {
    const tiny: BucketLimit = { capacity: 1, windowSeconds: 10 };
    const first = takeTokens(undefined, tiny, 2, 0);
    expect(first).toEqual({ granted: true, state: { tokens: 0, updatedAtMs: 0 } });
    expect(takeTokens(first.state, tiny, 2, 5_000).granted).toBe(false);
    expect(retryAfterSeconds(0.5, tiny, 2)).toBe(5);
    expect(takeTokens(first.state, tiny, 2, 10_000).granted).toBe(true);
  });

  it('Retry-After is the whole seconds until the cost is back, at least 1', () => {
    expect(retryAfterSeconds(0, tenPerTenSeconds, 1)).toBe(1);
    expect(retryAfterSeconds(0, { capacity: 20, windowSeconds: 150 }, 1)).toBe(8);
    expect(retryAfterSeconds(0, tenPerTenSeconds, 4)).toBe(4);
    expect(retryAfterSeconds(0.9, tenPerTenSeconds, 1)).toBe(1);
  });
});

describe('request cost (Graph identity cost table)', () => {
  it('GET /users costs 2, other reads 1, writes 1 resource unit and 1 write', () => {
    expect(requestCost('GET', '/users', {})).toEqual({ resourceUnits: 2, writes: 0 });
    expect(requestCost('GET', '/users/:id', {})).toEqual({ resourceUnits: 1, writes: 0 });
    expect(requestCost('PATCH', '/users/:id', {})).toEqual({ resourceUnits: 1, writes: 1 });
    expect(requestCost('DELETE', '/users/:id', {})).toEqual({ resourceUnits: 1, writes: 1 });
    expect(requestCost('POST', '/users', {})).toEqual({ resourceUnits: 1, writes: 1 });
  });

  it('$select takes one off, $expand adds one, $top under 20 takes one off, never below 1', () => {
    expect(requestCost('GET', '/users', { $select: 'id' }).resourceUnits).toBe(1);
    expect(requestCost('GET', '/users', { $top: '5', $select: 'id' }).resourceUnits).toBe(1);
    expect(requestCost('GET', '/users', { $top: '999' }).resourceUnits).toBe(2);
    expect(requestCost('GET', '/users/:id', { $expand: 'manager' }).resourceUnits).toBe(2);
  });
});
