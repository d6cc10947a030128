import { describe, expect, it } from 'vitest';
import { DirectorySyncScheduler, type SchedulerTimers } from './directory-sync-scheduler.js';
import type { SyncRunResult } from './directory-sync-service.js';

/** Timers that fire only when the test advances its clock. */
class FakeTimers implements SchedulerTimers {
  now = 0;
  private pending: { at: number; callback: () => void; handle: { unref(): unknown; unrefed: boolean } }[] = [];

  setTimeout(callback: () => void, ms: number) {
    const handle = {
      unrefed: false,
      unref() {
        this.unrefed = true;
        return this;
      },
    };
    this.pending.push({ at: this.now + ms, callback, handle });
    return handle;
  }

  clearTimeout(handle: object) {
    this.pending = this.pending.filter((timer) => timer.handle !== handle);
  }

  get count() {
    return this.pending.length;
  }

  get allUnrefed() {
    return this.pending.every((timer) => timer.handle.unrefed);
  }

  /** Fires every timer due by `now + ms`, in order. */
  advance(ms: number) {
    this.now += ms;
    for (;;) {
      const due = this.pending.filter((timer) => timer.at <= this.now).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.pending = this.pending.filter((timer) => timer !== due);
      due.callback();
    }
  }
}

const result = (kind: 'full' | 'delta'): SyncRunResult => ({
  runId: 'r',
  kind,
  dryRun: false,
  status: 'succeeded',
  counts: { read: 0, added: 0, updated: 0, deleted: 0, unchanged: 0, errors: 0, warnings: 0 },
  message: null,
});

function setUp(settings: { intervalMinutes: number } | undefined) {
  const timers = new FakeTimers();
  const calls: number[] = [];
  const state = { settings, fail: false };
  const scheduler = new DirectorySyncScheduler({
    timers,
    sync: {
      settings: async () => state.settings,
      runScheduled: async () => {
        calls.push(timers.now);
        if (state.fail) throw new Error('Another directory sync run is in progress.');
        return state.settings ? result('delta') : null;
      },
    },
    idleCheckMilliseconds: 60_000,
  });
  return { timers, calls, state, scheduler };
}

describe('the directory sync scheduler', () => {
  it('runs at start and then every intervalMinutes, with unref()ed timers', async () => {
    const { timers, calls, scheduler } = setUp({ intervalMinutes: 30 });
    scheduler.start();
    expect(timers.allUnrefed).toBe(true);
    timers.advance(0);
    await scheduler.idle();
    expect(calls).toEqual([0]);
    timers.advance(29 * 60_000);
    await scheduler.idle();
    expect(calls).toEqual([0]);
    timers.advance(60_000);
    await scheduler.idle();
    timers.advance(30 * 60_000);
    await scheduler.idle();
    expect(calls).toEqual([0, 30 * 60_000, 60 * 60_000]);
    expect(timers.allUnrefed).toBe(true);
    scheduler.stop();
    expect(timers.count).toBe(0);
  });

  it('does nothing until sync is configured, then picks up the interval', async () => {
    const { timers, calls, state, scheduler } = setUp(undefined);
    scheduler.start();
    timers.advance(0);
    await scheduler.idle();
    timers.advance(60_000);
    await scheduler.idle();
    expect(calls).toEqual([]);
    state.settings = { intervalMinutes: 5 };
    timers.advance(60_000);
    await scheduler.idle();
    expect(calls).toEqual([120_000]);
    timers.advance(5 * 60_000);
    await scheduler.idle();
    expect(calls).toEqual([120_000, 420_000]);
    scheduler.stop();
  });

  it('keeps its schedule when a run throws (another instance holds the lease)', async () => {
    const { timers, calls, state, scheduler } = setUp({ intervalMinutes: 10 });
    state.fail = true;
    scheduler.start();
    timers.advance(0);
    await scheduler.idle();
    state.fail = false;
    timers.advance(10 * 60_000);
    await scheduler.idle();
    expect(calls).toEqual([0, 600_000]);
    scheduler.stop();
    timers.advance(60 * 60_000);
    await scheduler.idle();
    expect(calls).toHaveLength(2);
  });
});
