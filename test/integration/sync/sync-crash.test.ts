/**
 * Crash safety of directory sync (SPEC section 8, issue 5): `sspr sync run` killed with SIGKILL at several points
 * and run again gives exactly the users table of an uninterrupted run.
 *
 * SQLite only: what makes a run safe to kill is that every page (its users, audit events, issues and the run's
 * counts) and the run's end (watermark, soft deletions) commit in one transaction each, and that a re-run repeats
 * whatever has no watermark yet. Both dialects give the same transaction guarantee (PostgreSQL rolls back the open
 * transaction of a dropped connection); this test exercises the engine's side of it, and a second server plus
 * 20,000 users twice more would double its run time.
 *
 * Kill points are chosen without timing: the CLI prints one line per committed page on stderr, and the test kills
 * the child as soon as it has read the line of the chosen page (the child may have committed a page or two more by
 * then, which is just another kill point). The killed run's lease is taken over by the next run at once: it names
 * this host and a process that no longer exists.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, sspr } from '../../support/run-sspr.js';
import { generateUsers, openLdapSyncFlags, type RunningSlapd, startSlapd } from '../../support/slapd.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const COUNT = 20_000;
const PAGE_SIZE = 1_000;

interface Instance {
  readonly dir: string;
  readonly args: readonly string[];
}

let slapd: RunningSlapd;
let workDir: string;
let reference: Instance;
let crashed: Instance;

async function prepare(name: string): Promise<Instance> {
  const dir = path.join(workDir, name);
  const args = ['--data-dir', dir, '--database-url', `sqlite:${path.join(dir, 'sspr.db')}`];
  const passwordFile = path.join(workDir, 'bind-password');
  writeFileSync(passwordFile, `${slapd.writerPassword}\n`);
  const configured = await sspr([
    'sync',
    'configure',
    ...args,
    ...openLdapSyncFlags(slapd, passwordFile),
    '--page-size',
    String(PAGE_SIZE),
  ]);
  expect(configured.code, configured.stderr).toBe(0);
  return { dir, args };
}

/** `sspr sync run` to its end; fails the test unless the run succeeded. */
async function runToEnd(instance: Instance, full: boolean): Promise<string> {
  const run = await sspr(['sync', 'run', ...(full ? ['--full'] : []), ...instance.args, '--output', 'json'], {});
  expect(run.code, run.stderr).toBe(0);
  const result = JSON.parse(run.stdout) as { status: string };
  expect(result.status).toBe('succeeded');
  return run.stdout;
}

/**
 * Starts `sspr sync run` and SIGKILLs it once its stderr reports page `killAfterPage` committed. Resolves with the
 * last page it reported and how it ended; a run that finished before the kill resolves with `signal: null`.
 */
function runAndKill(
  instance: Instance,
  full: boolean,
  killAfterPage: number,
): Promise<{ pages: number; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'sync', 'run', ...(full ? ['--full'] : []), ...instance.args],
      { cwd: root, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let pages = 0;
    let buffered = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const page = /^page (\d+):/.exec(line);
        if (page) pages = Number(page[1]);
      }
      if (pages >= killAfterPage && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.once('error', reject);
    child.once('exit', (_code, signal) => resolve({ pages, signal }));
  });
}

/** The synced users as a comparable table: every synced column, soft deletion as a flag, ordered by anchor. */
function usersTable(instance: Instance): { rows: unknown[]; total: number; anchors: number; upns: number } {
  const db = new Database(path.join(instance.dir, 'sspr.db'), { readonly: true });
  try {
    const rows = db
      .prepare(
        `select on_premises_immutable_id as anchor, user_principal_name, upn_key, display_name, given_name, surname,
                mail, job_title, office_location, account_enabled, mobile_phone, business_phone, other_mails,
                on_premises_sync_enabled, on_premises_distinguished_name, on_premises_sam_account_name,
                on_premises_user_principal_name, mobile_phone_cloud_override,
                soft_deleted_at is not null as soft_deleted, password_hash is null as no_password
           from users where on_premises_immutable_id is not null order by on_premises_immutable_id`,
      )
      .all();
    const counts = db
      .prepare(
        `select count(*) as total, count(distinct on_premises_immutable_id) as anchors,
                count(distinct upn_key) as upns from users where on_premises_immutable_id is not null`,
      )
      .get() as { total: number; anchors: number; upns: number };
    return { rows, ...counts };
  } finally {
    db.close();
  }
}

