import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDraft, userTarget } from '../../../src/domain/audit.js';
import { insertAuditEvent } from '../../../src/store/audit-writer.js';
import { SqlSsprLockoutRepository } from '../../../src/store/sspr-lockout-repository.js';
import { dialectsUnderTest } from '../../support/databases.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

/** The admin portal's queries (dashboard counts, SSPR block and unblock, session revocation) on every dialect. */
describe.each(dialectsUnderTest)('admin portal queries on $name', (dialect) => {
  let server: TestServer;
  let now: Date;
  let user: { id: string; displayName: string | null; userPrincipalName: string };

  beforeAll(async () => {
    now = new Date('2026-11-25T09:00:00Z');
    server = await createTestServer({ database: await dialect.create(), clock: () => now });
    user = await server.container.users.createUser(operator, {
      userPrincipalName: 'ada@contoso.com',
      displayName: 'Ada',
      accountEnabled: true,
      mailNickname: 'ada',
      mobilePhone: '+44 7700900123',
      passwordProfile: { password: 'Analytical-Engine-1843', forceChangePasswordNextSignIn: false },
    });
  });
  afterAll(async () => server.close());

  it('counts resets per day and blocked users for the dashboard', async () => {
    const event = (activity: string, at: string) =>
      insertAuditEvent(
        server.container.database.db,
        auditDraft(operator, {
          activity,
          category: 'UserManagement',
          service: 'Self-service Password Management',
          operationType: 'Update',
          targets: [userTarget(user)],
        }),
        new Date(at),
      );
    await event('Reset password (self-service)', '2026-11-20T08:00:00Z');
    await event('Reset password (self-service)', '2026-11-20T23:59:00Z');
    await event('User registered all required security info', '2026-11-21T10:00:00Z');
    await event('Reset password (self-service)', '2026-09-01T10:00:00Z');
    await new SqlSsprLockoutRepository(server.container.database.db).block(
      { subjectKey: 'x', userId: user.id, until: new Date(now.getTime() + 60_000), reason: 'test', at: now },
      null,
    );
    const report = await server.container.reports.dashboard(operator);
    expect(report.days).toHaveLength(30);
    expect(report.days[29]?.day).toBe('2026-11-25');
    expect(report.days.find((day) => day.day === '2026-11-20')).toEqual({
      day: '2026-11-20',
      resets: 2,
      registrations: 0,
    });
    expect(report.days.find((day) => day.day === '2026-11-21')?.registrations).toBe(1);
    expect(report.days.reduce((sum, day) => sum + day.resets, 0)).toBe(2);
    expect(report.blockedUsers).toBe(1);
    expect(report.summary?.capableNow).toBeGreaterThanOrEqual(1);
  });

  it('shows and lifts an SSPR block, and revokes sessions, each with its audit event', async () => {
    const actions = server.container.userActions;
    expect(await actions.ssprBlock(operator, user.id)).toEqual(new Date(now.getTime() + 60_000));
    await actions.unblockSspr(operator, user.id);
    expect(await actions.ssprBlock(operator, user.id)).toBeNull();
    await actions.revokeSessions(operator, user.id);
    await actions.requireReregistration(operator, user.id);
    const activities = (
      await server.container.database.db.selectFrom('audit_events').select('activity_display_name').execute()
    ).map((row) => row.activity_display_name);
    expect(activities).toEqual(
      expect.arrayContaining([
        'Unblock user from self-service password reset',
        'Invalidate all refresh tokens for user',
        'Admin required re-registration of security info',
      ]),
    );
  });
});
