#!/usr/bin/env node
/**
 * `npm run bench`: OpenSSPR's Graph users API against bare `node:http` baselines, over 100,000 users.
 *
 *   node bench/run.mjs [--quick] [--rounds N] [--duration S] [--warmup S] [--connections N] [--users N]
 *                      [--log-levels info,warn] [--only read|write] [--quiet-timeout S] [--cpu-prof DIR] [--keep]
 *
 * --quick: 3 s per measurement, 1 s warm-up, log level info only, no waiting for a quiet machine (a smoke run).
 * --rounds N: measure every server N times, taking turns, and report each one's median run.
 * --quiet-timeout S: before each measurement, wait up to S seconds (default 180) for other processes to leave
 *   the CPUs alone; runs they disturbed anyway are marked with * in the table.
 * --cpu-prof DIR: write a V8 CPU profile of each OpenSSPR server there. --keep: keep the data folder and logs.
 *
 * Every server (OpenSSPR and each baseline) runs alone in its own child process on a loopback port, one after
 * the other, on the same seeded SQLite file; autocannon drives it from this process. Each measurement is
 * preceded by an unrecorded warm-up. Before loading a baseline, its answers are compared with OpenSSPR's
 * byte for byte. The table at the end gives requests per second, latency, CPU of both processes, and the
 * ratio to the baseline; a missed target prints MISSED (the exit code stays 0). See docs/performance.md.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { percent, runToEnd, startServer, systemCpuSeconds, waitForQuiet } from './lib/processes.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));

const args = parseArgs(process.argv.slice(2));
const quick = args.flags.has('quick');
const userCount = Number(args.values.users ?? 100_000);
const duration = Number(args.values.duration ?? (quick ? 3 : 15));
const warmup = Number(args.values.warmup ?? (quick ? 1 : 3));
const connections = Number(args.values.connections ?? 50);
const logLevels = (args.values['log-levels'] ?? (quick ? 'info' : 'info,warn')).split(',').filter(Boolean);
const only = args.values.only;
const rounds = Number(args.values.rounds ?? 1);
const cpuProfileDir = args.values['cpu-prof'];
const quietTimeout = Number(args.values['quiet-timeout'] ?? (quick ? 0 : 180));
/** Share of a core other processes may use during a measurement before it is flagged as disturbed. */
const disturbedShare = 0.15;
const targets = { read: 0.6, write: 0.5 };

const readSuffix = '?$select=businessPhones,mobilePhone,otherMails';
const phones = ['+1 4255550100', '+1 4255550101'];

async function main() {
  const cpus = os.cpus();
  console.log(
    `OpenSSPR benchmark: ${userCount.toLocaleString('en-US')} users, ${connections} connections, ` +
      `${duration} s per measurement (+${warmup} s warm-up), Node ${process.version}, ` +
      `${cpus.length} CPU(s) ${cpus[0]?.model ?? ''}`.trim(),
  );
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-bench-'));
  const dataDir = path.join(workDir, 'data');
  try {
    process.stdout.write('seeding... ');
    const seed = JSON.parse(
      await runToEnd(process.execPath, ['--import', 'tsx', path.join(benchDir, 'seed.ts'), dataDir, String(userCount)]),
    );
    console.log(`${seed.userCount.toLocaleString('en-US')} users in ${seed.seedMs} ms`);
    const upnOf = (i) => `user${i}@${seed.domain}`;

    /** Runs of each server, in the order they first ran; with --rounds, rounds alternate the servers. */
    const runs = new Map();
    const record = (row) =>
      runs.set(`${row.kind} ${row.label}`, [...(runs.get(`${row.kind} ${row.label}`) ?? []), row]);
    for (let round = 1; round <= rounds; round += 1) {
      if (rounds > 1) console.log(`round ${round} of ${rounds}`);
      if (only === undefined || only === 'read') {
        // Taken again each round: the writes of the previous round changed the users' phones.
        const reference = await referenceReads(seed, dataDir, upnOf);
        record(
          await measureBaseline('read', 'read-bytes', 'node:http, same bytes from memory', dataDir, upnOf, reference),
        );
        record(
          await measureBaseline('read', 'read-select', 'node:http + 1 prepared SELECT', dataDir, upnOf, reference),
        );
        for (const level of logLevels) record(await measureSspr('read', level, seed, dataDir, upnOf, workDir));
      }
      if (only === undefined || only === 'write') {
        record(await measureBaseline('write', 'write', 'node:http + 1 prepared UPDATE', dataDir, upnOf));
        for (const level of logLevels) record(await measureSspr('write', level, seed, dataDir, upnOf, workDir));
      }
    }
    // The median run of each server (by throughput), among its undisturbed runs when it has some.
    const rows = [...runs.values()].map((list) => {
      const quiet = list.filter((row) => !row.disturbed);
      const pool = [...(quiet.length > 0 ? quiet : list)].sort((a, b) => a.rps - b.rps);
      return pool[Math.floor(pool.length / 2)];
    });

    printTable(rows);
  } finally {
    if (!args.flags.has('keep')) rmSync(workDir, { recursive: true, force: true });
    else console.log(`kept ${workDir}`);
  }
}

