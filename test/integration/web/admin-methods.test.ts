import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/domain/audit.js';
import { predefinedSecurityQuestions } from '../../../src/domain/security-questions.js';
import { SqlSsprLockoutRepository } from '../../../src/store/sspr-lockout-repository.js';
import { adminTestPassword, createPortalUser, signedInAdmin } from '../../support/admin-session.js';
import { FormClient, visibleText } from '../../support/form-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

let server: TestServer;
let now: Date;

beforeEach(async () => {
  now = new Date('2026-11-25T09:00:00Z');
  server = await createTestServer({ config: { captcha: 'off' }, clock: () => now });
});
afterEach(async () => {
  await server.close();
});

async function auditEvents() {
  return server.container.database.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
}

/** The last audit event: its activity, its initiator's UPN, its target's UPN. */
async function lastEvent() {
  const events = await auditEvents();
  const event = events[events.length - 1];
  return {
    activity: event?.activity_display_name,
    initiator: JSON.parse(event?.initiated_by ?? '{}').user?.userPrincipalName,
    target: JSON.parse(event?.target_resources ?? '[]')[0]?.userPrincipalName,
  };
}

function usableRow(html: string, method: string): string {
  const table = html.match(/<table class="data" id="usable">([\s\S]*?)<\/table>/)?.[1] ?? '';
  const row = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].find((m) => visibleText(m[1] ?? '').startsWith(method));
  return visibleText(row?.[1] ?? '');
}

