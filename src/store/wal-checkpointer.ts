import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/**
 * Copies SQLite's write-ahead log back into the database file on a worker thread, so a request that commits
 * never pays for it. With SQLite's default (a checkpoint inside the commit that crosses 1,000 log pages), that
 * copy and its fsync were more than half of a Graph PATCH's SQLite time and its slowest requests.
 *
 * - The worker has its own connection and runs PASSIVE checkpoints: they never wait for, nor block, a writer.
 * - A log only starts again from its beginning when a writer finds it fully copied. Under steady writes the
 *   worker never catches up with the newest pages, so once the log is long it asks the writing connection to
 *   copy the few pages left itself (PASSIVE too); that connection's next write then rewinds the log.
 * - If the worker fails, the writing connection gets SQLite's own checkpoints back: the log can never grow
 *   without bound.
 */
export interface WalCheckpointer {
  /** Stops the worker; the log is left for SQLite's checkpoint when the last connection closes. */
  stop(): Promise<void>;
}

export interface WalCheckpointerOptions {
  /** Log length, in pages, past which the writing connection is asked to finish the copy (default 4,000). */
  readonly rewindPages?: number;
  /** Pause between checkpoints while the log grows, in ms (default 25); ten times longer while it does not. */
  readonly intervalMs?: number;
  /** Told of each checkpoint the worker ran: log pages and pages copied so far (for tests and diagnostics). */
  readonly onCheckpoint?: (report: CheckpointReport) => void;
  /** Told when the worker fails and SQLite's own checkpoints take over. */
  readonly onFailure?: (error: Error) => void;
}

export interface CheckpointReport {
  readonly logPages: number;
  readonly copiedPages: number;
  /** The writing connection copied the rest itself, so its next write rewinds the log. */
  readonly finishedByWriter: boolean;
}

/** SQLite's own setting, restored when the worker is gone. */
const sqliteDefaultAutocheckpoint = 1000;

export function startWalCheckpointer(
  sqlite: SqliteDatabase.Database,
  options: WalCheckpointerOptions = {},
): WalCheckpointer {
  const rewindPages = options.rewindPages ?? 4000;
  const intervalMs = options.intervalMs ?? 25;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(checkpointWorkerSource, {
    eval: true,
    workerData: { driver, file: sqlite.name, rewindPages, intervalMs },
    // The worker needs none of the parent's loaders or flags (tsx, --cpu-prof...).
    execArgv: [],
    env: {},
  });
  worker.unref();
  // Known from the start: a worker that already died (a file it could not open) must not leave `stop` waiting.
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  sqlite.pragma('wal_autocheckpoint = 0');
  let stopping = false;
  let failed = false;

  const restoreInlineCheckpoints = (error: Error) => {
    if (failed || !sqlite.open) return;
    failed = true;
    sqlite.pragma(`wal_autocheckpoint = ${sqliteDefaultAutocheckpoint}`);
    options.onFailure?.(error);
  };
  worker.on('error', restoreInlineCheckpoints);
  worker.on('exit', (code) => {
    if (!stopping) restoreInlineCheckpoints(new Error(`the checkpoint worker stopped (exit code ${code})`));
  });
  worker.on('message', (message: { logPages: number; copiedPages: number; rewind: boolean }) => {
    let finishedByWriter = false;
    if (message.rewind) {
      finishedByWriter = finishCopy(sqlite);
      // Without progress (a reader elsewhere holds old pages, a transaction is open here) the worker backs off.
      worker.postMessage(finishedByWriter ? 'resume' : 'resume-later');
    }
    options.onCheckpoint?.({ logPages: message.logPages, copiedPages: message.copiedPages, finishedByWriter });
  });

  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      // Unreferenced, the worker would let the process end right here, before its caller's next step.
      worker.ref();
      worker.postMessage('stop');
      await exited;
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${sqliteDefaultAutocheckpoint}`);
    },
  };
}

/**
 * The writing connection copies the pages the worker left, so its next write can rewind the log. True when the log
 * is then fully copied. Never inside a transaction a service holds across an await, and never throwing: a failed
 * attempt (a statement still iterating, an I/O error) only means the worker asks again later.
 */
function finishCopy(sqlite: SqliteDatabase.Database): boolean {
  if (!sqlite.open || sqlite.inTransaction) return false;
  try {
    const [result] = sqlite.pragma('wal_checkpoint(PASSIVE)') as Array<{
      busy: number;
      log: number;
      checkpointed: number;
    }>;
    return result !== undefined && result.busy === 0 && result.checkpointed === result.log;
  } catch {
    return false;
  }
}

/**
 * Whether the worker asks the writing connection to finish the copy: the log is long, the worker could not copy all
 * of it (writes went on meanwhile; fully copied, the next write rewinds it anyway), and what is left is small, so
 * the writer's share stays a short pause. Runs in the worker too, from its text.
 */
export function writerShouldFinishCopy(logPages: number, copiedPages: number, rewindPages: number): boolean {
  return logPages >= rewindPages && copiedPages < logPages && logPages - copiedPages <= rewindPages / 4;
}

/**
 * The worker, as plain CommonJS evaluated from text: it then runs the same under tsx, Vitest and the compiled
 * build, with no file of its own to locate. It only ever runs PASSIVE checkpoints, which never wait for a lock.
 */
const checkpointWorkerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const writerShouldFinishCopy = ${String(writerShouldFinishCopy)};
const db = new Database(workerData.file, { fileMustExist: true });
let timer;
let idlePasses = 0;
// SQLite's count of commits by other connections: unchanged, there is nothing new to copy or report.
let lastVersion = -1;
function pass() {
  timer = undefined;
  const version = db.pragma('data_version', { simple: true });
  const [result] = db.pragma('wal_checkpoint(PASSIVE)');
  const logPages = result.log;
  const copiedPages = result.checkpointed;
  const rewind = writerShouldFinishCopy(logPages, copiedPages, workerData.rewindPages);
  const changed = version !== lastVersion;
  if (rewind || changed) parentPort.postMessage({ logPages, copiedPages, rewind });
  idlePasses = changed ? 0 : idlePasses + 1;
  lastVersion = version;
  if (!rewind) schedule(); // else the writer answers once it has copied the rest
}
function schedule() {
  timer = setTimeout(pass, idlePasses > 3 ? workerData.intervalMs * 10 : workerData.intervalMs);
}
parentPort.on('message', (message) => {
  if (message === 'resume') {
    schedule();
  } else if (message === 'resume-later') {
    idlePasses = 4;
    schedule();
  } else if (message === 'stop') {
    if (timer) clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
schedule();
`;
