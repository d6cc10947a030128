import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortalUser, dataTableLabels, signedInAdmin } from '../../support/admin-session.js';
import { visibleText } from '../../support/form-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

let server: TestServer;

beforeEach(async () => {
  server = await createTestServer({ config: { captcha: 'off' } });
});
afterEach(async () => {
  await server.close();
});

async function auditEvents() {
  return server.container.database.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
}

describe('admin portal users', () => {
  it('searches by name, user ID, phone and email, and filters by source', async () => {
    await createPortalUser(server, 'adele@contoso.com', undefined, {
      displayName: 'Adele Vance',
      mobilePhone: '+1 4255550100',
    });
    await createPortalUser(server, 'megan@contoso.com', undefined, {
      displayName: 'Megan Bowen',
      otherMails: ['megan.b@fabrikam.com'],
    });
    const synced = await createPortalUser(server, 'lee@contoso.com', undefined, {
      displayName: 'Lee Gu',
      businessPhones: ['+44 2079460000'],
    });
    await server.container.database.db
      .updateTable('users')
      .set({ on_premises_sync_enabled: 1 } as never)
      .where('id', '=', synced.id)
      .execute();
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const names = async (url: string) => {
      const page = await client.get(url);
      expect(page.status).toBe(200);
      return [...page.html.matchAll(/<td[^>]*><a href="\/admin\/users\/[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);
    };
    expect(await names('/admin/users?q=adele')).toEqual(['Adele Vance']);
    expect(await names('/admin/users?q=Meg')).toEqual(['Megan Bowen']);
    expect(await names('/admin/users?q=%2B1%20425')).toEqual(['Adele Vance']);
    expect(await names('/admin/users?q=megan.b%40fab')).toEqual(['Megan Bowen']);
    expect(await names('/admin/users?q=%2B44')).toEqual(['Lee Gu']);
    expect(await names('/admin/users?source=synced')).toEqual(['Lee Gu']);
    expect(await names('/admin/users?source=cloud&q=lee')).toEqual([]);
    expect(visibleText(client.last?.html ?? '')).toContain('No user matches.');
  });

  it('labels every cell with its column header, for the stacked cards of a narrow screen', async () => {
    await createPortalUser(server, 'adele@contoso.com', undefined, { displayName: 'Adele Vance' });
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const page = await client.get('/admin/users');
    const labels = dataTableLabels(page.html);
    expect(labels.caption).toBe('Users');
    expect(labels.headers).toEqual(['Name', 'User ID', 'Source', 'Mobile phone', 'Account']);
    expect(labels.rows.length).toBeGreaterThanOrEqual(2);
    expect(labels.rows).toEqual(labels.rows.map(() => labels.headers));
  });

  it('pages with a keyset cursor, 25 users a page', async () => {
    for (let index = 0; index < 30; index++)
      await createPortalUser(server, `user${String(index).padStart(2, '0')}@contoso.com`, undefined, {
        displayName: `User ${String(index).padStart(2, '0')}`,
      });
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const first = await client.get('/admin/users?q=User');
    const firstNames = [...first.html.matchAll(/>User (\d\d)</g)].map((m) => m[1]);
    expect(firstNames).toHaveLength(25);
    const next = first.html.match(/href="([^"]+)">Next page/)?.[1]?.replace(/&amp;/g, '&') as string;
    expect(next).toContain('after=');
    const second = await client.get(next);
    const secondNames = [...second.html.matchAll(/>User (\d\d)</g)].map((m) => m[1]);
    expect(secondNames).toEqual(['25', '26', '27', '28', '29']);
    expect(second.html).not.toContain('Next page');
    // A forged cursor starts from the top instead of failing.
    expect((await client.get('/admin/users?after=!!!')).status).toBe(200);
  });

  it('filters by "can reset now" through the registration report', async () => {
    await createPortalUser(server, 'ready@contoso.com', undefined, {
      displayName: 'Ready',
      mobilePhone: '+1 4255550100',
    });
    await createPortalUser(server, 'notready@contoso.com', undefined, { displayName: 'Not Ready' });
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const page = await client.get('/admin/users?capable=yes');
    const text = visibleText(page.html);
    expect(text).toContain('Ready');
    expect(text).not.toContain('Not Ready');
    expect(text).toContain('each page scans at most 5,000 users');
  });

  it('creates a cloud user with a generated password shown once, and validates the form', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await client.get('/admin/users/new');
    const invalid = await client.submit('/admin/users/new', { displayName: '', userPrincipalName: 'not an upn' });
    expect(invalid.status).toBe(400);
    expect(visibleText(invalid.html)).toContain('Enter a display name.');
    expect(visibleText(invalid.html)).toContain('Enter a user principal name like adele@contoso.com.');
    const wrongDomain = await client.submit('/admin/users/new', {
      displayName: 'Nestor Wilke',
      userPrincipalName: 'nestor@elsewhere.com',
    });
    expect(visibleText(wrongDomain.html)).toContain('verified domain');
    const created = await client.submit('/admin/users/new', {
      displayName: 'Nestor Wilke',
      userPrincipalName: 'nestor@contoso.com',
    });
    expect(created.status).toBe(201);
    const shown = created.html.match(/<code class="secret">([^<]+)<\/code>/)?.[1];
    expect(shown).toBeTruthy();
    const user = await server.container.users.getUser(operator, 'nestor@contoso.com');
    expect(user.displayName).toBe('Nestor Wilke');
    const event = (await auditEvents()).findLast((row) => row.activity_display_name === 'Add user');
    expect(event?.target_resources).toContain('nestor@contoso.com');
    expect(JSON.parse(event?.initiated_by ?? '{}').user.userPrincipalName).toBe('gadmin@contoso.com');
    expect(JSON.stringify(await auditEvents())).not.toContain(shown);
    await client.get('/admin/users/new');
    const duplicate = await client.submit('/admin/users/new', {
      displayName: 'Again',
      userPrincipalName: 'nestor@contoso.com',
    });
    expect(duplicate.status).toBe(400);
    expect(visibleText(duplicate.html)).toContain('Another user already has this user principal name.');
  });

  it('edits contact fields, and shows on-premises fields of a synced user read-only', async () => {
    const adele = await createPortalUser(server, 'adele@contoso.com', undefined, { displayName: 'Adele Vance' });
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await client.get(`/admin/users/${adele.id}`);
    const saved = await client.submit(`/admin/users/${adele.id}/contact`, {
      officePhone: '+1 4255550199',
      mobilePhone: '+1 4255550100',
      alternateEmails: 'adele@fabrikam.com',
    });
    expect(visibleText(saved.html)).toContain('Saved.');
    const user = await server.container.users.getUser(operator, adele.id);
    expect(user.businessPhones).toEqual(['+1 4255550199']);
    expect(user.mobilePhone).toBe('+1 4255550100');
    expect(user.otherMails).toEqual(['adele@fabrikam.com']);
    const update = (await auditEvents()).findLast((row) => row.activity_display_name === 'Update user');
    expect(JSON.parse(update?.initiated_by ?? '{}').user.userPrincipalName).toBe('gadmin@contoso.com');

    const invalid = await client.submit(`/admin/users/${adele.id}/contact`, {
      officePhone: '+1 4255550199',
      mobilePhone: '+1 4255550100',
      alternateEmails: 'not-an-address',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.html).toContain('role="alert"');

    const synced = await createPortalUser(server, 'lee@contoso.com', undefined, {
      displayName: 'Lee Gu',
      businessPhones: ['+44 2079460000'],
    });
    await server.container.database.db
      .updateTable('users')
      .set({ on_premises_sync_enabled: 1 } as never)
      .where('id', '=', synced.id)
      .execute();
    const page = await client.get(`/admin/users/${synced.id}`);
    expect(visibleText(page.html)).toContain('Office phone (managed on-premises)');
    expect(page.html).toMatch(/id="officePhone"[^>]*readonly/);
    const changed = await client.submit(`/admin/users/${synced.id}/contact`, {
      officePhone: '+44 1111111111',
      mobilePhone: '+44 7700900123',
      alternateEmails: '',
    });
    expect(visibleText(changed.html)).toContain('Saved.');
    const after = await server.container.users.getUser(operator, synced.id);
    expect(after.businessPhones).toEqual(['+44 2079460000']);
    expect(after.mobilePhone).toBe('+44 7700900123');
  });

  it('refuses a Password Administrator changing contact fields (User Administrator rule of the API)', async () => {
    const adele = await createPortalUser(server, 'adele@contoso.com');
    const client = await signedInAdmin(server, 'pwadmin@contoso.com', 'Password Administrator');
    await client.get(`/admin/users/${adele.id}`);
    const refused = await client.submit(`/admin/users/${adele.id}/contact`, {
      officePhone: '',
      mobilePhone: '+1 4255550100',
      alternateEmails: '',
    });
    expect(refused.status).toBe(403);
    expect((await server.container.users.getUser(operator, adele.id)).mobilePhone).toBeNull();
  });
});
