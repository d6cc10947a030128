import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, expectOneLineError, sspr } from '../../support/run-sspr.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'sspr-cli-import-'));
const dataDir = path.join(work, 'data');
const store = ['--data-dir', dataDir];
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The database's bytes (main file and write-ahead log), to prove a dry run writes nothing. */
function databaseFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of ['sspr.db', 'sspr.db-wal']) {
    const full = path.join(dataDir, file);
    hash.update(existsSync(full) ? readFileSync(full) : Buffer.alloc(0));
  }
  return hash.digest('hex');
}

describe('sspr user import and export', { timeout: 120_000 }, () => {
  const file = path.join(work, 'contacts.csv');
  const results = path.join(work, 'results.csv');

  beforeAll(async () => {
    for (const name of ['ada', 'bob']) {
      const created = await sspr([
        'user',
        'create',
        '--user-principal-name',
        `${name}@example.com`,
        '--display-name',
        name,
        '--password',
        'Correct-Horse-Battery-9',
        ...store,
      ]);
      expect(created.code, created.stderr).toBe(0);
    }
    writeFileSync(
      file,
      'userPrincipalName;mobile;alternateEmail\r\nada@example.com;(425) 555-0101;ada@fabrikam.com\r\nghost@example.com;+1 4255550100;\r\nbob@example.com;;bob@fabrikam.com\r\n',
    );
  });

  it('--dry-run prints the diff with line numbers and reasons, writes nothing and exits 3 for rejected rows', async () => {
    expect(existsSync(path.join(dataDir, 'sspr.db'))).toBe(true);
    const before = databaseFingerprint();
    const run = await sspr(['user', 'import', file, '--dry-run', '--normalize', '--default-region', 'US', ...store]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain('dry run: nothing was written');
    expect(run.stdout).toMatch(/2\s+ada@example\.com\s+changed/);
    expect(run.stdout).toContain('mobile: (425) 555-0101 -> +1 4255550101');
    expect(run.stdout).toMatch(/3\s+ghost@example\.com\s+rejected\s+userPrincipalName\s+User not found\./);
    expect(run.stdout).toMatch(/rows\s+changed\s+unchanged\s+rejected\s+warnings\n[- ]+\n3\s+2\s+0\s+1\s+0/);
    expect(databaseFingerprint()).toBe(before);
  });

  it('applies, reports progress on stderr, writes the results file, and a re-run changes nothing', async () => {
    const run = await sspr([
      'user',
      'import',
      file,
      '--normalize',
      '--default-region',
      'US',
      '--results',
      results,
      ...store,
    ]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain('import: 3/3 rows (100%), changed 2, unchanged 0, rejected 1');
    expect(run.stdout).toMatch(/3\s+ghost@example\.com\s+rejected\s+userPrincipalName\s+User not found\./);
    const lines = readFileSync(results, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('line,key,outcome,column,reason,warnings,normalizations,changes');
    expect(lines[1]).toMatch(/^2,ada@example\.com,changed,,,,mobile: \(425\) 555-0101 -> \+1 4255550101,/);
    expect(lines[2]).toBe('3,ghost@example.com,rejected,userPrincipalName,User not found.,,,');

    const got = await sspr([
      'user',
      'get',
      'ada@example.com',
      '--select',
      'mobilePhone,otherMails',
      '-o',
      'json',
      ...store,
    ]);
    expect(JSON.parse(got.stdout)).toEqual({ mobilePhone: '+1 4255550101', otherMails: ['ada@fabrikam.com'] });

    const again = await sspr(['user', 'import', file, '--normalize', '--default-region', 'US', '-o', 'json', ...store]);
    expect(again.code, again.stderr).toBe(3);
    expect(JSON.parse(again.stdout).counts).toEqual({ changed: 0, unchanged: 2, rejected: 1, warnings: 0 });
  });

  it('export writes an importable CSV: importing it back changes nothing and exits 0', async () => {
    const exported = path.join(work, 'export.csv');
    const run = await sspr(['user', 'export', '--output', exported, ...store]);
    expect(run.code, run.stderr).toBe(0);
    const text = readFileSync(exported, 'utf8');
    expect(text).toMatch(/^userPrincipalName,id,displayName,/);
    expect(text).toContain("'+1 4255550101");
    const back = await sspr(['user', 'import', exported, '--dry-run', ...store]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/rows\s+changed\s+unchanged\s+rejected\s+warnings\n[- ]+\n\d+\s+0\s+\d+\s+0\s+0/);
  });

  it('refuses a file with an unknown column in one line', async () => {
    const bad = path.join(work, 'bad.csv');
    writeFileSync(bad, 'userPrincipalName,pager\nada@example.com,123\n');
    expectOneLineError(await sspr(['user', 'import', bad, ...store]), "Unknown column in the header line: 'pager'");
  });
});

describe('sspr user import killed with SIGKILL', { timeout: 180_000 }, () => {
  const killDir = path.join(work, 'kill');
  const killStore = ['--data-dir', killDir];
  const file = path.join(work, 'titles.csv');
  const count = 1_500; // three batches of 500

  /** Runs `sspr user import FILE` and SIGKILLs it once its progress shows `killAfter` rows committed. */
  function importUntil(
    killAfter: number | null,
  ): Promise<{ code: number | null; signal: string | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'user', 'import', file, ...killStore], {
        cwd: fileURLToPath(new URL('../../../', import.meta.url)),
        env: cleanEnv(),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const done = [...stderr.matchAll(/import: (\d+)\//g)].map((match) => Number(match[1]));
        if (killAfter !== null && done.some((rows) => rows >= killAfter)) child.kill('SIGKILL');
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
    });
  }

  beforeAll(async () => {
    const migrated = await sspr(['migrate', ...killStore]);
    expect(migrated.code, migrated.stderr).toBe(0);
    // Users straight into the store: creating 1,500 through the CLI would hash 1,500 passwords.
    const sqlite = new SqliteDatabase(path.join(killDir, 'sspr.db'));
    const insert = sqlite.prepare(`insert into users (id, user_principal_name, upn_key, display_name, mail_nickname,
      account_enabled, other_mails, created_at, updated_at, force_change_password)
      values (?, ?, ?, ?, ?, 1, '[]', ?, ?, 0)`);
    const now = new Date().toISOString();
    sqlite.transaction(() => {
      for (let i = 0; i < count; i += 1) {
        insert.run(randomUUID(), `u${i}@example.com`, `u${i}@example.com`, `U ${i}`, `u${i}`, now, now);
      }
    })();
    sqlite.close();
    const lines = ['userPrincipalName,jobTitle'];
    for (let i = 0; i < count; i += 1) lines.push(`u${i}@example.com,Title ${i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
  });

  it('killed twice, then re-run: the state and the audit log of one clean run', async () => {
    const first = await importUntil(500);
    const second = await importUntil(1000);
    const last = await importUntil(null);
    expect(last.code, last.stderr).toBe(0);
    // Each kill lands after a committed batch (unless the run had already finished): the re-runs resume.
    if (first.signal === 'SIGKILL') expect(second.stderr).toMatch(/^import: 500\/1500/);
    if (second.signal === 'SIGKILL') expect(last.stderr).toMatch(/^import: 1000\/1500/);

    const sqlite = new SqliteDatabase(path.join(killDir, 'sspr.db'), { readonly: true });
    const titles = sqlite
      .prepare("select count(*) as n from users where job_title = 'Title ' || substr(mail_nickname, 2)")
      .get() as { n: number };
    const events = sqlite
      .prepare("select count(*) as n from audit_events where activity_display_name = 'Update user'")
      .get() as { n: number };
    const jobs = sqlite.prepare('select status, rows_done, counts from contact_import_jobs').all() as {
      status: string;
      rows_done: number;
      counts: string;
    }[];
    sqlite.close();
    expect(titles.n).toBe(count);
    expect(events.n).toBe(count);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'succeeded', rows_done: count });
    expect(JSON.parse(jobs[0]?.counts ?? '{}')).toEqual({ changed: count, unchanged: 0, rejected: 0, warnings: 0 });
  });
});
