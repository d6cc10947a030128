#!/usr/bin/env node
/**
 * `npm run bench:batch`: the same contact-info PATCHes sent one per request and 20 per `POST /v1.0/$batch`.
 *
 *   node bench/batch.mjs [--quick] [--duration S] [--warmup S] [--connections N] [--users N] [--cpu-prof DIR] [--keep]
 *
 * One OpenSSPR server (log level warn, throttling off: the limits would cap both sides at 20 writes a second)
 * on a seeded SQLite file; autocannon drives it from this process, first with single PATCHes, then with batches
 * of 20 PATCHes to 20 different random users. The figure compared is users updated per second (a batch counts
 * only its 204 items). Target: batches at least 2x the single-request rate (issue 6), judged with `--connections`
 * clients (default 20) saturating the server; the same pair from one client sending one request at a time (a
 * script's loop) is printed after it, for context. See docs/performance.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { percent, runToEnd, startServer } from './lib/processes.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const optionValue = (name, fallback) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : fallback;
};
const quick = argv.includes('--quick');
const userCount = Number(optionValue('users', 100_000));
const duration = Number(optionValue('duration', quick ? 3 : 10));
const warmup = Number(optionValue('warmup', quick ? 1 : 2));
const connections = Number(optionValue('connections', 20));
const batchSize = 20;
const target = 2;
const phones = ['+1 4255550100', '+1 4255550101'];

const workDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-bench-batch-'));
const dataDir = path.join(workDir, 'data');
try {
  process.stdout.write('seeding... ');
  const seed = JSON.parse(
    await runToEnd(process.execPath, ['--import', 'tsx', path.join(benchDir, 'seed.ts'), dataDir, String(userCount)]),
  );
  console.log(`${seed.userCount.toLocaleString('en-US')} users in ${seed.seedMs} ms`);
  const cpuProfileDir = optionValue('cpu-prof', undefined);
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
    const upn = () => `user${Math.floor(Math.random() * userCount)}@${seed.domain}`;
    let n = 0;
    /** Alternates the two phone values, so every write changes something. */
    const nextPhone = () => {
      n += 1;
      return phones[n % phones.length];
    };
    const body = () => JSON.stringify({ mobilePhone: nextPhone() });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    const singleOptions = {
      headers,
      requests: [
        { method: 'PATCH', setupRequest: (request) => ({ ...request, path: `/v1.0/users/${upn()}`, body: body() }) },
      ],
    };
    const batchBody = () =>
      JSON.stringify({
        requests: Array.from({ length: batchSize }, (_, index) => ({
          id: String(index + 1),
          method: 'PATCH',
          url: `/users/${upn()}`,
          headers: { 'Content-Type': 'application/json' },
          body: { mobilePhone: nextPhone() },
        })),
      });
    const batchOptions = {
      headers,
      requests: [
        { method: 'POST', setupRequest: (request) => ({ ...request, path: '/v1.0/$batch', body: batchBody() }) },
      ],
    };
    const updatedByBatch = (responseBody) =>
      JSON.parse(responseBody).responses.filter((item) => item.status === 204).length;

    // The target is judged with `connections` clients saturating the server; the same pair from one client sending
    // one request at a time (a script's loop) is printed after it for context.
    const modes = [
      { label: `${connections} connections (judged)`, connections, judged: true },
      ...(connections === 1 ? [] : [{ label: '1 connection, one request at a time (context)', connections: 1 }]),
    ];
    for (const mode of modes) {
      const single = await measure(
        'single PATCH',
        server,
        { ...singleOptions, connections: mode.connections },
        () => 1,
      );
      const batched = await measure(
        '$batch of 20 PATCH',
        server,
        { ...batchOptions, connections: mode.connections },
        updatedByBatch,
      );
      const ratio = batched.usersPerSecond / single.usersPerSecond;
      console.log(`\n${mode.label}`);
      for (const row of [single, batched]) {
        console.log(
          `${row.label.padEnd(20)} ${Math.round(row.usersPerSecond).toLocaleString('en-US').padStart(8)} users/s` +
            `  ${Math.round(row.rps).toLocaleString('en-US').padStart(7)} req/s  p99 ${row.p99.toFixed(1)} ms` +
            `  server CPU ${percent(row.serverCpu)}${row.failed > 0 ? `  (${row.failed} failed)` : ''}`,
        );
      }
      console.log(
        mode.judged
          ? `ratio ${ratio.toFixed(2)} (target >= ${target} ${ratio >= target ? 'OK' : 'MISSED'})`
          : `ratio ${ratio.toFixed(2)} (context, not judged)`,
      );
    }
  } finally {
    await server.stop();
  }
} finally {
  if (!argv.includes('--keep')) rmSync(workDir, { recursive: true, force: true });
  else console.log(`kept ${workDir}`);
}

/** Warm-up, then the measured run; `updatedBy` counts the users one 2xx response updated. */
async function measure(label, server, options, updatedBy) {
  const base = { url: `http://127.0.0.1:${server.port}`, connections, ...options };
  if (warmup > 0) await autocannon({ ...base, duration: warmup });
  let updated = 0;
  const requests = base.requests.map((request) => ({
    ...request,
    onResponse: (status, responseBody) => {
      if (status >= 200 && status < 300) updated += updatedBy(responseBody);
    },
  }));
  const cpuBefore = server.cpuSeconds();
  const started = process.hrtime.bigint();
  const result = await autocannon({ ...base, requests, duration });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    label,
    usersPerSecond: updated / result.duration,
    rps: result['2xx'] / result.duration,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
    serverCpu: (server.cpuSeconds() - cpuBefore) / seconds,
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