describe('a user’s Authentication methods page', () => {
  it('explains why each method is or is not usable, with pre-populated data', async () => {
    const adele = await createPortalUser(server, 'adele@contoso.com', undefined, {
      mobilePhone: '425-555-0100',
      otherMails: ['adele@fabrikam.com'],
    });
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const page = await client.get(`/admin/users/${adele.id}/authentication-methods`);
    expect(page.status).toBe(200);
    const text = visibleText(page.html);
    expect(text).toContain('Usable authentication methods');
    expect(text).toContain('Can reset their password now: Yes');
    expect(usableRow(page.html, 'Mobile phone')).toContain('Not usable');
    expect(usableRow(page.html, 'Mobile phone')).toContain('Not in the format SSPR needs');
    expect(usableRow(page.html, 'Email')).toContain('Profile: Alternate email (pre-populated)');
    expect(usableRow(page.html, 'Email')).toMatch(
      /adele@fabrikam\.com Profile: Alternate email \(pre-populated\) Usable/,
    );
    expect(usableRow(page.html, 'Office phone')).toContain('No value is set.');
    expect(usableRow(page.html, 'Security questions')).toContain('No value is set.');
    expect(text).toContain('Registered: No, 0 questions');
  });

  it('adds, edits and deletes methods, each audited with the admin as initiator', async () => {
    const adele = await createPortalUser(server, 'adele@contoso.com');
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const base = `/admin/users/${adele.id}/authentication-methods`;
    await client.get(`${base}/add`);
    const invalid = await client.submit(`${base}/add`, { method: 'mobile', value: '425-555-0100' });
    expect(invalid.status).toBe(400);
    expect(visibleText(invalid.html)).toContain("Invalid value specified for property 'phoneNumber'");
    const prerequisite = await client.submit(`${base}/add`, { method: 'alternateMobile', value: '+1 4255550101' });
    expect(visibleText(prerequisite.html)).toContain('requires a mobile phone method first');

    await client.get(`${base}/add`);
    const added = await client.submit(`${base}/add`, { method: 'mobile', value: '+1 4255550100' });
    expect(added.url).toBe(`${base}?done=added`);
    expect(visibleText(added.html)).toContain('The method was added.');
    expect(usableRow(added.html, 'Mobile phone')).toMatch(/\+1 4255550100 Authentication phone Usable/);
    expect(await lastEvent()).toEqual({
      activity: 'Admin registered security info',
      initiator: 'gadmin@contoso.com',
      target: 'adele@contoso.com',
    });

    await client.get(`${base}/add`);
    await client.submit(`${base}/add`, { method: 'email', value: 'adele@fabrikam.com' });
    expect(usableRow(client.last?.html ?? '', 'Email')).toContain('Authentication email Usable');

    await client.get(`${base}/edit?method=mobile`);
    expect(client.last?.html).toContain('value="+1 4255550100"');
    const edited = await client.submit(`${base}/edit`, { value: '+1 4255550199' });
    expect(visibleText(edited.html)).toContain('The method was updated.');
    expect((await lastEvent()).activity).toBe('Admin updated security info');

    await client.get(`${base}/delete?method=email`);
    const deleted = await client.submit(`${base}/delete`);
    expect(visibleText(deleted.html)).toContain('The method was deleted.');
    expect((await lastEvent()).activity).toBe('Admin deleted security info');
    expect(await server.container.authenticationMethods.listEmailMethods(operator, adele.id)).toEqual([]);
  });

  it('shows security questions only as registered yes/no and a count', async () => {
    const adele = await createPortalUser(server, 'adele@contoso.com');
    const self: RequestContext = {
      principal: {
        kind: 'user',
        userId: adele.id,
        userPrincipalName: adele.userPrincipalName,
        scopes: new Set(),
        roles: new Set(),
      },
      correlationId: 'test',
      ipAddress: null,
    };
    const ids = Object.keys(predefinedSecurityQuestions).slice(0, 3);
    await server.container.securityQuestions.register(
      self,
      adele.id,
      ids.map((questionId, index) => ({ questionId, answer: `answer number ${index}` })),
    );
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const page = await client.get(`/admin/users/${adele.id}/authentication-methods`);
    expect(visibleText(page.html)).toContain('Registered: Yes, 3 questions');
    for (const id of ids) {
      expect(page.html).not.toContain(id);
      expect(page.html).not.toContain(predefinedSecurityQuestions[id]);
    }
    expect(page.html).not.toContain('answer number');
  });

  it('requires re-registration, revokes sessions and unblocks, each audited', async () => {
    const adele = await createPortalUser(server, 'adele@contoso.com', undefined, { mobilePhone: '+1 4255550100' });
    const base = `/admin/users/${adele.id}/authentication-methods`;
    // Adele is signed in to My Security Info.
    const adeleClient = new FormClient(server.app);
    await adeleClient.get('/mysecurityinfo');
    await adeleClient.submit('/mysecurityinfo/signin', { username: 'adele@contoso.com', password: adminTestPassword });
    await new SqlSsprLockoutRepository(server.container.database.db).block(
      { subjectKey: 'some-key', userId: adele.id, until: new Date(now.getTime() + 3_600_000), reason: 'test', at: now },
      null,
    );

    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const page = await client.get(base);
    expect(visibleText(page.html)).toContain('Blocked from self-service password reset until');
    const unblocked = await client.submit(`${base}/unblock`);
    expect(visibleText(unblocked.html)).toContain('The user can use self-service password reset again.');
    expect(visibleText(unblocked.html)).toContain('Not blocked from self-service password reset.');
    expect(await lastEvent()).toEqual({
      activity: 'Unblock user from self-service password reset',
      initiator: 'gadmin@contoso.com',
      target: 'adele@contoso.com',
    });

    const reregister = await client.submit(`${base}/require-reregister`);
    expect(visibleText(reregister.html)).toContain('must register their security info again');
    expect((await lastEvent()).activity).toBe('Admin required re-registration of security info');

    const revoked = await client.submit(`${base}/revoke-sessions`);
    expect(visibleText(revoked.html)).toContain('The user’s sessions were revoked.');
    expect((await lastEvent()).activity).toBe('Invalidate all refresh tokens for user');
    expect(visibleText((await adeleClient.get('/mysecurityinfo')).html)).toContain('Sign in');
    // The administrator's own session is untouched.
    expect((await client.get(base)).status).toBe(200);
  });

  it('resets a password (generated, shown once; typed, checked by the policy), forcing a change', async () => {
    const adele = await createPortalUser(server, 'adele@contoso.com');
    const base = `/admin/users/${adele.id}/authentication-methods`;
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await client.get(`${base}/reset-password`);
    const weak = await client.submit(`${base}/reset-password`, { passwordMode: 'type', password: 'password' });
    expect(weak.status).toBe(400);
    expect(weak.html).toContain('role="alert"');
    const done = await client.submit(`${base}/reset-password`, { passwordMode: 'generate' });
    expect(visibleText(done.html)).toContain('The password was reset.');
    const generated = done.html.match(/<code class="secret">([^<]+)<\/code>/)?.[1] as string;
    expect(generated.length).toBeGreaterThanOrEqual(12);
    expect(await lastEvent()).toEqual({
      activity: 'Reset password (by admin)',
      initiator: 'gadmin@contoso.com',
      target: 'adele@contoso.com',
    });
    expect(JSON.stringify(await auditEvents())).not.toContain(generated);
    // Adele must change it: My Security Info sends her to /passwordreset.
    const adeleClient = new FormClient(server.app);
    await adeleClient.get('/mysecurityinfo');
    const signIn = await adeleClient.submit('/mysecurityinfo/signin', {
      username: 'adele@contoso.com',
      password: generated,
    });
    expect(visibleText(signIn.html)).toContain('/passwordreset');
  });

  it('shows the directory’s refusal when a synced user’s password cannot be written back', async () => {
    const lee = await createPortalUser(server, 'lee@contoso.com');
    await server.container.database.db
      .updateTable('users')
      .set({ on_premises_sync_enabled: 1 } as never)
      .where('id', '=', lee.id)
      .execute();
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await client.get(`/admin/users/${lee.id}/authentication-methods/reset-password`);
    expect(visibleText(client.last?.html ?? '')).toContain('written back to the on-premises directory');
    const refused = await client.submit(`/admin/users/${lee.id}/authentication-methods/reset-password`, {
      passwordMode: 'generate',
    });
    expect(refused.status).toBe(400);
    expect(visibleText(refused.html)).toContain('the password was not changed');
  });

  it('masks numbers for an Authentication Administrator and refuses them an administrator’s methods', async () => {
    const adele = await createPortalUser(server, 'adele@contoso.com');
    await server.container.authenticationMethods.addPhoneMethod(operator, adele.id, {
      phoneNumber: '+1 4255550100',
      phoneType: 'mobile',
    });
    const admin = await createPortalUser(server, 'pat@contoso.com', 'Global Administrator');
    await server.container.authenticationMethods.addPhoneMethod(operator, admin.id, {
      phoneNumber: '+1 4255550177',
      phoneType: 'mobile',
    });
    const client = await signedInAdmin(server, 'helpdesk@contoso.com', 'Authentication Administrator');
    const page = await client.get(`/admin/users/${adele.id}/authentication-methods`);
    expect(page.html).not.toContain('4255550100');
    expect(visibleText(page.html)).toContain('Phone numbers are masked for your role.');
    // They may still change a non-admin's methods; the form never holds the masked number.
    await client.get(`/admin/users/${adele.id}/authentication-methods/edit?method=mobile`);
    expect(client.last?.html).not.toMatch(/<input[^>]*id="value"[^>]*value="[^"]+"/);
    const edited = await client.submit(`/admin/users/${adele.id}/authentication-methods/edit`, {
      value: '+1 4255550111',
    });
    expect(visibleText(edited.html)).toContain('The method was updated.');

    const adminPage = await client.get(`/admin/users/${admin.id}/authentication-methods`);
    expect(adminPage.status).toBe(200);
    expect(visibleText(adminPage.html)).toContain('Your role lets you see these methods but not change them.');
    expect(adminPage.html).not.toContain(`/admin/users/${admin.id}/authentication-methods/add`);
    expect(adminPage.html).not.toContain('4255550177');
    // A forged form is refused by the use case itself: 403, nothing changes.
    const forged = await client.request(
      'POST',
      `/admin/users/${admin.id}/authentication-methods/delete`,
      new URLSearchParams({ csrf_token: csrfOf(adminPage.html), method: 'mobile' }).toString(),
    );
    expect(forged.status).toBe(403);
    expect(visibleText(forged.html)).toContain('You don’t have permission');
    const reset = await client.request(
      'POST',
      `/admin/users/${admin.id}/authentication-methods/reset-password`,
      new URLSearchParams({ csrf_token: csrfOf(adminPage.html), passwordMode: 'generate' }).toString(),
    );
    expect(reset.status).toBe(403);
    expect(await server.container.authenticationMethods.listPhoneMethods(operator, admin.id)).toHaveLength(1);
  });

  it('refuses reading methods to a role that may not (Password Administrator)', async () => {
    const adele = await createPortalUser(server, 'adele@contoso.com');
    const client = await signedInAdmin(server, 'pw@contoso.com', 'Password Administrator');
    const page = await client.get(`/admin/users/${adele.id}/authentication-methods`);
    expect(page.status).toBe(403);
  });

  it('answers 404 for an unknown user', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const page = await client.get('/admin/users/00000000-0000-0000-0000-000000000000/authentication-methods');
    expect(page.status).toBe(404);
    expect(visibleText(page.html)).toContain('Not found');
    expect(page.html).toContain('<a href="/admin">Back to the dashboard</a>');
  });
});

function csrfOf(html: string): string {
  return html.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
}
