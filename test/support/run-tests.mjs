#!/usr/bin/env node
// The whole test suite, as the README's test command runs it (and .ci/run runs the README's command):
// 1. installs the Debian packages the suites need (as root), or fails naming the command to run;
// 2. runs the static checks (types, lint, dependency rules);
// 3. makes a development CA for the HTTPS contract tests and trusts it through NODE_EXTRA_CA_CERTS,
//    which Node reads only at start-up, so the test workers are started with it set;
// 4. points the Redis tests at the local Redis when SSPR_TEST_REDIS_URL is unset and one answers there, else at a
//    private redis-server on a free loopback port, stopped at the end;
// 5. points the PostgreSQL half of the store tests at the local PostgreSQL (database `test`, trust auth) when
//    SSPR_TEST_POSTGRES_URL is unset and one answers there;
// 6. runs Vitest.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = path.join(root, '.tmp');

/** Debian packages the current suites need (chromium: the end-to-end suite in test/e2e; slapd, ldap-utils: the
 * directory-sync suites' private OpenLDAP, test/support/slapd.ts; samba, samba-ad-dc, samba-ad-provision: the
 * private Samba AD DC of test/support/samba.ts, run in a network namespace, so the suite runs as root;
 * redis-server: the shared throttling buckets' tests, when no Redis is configured or answering). */
const debianPackages = [
  'chromium',
  'slapd',
  'ldap-utils',
  'samba',
  'samba-ad-dc',
  'samba-ad-provision',
  'redis-server',
];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function ensureDebianPackages(packages) {
  const missing = packages.filter((name) => spawnSync('dpkg', ['-s', name], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`The tests need these Debian packages: ${missing.join(', ')}.\nInstall them as root:\n  ${command}`);
    process.exit(1);
  }
  console.log(`Installing ${missing.join(', ')} ...`);
  run('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${command}`]);
}

ensureDebianPackages(debianPackages);
run('npm', ['run', '--silent', 'check']);

const certDir = path.join(tmp, 'test-certs');
rmSync(certDir, { recursive: true, force: true });
mkdirSync(certDir, { recursive: true });
run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'dev-cert', '--out', certDir], {
  stdio: ['ignore', 'ignore', 'inherit'],
});

const localRedisUrl = 'redis://127.0.0.1:6379/0';

/** True when a Redis server answers PING on 127.0.0.1:`port` within half a second. */
function localRedisAnswers(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (answers) => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** A free loopback port (found free, then closed: redis-server binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A private, memory-only redis-server for this run; resolves once it answers. */
async function startPrivateRedis() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (;;) {
    if (await localRedisAnswers(port)) return { url: `redis://127.0.0.1:${port}/0`, stop: () => child.kill('SIGTERM') };
    const early = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('waiting'), 50))]);
    if (early !== 'waiting') throw new Error(`redis-server exited (${early}) before answering on port ${port}`);
  }
}

const localPostgresUrl = 'postgres://postgres@127.0.0.1:5432/test';

/** True when PostgreSQL accepts `url` within two seconds. */
async function postgresAnswers(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const postgresEnv = {};
if (!process.env.SSPR_TEST_POSTGRES_URL && (await postgresAnswers(localPostgresUrl))) {
  postgresEnv.SSPR_TEST_POSTGRES_URL = localPostgresUrl;
}

const redisEnv = {};
let privateRedis;
if (!process.env.SSPR_TEST_REDIS_URL) {
  if (await localRedisAnswers(6379)) redisEnv.SSPR_TEST_REDIS_URL = localRedisUrl;
  else {
    privateRedis = await startPrivateRedis();
    redisEnv.SSPR_TEST_REDIS_URL = privateRedis.url;
  }
}

// Vitest runs as a child we wait for without blocking, so a signal to this runner is passed on and the private
// redis-server is still stopped.
const vitest = spawn(
  process.execPath,
  [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      ...postgresEnv,
      ...redisEnv,
      NODE_EXTRA_CA_CERTS: path.join(certDir, 'ca.pem'),
      SSPR_TEST_CERT_DIR: certDir,
    },
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => vitest.kill(signal));
const status = await new Promise((resolve, reject) => {
  vitest.once('error', reject);
  vitest.once('exit', (code) => resolve(code ?? 1));
}).finally(() => privateRedis?.stop());
process.exit(status);
