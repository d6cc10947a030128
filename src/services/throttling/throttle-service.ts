import type { Principal } from '../../domain/permissions.js';
import {
  type BucketLimit,
  type RequestCost,
  retryAfterSeconds,
  type ThrottleLimitKind,
  type ThrottleLimits,
  type ThrottleScope,
} from '../../domain/throttling.js';

/**
 * Where buckets live: in this process (SQLite, one instance), or where every instance shares them (Redis, or a
 * PostgreSQL table); the Redis store grants while Redis is unreachable (fail open, docs/api.md "Throttling").
 * `take` must be atomic per bucket: refill to `nowMs`, then take `cost` only if the bucket holds it.
 */
export interface ThrottleStore {
  take(key: string, limit: BucketLimit, cost: number, nowMs: number): Promise<{ granted: boolean; tokens: number }>;
  /** Gives back tokens taken for a request another bucket then refused (never above the capacity). */
  refund(key: string, limit: BucketLimit, cost: number, nowMs: number): Promise<void>;
}

export interface ThrottleDependencies {
  readonly store: ThrottleStore;
  readonly limits: ThrottleLimits;
  readonly tenantId: string;
  readonly clock: () => Date;
}

export type ThrottleDecision =
  | {
      readonly allowed: true;
      readonly resourceUnits: number;
      /** Share of the application's resource-unit limit in use, when above 0.8 (Graph's alerting header). */
      readonly limitPercentage: number | null;
    }
  | {
      readonly allowed: false;
      readonly resourceUnits: number;
      readonly retryAfterSeconds: number;
      /** Graph's `x-ms-throttle-scope`: `<Scope>/<Limit>/<ApplicationId>/<TenantId>`. */
      readonly scope: string;
      /** Graph's `x-ms-throttle-information`. */
      readonly information: 'ResourceUnitLimitExceeded' | 'WriteLimitExceeded';
    };

interface Bucket {
  readonly key: string;
  readonly limit: BucketLimit;
  readonly cost: number;
  readonly scope: ThrottleScope;
  readonly kind: ThrottleLimitKind;
}

/**
 * Decides whether a Graph request may run now. Each caller (an application, or a signed-in user for delegated
 * tokens, whose token does not name its client here) has a resource-unit bucket and a write bucket in the tenant;
 * the tenant has a write bucket shared by all callers. A request must fit in every bucket it touches.
 */
export class ThrottleService {
  constructor(private readonly deps: ThrottleDependencies) {}

  /** The local operator is never throttled: it is not an API client. */
  async check(principal: Principal, cost: RequestCost): Promise<ThrottleDecision> {
    if (principal.kind === 'operator')
      return { allowed: true, resourceUnits: cost.resourceUnits, limitPercentage: null };
    const { limits, tenantId } = this.deps;
    const caller = principal.kind === 'application' ? principal.appId : principal.userId;
    const callerKey = `${tenantId}/${principal.kind === 'application' ? 'app' : 'user'}/${caller}`;
    const buckets: Bucket[] = [
      {
        key: `${callerKey}/rw`,
        limit: limits.appResourceUnits,
        cost: cost.resourceUnits,
        scope: 'Tenant_Application',
        kind: 'ReadWrite',
      },
    ];
    if (cost.writes > 0) {
      buckets.push(
        {
          key: `${callerKey}/w`,
          limit: limits.appWrites,
          cost: cost.writes,
          scope: 'Tenant_Application',
          kind: 'Write',
        },
        { key: `${tenantId}/tenant/w`, limit: limits.tenantWrites, cost: cost.writes, scope: 'Tenant', kind: 'Write' },
      );
    }
    const nowMs = this.deps.clock().getTime();
    const taken: Bucket[] = [];
    let limitPercentage: number | null = null;
    for (const bucket of buckets) {
      const result = await this.deps.store.take(bucket.key, bucket.limit, bucket.cost, nowMs);
      if (!result.granted) {
        // All or nothing: what earlier buckets gave for this request goes back.
        for (const earlier of taken) await this.deps.store.refund(earlier.key, earlier.limit, earlier.cost, nowMs);
        return {
          allowed: false,
          resourceUnits: cost.resourceUnits,
          retryAfterSeconds: retryAfterSeconds(result.tokens, bucket.limit, bucket.cost),
          scope: `${bucket.scope}/${bucket.kind}/${caller}/${tenantId}`,
          information: bucket.kind === 'Write' ? 'WriteLimitExceeded' : 'ResourceUnitLimitExceeded',
        };
      }
      taken.push(bucket);
      if (bucket.kind === 'ReadWrite') {
        const used = 1 - result.tokens / bucket.limit.capacity;
        if (used > 0.8) limitPercentage = Math.round(used * 10) / 10;
      }
    }
    return { allowed: true, resourceUnits: cost.resourceUnits, limitPercentage };
  }
}
