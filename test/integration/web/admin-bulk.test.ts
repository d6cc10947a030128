import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPortalUser, postForm, signedInAdmin } from '../../support/admin-session.js';
import { dialectsUnderTest } from '../../support/databases.js';
import { type FormClient, multipartBody, visibleText } from '../../support/form-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

let server: TestServer;

const csv = [
  'userPrincipalName,mobilePhone,otherMails',
  'ada@contoso.com,(425) 555-0101,ada.home@fabrikam.com',
  'ghost@contoso.com,+1 4255550199,',
  'bob@contoso.com,,',
].join('\r\n');

async function updateEvents() {
  return server.container.database.db
    .selectFrom('audit_events')
    .selectAll()
    .where('activity_display_name', '=', 'Update user')
    .orderBy('seq')
    .execute();
}

async function user(upn: string) {
  return server.container.users.getUser(operator, upn);
}

async function preview(client: FormClient, content: string, fields: Record<string, string> = {}) {
  await client.get('/admin/bulk');
  return client.submitMultipart(
    '/admin/bulk/preview',
    { normalize: 'on', defaultRegion: 'us', ...fields },
    { field: 'file', filename: 'contacts.csv', content },
  );
}

describe.each(dialectsUnderTest)('admin portal: bulk operations on $name', (dialect) => {
  beforeEach(async () => {
    server = await createTestServer({ database: await dialect.create(), config: { captcha: 'off' } });
    await createPortalUser(server, 'ada@contoso.com');
    await createPortalUser(server, 'bob@contoso.com');
  });
  afterEach(async () => {
    await server.close();
  });

  it('previews a file: the diff, a rejected line with its reason, normalisations, and nothing written', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const page = await client.get('/admin/bulk');
    expect(page.status).toBe(200);
    expect(page.html).toContain('enctype="multipart/form-data"');
    expect(visibleText(page.html)).toContain('Export users’ contact info and registration status (CSV)');

    const before = (await updateEvents()).length;
    const shown = await preview(client, csv);
    expect(shown.status).toBe(200);
    expect(shown.headers['cache-control']).toBe('no-store');
    const text = visibleText(shown.html);
    expect(text).toContain('Dry run of contacts.csv: nothing has been written yet.');
    expect(text).toMatch(/3 rows 1 changed 1 unchanged 1 rejected/);
    expect(text).toContain('mobilePhone (empty) +1 4255550101');
    expect(text).toContain('otherMails (empty) ada.home@fabrikam.com');
    expect(text).toMatch(/3 ghost@contoso\.com userPrincipalName User not found\./);
    expect(text).toContain('mobilePhone: (425) 555-0101 → +1 4255550101');

    expect((await user('ada@contoso.com')).mobilePhone).toBeNull();
    expect(await updateEvents()).toHaveLength(before);
    const jobs = await server.container.database.db.selectFrom('contact_import_jobs').selectAll().execute();
    expect(jobs).toHaveLength(0);

    const previewCsv = await server.app.inject({
      method: 'GET',
      url: /href="(\/admin\/bulk\/uploads\/[^"]+\/preview\.csv)"/.exec(shown.html)?.[1] ?? '',
      headers: { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(previewCsv.statusCode).toBe(200);
    expect(previewCsv.body).toContain('3,ghost@contoso.com,rejected,userPrincipalName,User not found.');
  });

  it('applies the previewed file: users change, one audit event each, results page and CSV', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await preview(client, csv);
    const before = (await updateEvents()).length;
    const results = await client.submit('/admin/bulk/apply');
    expect(results.status).toBe(200);
    expect(results.url).toMatch(/^\/admin\/bulk\/jobs\/[^/]+$/);
    const text = visibleText(results.html);
    expect(text).toContain('The import is finished.');
    expect(text).toMatch(/3 rows 1 changed 1 unchanged 1 rejected/);
    expect(text).toContain('ghost@contoso.com userPrincipalName User not found.');

    const ada = await user('ada@contoso.com');
    expect(ada.mobilePhone).toBe('+1 4255550101');
    expect(ada.otherMails).toEqual(['ada.home@fabrikam.com']);
    const events = (await updateEvents()).slice(before);
    expect(events).toHaveLength(1);
    expect(events[0]?.target_resources).toContain(ada.id);
    expect(events[0]?.initiated_by).toContain('gadmin@contoso.com');

    const download = /href="(\/admin\/bulk\/jobs\/[^"]+\/results\.csv)"/.exec(results.html)?.[1] ?? '';
    const file = await client.get(download);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(file.headers['content-disposition']).toMatch(/^attachment; filename="contact-import-.+-results\.csv"$/);
    const lines = file.html.trim().split('\r\n');
    expect(lines[0]).toBe('line,key,outcome,column,reason,warnings,normalizations,changes');
    expect(lines[1]).toMatch(/^2,ada@contoso\.com,changed,/);
    expect(lines[2]).toBe('3,ghost@contoso.com,rejected,userPrincipalName,User not found.,,,');
    expect(lines[3]).toMatch(/^4,bob@contoso\.com,unchanged,/);

    // The preview was used up: applying it again asks for the file.
    await client.get('/admin/bulk');
    const again = await postForm(client, '/admin/bulk/apply', { upload: /jobs\/([^/]+)/.exec(results.url)?.[1] ?? '' });
    expect(again.status).toBe(409);
    expect(visibleText(again.html)).toContain('Upload the file again.');
  });

  it('keeps a previewed file in the store until it is applied or its session signs out', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const held = () => server.container.database.db.selectFrom('held_contact_uploads').select('filename').execute();
    await preview(client, csv);
    expect(await held()).toEqual([{ filename: 'contacts.csv' }]);
    await client.get('/admin');
    const out = await postForm(client, '/admin/signout', {});
    expect(out.url).toContain('/admin/signin?out=1');
    expect(await held()).toEqual([]);
  });

  it('refuses a file whose header is wrong, and a form without a file, beside the form', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const bad = await preview(client, 'userPrincipalName,shoeSize\r\nada@contoso.com,42\r\n');
    expect(bad.status).toBe(400);
    expect(visibleText(bad.html)).toContain('shoeSize');
    await client.get('/admin/bulk');
    const none = await client.submitMultipart('/admin/bulk/preview', { normalize: 'on' });
    expect(none.status).toBe(400);
    expect(visibleText(none.html)).toContain('Choose a CSV file to upload.');
  });

  it('exports contact info and registration status as CSV', async () => {
    const ada = await user('ada@contoso.com');
    await server.container.users.updateUser(operator, ada.id, { mobilePhone: '+1 4255550101' });
    const client = await signedInAdmin(server, 'reader@contoso.com', 'Global Reader');
    const page = await client.get('/admin/bulk');
    expect(page.status).toBe(200);
    expect(page.html).not.toContain('/admin/bulk/preview');
    const file = await client.get('/admin/bulk/export.csv');
    expect(file.status).toBe(200);
    expect(file.headers['content-disposition']).toBe('attachment; filename="users-export.csv"');
    const lines = file.html.trim().split('\r\n');
    expect(lines[0]).toMatch(/^userPrincipalName,id,displayName,.*,isSsprRegistered,.*methodsRegistered$/);
    const adaLine = lines.find((line) => line.startsWith('ada@contoso.com,'));
    expect(adaLine).toContain(`,'+1 4255550101,`);
    for (const upn of ['bob@contoso.com', 'reader@contoso.com']) {
      expect(lines.filter((line) => line.startsWith(`${upn},`))).toHaveLength(1);
    }
    expect(lines.join('\n')).not.toMatch(/password|\$argon|\$scrypt/i);

    // A Global Reader may export but not import.
    await client.get('/admin/bulk');
    const { body, contentType } = multipartBody(
      { csrf_token: csrf(client) },
      { field: 'file', filename: 'a.csv', content: csv },
    );
    const refused = await client.request('POST', '/admin/bulk/preview', body, contentType);
    expect(refused.status).toBe(403);
  });

  it('refuses a role without rights, and a POST without the CSRF token', async () => {
    const helpdesk = await signedInAdmin(server, 'authadmin@contoso.com', 'Authentication Administrator');
    expect((await helpdesk.get('/admin/bulk')).status).toBe(403);
    expect((await helpdesk.get('/admin/bulk/export.csv')).status).toBe(403);

    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await client.get('/admin/bulk');
    const { body, contentType } = multipartBody(
      { csrf_token: 'forged', normalize: 'on' },
      { field: 'file', filename: 'a.csv', content: csv },
    );
    const forged = await client.request('POST', '/admin/bulk/preview', body, contentType);
    expect(forged.status).toBe(403);
    await preview(client, csv);
    const upload = /name="upload" value="([^"]+)"/.exec(client.last?.html ?? '')?.[1] ?? '';
    const applyForged = await client.request('POST', '/admin/bulk/apply', new URLSearchParams({ upload }).toString());
    expect(applyForged.status).toBe(403);
    expect((await user('ada@contoso.com')).mobilePhone).toBeNull();

    // Another administrator's session cannot apply this upload.
    const other = await signedInAdmin(server, 'uadmin@contoso.com', 'User Administrator');
    await other.get('/admin/bulk');
    const stolen = await postForm(other, '/admin/bulk/apply', { upload });
    expect(stolen.status).toBe(409);
    expect((await user('ada@contoso.com')).mobilePhone).toBeNull();
  });

  it('sends a multipart POST without a session back to sign-in before reading it', async () => {
    const { body, contentType } = multipartBody({}, { field: 'file', filename: 'a.csv', content: csv });
    const response = await server.app.inject({
      method: 'POST',
      url: '/admin/bulk/preview',
      payload: body,
      headers: { 'content-type': contentType },
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin/signin?ended=1');
  });
});

function csrf(client: FormClient): string {
  return /name="csrf_token" value="([^"]+)"/.exec(client.last?.html ?? '')?.[1] ?? '';
}
