import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SSPR_')));
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A one-shot `sspr` command. */
function sspr(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', ...args],
      { cwd: root, env: cleanEnv(), timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** A running `sspr serve`, its output kept line by line. */
interface Server {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first output line (stdout or stderr) matching, or rejects when the process ends first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** SIGTERM by PID, then the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<Server>();

function startServe(args: readonly string[]): Server {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', ...args], {
    cwd: root,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (match: RegExpMatchArray) => void }>();
  let ended = false;
  const onLine = (line: string) => {
    lines.push(line);
    for (const waiter of waiters) {
      const match = line.match(waiter.pattern);
      if (match) {
        waiters.delete(waiter);
        waiter.resolve(match);
      }
    }
  };
  if (!child.stdout || !child.stderr) throw new Error('serve was started without pipes');
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = once(child, 'exit').then(([code]) => {
    ended = true;
    return code as number | null;
  });
  const server: Server = {
    child,
    lines,
    waitFor(pattern) {
      for (const line of lines) {
        const match = line.match(pattern);
        if (match) return Promise.resolve(match);
      }
      if (ended) return Promise.reject(new Error(`serve ended without ${pattern}:\n${lines.join('\n')}`));
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve };
        waiters.add(waiter);
        void exited.then((code) => {
          if (waiters.delete(waiter))
            reject(new Error(`serve exited (${code}) without ${pattern}:\n${lines.join('\n')}`));
        });
      });
    },
    async stop() {
      if (!ended && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      const code = await exited;
      running.delete(server);
      return code;
    },
  };
  running.add(server);
  return server;
}

/** The `listening on URL` line (a pino JSON log line), parsed. */
async function listeningUrl(server: Server, scheme: 'http' | 'https'): Promise<URL> {
  const match = await server.waitFor(new RegExp(`listening on (${scheme}://127\\.0\\.0\\.1:(\\d+))`));
  const url = new URL(match[1] as string);
  expect(Number(url.port)).toBeGreaterThan(0);
  return url;
}

function httpsGet(url: URL, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method: 'GET', ca }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

const work = mkdtempSync(path.join(os.tmpdir(), 'sspr-serve-test-'));
const dataDir = path.join(work, 'data');
const tlsDir = path.join(work, 'tls');

afterEach(async () => {
  // A failed test must not leave a server behind.
  for (const server of running) await server.stop();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('sspr serve', { timeout: 90_000 }, () => {
  it('logs "listening on http://127.0.0.1:<port>", answers /healthz and stops on SIGTERM', async () => {
    const server = startServe(['--port', '0', '--data-dir', dataDir]);
    const url = await listeningUrl(server, 'http');

    const health = await fetch(new URL('/healthz', url));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    // The first start created the administrator; its password stays in the file.
    const password = readFileSync(path.join(dataDir, 'initial-admin-password.txt'), 'utf8')
      .split('\n')
      .find((line) => line.length > 0 && !line.startsWith('#'));
    expect(password).toBeTruthy();
    expect(server.lines.join('\n')).not.toContain(password);

    expect(await server.stop()).toBe(0);
    expect(server.lines.some((line) => line.includes('shutting down'))).toBe(true);
  });

  it('issues a token to an app created with the CLI while it runs', async () => {
    const server = startServe(['--port', '0', '--data-dir', dataDir]);
    const url = await listeningUrl(server, 'http');
    const created = await sspr([
      'app',
      'create',
      '--name',
      'serve test',
      '--permissions',
      'User.Read.All',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const app = JSON.parse(created.stdout) as { tenantId: string; clientId: string; clientSecret: string };

    const token = await fetch(new URL(`/${app.tenantId}/oauth2/v2.0/token`, url), {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
      }),
    });
    const tokenBody = (await token.json()) as { access_token?: string };
    expect(token.status, JSON.stringify(tokenBody)).toBe(200);

    const users = await fetch(new URL('/v1.0/users?$select=userPrincipalName', url), {
      headers: { authorization: `Bearer ${tokenBody.access_token}` },
    });
    expect(users.status).toBe(200);
    expect(((await users.json()) as { value: unknown[] }).value).toContainEqual({
      userPrincipalName: 'admin@example.com',
    });
    expect(await server.stop()).toBe(0);
  });

  describe('with a development certificate', () => {
    beforeAll(async () => {
      const run = await sspr(['dev-cert', '--out', tlsDir]);
      expect(run.code, run.stderr).toBe(0);
    });

    it('logs "listening on https://..." and serves HTTPS trusted through the CA', async () => {
      const server = startServe([
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--tls-cert',
        path.join(tlsDir, 'cert.pem'),
        '--tls-key',
        path.join(tlsDir, 'key.pem'),
      ]);
      const url = await listeningUrl(server, 'https');
      const response = await httpsGet(new URL('/healthz', url), readFileSync(path.join(tlsDir, 'ca.pem')));
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ status: 'ok' });
      // Without the CA the certificate is not trusted.
      await expect(httpsGet(new URL('/healthz', url), Buffer.from(''))).rejects.toThrow();
      expect(await server.stop()).toBe(0);
    });

    it('refuses --tls-cert without --tls-key in one line', async () => {
      const run = await sspr([
        'serve',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--tls-cert',
        path.join(tlsDir, 'cert.pem'),
      ]);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/^sspr: error: Invalid configuration: --tls-cert and --tls-key go together\n$/);
    });
  });

  it('fails in one line when the port is taken', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const run = await sspr(['serve', '--port', String(address.port), '--data-dir', dataDir]);
      expect(run.code).not.toBe(0);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^sspr: error: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