/** OpenSSPR's answers for a few users, the bytes every read baseline must reproduce. */
async function referenceReads(seed, dataDir, upnOf) {
  const server = await startServer('OpenSSPR (reference answers)', [
    '--import',
    'tsx',
    path.join(benchDir, 'sspr-server.ts'),
    dataDir,
    'warn',
  ]);
  try {
    const token = await tokenFor(server.port, seed);
    const samples = [];
    for (const i of [0, 1, Math.floor(userCount / 2), userCount - 1]) {
      const response = await fetch(`http://127.0.0.1:${server.port}/v1.0/users/${upnOf(i)}${readSuffix}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status !== 200)
        throw new Error(`reference read failed: ${response.status} ${await response.text()}`);
      samples.push({
        i,
        contentType: response.headers.get('content-type'),
        body: (await response.text()).replaceAll(`127.0.0.1:${server.port}`, 'HOST'),
      });
    }
    return samples;
  } finally {
    await server.stop();
  }
}

async function measureBaseline(kind, mode, label, dataDir, upnOf, reference) {
  const server = await startServer(`baseline ${mode}`, [path.join(benchDir, 'baseline-server.mjs'), dataDir, mode]);
  try {
    for (const sample of reference ?? []) {
      const response = await fetch(`http://127.0.0.1:${server.port}/v1.0/users/${upnOf(sample.i)}${readSuffix}`);
      const body = (await response.text()).replaceAll(`127.0.0.1:${server.port}`, 'HOST');
      if (body !== sample.body || response.headers.get('content-type') !== sample.contentType) {
        throw new Error(`baseline ${mode} answers differently from OpenSSPR:\n${body}\n${sample.body}`);
      }
    }
    const result = await load(kind, server, upnOf, {});
    return { kind, label, baseline: true, ...result };
  } finally {
    await server.stop();
  }
}

async function measureSspr(kind, level, seed, dataDir, upnOf, workDir) {
  const logFile = path.join(workDir, `sspr-${kind}-${level}.log`);
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfileDir)}`] : [];
  const server = await startServer(
    `OpenSSPR log=${level}`,
    [...profile, '--import', 'tsx', path.join(benchDir, 'sspr-server.ts'), dataDir, level],
    logFile,
  );
  let logStart = 0;
  let result;
  try {
    const token = await tokenFor(server.port, seed);
    result = await load(kind, server, upnOf, { authorization: `Bearer ${token}` }, () => {
      logStart = statSync(logFile).size;
    });
  } finally {
    await server.stop();
  }
  // Measured once the server has stopped and flushed its (asynchronous) log.
  const logBytes = statSync(logFile).size - logStart;
  return { kind, label: `OpenSSPR, log level ${level}`, level, baseline: false, logBytes, ...result };
}

/** Warm-up, then the measured run; returns throughput, latency and CPU use of both processes. */
async function load(kind, server, upnOf, headers, onMeasureStart = () => {}) {
  const options = {
    url: `http://127.0.0.1:${server.port}`,
    connections,
    headers: kind === 'write' ? { ...headers, 'content-type': 'application/json' } : headers,
    requests: [{ method: kind === 'write' ? 'PATCH' : 'GET', setupRequest: requestSetup(kind, upnOf) }],
  };
  await waitForQuiet(quietTimeout, disturbedShare);
  if (warmup > 0) await autocannon({ ...options, duration: warmup });
  onMeasureStart();
  const serverCpuBefore = server.cpuSeconds();
  const systemCpuBefore = systemCpuSeconds();
  const ownCpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await autocannon({ ...options, duration });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const serverCpu = server.cpuSeconds() - serverCpuBefore;
  const systemCpu = systemCpuSeconds() - systemCpuBefore;
  const ok = result['2xx'];
  const failed = result.non2xx + result.errors + result.timeouts;
  console.log(
    `  ${kind} ${server.name}: ${Math.round(result['2xx'] / result.duration)} req/s` +
      ` (server CPU ${percent((server.cpuSeconds() - serverCpuBefore) / seconds)})`,
  );
  if (failed > 0)
    console.log(
      `  warning: ${failed} failed requests (non-2xx ${result.non2xx} by status ${JSON.stringify(result.statusCodeStats)},` +
        ` errors ${result.errors}, timeouts ${result.timeouts})`,
    );
  return {
    rps: ok / result.duration,
    requests: result.requests.total,
    failed,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverCpu: serverCpu / seconds,
    generatorCpu: (ownCpu.user + ownCpu.system) / 1e6 / seconds,
    otherCpu: (systemCpu - serverCpu - (ownCpu.user + ownCpu.system) / 1e6) / seconds,
    disturbed: (systemCpu - serverCpu - (ownCpu.user + ownCpu.system) / 1e6) / seconds > disturbedShare,
  };
}

