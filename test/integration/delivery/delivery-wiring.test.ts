import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { loadConfig } from '../../../src/config.js';
import { createContainer } from '../../../src/container.js';
import { directoryRoles } from '../../../src/domain/permissions.js';
import { createSqliteDatabase } from '../../support/databases.js';
import { signDelegatedToken } from '../../support/delegated-tokens.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';
import { startTwilioStandIn } from '../../support/twilio-stand-in.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'sspr-delivery-wiring-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }) };
}

async function containerWith(settings: Record<string, unknown>, logger = capturingLogger()) {
  const database = await createSqliteDatabase();
  const dataDir = mkdtempSync(path.join(work, 'data-'));
  const config = loadConfig({ env: {}, flags: { dataDir, tenantDomain: 'contoso.com', ...settings } });
  try {
    const container = await createContainer(config, { database: database.store, logger: logger.logger });
    return {
      container,
      lines: logger.lines,
      async close() {
        await container.close();
        await database.dispose();
      },
    };
  } catch (error) {
    await database.dispose();
    throw error;
  }
}

describe('the development outbox by default', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(async () => server.close());

  it('stores codes instead of sending them, lists them newest first, and never logs the code', async () => {
    const delivery = server.container.codeDelivery;
    expect(
      await delivery.sendCode({
        channel: 'email',
        to: 'emily@fabrikam.com',
        code: '40404040',
        purpose: 'passwordReset',
        language: 'en',
      }),
    ).toEqual({ status: 'sent' });
    expect(
      await delivery.sendCode({
        channel: 'sms',
        to: '+1 4255550100 x123',
        code: '50505050',
        purpose: 'securityInfoRegistration',
        language: 'en',
      }),
    ).toEqual({ status: 'sent' });

    const listed = await server.container.outbox.list(operator, { top: 10 });
    expect(listed.map((m) => [m.channel, m.recipient])).toEqual([
      ['sms', '+14255550100'],
      ['email', 'emily@fabrikam.com'],
    ]);
    expect(listed[0]?.body).toContain('50505050');

    const deliveries = JSON.stringify(await server.database.store.db.selectFrom('deliveries').selectAll().execute());
    expect(deliveries).not.toContain('40404040');
    expect(deliveries).not.toContain('50505050');
  });

  it('shows the outbox to a Global Administrator over the admin API, newest first, limited by top', async () => {
    const token = signDelegatedToken(server, {
      user: { id: crypto.randomUUID(), userPrincipalName: 'admin@contoso.com' },
      roles: [directoryRoles.globalAdministrator],
    });
    const response = await server.app.inject({
      method: 'GET',
      url: '/api/admin/v1/outbox?top=1',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json() as { value: { channel: string; body: string }[] };
    expect(body.value).toHaveLength(1);
    expect(body.value[0]?.channel).toBe('sms');

    const bad = await server.app.inject({
      method: 'GET',
      url: '/api/admin/v1/outbox?top=abc',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('refuses other administrators, applications and anonymous callers', async () => {
    const helpdesk = signDelegatedToken(server, {
      user: { id: crypto.randomUUID(), userPrincipalName: 'helpdesk@contoso.com' },
      roles: [directoryRoles.authenticationAdministrator, directoryRoles.globalReader],
    });
    const app = await server.tokenFor(['Directory.ReadWrite.All']);
    for (const token of [helpdesk, app]) {
      const response = await server.app.inject({
        method: 'GET',
        url: '/api/admin/v1/outbox',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.statusCode, response.body).toBe(403);
      expect(response.body).not.toContain('50505050');
    }
    const anonymous = await server.app.inject({ method: 'GET', url: '/api/admin/v1/outbox' });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('choosing the transports from config', () => {
  it('warns loudly once when the outbox is in use', async () => {
    const { lines, close } = await containerWith({});
    try {
      const warnings = lines.filter((line) => line.includes('DEVELOPMENT OUTBOX IN USE'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('email/sms/voice');
      expect(JSON.parse(warnings[0] ?? '{}').level).toBe(40);
    } finally {
      await close();
    }
  });

  it('sends through Twilio when configured, and has no outbox for SMS then', async () => {
    const twilio = await startTwilioStandIn();
    const { container, lines, close } = await containerWith({
      smsProvider: 'twilio',
      twilioApiBaseUrl: twilio.baseUrl,
      twilioAccountSid: twilio.accountSid,
      twilioAuthToken: twilio.authToken,
      twilioFrom: '+15005550006',
    });
    try {
      // Email still goes to the outbox (no smtpUrl), so the warning names only email.
      expect(lines.find((line) => line.includes('DEVELOPMENT OUTBOX IN USE'))).toContain(' email messages');
      const outcome = await container.codeDelivery.sendCode({
        channel: 'voice',
        to: '+1 4255550100 x123',
        code: '60606060',
        purpose: 'passwordReset',
        language: 'en',
      });
      expect(outcome).toEqual({ status: 'sent' });
      const call = await twilio.waitFor();
      expect(call.to).toBe('+14255550100');
      expect(await container.outbox.list(operator)).toEqual([]);
    } finally {
      await close();
      await twilio.stop();
    }
  });

  it('has no outbox at all when every channel really delivers', async () => {
    const { container, lines, close } = await containerWith({
      smtpUrl: 'smtp://127.0.0.1:1',
      smsProvider: 'webhook',
      webhookUrl: 'http://127.0.0.1:1/hook',
      webhookSecret: 'webhook-secret-0123456789',
    });
    try {
      expect(lines.some((line) => line.includes('DEVELOPMENT OUTBOX'))).toBe(false);
      expect(container.outbox.inUse).toBe(false);
      await expect(container.outbox.list(operator)).rejects.toMatchObject({ code: 'resource_not_found' });
    } finally {
      await close();
    }
  });

  it('refuses to start with Twilio selected but its credentials missing', async () => {
    await expect(containerWith({ smsProvider: 'twilio', twilioAccountSid: 'AC123' })).rejects.toThrow(
      /smsProvider "twilio" needs twilioAuthToken, twilioFrom \(environment SSPR_TWILIO_AUTH_TOKEN, SSPR_TWILIO_FROM\)/,
    );
  });

  it('refuses to start with the webhook selected but no secret', async () => {
    await expect(containerWith({ smsProvider: 'webhook', webhookUrl: 'https://sms.contoso.com/hook' })).rejects.toThrow(
      /smsProvider "webhook" needs webhookSecret/,
    );
  });
});

describe('sspr outbox list', () => {
  async function run(args: readonly string[], env: NodeJS.ProcessEnv) {
    let stdout = '';
    let stderr = '';
    const program = buildProgram({
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      env,
    });
    let error: unknown;
    try {
      await program.parseAsync(['node', 'sspr', ...args]);
    } catch (caught) {
      error = caught;
    }
    return { stdout, stderr, error };
  }

  it('prints the newest messages as a table or JSON', async () => {
    const dataDir = mkdtempSync(path.join(work, 'cli-'));
    const env = { SSPR_DATA_DIR: dataDir, SSPR_TENANT_DOMAIN: 'contoso.com', SSPR_LOG_LEVEL: 'silent' };
    const config = loadConfig({ env, flags: {} });
    const container = await createContainer(config, { logger: pino({ level: 'silent' }) });
    await container.codeDelivery.sendCode({
      channel: 'sms',
      to: '+1 4255550100',
      code: '70707070',
      purpose: 'passwordReset',
      language: 'en',
    });
    await container.codeDelivery.sendCode({
      channel: 'email',
      to: 'emily@fabrikam.com',
      code: '80808080',
      purpose: 'passwordReset',
      language: 'en',
    });
    await container.close();

    const table = await run(['outbox', 'list'], env);
    expect(table.error).toBeUndefined();
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^createdDateTime\s+channel\s+recipient\s+subject\s+body$/);
    expect(lines[2]).toContain('emily@fabrikam.com');
    expect(lines[2]).toContain('80808080');
    expect(lines[3]).toContain('+14255550100');

    const json = await run(['outbox', 'list', '--top', '1', '--output', 'json'], env);
    expect(json.error).toBeUndefined();
    const parsed = JSON.parse(json.stdout) as { channel: string }[];
    expect(parsed.map((m) => m.channel)).toEqual(['email']);

    const bad = await run(['outbox', 'list', '--top', '0'], env);
    expect(String(bad.error)).toContain('--top');
  });
});
