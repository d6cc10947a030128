import { describe, expect, it } from 'vitest';
import type { Principal } from '../../domain/permissions.js';
import type { ThrottleLimits } from '../../domain/throttling.js';
import { MemoryThrottleStore } from '../../store/throttle-bucket-store.js';
import { ThrottleService } from './throttle-service.js';

const limits: ThrottleLimits = {
  appResourceUnits: { capacity: 10, windowSeconds: 10 },
  appWrites: { capacity: 4, windowSeconds: 8 },
  tenantWrites: { capacity: 6, windowSeconds: 6 },
};
const app = (appId: string): Principal => ({ kind: 'application', appId, permissions: new Set() });
const read = { resourceUnits: 1, writes: 0 };
const write = { resourceUnits: 1, writes: 1 };

function service() {
  let now = new Date('2030-01-01T00:00:00Z');
  const throttle = new ThrottleService({
    store: new MemoryThrottleStore(),
    limits,
    tenantId: 'tenant-1',
    clock: () => now,
  });
  return { throttle, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe('ThrottleService', () => {
  it('refuses an application past its resource units, with the scope and reason Graph names, until refilled', async () => {
    const { throttle, advance } = service();
    for (let i = 0; i < 10; i++) expect((await throttle.check(app('a'), read)).allowed).toBe(true);
    const refused = await throttle.check(app('a'), read);
    expect(refused).toEqual({
      allowed: false,
      resourceUnits: 1,
      retryAfterSeconds: 1,
      scope: 'Tenant_Application/ReadWrite/a/tenant-1',
      information: 'ResourceUnitLimitExceeded',
    });
    // Another application has its own bucket.
    expect((await throttle.check(app('b'), read)).allowed).toBe(true);
    advance(999);
    expect((await throttle.check(app('a'), read)).allowed).toBe(false);
    advance(1);
    expect((await throttle.check(app('a'), read)).allowed).toBe(true);
  });

  it('reports the share of the limit in use past 80%', async () => {
    const { throttle } = service();
    const shares: (number | null)[] = [];
    for (let i = 0; i < 10; i++) {
      const decision = await throttle.check(app('a'), read);
      if (decision.allowed) shares.push(decision.limitPercentage);
    }
    expect(shares).toEqual([null, null, null, null, null, null, null, null, 0.9, 1]);
  });

  it('limits writes per application, then per tenant across applications', async () => {
    const { throttle, advance } = service();
    for (let i = 0; i < 4; i++) expect((await throttle.check(app('a'), write)).allowed).toBe(true);
    const perApp = await throttle.check(app('a'), write);
    expect(perApp).toMatchObject({
      allowed: false,
      scope: 'Tenant_Application/Write/a/tenant-1',
      retryAfterSeconds: 2,
    });
    expect(perApp.allowed === false && perApp.information).toBe('WriteLimitExceeded');
    // Reads still pass while writes are throttled (Graph: "writes are throttled but reads are still permitted").
    expect((await throttle.check(app('a'), read)).allowed).toBe(true);
    expect((await throttle.check(app('b'), write)).allowed).toBe(true);
    expect((await throttle.check(app('b'), write)).allowed).toBe(true);
    const perTenant = await throttle.check(app('c'), write);
    expect(perTenant).toMatchObject({ allowed: false, scope: 'Tenant/Write/c/tenant-1' });
    // The refused request spent nothing: c's resource units are all there after the refill of the tenant bucket.
    advance(1000);
    expect((await throttle.check(app('c'), write)).allowed).toBe(true);
  });

  it('never throttles the local operator', async () => {
    const { throttle } = service();
    const operator: Principal = { kind: 'operator', name: 'cli' };
    for (let i = 0; i < 50; i++) expect((await throttle.check(operator, write)).allowed).toBe(true);
  });
});
