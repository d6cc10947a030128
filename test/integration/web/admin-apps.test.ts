import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postForm, signedInAdmin } from '../../support/admin-session.js';
import { dialectsUnderTest } from '../../support/databases.js';
import { type FormClient, visibleText } from '../../support/form-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

let server: TestServer;

function secretOn(html: string): string {
  const secret = /<span class="secret">([^<]+)<\/span>/.exec(html)?.[1];
  if (!secret) throw new Error('no secret on the page');
  return secret;
}

async function tokenStatus(appId: string, secret: string): Promise<{ status: number; roles: string[] }> {
  const response = await server.app.inject({
    method: 'POST',
    url: `/${server.container.tenant.tenantId}/oauth2/v2.0/token`,
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: appId,
      client_secret: secret,
      scope: 'https://graph.microsoft.com/.default',
    }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  if (response.statusCode !== 200) return { status: response.statusCode, roles: [] };
  const token = (response.json() as { access_token: string }).access_token;
  const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { roles: string[] };
  return { status: 200, roles: payload.roles };
}

async function appEvents() {
  return server.container.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('category', '=', 'ApplicationManagement')
    .orderBy('seq')
    .execute();
}

async function createThroughPortal(client: FormClient, name: string, permissions: string[]) {
  await client.get('/admin/apps');
  return client.submit('/admin/apps', {
    displayName: name,
    lifetime: '90',
    ...Object.fromEntries(permissions.map((permission) => [`permission:${permission}`, 'on'])),
  });
}

describe.each(dialectsUnderTest)('admin portal: app registrations on $name', (dialect) => {
  beforeEach(async () => {
    server = await createTestServer({ database: await dialect.create(), config: { captcha: 'off' } });
  });
  afterEach(async () => {
    await server.close();
  });

  it('registers an app and shows its client secret once', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const empty = await client.get('/admin/apps');
    expect(visibleText(empty.html)).toContain('No app registration yet.');

    const created = await createThroughPortal(client, 'Contact info sync', ['User.Read.All', 'AuditLog.Read.All']);
    expect(created.status).toBe(200);
    expect(created.url).toBe('/admin/apps');
    expect(created.headers['cache-control']).toBe('no-store');
    const text = visibleText(created.html);
    expect(text).toContain('App registered');
    expect(text).toContain('It is shown only once');
    const secret = secretOn(created.html);
    expect(secret).toMatch(/^.{3}8Q~.{34}$/);
    const appId = /href="\/admin\/apps\/([0-9a-f-]{36})"/.exec(created.html)?.[1] as string;

    const token = await tokenStatus(appId, secret);
    expect(token.status).toBe(200);
    expect(token.roles.sort()).toEqual(['AuditLog.Read.All', 'User.Read.All']);

    const list = await client.get('/admin/apps');
    expect(visibleText(list.html)).toContain('Contact info sync');
    expect(list.html).not.toContain(secret);
    const details = await client.get(`/admin/apps/${appId}`);
    expect(details.status).toBe(200);
    expect(details.html).not.toContain(secret);
    expect(visibleText(details.html)).toContain(`${secret.slice(0, 3)}*****`);
    expect(details.html).not.toMatch(/<script|style=/);

    const [event] = await appEvents();
    expect(event?.activity_display_name).toBe('Add application');
    expect(JSON.parse(event?.initiated_by ?? '{}').user.userPrincipalName).toBe('gadmin@contoso.com');
    expect(JSON.stringify(await appEvents())).not.toContain(secret);
  });

  it('explains a missing name and keeps the chosen permissions', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const page = await createThroughPortal(client, '   ', ['Directory.Read.All']);
    expect(page.status).toBe(400);
    expect(visibleText(page.html)).toContain('Enter a display name of 1 to 256 characters.');
    expect(page.html).toMatch(/id="permission-Directory\.Read\.All" name="permission:Directory\.Read\.All" checked/);
    expect(await appEvents()).toHaveLength(0);
  });

  it('adds a secret (shown once), revokes the old one and grants and revokes permissions, each audited', async () => {
    const created = await server.container.apps.createApp(operator, { displayName: 'Reporter', permissions: [] });
    const appId = created.app.appId;
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const page = await client.get(`/admin/apps/${appId}`);
    expect(visibleText(page.html)).toContain('Reporter');

    const added = await postForm(client, `/admin/apps/${appId}/secrets`, { lifetime: '365' });
    expect(added.status).toBe(200);
    expect(visibleText(added.html)).toContain('Client secret added');
    const second = secretOn(added.html);
    expect(second).not.toBe(created.clientSecret);
    expect((await tokenStatus(appId, second)).status).toBe(200);

    const detail = await client.get(`/admin/apps/${appId}`);
    expect(detail.html).not.toContain(second);
    const firstKeyId = (await server.container.apps.getApp(operator, appId)).secrets.find(
      (secret) => secret.hint === created.clientSecret.slice(0, 3),
    )?.keyId as string;
    const revoked = await postForm(client, `/admin/apps/${appId}/secrets/revoke`, { keyId: firstKeyId });
    expect(revoked.url).toBe(`/admin/apps/${appId}?done=secret-revoked`);
    expect(visibleText(revoked.html)).toContain('The client secret was revoked');
    expect((await tokenStatus(appId, created.clientSecret)).status).toBe(401);
    expect((await tokenStatus(appId, second)).status).toBe(200);

    const granted = await postForm(client, `/admin/apps/${appId}/permissions`, {
      permission: 'User.ReadWrite.All',
      grant: 'true',
    });
    expect(visibleText(granted.html)).toContain('The permission was granted.');
    expect((await tokenStatus(appId, second)).roles).toEqual(['User.ReadWrite.All']);
    expect(granted.html).toMatch(/User\.ReadWrite\.All<\/td><td[^>]*>Granted/);
    await postForm(client, `/admin/apps/${appId}/permissions`, { permission: 'User.ReadWrite.All', grant: 'false' });
    expect((await tokenStatus(appId, second)).roles).toEqual([]);

    const unknown = await postForm(client, `/admin/apps/${appId}/permissions`, {
      permission: 'Mail.Send',
      grant: 'true',
    });
    expect(unknown.status).toBe(404);

    const events = await appEvents();
    expect(events.map((event) => event.activity_display_name)).toEqual([
      'Add application',
      'Update application – Certificates and secrets management',
      'Update application – Certificates and secrets management',
      'Add app role assignment to service principal',
      'Remove app role assignment from service principal',
    ]);
    for (const event of events.slice(1))
      expect(JSON.parse(event.initiated_by).user.userPrincipalName).toBe('gadmin@contoso.com');
    const all = JSON.stringify(events);
    expect(all).not.toContain(second);
    expect(all).not.toContain(created.clientSecret);
  });

  it('refuses a POST without the session CSRF token', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const refused = await client.request(
      'POST',
      '/admin/apps',
      new URLSearchParams({ csrf_token: 'forged', displayName: 'Sneaky', lifetime: '90' }).toString(),
    );
    expect(refused.status).toBe(403);
    expect(await server.container.apps.listApps(operator)).toHaveLength(0);
  });

  it('lets a Global Reader look but not change, and refuses other roles', async () => {
    const created = await server.container.apps.createApp(operator, { displayName: 'Reporter', permissions: [] });
    const reader = await signedInAdmin(server, 'reader@contoso.com', 'Global Reader');
    const list = await reader.get('/admin/apps');
    expect(list.status).toBe(200);
    expect(visibleText(list.html)).toContain('only a Global Administrator can change them');
    expect(list.html).not.toContain('action="/admin/apps"');
    const detail = await reader.get(`/admin/apps/${created.app.appId}`);
    expect(visibleText(detail.html)).not.toContain('Revoke');
    const refused = await postForm(reader, `/admin/apps/${created.app.appId}/secrets`, { lifetime: '90' });
    expect(refused.status).toBe(403);
    expect(refused.html).not.toContain('class="secret"');

    const helpdesk = await signedInAdmin(server, 'helpdesk@contoso.com', 'Helpdesk Administrator');
    expect((await helpdesk.get('/admin/apps')).status).toBe(403);
    const create = await postForm(helpdesk, '/admin/apps', { displayName: 'Escalation', lifetime: '90' });
    expect(create.status).toBe(403);
    expect(await server.container.apps.listApps(operator)).toHaveLength(1);
    expect((await appEvents()).map((event) => event.activity_display_name)).toEqual(['Add application']);
  });
});