/** Every request names a different user, drawn at random from the whole store; writes alternate two values. */
function requestSetup(kind, upnOf) {
  let n = 0;
  const bodies = phones.map((phone) => JSON.stringify({ mobilePhone: phone }));
  return (request) => {
    n += 1;
    const upn = upnOf(Math.floor(Math.random() * userCount));
    if (kind === 'read') return { ...request, path: `/v1.0/users/${upn}${readSuffix}` };
    return { ...request, path: `/v1.0/users/${upn}`, body: bodies[n % bodies.length] };
  };
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

function printTable(rows) {
  const header = [
    '',
    'server',
    'req/s',
    'p50 ms',
    'p99 ms',
    'server CPU',
    'loadgen CPU',
    'other CPU',
    'log B/req',
    'ratio',
    'target',
  ];
  const lines = [header];
  for (const kind of ['read', 'write']) {
    const baseline = rows.find((row) => row.kind === kind && row.baseline);
    for (const row of rows.filter((r) => r.kind === kind)) {
      const ratio = row.baseline ? undefined : row.rps / baseline.rps;
      const target = targets[kind];
      lines.push([
        kind === 'read' ? 'GET' : 'PATCH',
        row.label,
        Math.round(row.rps).toLocaleString('en-US'),
        row.p50.toFixed(1),
        row.p99.toFixed(1),
        percent(row.serverCpu),
        percent(row.generatorCpu),
        `${row.disturbed ? '*' : ''}${percent(row.otherCpu)}`,
        row.logBytes === undefined ? '' : String(Math.round(row.logBytes / Math.max(1, row.requests))),
        ratio === undefined ? (row === baseline ? 'baseline' : '') : ratio.toFixed(2),
        (ratio === undefined ? '' : `>= ${target} ${ratio >= target ? 'OK' : 'MISSED'}`) +
          (row.failed > 0 ? ` (${row.failed} failed)` : ''),
      ]);
    }
  }
  const widths = header.map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  console.log('');
  for (const [index, line] of lines.entries()) {
    console.log(
      line
        .map((cell, column) => (column <= 1 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
        .join('  '),
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
  console.log('');
  console.log('Ratios are against the first baseline of each kind. GET: the bytes baseline does no database work;');
  console.log('"+ 1 prepared SELECT" shows the look-up cost. CPU is the share of one core over the measured run;');
  console.log('"other CPU" is what the rest of the machine used meanwhile; * marks a run it disturbed (over');
  console.log(`${percent(disturbedShare)} of a core): compare such figures with care.`);
  const select = rows.find((row) => row.kind === 'read' && row.label.includes('SELECT'));
  for (const row of rows.filter((r) => r.kind === 'read' && !r.baseline && select)) {
    console.log(`GET ${row.label} against "${select.label}": ${(row.rps / select.rps).toFixed(2)}`);
  }
  if (rounds > 1) console.log(`Each row is the median of ${rounds} runs, the servers taking turns.`);
  const failed = rows.filter((row) => row.failed > 0);
  if (failed.length > 0)
    console.log(`Failed requests in: ${failed.map((row) => `${row.kind} ${row.label}`).join(', ')}`);
}

function parseArgs(argv) {
  const flags = new Set();
  const values = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2);
    if (inline !== undefined) values[name] = inline;
    else if (['quick', 'keep'].includes(name)) flags.add(name);
    else {
      values[name] = argv[i + 1];
      i += 1;
    }
  }
  return { flags, values };
}

await main();
