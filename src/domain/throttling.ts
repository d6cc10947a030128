/**
 * Request throttling shaped like Microsoft Graph's identity and access service limits (SPEC section 9): token
 * buckets per application (in this tenant) and per tenant, a cost in "resource units" per request and one write
 * unit per write. Pure: the stores (memory, PostgreSQL, Redis) apply `takeTokens` to their own copy of a bucket.
 */

/** A bucket holds at most `capacity` tokens and gains `capacity / windowSeconds` tokens a second. */
export interface BucketLimit {
  readonly capacity: number;
  readonly windowSeconds: number;
}

export interface BucketState {
  readonly tokens: number;
  /** When `tokens` was last computed, in milliseconds since the epoch. */
  readonly updatedAtMs: number;
}

export interface TakeResult {
  readonly state: BucketState;
  readonly granted: boolean;
}

export function refillPerSecond(limit: BucketLimit): number {
  return limit.capacity / limit.windowSeconds;
}

/** The bucket refilled up to `nowMs` (a clock that went backwards adds nothing). A new bucket starts full. */
export function refill(state: BucketState | undefined, limit: BucketLimit, nowMs: number): BucketState {
  if (!state) return { tokens: limit.capacity, updatedAtMs: nowMs };
  const elapsedSeconds = Math.max(0, nowMs - state.updatedAtMs) / 1000;
  return {
    tokens: Math.min(limit.capacity, state.tokens + elapsedSeconds * refillPerSecond(limit)),
    updatedAtMs: Math.max(state.updatedAtMs, nowMs),
  };
}

/**
 * What a request takes from a bucket: its cost, but never more than the bucket can hold (a request costing more
 * than a small configured limit passes when the bucket is full, instead of never).
 */
export function effectiveCost(limit: BucketLimit, cost: number): number {
  return Math.min(cost, limit.capacity);
}

/** Takes the cost if the refilled bucket holds it; a refused request takes nothing. */
export function takeTokens(
  state: BucketState | undefined,
  limit: BucketLimit,
  cost: number,
  nowMs: number,
): TakeResult {
  const current = refill(state, limit, nowMs);
  const need = effectiveCost(limit, cost);
  if (current.tokens + 1e-9 < need) return { state: current, granted: false };
  return { state: { tokens: current.tokens - need, updatedAtMs: current.updatedAtMs }, granted: true };
}

/** Whole seconds until a bucket holding `tokens` has `cost` again (at least 1, as `Retry-After` wants). */
export function retryAfterSeconds(tokens: number, limit: BucketLimit, cost: number): number {
  const missing = Math.max(0, effectiveCost(limit, cost) - tokens);
  return Math.max(1, Math.ceil(missing / refillPerSecond(limit)));
}

/** Graph's `x-ms-throttle-scope` parts. */
export type ThrottleScope = 'Tenant_Application' | 'Tenant';
export type ThrottleLimitKind = 'ReadWrite' | 'Write';

export interface RequestCost {
  /** Resource units (Graph's `x-ms-resource-unit`). */
  readonly resourceUnits: number;
  /** 1 for a write (POST, PATCH, PUT, DELETE), 0 for a read. */
  readonly writes: number;
}

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Graph's identity cost table, for the paths this server serves: `GET /users` (the collection) costs 2, any other
 * request 1; `$select` takes 1 off, `$expand` adds 1, `$top` under 20 takes 1 off; never less than 1. `path` is
 * relative to the version (`/users`, `/users/{id}`), `query` the parsed query string.
 */
export function requestCost(
  method: string,
  path: string,
  query: Readonly<Record<string, unknown>> | undefined,
): RequestCost {
  const verb = method.toUpperCase();
  const isRead = readMethods.has(verb);
  const trimmed = path.replace(/\/+$/, '').toLowerCase();
  let units = isRead && trimmed === '/users' ? 2 : 1;
  if (query) {
    if (query.$select !== undefined) units -= 1;
    if (query.$expand !== undefined) units += 1;
    const top = Number(query.$top);
    if (query.$top !== undefined && Number.isInteger(top) && top < 20) units -= 1;
  }
  return { resourceUnits: Math.max(1, units), writes: isRead ? 0 : 1 };
}

/** The limits a deployment runs with (config `throttle*` keys). */
export interface ThrottleLimits {
  /** Resource units per application in the tenant (Graph: 3,500 to 8,000 per 10 s by tenant size). */
  readonly appResourceUnits: BucketLimit;
  /** Writes per application in the tenant (Graph: 3,000 per 150 s, about 20 a second). */
  readonly appWrites: BucketLimit;
  /** Writes per tenant across all applications (Graph: 18,000 per 5 minutes). */
  readonly tenantWrites: BucketLimit;
}
