#!/usr/bin/env node
/**
 * `npm run bench:import`: a bulk contact import of N rows (default 100,000) end to end against raw SQLite UPDATEs of
 * the same rows in one transaction, in the same run (issue 6; docs/bulk-import.md, docs/performance.md).
 *
 *   node --import tsx bench/contact-import.mjs [--users N] [--keep]
 *
 * Two fresh data folders are seeded alike by `bench/seed.ts` (every user has a mobile phone). Then, in this process:
 * - import: `ContactImportService.import` through the real container on folder A, with a CSV (built in memory) that
 *   gives every user a new mobile phone: parse, header mapping, phone checks, per-row diff against the stored user,
 *   batches of 500 rows each one transaction with the users' updates, one audit event per user, the row results
 *   and the job's watermark. Every row changes: the worst case.
 * - raw (the issue's baseline, "raw batched SQLite upserts"): better-sqlite3 on folder B, one prepared
 *   `insert ... on conflict (upn_key) do update set mobile_phone, updated_at` per row, in transactions of 500 rows
 *   (the import's batch size), no audit, no checks.
 * - reference: better-sqlite3 on folder C, `update users set mobile_phone = ? where upn_key = ?` for the same rows in
 *   one transaction (the baseline of earlier runs; printed for comparison, not judged).
 * Prints the times, rows/s and the ratios import/raw (rates). Targets: ratio to the batched upserts >= 0.2 and the
 * import under 10 s; a missed target prints MISSED (the exit code stays 0).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.dirname(benchDir);
const argv = process.argv.slice(2);
const usersIndex = argv.indexOf('--users');
const userCount = usersIndex === -1 ? 100_000 : Number(argv[usersIndex + 1]);
const keep = argv.includes('--keep');
if (!Number.isInteger(userCount) || userCount < 1) throw new Error('--users must be a positive integer');

function seed(dataDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(benchDir, 'seed.ts'), dataDir, String(userCount)],
      {
        cwd: rootDir,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`seed exited ${code}`)),
    );
  });
}

const work = mkdtempSync(path.join(os.tmpdir(), 'sspr-bench-import-'));
const importDir = path.join(work, 'import');
const rawDir = path.join(work, 'raw');
const referenceDir = path.join(work, 'reference');
try {
  process.stderr.write(`seeding ${userCount} users three times...\n`);
  const [seeded] = await Promise.all([seed(importDir), seed(rawDir), seed(referenceDir)]);
  const domain = seeded.domain;

  // The same new mobile phone per user for both: `+1 555` then the user's number.
  const phoneOf = (i) => `+1 555${String(i).padStart(6, '0')}2`;
  const lines = ['userPrincipalName,mobilePhone'];
  for (let i = 0; i < userCount; i += 1) lines.push(`user${i}@${domain},${phoneOf(i)}`);
  const file = Buffer.from(`${lines.join('\r\n')}\r\n`);

  // --- import, end to end through the service -------------------------------------------------------------
  const config = loadConfig({ env: {}, flags: { dataDir: importDir, tenantDomain: domain, logLevel: 'silent' } });
  const container = await createContainer(config, { logger: pino({ level: 'silent' }) });
  const operator = { principal: { kind: 'operator', name: 'bench' }, correlationId: 'bench-import', ipAddress: null };
  const importStarted = performance.now();
  const report = await container.contactImports.import(operator, file, { normalize: false });
  const importMs = performance.now() - importStarted;
  if (report.counts.changed !== userCount)
    throw new Error(`expected ${userCount} changed rows: ${JSON.stringify(report.counts)}`);
  const dryStarted = performance.now();
  const again = await container.contactImports.import(operator, file, { normalize: false, dryRun: true });
  const dryMs = performance.now() - dryStarted;
  if (again.counts.unchanged !== userCount) throw new Error(`re-run not unchanged: ${JSON.stringify(again.counts)}`);
  await container.close();

  // --- raw: batched upserts, 500 rows per transaction -------------------------------------------------------
  const openRaw = (dir) => {
    const handle = new SqliteDatabase(path.join(dir, 'sspr.db'));
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = NORMAL');
    return handle;
  };
  const batchRows = 500;
  const sqlite = openRaw(rawDir);
  const upsert = sqlite.prepare(
    'insert into users (id, user_principal_name, upn_key, account_enabled, other_mails, mobile_phone, created_at, updated_at) ' +
      "values (?, ?, ?, 1, '[]', ?, ?, ?) on conflict (upn_key) do update set mobile_phone = excluded.mobile_phone, " +
      'updated_at = excluded.updated_at',
  );
  const upsertBatch = sqlite.transaction((from, at) => {
    for (let i = from; i < Math.min(userCount, from + batchRows); i += 1) {
      const upn = `user${i}@${domain}`;
      upsert.run(randomUUID(), upn, upn.toLowerCase(), phoneOf(i), at, at);
    }
  });
  const rawStarted = performance.now();
  for (let from = 0; from < userCount; from += batchRows) upsertBatch(from, new Date().toISOString());
  const rawMs = performance.now() - rawStarted;
  const rawChanged = sqlite.prepare("select count(*) as n from users where mobile_phone like '+1 555%'").get().n;
  sqlite.close();
  if (rawChanged !== userCount) throw new Error(`raw upserts changed ${rawChanged} users, not ${userCount}`);

  // --- reference: one transaction of prepared UPDATEs ----------------------------------------------------------
  const reference = openRaw(referenceDir);
  const update = reference.prepare('update users set mobile_phone = ? where upn_key = ?');
  const referenceStarted = performance.now();
  reference.transaction(() => {
    for (let i = 0; i < userCount; i += 1) update.run(phoneOf(i), `user${i}@${domain}`.toLowerCase());
  })();
  const referenceMs = performance.now() - referenceStarted;
  reference.close();

  const rate = (ms) => Math.round(userCount / (ms / 1000));
  const ratio = rawMs / importMs;
  const ok = (met) => (met ? 'ok' : 'MISSED');
  process.stdout.write(
    [
      `rows: ${userCount} (every row changes: mobilePhone, one audit event per user, batches of 500)`,
      `import (end to end):           ${(importMs / 1000).toFixed(2)} s  ${rate(importMs)} rows/s  [target < 10 s: ${ok(importMs < 10_000)}]`,
      `raw batched upserts (500/tx):  ${(rawMs / 1000).toFixed(2)} s  ${rate(rawMs)} rows/s`,
      `ratio import/raw:              ${ratio.toFixed(3)}  [target >= 0.2: ${ok(ratio >= 0.2)}]`,
      `reference: raw UPDATEs (1 tx): ${(referenceMs / 1000).toFixed(2)} s  ${rate(referenceMs)} rows/s  (import/reference ${(referenceMs / importMs).toFixed(3)}, not judged)`,
      `re-run as dry run (all unchanged): ${(dryMs / 1000).toFixed(2)} s  ${rate(dryMs)} rows/s`,
      '',
    ].join('\n'),
  );
} finally {
  if (keep) process.stderr.write(`kept ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}
