import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvCell } from '../../../src/http/web/admin/audit-csv.js';
import { createPortalUser, dataTableLabels, signedInAdmin } from '../../support/admin-session.js';
import { dialectsUnderTest } from '../../support/databases.js';
import { visibleText } from '../../support/form-client.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

let server: TestServer;
let now: Date;

/** Rows of the first table on the page, as visible text per row. */
function tableRows(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) => visibleText(row[1] ?? ''));
}

/** Splits CSV text (RFC 4180, CRLF rows) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      index++;
    } else cell += char;
  }
  return rows;
}

describe.each(dialectsUnderTest)('admin portal: audit logs on $name', (dialect) => {
  beforeEach(async () => {
    now = new Date('2026-11-20T09:00:00Z');
    server = await createTestServer({ database: await dialect.create(), config: { captcha: 'off' }, clock: () => now });
  });
  afterEach(async () => {
    await server.close();
  });

  it('lists events newest first and filters by date range, activity, initiator, target and result', async () => {
    await createPortalUser(server, 'adele@contoso.com');
    await server.container.policies.change(operator, { registrationReconfirmIntervalInDays: 90 });
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    await client.get('/admin/policy');
    await client.submit('/admin/policy/questions', { question: 'What was the name of your first ship?' });

    const all = await client.get('/admin/audit');
    expect(all.status).toBe(200);
    const rows = tableRows(all.html);
    expect(rows[0]).toContain('Add custom security question');
    expect(rows[0]).toContain('gadmin@contoso.com');
    // Events carry the time they were written (the store's clock).
    expect(rows[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} /);
    expect(rows.some((row) => row.includes('Update password reset policy') && row.includes('operator:test'))).toBe(
      true,
    );
    expect(all.html).not.toMatch(/<script|style=/);
    // On a narrow screen each row is a card whose cells carry their column header.
    const labels = dataTableLabels(all.html);
    expect(labels.caption).toBe('Audit logs');
    expect(labels.headers).toEqual([
      'Date (UTC)',
      'Service',
      'Activity',
      'Result',
      'Initiated by',
      'Target',
      'Modified properties',
    ]);
    expect(labels.rows).toEqual(rows.map(() => labels.headers));

    const byActivity = tableRows((await client.get('/admin/audit?activity=Update+password+reset+policy')).html);
    expect(byActivity).toHaveLength(1);
    expect(byActivity[0]).toContain('registrationReconfirmIntervalInDays: 180 → 90');

    const byInitiator = tableRows((await client.get('/admin/audit?initiator=gadmin%40contoso.com')).html);
    expect(byInitiator.length).toBeGreaterThan(0);
    expect(byInitiator.every((row) => row.includes('gadmin@contoso.com'))).toBe(true);

    const byTarget = tableRows((await client.get('/admin/audit?target=adele%40contoso.com')).html);
    expect(byTarget.length).toBeGreaterThan(0);
    expect(byTarget.every((row) => row.includes('adele@contoso.com'))).toBe(true);
    expect(byTarget[0]).toContain('Add user');

    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const today = tableRows((await client.get(`/admin/audit?from=${day(0)}&to=${day(0)}`)).html);
    expect(today).toHaveLength(rows.length);
    const fromTomorrow = await client.get(`/admin/audit?from=${day(1)}`);
    expect(visibleText(fromTomorrow.html)).toContain('No event matches.');
    const untilYesterday = await client.get(`/admin/audit?to=${day(-1)}`);
    expect(visibleText(untilYesterday.html)).toContain('No event matches.');
    expect(untilYesterday.html).toContain(`value="${day(-1)}"`);

    const failures = await client.get('/admin/audit?result=failure');
    expect(visibleText(failures.html)).toContain('No event matches.');
    // The filter form keeps what was asked.
    expect(failures.html).toMatch(/<option value="failure" selected/);
  });

  it('explains a date it cannot read and an end before the start', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const bad = await client.get('/admin/audit?from=2026-02-30');
    expect(bad.status).toBe(400);
    expect(visibleText(bad.html)).toContain('Enter a date as YYYY-MM-DD.');
    const reversed = await client.get('/admin/audit?from=2026-11-24&to=2026-11-20');
    expect(reversed.status).toBe(400);
    expect(visibleText(reversed.html)).toContain('The end date must be on or after the start date.');
  });

  it('pages newest first with a keyset link and no event twice', async () => {
    for (let index = 0; index < 30; index++) {
      now = new Date(now.getTime() + 60_000);
      const question = await server.container.policies.addCustomQuestion(operator, `Question number ${index}?`);
      now = new Date(now.getTime() + 60_000);
      await server.container.policies.removeCustomQuestion(operator, question.id);
    }
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const first = await client.get('/admin/audit?initiator=operator%3Atest');
    const firstRows = tableRows(first.html);
    expect(firstRows).toHaveLength(50);
    const next = /href="(\/admin\/audit\?[^"]*before=\d+)"/.exec(first.html)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toContain('initiator=operator%3Atest');
    const second = await client.get(next as string);
    const secondRows = tableRows(second.html);
    // 60 question events, and the operator's creation of the signed-in admin and of their role (newest).
    expect(secondRows).toHaveLength(12);
    expect(visibleText(second.html)).toContain('First page');
    expect(second.html).not.toContain('rel="next"');
    const everything = [...firstRows, ...secondRows];
    const times = everything.map((row) => row.slice(0, 19));
    expect([...times].sort().reverse()).toEqual(times);
    const questions = everything.filter((row) => row.includes('Add custom security question'));
    expect(new Set(questions.map((row) => /Question number \d+/.exec(row)?.[0])).size).toBe(30);
    // The newest question event comes first.
    expect(everything.find((row) => row.includes('custom security question'))).toContain('Delete custom');
    expect(everything.find((row) => row.includes('Add custom'))).toContain('Question number 29');
  });

  it('exports the filtered events as CSV, streamed, with formula-like cells neutralised and no secret', async () => {
    const client = await signedInAdmin(server, 'gadmin@contoso.com', 'Global Administrator');
    const created = await server.container.apps.createApp(operator, {
      displayName: '=HYPERLINK("http://evil.example","Click"), then more',
      permissions: ['User.Read.All'],
    });
    await server.container.apps.createApp(operator, { displayName: '@SUM(1+1)', permissions: [] });
    await server.container.apps.createApp(operator, { displayName: 'Plain, "quoted" name', permissions: [] });

    await client.get('/admin/audit?activity=Add+application');
    const link = /href="(\/admin\/audit\/export\.csv\?[^"]*)"/
      .exec(client.last?.html ?? '')?.[1]
      ?.replace(/&amp;/g, '&');
    expect(link).toBe('/admin/audit/export.csv?activity=Add+application');
    const response = await server.app.inject({
      method: 'GET',
      url: link as string,
      headers: { cookie: `sspr_admin=${client.cookies.get('sspr_admin')}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="audit-log-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).not.toContain(created.clientSecret);

    const rows = parseCsv(response.body);
    expect(rows[0]).toEqual([
      'Date (UTC)',
      'Service',
      'Category',
      'Activity',
      'Result',
      'Result reason',
      'Initiated by',
      'Initiator IP address',
      'Target',
      'Target ID',
      'Modified properties',
      'Correlation ID',
      'Event ID',
    ]);
    expect(rows).toHaveLength(4);
    // Newest first; every row is "Add application".
    expect(rows.slice(1).map((row) => row[3])).toEqual(['Add application', 'Add application', 'Add application']);
    expect(rows[1]?.[8]).toBe('Plain, "quoted" name');
    expect(rows[2]?.[8]).toBe("'@SUM(1+1)");
    expect(rows[3]?.[8]).toBe('\'=HYPERLINK("http://evil.example","Click"), then more');
    expect(rows[3]?.[6]).toBe('operator:test');
    expect(rows[3]?.[10]).toContain('Permissions:  -> ["User.Read.All"]');
    // The raw text: the dangerous cell is quoted and prefixed.
    expect(response.body).toContain('"\'=HYPERLINK(""http://evil.example"",""Click""), then more"');
  });

  it('escapes every formula trigger in a cell', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@x')).toBe("'@x");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe('"\'\rx"');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('plain')).toBe('plain');
  });

  it('refuses the audit log and its export to roles that may not read it', async () => {
    const client = await signedInAdmin(server, 'authadmin@contoso.com', 'Authentication Administrator');
    const page = await client.get('/admin/audit');
    expect(page.status).toBe(403);
    expect(visibleText(page.html)).toContain('You don’t have permission');
    const exported = await client.get('/admin/audit/export.csv');
    expect(exported.status).toBe(403);
    expect(exported.headers['content-type']).toContain('text/html');

    const reader = await signedInAdmin(server, 'reader@contoso.com', 'Global Reader');
    expect((await reader.get('/admin/audit')).status).toBe(200);
  });
});
