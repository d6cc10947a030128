#!/usr/bin/env node
/**
 * `npm run bench:walk`: a paged `GET /v1.0/users?$top=999` walk over every user (100,000 by default), following
 * `@odata.nextLink` to the end, against a bare `node:http` baseline streaming the same rows from the same SQLite
 * file (issue 6; docs/performance.md, "Users list walk").
 *
 *   node bench/users-walk.mjs [--users N] [--rounds N] [--quiet-timeout S] [--cpu-prof DIR] [--keep]
 *
 * One seeded SQLite file (`bench/seed.ts`). Each round starts OpenSSPR (`bench/sspr-server.ts`, log level warn,
 * throttling off) and the baseline (`bench/walk-baseline-server.mjs`) one after the other, each alone in its own
 * child process on a loopback port, and walks all pages once unrecorded (warm-up) then once measured, one request
 * at a time as a script would. Before the first round the first pages of both are compared member by member
 * (`value` must be equal). Prints both times, rows/s and the ratio OpenSSPR/baseline (rates) of the median round;
 * target >= 0.7; a missed target prints MISSED (the exit code stays 0).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { percent, runToEnd, startServer, systemCpuSeconds, waitForQuiet } from './lib/processes.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const optionValue = (name, fallback) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : fallback;
};
const userCount = Number(optionValue('users', 100_000));
const rounds = Number(optionValue('rounds', 3));
const quietTimeout = Number(optionValue('quiet-timeout', 0));
const cpuProfileDir = optionValue('cpu-prof', undefined);
const pageSize = 999;
const target = 0.7;
/** Share of a core other processes may use during a walk before it is flagged as disturbed. */
const disturbedShare = 0.15;

const workDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-bench-walk-'));
const dataDir = path.join(workDir, 'data');
try {
  const cpus = os.cpus();
  console.log(
    `users list walk: ${userCount.toLocaleString('en-US')} users, $top=${pageSize}, ${rounds} round(s), ` +
      `Node ${process.version}, ${cpus.length} CPU(s) ${cpus[0]?.model ?? ''}, load average ${os
        .loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`.trim(),
  );
  process.stdout.write('seeding... ');
  const seed = JSON.parse(
    await runToEnd(process.execPath, ['--import', 'tsx', path.join(benchDir, 'seed.ts'), dataDir, String(userCount)]),
  );
  console.log(`${seed.userCount.toLocaleString('en-US')} users in ${seed.seedMs} ms`);

  const runs = { sspr: [], baseline: [] };
  for (let round = 1; round <= rounds; round += 1) {
    if (rounds > 1) console.log(`round ${round} of ${rounds}`);
    runs.sspr.push(await measureSspr(seed, round === 1));
    runs.baseline.push(await measureBaseline(round === 1 ? runs.sspr[0].firstPage : undefined));
    if (runs.baseline.at(-1).rows !== runs.sspr.at(-1).rows) throw new Error('the two walks saw different rows');
  }

  const median = (list) => {
    const quiet = list.filter((run) => !run.disturbed);
    const pool = [...(quiet.length > 0 ? quiet : list)].sort((a, b) => a.ms - b.ms);
    return pool[Math.floor(pool.length / 2)];
  };
  const ours = median(runs.sspr);
  const baseline = median(runs.baseline);
  const rate = (run) => run.rows / (run.ms / 1000);
  const ratio = rate(ours) / rate(baseline);
  console.log('');
  for (const [label, run] of [
    ['OpenSSPR', ours],
    ['node:http + SQLite iterate()', baseline],
  ]) {
    console.log(
      `${label.padEnd(30)} ${(run.ms / 1000).toFixed(2).padStart(6)} s  ${Math.round(rate(run))
        .toLocaleString('en-US')
        .padStart(8)} rows/s  ${run.pages} pages  server CPU ${percent(run.serverCpu)}  ` +
        `other CPU ${run.disturbed ? '*' : ''}${percent(run.otherCpu)}`,
    );
  }
  console.log(`ratio OpenSSPR/baseline ${ratio.toFixed(2)} (target >= ${target} ${ratio >= target ? 'OK' : 'MISSED'})`);
  if (rounds > 1) {
    console.log(
      `Each figure is the median of ${rounds} rounds (undisturbed ones when there are some); every round: ` +
        runs.sspr.map((run, i) => `${(rate(run) / rate(runs.baseline[i])).toFixed(2)}`).join(', '),
    );
  }
  console.log(`"other CPU" is what the rest of the machine used meanwhile; * marks a walk it disturbed.`);
} finally {
  if (!argv.includes('--keep')) rmSync(workDir, { recursive: true, force: true });
  else console.log(`kept ${workDir}`);
}

async function measureSspr(seed, keepFirstPage) {
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfileDir)}`] : [];
  const server = await startServer('OpenSSPR', [
    ...profile,
    '--import',
    'tsx',
    path.join(benchDir, 'sspr-server.ts'),
    dataDir,
    'warn',
  ]);
  try {
    const token = await tokenFor(server.port, seed);
    return await walkTwice(server, { authorization: `Bearer ${token}` }, keepFirstPage);
  } finally {
    await server.stop();
  }
}

async function measureBaseline(reference) {
  const server = await startServer('baseline', [path.join(benchDir, 'walk-baseline-server.mjs'), dataDir]);
  try {
    const run = await walkTwice(server, {}, reference !== undefined);
    if (reference && !isDeepStrictEqual(run.firstPage.value, reference.value)) {
      throw new Error('the baseline answers a different first page from OpenSSPR');
    }
    return run;
  } finally {
    await server.stop();
  }
}

/** One unrecorded walk (warm-up), then the measured one. */
async function walkTwice(server, headers, keepFirstPage) {
  await walk(server, headers, false);
  await waitForQuiet(quietTimeout, disturbedShare);
  const serverCpuBefore = server.cpuSeconds();
  const systemCpuBefore = systemCpuSeconds();
  const ownCpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await walk(server, headers, keepFirstPage);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const serverCpu = server.cpuSeconds() - serverCpuBefore;
  const otherCpu =
    (systemCpuSeconds() - systemCpuBefore - serverCpu - (ownCpu.user + ownCpu.system) / 1e6) / (ms / 1000);
  console.log(`  ${server.name}: ${(ms / 1000).toFixed(2)} s for ${result.rows} rows in ${result.pages} pages`);
  return { ...result, ms, serverCpu: serverCpu / (ms / 1000), otherCpu, disturbed: otherCpu > disturbedShare };
}

/** Follows `@odata.nextLink` from the first page to the last; checks every user came exactly once. */
async function walk(server, headers, keepFirstPage) {
  let url = `http://127.0.0.1:${server.port}/v1.0/users?$top=${pageSize}`;
  let rows = 0;
  let pages = 0;
  let firstPage;
  while (url) {
    const response = await fetch(url, { headers });
    if (response.status !== 200) throw new Error(`${server.name}: ${response.status} ${await response.text()}`);
    const page = await response.json();
    if (keepFirstPage && pages === 0) firstPage = page;
    rows += page.value.length;
    pages += 1;
    url = page['@odata.nextLink'];
  }
  // The seeded users, and the few the container made itself (its first administrator).
  if (rows < userCount) throw new Error(`${server.name}: walked ${rows} rows, expected at least ${userCount}`);
  return { rows, pages, firstPage };
}

async function tokenFor(port, seed) {
  const response = await fetch(`http://127.0.0.1:${port}/${seed.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: seed.clientId,
      client_secret: seed.clientSecret,
      scope: 'https://graph.microsoft.com/.default',
    }),
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return (await response.json()).access_token;
}
