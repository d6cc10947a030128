import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlOutboxRepository } from '../../../src/store/outbox-repository.js';
import { signedInAdmin } from '../../support/admin-session.js';
import { visibleText } from '../../support/form-client.js';
import { createTestServer, type TestServer } from '../../support/test-container.js';

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function storeMessages(target: TestServer) {
  let tick = Date.parse('2026-11-25T09:00:00Z');
  const outbox = new SqlOutboxRepository(target.container.database.db, {
    clock: () => {
      tick += 1000;
      return new Date(tick);
    },
    newId: randomUUID,
  });
  await outbox.send({ to: 'adele@contoso.com', subject: 'Your verification code', text: 'Your code is 482913.' });
  await outbox.sendSms('+14255550100', 'Use 731066 to reset your Contoso password.');
}

describe('admin portal: development outbox', () => {
  it('shows a Global Administrator the stored messages newest first, never cached', async () => {
    server = await createTestServer({ config: { captcha: 'off' } });
    await storeMessages(server);
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    expect(client.last?.html).toContain('href="/admin/outbox"');
    const page = await client.get('/admin/outbox');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    const text = visibleText(page.html);
    expect(text).toContain('Development outbox');
    expect(text.indexOf('731066')).toBeGreaterThan(0);
    expect(text.indexOf('731066')).toBeLessThan(text.indexOf('482913'));
    expect(text).toContain('+14255550100');
    expect(text).toContain('Your verification code');
    expect(page.html).toContain('aria-current="page"');
    expect(page.html).not.toMatch(/<script|style=/);
  });

  it('refuses the codes to every other role', async () => {
    server = await createTestServer({ config: { captcha: 'off' } });
    await storeMessages(server);
    for (const [upn, role] of [
      ['authadmin@contoso.com', 'Authentication Administrator'],
      ['privauth@contoso.com', 'Privileged Authentication Administrator'],
      ['reader@contoso.com', 'Global Reader'],
    ] as const) {
      const client = await signedInAdmin(server, upn, role);
      const page = await client.get('/admin/outbox');
      expect(page.status, role).toBe(403);
      expect(visibleText(page.html)).toContain('Only Global Administrators can see the development outbox');
      expect(page.html).not.toContain('731066');
      expect(page.html).not.toContain('482913');
    }
  });

  it('has no page and no link when every channel really delivers', async () => {
    server = await createTestServer({
      config: {
        captcha: 'off',
        smtpUrl: 'smtp://127.0.0.1:2525',
        smsProvider: 'webhook',
        webhookUrl: 'https://sms.contoso.example/hook',
        webhookSecret: 'a-webhook-secret-of-length',
      },
    });
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    expect(client.last?.html).not.toContain('href="/admin/outbox"');
    expect((await client.get('/admin/outbox')).status).toBe(404);
  });
});
