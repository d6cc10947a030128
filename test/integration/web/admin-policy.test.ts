import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSsprPolicy, type SsprPolicy } from '../../../src/domain/sspr-policy.js';
import { policyFormValues } from '../../../src/http/web/admin/policy-page.js';
import { createPortalUser, postForm, signedInAdmin } from '../../support/admin-session.js';
import { visibleText } from '../../support/form-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

let server: TestServer;

beforeEach(async () => {
  server = await createTestServer({ config: { captcha: 'off' } });
});
afterEach(async () => {
  await server.close();
});

/** The whole policy form as a browser sends it: checked boxes as `on`, unchecked ones absent. */
function policyForm(policy: SsprPolicy, overrides: Record<string, string | boolean> = {}): Record<string, string> {
  const values: Record<string, string | boolean> = { ...policyFormValues(policy), ...overrides };
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === true) fields[name] = 'on';
    else if (typeof value === 'string') fields[name] = value;
  }
  return fields;
}

async function policyEvents() {
  return server.container.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('category', '=', 'Policy')
    .orderBy('seq')
    .execute();
}

describe('admin portal: password reset policy', () => {
  it('shows every field and saves a change, audited with the administrator as initiator, in the history', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const page = await client.get('/admin/policy');
    expect(page.status).toBe(200);
    const text = visibleText(page.html);
    for (const label of [
      'Self-service password reset enabled for',
      'Number of methods required to reset',
      'Methods available to users',
      'Number of questions required to register',
      'Number of questions required to reset',
      'Require users to register when signing in',
      'Number of days before users are asked to reconfirm',
      'Notify users on password resets',
      'Notify all admins when other admins reset their password',
      'Custom helpdesk email or URL',
      'Blocked country calling codes',
      'Custom banned passwords',
      'Custom security questions',
      'Administrator policy',
      'Branding',
      'Change history',
    ])
      expect(text).toContain(label);
    expect(page.html).toMatch(/<input type="radio" id="enablementType-all" name="enablementType" value="all" checked/);
    expect(page.html).not.toMatch(/<script|style=/);

    const saved = await client.submit(
      '/admin/policy',
      policyForm(defaultSsprPolicy, {
        numberOfAuthenticationMethodsRequired: '2',
        securityQuestionsOptionEnabled: true,
        numberOfQuestionsToRegister: '4',
        registrationReconfirmIntervalInDays: '90',
        customHelpdeskEmailOrUrl: 'https://help.contoso.com',
        blockedCountryCodes: '+44, 7',
        customBannedPasswords: 'Contoso\nfabrikam\n',
        notifyOnAdminPasswordReset: false,
      }),
    );
    expect(saved.url).toBe('/admin/policy?done=saved');
    expect(visibleText(saved.html)).toContain('The password reset policy was saved.');
    const policy = await server.container.policies.get(operator);
    expect(policy).toMatchObject({
      numberOfAuthenticationMethodsRequired: 2,
      securityQuestionsOptionEnabled: true,
      numberOfQuestionsToRegister: 4,
      registrationReconfirmIntervalInDays: 90,
      customHelpdeskEmailOrUrl: 'https://help.contoso.com',
      blockedCountryCodes: ['44', '7'],
      customBannedPasswords: ['contoso', 'fabrikam'],
      notifyOnAdminPasswordReset: false,
      emailOptionEnabled: true,
    });

    const [event] = await policyEvents();
    expect(event?.activity_display_name).toBe('Update password reset policy');
    const initiator = JSON.parse(event?.initiated_by ?? '{}');
    expect(initiator.user.userPrincipalName).toBe('gadmin@contoso.com');
    expect(initiator.user.ipAddress).toBeTruthy();
    const changed = JSON.parse(event?.target_resources ?? '[]')[0].modifiedProperties.map(
      (property: { displayName: string }) => property.displayName,
    );
    expect(changed).toEqual(
      expect.arrayContaining(['numberOfAuthenticationMethodsRequired', 'blockedCountryCodes', 'customBannedPasswords']),
    );
    expect(changed).not.toContain('emailOptionEnabled');

    const history = visibleText(saved.html);
    expect(history).toContain('numberOfAuthenticationMethodsRequired: 1 → 2');
    expect(history).toContain('gadmin@contoso.com');
    // The form shows what is now in force.
    expect(saved.html).toMatch(/value="2" checked/);

    // Sending the same form again changes nothing and records nothing.
    const again = await client.submit('/admin/policy', policyForm(policy));
    expect(visibleText(again.html)).toContain('Nothing changed');
    expect(await policyEvents()).toHaveLength(1);
  });

  it('shows a message beside each field the policy refuses and keeps what was typed', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await client.get('/admin/policy');
    const cases: [Record<string, string | boolean>, string][] = [
      [{ registrationReconfirmIntervalInDays: 'soon' }, 'Enter a number of days from 0 to 730'],
      [{ registrationReconfirmIntervalInDays: '999' }, 'Enter a number of days from 0 to 730'],
      [
        { numberOfQuestionsToRegister: '3', numberOfQuestionsToReset: '5' },
        'at least as many as the questions required to reset',
      ],
      [
        { numberOfAuthenticationMethodsRequired: '2', emailOptionEnabled: false },
        'make at least that many methods available',
      ],
      [{ customHelpdeskEmailOrUrl: 'javascript:alert(1)' }, 'Enter an email address or a web address'],
      [{ blockedCountryCodes: '44, UK' }, 'Enter country calling codes of 1 to 3 digits'],
      [{ customBannedPasswords: 'contoso\nabc' }, 'each 4 to 16 characters'],
      [{ enablementType: 'selected' }, 'Choose who can reset their password'],
      [{ enablementType: 'everyone' }, 'Choose who can reset their password'],
    ];
    for (const [overrides, message] of cases) {
      const page = await client.submit('/admin/policy', policyForm(defaultSsprPolicy, overrides));
      expect(page.status, message).toBe(400);
      const text = visibleText(page.html);
      expect(text).toContain('There is a problem');
      expect(text).toContain(message);
      expect(page.html).toContain('class="field-error"');
    }
    const kept = await client.submit(
      '/admin/policy',
      policyForm(defaultSsprPolicy, { registrationReconfirmIntervalInDays: 'soon', blockedCountryCodes: '33' }),
    );
    expect(kept.html).toContain('value="soon"');
    expect(kept.html).toContain('value="33"');
    expect(kept.html).toMatch(/aria-invalid="true"[^>]*aria-describedby="registrationReconfirmIntervalInDays-hint/);
    expect(await server.container.policies.get(operator)).toEqual(defaultSsprPolicy);
    expect(await policyEvents()).toHaveLength(0);
  });

  it('saves nothing over a change another administrator made since the form was shown', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await client.get('/admin/policy');
    await server.container.policies.change(operator, { customHelpdeskEmailOrUrl: 'helpdesk@contoso.com' });
    const page = await client.submit(
      '/admin/policy',
      policyForm(defaultSsprPolicy, { notifyUsersOnPasswordReset: false }),
    );
    expect(page.status).toBe(409);
    expect(visibleText(page.html)).toContain('Another administrator changed the policy while you were editing it.');
    expect(page.html).toContain('value="helpdesk@contoso.com"');
    const policy = await server.container.policies.get(operator);
    expect(policy.customHelpdeskEmailOrUrl).toBe('helpdesk@contoso.com');
    expect(policy.notifyUsersOnPasswordReset).toBe(true);
    // Sent again from the refreshed form, the change is saved and keeps the other administrator's.
    const saved = await client.submit('/admin/policy', policyForm(policy, { notifyUsersOnPasswordReset: false }));
    expect(saved.url).toBe('/admin/policy?done=saved');
    expect(await server.container.policies.get(operator)).toMatchObject({
      customHelpdeskEmailOrUrl: 'helpdesk@contoso.com',
      notifyUsersOnPasswordReset: false,
    });
  });

  it('refuses a change without the session CSRF token', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await client.get('/admin/policy');
    const refused = await client.request(
      'POST',
      '/admin/policy',
      new URLSearchParams({
        ...policyForm(defaultSsprPolicy, { numberOfAuthenticationMethodsRequired: '2' }),
        csrf_token: 'forged',
      }).toString(),
    );
    expect(refused.status).toBe(403);
    expect(visibleText(refused.html)).toContain('This form has expired');
    expect((await server.container.policies.get(operator)).numberOfAuthenticationMethodsRequired).toBe(1);
  });

  it('shows the policy read-only to an Authentication Administrator and refuses their changes; a Helpdesk Administrator cannot see it', async () => {
    const client = await signedInAdmin(server, 'authadmin@contoso.com', 'Authentication Administrator');
    const page = await client.get('/admin/policy');
    expect(page.status).toBe(200);
    const text = visibleText(page.html);
    expect(text).toContain('only a Global Administrator can change it');
    expect(text).not.toContain('Save');
    expect(text).not.toContain('Add question');
    expect(page.html).toMatch(/id="registrationReconfirmIntervalInDays"[^>]*disabled/);
    expect(text).toContain('don’t include reading the audit log');

    const refused = await postForm(
      client,
      '/admin/policy',
      policyForm(defaultSsprPolicy, { numberOfAuthenticationMethodsRequired: '2' }),
    );
    expect(refused.status).toBe(403);
    expect(visibleText(refused.html)).toContain('You don’t have permission');
    // An invalid form from a role that may not change the policy is refused too, not answered with field messages.
    const invalid = await postForm(
      client,
      '/admin/policy',
      policyForm(defaultSsprPolicy, { registrationReconfirmIntervalInDays: 'many' }),
    );
    expect(invalid.status).toBe(403);
    expect(visibleText(invalid.html)).toContain('You don’t have permission');
    const question = await postForm(client, '/admin/policy/questions', { question: 'What was your first car?' });
    expect(question.status).toBe(403);
    expect((await server.container.policies.get(operator)).numberOfAuthenticationMethodsRequired).toBe(1);
    expect(await policyEvents()).toHaveLength(0);

    const helpdesk = await signedInAdmin(server, 'helpdesk@contoso.com', 'Helpdesk Administrator');
    const denied = await helpdesk.get('/admin/policy');
    expect(denied.status).toBe(403);
    expect(visibleText(denied.html)).toContain('You don’t have permission');
  });

  it('adds and deletes custom security questions, with messages and audit events', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await client.get('/admin/policy');
    const added = await client.submit('/admin/policy/questions', { question: 'What was the name of your first ship?' });
    expect(added.url).toBe('/admin/policy?done=question-added#questions');
    expect(visibleText(added.html)).toContain('What was the name of your first ship?');

    // (The delete buttons' forms come first on the page: post the add form by its exact action.)
    const short = await postForm(client, '/admin/policy/questions', { question: 'Hi' });
    expect(short.status).toBe(400);
    expect(visibleText(short.html)).toContain('Enter a question of 3 to 200 characters.');
    expect(short.html).toContain('value="Hi"');

    await client.get('/admin/policy');
    const deleted = await client.submit('/admin/policy/questions/delete');
    expect(visibleText(deleted.html)).toContain('The question was deleted.');
    expect(visibleText(deleted.html)).toContain('No custom question.');
    expect((await policyEvents()).map((event) => event.activity_display_name)).toEqual([
      'Add custom security question',
      'Delete custom security question',
    ]);
  });

  it('shows the administrator policy as fixed', async () => {
    await createPortalUser(server, 'adele@contoso.com');
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const text = visibleText((await client.get('/admin/policy')).html);
    const adminSection = text.slice(text.indexOf('Administrator policy'));
    expect(adminSection).toContain('All administrators');
    expect(adminSection).toMatch(/Number of methods required to reset 2/);
    expect(adminSection).toContain('Security questions Never');
  });
});
