import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditDraft, userTarget } from '../../../src/domain/audit.js';
import { insertAuditEvent } from '../../../src/store/audit-writer.js';
import { SqlSsprLockoutRepository } from '../../../src/store/sspr-lockout-repository.js';
import { FormClient, visibleText } from '../../support/form-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

let server: TestServer;
let now: Date;
const password = 'Quiet-Lantern-Orbit-42';

beforeEach(async () => {
  now = new Date('2026-11-25T09:00:00Z');
  server = await createTestServer({ config: { captcha: 'off' }, clock: () => now });
});
afterEach(async () => {
  await server.close();
});

async function createUser(upn: string, fields: Record<string, unknown> = {}, role?: string) {
  const user = await server.container.users.createUser(operator, {
    userPrincipalName: upn,
    displayName: upn.split('@')[0] as string,
    accountEnabled: true,
    mailNickname: upn.split('@')[0] as string,
    passwordProfile: { password, forceChangePasswordNextSignIn: false },
    ...fields,
  });
  if (role) await server.container.roles.assign(operator, upn, role);
  return user;
}

async function adminClient(upn: string, role: string) {
  await createUser(upn, {}, role);
  const client = new FormClient(server.app);
  await client.get('/admin/signin');
  await client.submit('/admin/signin', { username: upn, password });
  return client;
}

function card(html: string, label: string): string | undefined {
  return visibleText(html).match(new RegExp(`([\\d,]+) ${label}`))?.[1];
}

describe('admin dashboard', () => {
  it('shows who can reset, unusable data by reason, blocked users, 30 days of activity and warnings', async () => {
    await createUser('ready@contoso.com', { mobilePhone: '+1 4255550100' });
    await createUser('dashes@contoso.com', { mobilePhone: '425-555-0100' });
    const registered = await createUser('registered@contoso.com');
    await server.container.authenticationMethods.addPhoneMethod(operator, registered.id, {
      phoneNumber: '+1 4255550101',
      phoneType: 'mobile',
    });
    await new SqlSsprLockoutRepository(server.container.database.db).block(
      { subjectKey: 'k', userId: registered.id, until: new Date(now.getTime() + 3_600_000), reason: 'test', at: now },
      null,
    );
    const reset = (at: string) =>
      insertAuditEvent(
        server.container.database.db,
        auditDraft(operator, {
          activity: 'Reset password (self-service)',
          category: 'UserManagement',
          service: 'Self-service Password Management',
          operationType: 'Update',
          targets: [userTarget(registered)],
        }),
        new Date(at),
      );
    await reset('2026-11-24T10:00:00Z');
    await reset('2026-11-24T11:00:00Z');
    await reset('2026-10-01T11:00:00Z'); // older than 30 days

    const client = await adminClient('gadmin@contoso.com', 'Global Administrator');
    const page = await client.get('/admin');
    expect(page.status).toBe(200);
    expect(card(page.html, 'Can reset now')).toBe('2');
    expect(card(page.html, 'Registered')).toBe('1');
    expect(card(page.html, 'Pre-populated only')).toBe('1');
    expect(card(page.html, 'Blocked from SSPR now')).toBe('1');
    const text = visibleText(page.html);
    expect(text).toContain('Phone number not in the SSPR format: 1');
    expect(text).toContain('Self-service password resets: 2 in the last 30 days, at most 2 a day.');
    expect(text).toContain('2026-11-24 2');
    expect(page.html.match(/<rect /g)).toHaveLength(60);
    expect(text).toContain('Development outbox in use');
    expect(text).toContain('CAPTCHA is off');
    expect(text).toContain('Directory sync is not configured.');
    expect(page.html).not.toMatch(/<script|style=/);
  });

  it('hides what the role may not read (a Password Administrator)', async () => {
    const client = await adminClient('pw@contoso.com', 'Password Administrator');
    const page = await client.get('/admin');
    expect(page.status).toBe(200);
    const text = visibleText(page.html);
    expect(text).toContain('Your role doesn’t allow reading the reset readiness reports.');
    expect(text).toContain('Only Global Administrators see the directory sync status.');
  });
});
