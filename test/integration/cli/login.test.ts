import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, sspr } from '../../support/run-sspr.js';
import { createTestServer, type TestServer } from '../../support/test-container.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The admin's one-time password, left by the first start. */
function adminPassword(dataDir: string): string {
  const lines = readFileSync(path.join(dataDir, 'initial-admin-password.txt'), 'utf8').split('\n');
  return lines.filter((line) => line && !line.startsWith('#')).pop() as string;
}

/** What the person does in a browser: open the page, enter the code and credentials. */
async function completeDeviceLogin(verificationUri: string, userCode: string, username: string, password: string) {
  const page = await fetch(verificationUri);
  const html = await page.text();
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  const cookie = page.headers.get('set-cookie')?.split(';')[0];
  if (!csrf || !cookie) throw new Error('no CSRF token on the sign-in page');
  const response = await fetch(verificationUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ csrf_token: csrf, user_code: userCode, username, password, action: 'approve' }),
  });
  expect(response.status, await response.text()).toBe(200);
}

describe('sspr login, whoami and logout against a remote server', { timeout: 90_000 }, () => {
  let server: TestServer;
  let baseUrl: string;
  const configHome = mkdtempSync(path.join(os.tmpdir(), 'sspr-login-'));
  const env = { XDG_CONFIG_HOME: configHome };

  beforeAll(async () => {
    server = await createTestServer();
    const address = await server.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = new URL(address).origin;
  });
  afterAll(async () => {
    await server.close();
    rmSync(configHome, { recursive: true, force: true });
  });

  it('signs an admin in with the device code flow and keeps the session private', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'login', '--server', baseUrl, '--tenant', server.container.tenant.tenantId],
      {
        cwd: root,
        env: cleanEnv(env),
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const prompt = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (/enter the code \S+/.test(stderr)) resolve(stderr);
      });
      child.on('exit', () => reject(new Error(`login exited early: ${stderr}`)));
    });
    const uri = /open the page (\S+)/.exec(prompt)?.[1] as string;
    const code = /enter the code (\S+)/.exec(prompt)?.[1] as string;
    expect(uri).toBe(`${baseUrl}/devicelogin`);
    await completeDeviceLogin(uri, code, 'admin@contoso.com', adminPassword(server.dataDir));
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(exitCode, stderr).toBe(0);
    expect(stdout).toContain('as admin@contoso.com');

    const file = path.join(configHome, 'opensspr', 'session.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(stderr).not.toContain(JSON.parse(readFileSync(file, 'utf8')).accessToken);

    const whoami = await sspr(['whoami'], env);
    expect(whoami.code, whoami.stderr).toBe(0);
    expect(whoami.stdout).toContain('admin@contoso.com');

    expect((await sspr(['logout'], env)).stdout).toContain('signed out');
    const after = await sspr(['whoami'], env);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain('not signed in');
  });

  it('says clearly when the server cannot be reached', async () => {
    const run = await sspr(['login', '--server', 'http://127.0.0.1:9'], env);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^sspr: error: cannot reach/);
  });
});
