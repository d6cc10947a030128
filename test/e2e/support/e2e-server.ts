import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../../../src/config.js';
import { type Container, createContainer } from '../../../src/container.js';
import type { RequestContext } from '../../../src/domain/audit.js';
import { cleanEnv } from '../../support/run-sspr.js';
import { type SmtpSink, startSmtpSink } from '../../support/smtp-sink.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../support/twilio-stand-in.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export const operator: RequestContext = {
  principal: { kind: 'operator', name: 'e2e' },
  correlationId: 'e2e-seed',
  ipAddress: null,
};

export const tenantDomain = 'contoso.com';
const twilioFrom = '+14255550000';

export interface E2eServer {
  /** `http://127.0.0.1:PORT` of the real `sspr serve` process. */
  readonly baseUrl: string;
  readonly dataDir: string;
  readonly tenantId: string;
  /** The server's stdout and stderr. */
  readonly logFile: string;
  readonly smtp: SmtpSink;
  readonly twilio: TwilioStandIn;
  /** An app-only Graph token from the real token endpoint (the seed registered an app with these permissions). */
  appToken(): Promise<string>;
  /** The captured server log so far. */
  logText(): string;
  stop(): Promise<void>;
}

/** Application permissions of the app the seed registers for the tests' Graph and admin API calls. */
const appPermissions = [
  'AuditLog.Read.All',
  'Policy.ReadWrite.AuthenticationMethod',
  'User.Read.All',
  'UserAuthenticationMethod.Read.All',
];

/**
 * A fresh data folder seeded in-process with the real container, then the real server as a child process
 * (`node --import tsx src/main.ts serve`) wired to a real SMTP sink and the Twilio stand-in. One per test file.
 */
export async function startE2eServer(name: string, seed: (container: Container) => Promise<void>): Promise<E2eServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `sspr-e2e-${name}-`));
  const seedConfig = loadConfig({
    env: {},
    flags: { dataDir, tenantDomain, logLevel: 'silent', captcha: 'off' },
  });
  const container = await createContainer(seedConfig, { logger: pino({ level: 'silent' }) });
  let tenantId: string;
  let app: { clientId: string; clientSecret: string };
  try {
    tenantId = container.tenant.tenantId;
    const created = await container.apps.createApp(operator, {
      displayName: 'e2e test harness',
      permissions: appPermissions,
    });
    app = { clientId: created.app.appId, clientSecret: created.clientSecret };
    await seed(container);
  } finally {
    await container.close();
  }

  const smtp = await startSmtpSink();
  const twilio = await startTwilioStandIn();
  const logDir = path.join(root, 'test-artifacts', 'e2e');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}-server.log`);
  const log = createWriteStream(logFile);

  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'serve', '--host', '127.0.0.1', '--port', '0'],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({
        SSPR_DATA_DIR: dataDir,
        SSPR_TENANT_DOMAIN: tenantDomain,
        SSPR_SMTP_URL: smtp.url,
        SSPR_MAIL_FROM: 'Contoso IT <it@contoso.com>',
        SSPR_SMS_PROVIDER: 'twilio',
        SSPR_TWILIO_API_BASE_URL: twilio.baseUrl,
        SSPR_TWILIO_ACCOUNT_SID: twilio.accountSid,
        SSPR_TWILIO_AUTH_TOKEN: twilio.authToken,
        SSPR_TWILIO_FROM: twilioFrom,
        SSPR_CAPTCHA: 'off',
        SSPR_LOG_LEVEL: 'info',
      }),
    },
  );
  let captured = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sspr serve did not start in 30 s:\n${captured}`)), 30_000);
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      captured += chunk.toString('utf8');
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(captured);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sspr serve exited with ${code} before listening:\n${captured}`));
    });
  });

  let stopped = false;
  return {
    baseUrl,
    dataDir,
    tenantId,
    logFile,
    smtp,
    twilio,
    async appToken() {
      const response = await fetch(`${baseUrl}/${tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: app.clientId,
          client_secret: app.clientSecret,
          scope: 'https://graph.microsoft.com/.default',
        }),
      });
      if (response.status !== 200) throw new Error(`token request failed: ${await response.text()}`);
      return ((await response.json()) as { access_token: string }).access_token;
    },
    logText() {
      return readFileSync(logFile, 'utf8');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.pid !== undefined && child.exitCode === null) {
        process.kill(child.pid, 'SIGTERM');
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000));
        if ((await Promise.race([exited, timeout])) === 'timeout') process.kill(child.pid, 'SIGKILL');
      }
      await new Promise<void>((resolve) => log.end(resolve));
      await Promise.all([smtp.stop(), twilio.stop()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
