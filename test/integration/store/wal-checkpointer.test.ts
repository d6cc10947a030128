import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/database.js';
import {
  type CheckpointReport,
  startWalCheckpointer,
  writerShouldFinishCopy,
} from '../../../src/store/wal-checkpointer.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function walDatabase(): { sqlite: SqliteDatabase.Database; file: string } {
  const folder = mkdtempSync(path.join(tmpdir(), 'sspr-wal-'));
  folders.push(folder);
  const file = path.join(folder, 'store.db');
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec('create table items (id integer primary key, body text not null)');
  return { sqlite, file };
}

/** Commits `count` transactions of one 2 kB row each, yielding to the event loop every 50 so messages arrive. */
async function writeRows(sqlite: SqliteDatabase.Database, count: number, from = 0): Promise<void> {
  const insert = sqlite.prepare('insert into items (id, body) values (?, ?)');
  for (let i = from; i < from + count; i++) {
    insert.run(i, 'x'.repeat(2000));
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

function nextReport(
  reports: CheckpointReport[],
  listeners: Array<() => void>,
  matches: (r: CheckpointReport) => boolean,
) {
  return new Promise<CheckpointReport>((resolve) => {
    const check = () => {
      const found = reports.find(matches);
      if (found) resolve(found);
      else listeners.push(check);
    };
    check();
  });
}

describe('background WAL checkpoints', () => {
  it('copies committed pages on the worker, and a fully copied log starts again at the next write', async () => {
    const { sqlite, file } = walDatabase();
    const reports: CheckpointReport[] = [];
    const listeners: Array<() => void> = [];
    const checkpointer = startWalCheckpointer(sqlite, {
      rewindPages: 200,
      // Long enough that the write after a report finds the worker asleep, as a request between passes would.
      intervalMs: 20,
      onCheckpoint: (report) => {
        reports.push(report);
        for (const listener of listeners.splice(0)) listener();
      },
    });
    let longest = 0;
    // Commits no longer checkpoint themselves.
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    // 30 bursts of 100 commits (about 6,000 log pages in all); after each, the worker catches up with them.
    for (let burst = 0; burst < 30; burst++) {
      await writeRows(sqlite, 100, burst * 100);
      reports.splice(0);
      await nextReport(reports, listeners, (r) => r.finishedByWriter || r.copiedPages === r.logPages);
      longest = Math.max(longest, ...reports.map((r) => r.logPages));
    }
    // A fully copied log starts again from its beginning at the next write: it never held the 6,000 pages.
    expect(longest).toBeGreaterThan(0);
    expect(longest).toBeLessThan(2000);

    await checkpointer.stop();
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    sqlite.close();
    // Everything committed is in the file once the last connection closes.
    const reopened = new SqliteDatabase(file, { readonly: true });
    expect(reopened.prepare('select count(*) as n from items').get()).toEqual({ n: 3000 });
    reopened.close();
    expect(statSync(file).size).toBeGreaterThan(3000 * 2000);
  });

  it('gives the checkpoints back to SQLite when the worker cannot run', async () => {
    const { sqlite } = walDatabase();
    // The same connection, naming a file the worker cannot open: it fails at once, and the writer must not be
    // left without checkpoints.
    const missingFile = path.join(tmpdir(), 'sspr-wal-missing', 'none.db');
    const misnamed = new Proxy(sqlite, {
      get: (target, property) => {
        if (property === 'name') return missingFile;
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    let checkpointer: ReturnType<typeof startWalCheckpointer> | undefined;
    const failure = new Promise<Error>((resolve) => {
      checkpointer = startWalCheckpointer(misnamed, { onFailure: resolve });
    });
    expect((await failure).message).toMatch(/unable to open|does not exist|directory does not exist/i);
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // Stopping a worker that already died returns at once (the store's close goes on to close the connection).
    await checkpointer?.stop();
    sqlite.close();
  });

  it('is on for a SQLite file opened as the store, and off for an in-memory one', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'sspr-wal-'));
    folders.push(folder);
    const onFile = openDatabase(path.join(folder, 'sspr.db'));
    const inMemory = openDatabase(':memory:');
    expect(onFile.sqlite?.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    expect(inMemory.sqlite?.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await onFile.close();
    await inMemory.close();
  });

  it('asks the writer to finish only a small remainder of a long log, never a log already fully copied', () => {
    // Short log: nothing to ask. Fully copied: the next write rewinds it by itself (no round trip while idle).
    expect(writerShouldFinishCopy(3999, 3000, 4000)).toBe(false);
    expect(writerShouldFinishCopy(5000, 5000, 4000)).toBe(false);
    // Long, nearly copied: the writer copies the rest.
    expect(writerShouldFinishCopy(5000, 4900, 4000)).toBe(true);
    // Long, the worker far behind: it keeps copying rather than hand the writer a long pause.
    expect(writerShouldFinishCopy(9000, 4000, 4000)).toBe(false);
  });
});