/** The last succeeded run's per-object issues (errors and warnings), as a sorted list. */
function lastRunIssues(instance: Instance): string[] {
  const db = new Database(path.join(instance.dir, 'sspr.db'), { readonly: true });
  try {
    const run = db
      .prepare(`select id from directory_sync_runs where status = 'succeeded' order by finished_at desc limit 1`)
      .get() as { id: string };
    return (
      db.prepare('select dn, type, attribute from directory_sync_errors where run_id = ?').all(run.id) as {
        dn: string;
        type: string;
        attribute: string | null;
      }[]
    )
      .map((issue) => `${issue.type} ${issue.attribute ?? ''} ${issue.dn}`)
      .sort();
  } finally {
    db.close();
  }
}

function runStatuses(instance: Instance): { status: string; message: string | null }[] {
  const db = new Database(path.join(instance.dir, 'sspr.db'), { readonly: true });
  try {
    return db.prepare('select status, message from directory_sync_runs order by started_at').all() as {
      status: string;
      message: string | null;
    }[];
  } finally {
    db.close();
  }
}

describe('directory sync killed with SIGKILL (SQLite)', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    slapd = await startSlapd({ ldif: generateUsers({ count: COUNT, knownPasswordCount: 0 }).ldif });
    workDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-sync-crash-'));
    [reference, crashed] = await Promise.all([prepare('reference'), prepare('crashed')]);
  });
  afterAll(async () => {
    await slapd?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('converges to the uninterrupted full run after kills at several pages', async () => {
    await runToEnd(reference, true);
    const expected = usersTable(reference);
    expect(expected.total).toBeGreaterThan(COUNT * 0.95);
    expect(expected.anchors).toBe(expected.total);

    // A kill soon after the start, one in the middle (the run finds most users already there), one near the end.
    for (const page of [1, 9, 18]) {
      const killed = await runAndKill(crashed, true, page);
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.pages).toBeGreaterThanOrEqual(page);
    }
    // Each interrupted run left users behind, never a duplicate.
    const partial = usersTable(crashed);
    expect(partial.anchors).toBe(partial.total);
    expect(partial.total).toBeGreaterThan(0);

    await runToEnd(crashed, true);
    const actual = usersTable(crashed);
    expect(actual.total).toBe(expected.total);
    expect(actual.anchors).toBe(actual.total);
    expect(actual.upns).toBe(actual.total);
    expect(actual.rows).toEqual(expected.rows);
    expect(lastRunIssues(crashed)).toEqual(lastRunIssues(reference));
    // The killed runs are recorded as interrupted; the last one succeeded.
    const statuses = runStatuses(crashed);
    expect(statuses.slice(0, 3).map((run) => run.status)).toEqual(['failed', 'failed', 'failed']);
    expect(statuses[0]?.message).toMatch(/interrupted/);
    expect(statuses.at(-1)?.status).toBe('succeeded');
  });

  it('converges after a delta run killed midway', async () => {
    // 600 new users, 200 deleted (odd uids), 1,200 with a new office phone (even uids): two delta pages.
    const added = generateUsers({ count: 600, start: COUNT, seed: 7, knownPasswordCount: 0 }).ldif;
    await slapd.add(added);
    const changes: string[] = [];
    for (let i = 0; i < 200; i++) {
      changes.push(
        `dn: uid=user${String(i * 50 + 3).padStart(5, '0')},ou=people,${slapd.baseDn}\nchangetype: delete\n`,
      );
    }
    for (let i = 0; i < 1_200; i++) {
      const uid = `user${String(i * 8 + 2).padStart(5, '0')}`;
      changes.push(
        `dn: uid=${uid},ou=people,${slapd.baseDn}\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: +1 4255559${String(i).padStart(4, '0')}\n`,
      );
    }
    await slapd.modify(changes.join('\n'));

    await runToEnd(reference, false);
    const expected = usersTable(reference);

    const killed = await runAndKill(crashed, false, 1);
    expect(killed.signal).toBe('SIGKILL');
    await runToEnd(crashed, false);

    const actual = usersTable(crashed);
    expect(actual.anchors).toBe(actual.total);
    expect(actual.rows).toEqual(expected.rows);
    expect(lastRunIssues(crashed)).toEqual(lastRunIssues(reference));
    expect(actual.rows.filter((row) => (row as { soft_deleted: number }).soft_deleted === 1).length).toBe(
      expected.rows.filter((row) => (row as { soft_deleted: number }).soft_deleted === 1).length,
    );
  });
});
