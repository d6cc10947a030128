import type { SyncRunResult } from './directory-sync-service.js';

/** What the scheduler needs of directory sync. */
export interface ScheduledSync {
  settings(): Promise<{ readonly intervalMinutes: number } | undefined>;
  /** Nothing when not configured; a full run after a mapping change; a delta run otherwise. */
  runScheduled(): Promise<SyncRunResult | null>;
}

/** Timers as the scheduler uses them; tests pass a fake. */
export interface SchedulerTimers {
  setTimeout(callback: () => void, ms: number): { unref?(): unknown };
  clearTimeout(handle: { unref?(): unknown }): void;
}

export interface DirectorySyncSchedulerOptions {
  readonly sync: ScheduledSync;
  readonly timers?: SchedulerTimers;
  /** Minutes between runs when the settings give none (default 30, SPEC section 8). */
  readonly defaultIntervalMinutes?: number;
  /** How soon to look again while sync is not configured (default 1 minute). */
  readonly idleCheckMilliseconds?: number;
  /** Delay of the first cycle after `start()` (default 0). */
  readonly initialDelayMilliseconds?: number;
  readonly onRun?: (result: SyncRunResult) => void;
  readonly onError?: (error: unknown) => void;
}

const realTimers: SchedulerTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The directory sync cycle of `serve`: one run, then the next after the settings' `intervalMinutes` (read again each
 * cycle, so a change applies without a restart). One cycle at a time in this process; across instances the sync
 * service's lease keeps one run at a time (a cycle that finds the lease taken just waits for the next). Timers are
 * `unref()`ed so they never keep the process alive.
 */
export class DirectorySyncScheduler {
  private timer: { unref?(): unknown } | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly timers: SchedulerTimers;

  constructor(private readonly options: DirectorySyncSchedulerOptions) {
    this.timers = options.timers ?? realTimers;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.options.initialDelayMilliseconds ?? 0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The cycle in progress, if any (tests await it). */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    const handle = this.timers.setTimeout(() => {
      if (this.timer === handle) this.timer = undefined;
      this.running = this.cycle().finally(() => {
        this.running = undefined;
      });
    }, ms);
    handle.unref?.();
    this.timer = handle;
  }

  private async cycle(): Promise<void> {
    let next = this.options.idleCheckMilliseconds ?? 60_000;
    try {
      const settings = await this.options.sync.settings();
      if (settings) {
        next = (settings.intervalMinutes || this.options.defaultIntervalMinutes || 30) * 60_000;
        const result = await this.options.sync.runScheduled();
        if (result) this.options.onRun?.(result);
      }
    } catch (error) {
      // Another instance holding the lease, or an unreadable store: try again at the next cycle.
      this.options.onError?.(error);
    }
    this.schedule(next);
  }
}
