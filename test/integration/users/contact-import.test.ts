import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDraft, userTarget } from '../../../src/domain/audit.js';
import type { RowOutcome } from '../../../src/domain/contact-import.js';
import { newCloudUser, type UserChanges } from '../../../src/domain/user.js';
import { ContactImportService } from '../../../src/services/users/contact-import-service.js';
import { SqlContactImportRepository } from '../../../src/store/contact-import-repository.js';
import { SqlUserRepository } from '../../../src/store/user-repository.js';
import { dialectsUnderTest } from '../../support/databases.js';
import { createTestServer, operator, type TestServer } from '../../support/test-container.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe.each(dialectsUnderTest)('bulk contact import on $name', { timeout: 30_000 }, (dialect) => {
  let server: TestServer;
  const syncedId = '00000000-0000-4000-8000-00000000aaaa';

  const user = (upn: string) => server.container.users.getUser(operator, upn);
  const updateEvents = async () => {
    const row = await server.database.store.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('activity_display_name', '=', 'Update user')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const jobCount = async () => {
    const row = await server.database.store.db
      .selectFrom('contact_import_jobs')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const service = (faults?: { beforeCommit?(batchIndex: number): void }, batchSize = 2) =>
    new ContactImportService({
      store: new SqlContactImportRepository(server.database.store.db, server.database.store.sqlite),
      roles: { administratorIds: async () => new Set() },
      clock: () => new Date(),
      newId: () => crypto.randomUUID(),
      batchSize,
      ...(faults && { faults }),
    });
  const all = async (rows: AsyncIterable<RowOutcome>) => {
    const found: RowOutcome[] = [];
    for await (const row of rows) found.push(row);
    return found;
  };

  beforeAll(async () => {
    server = await createTestServer({ database: await dialect.create() });
    for (const name of ['ada', 'bob', 'cara', 'dan', 'eve', 'finn', 'gus', 'hal']) {
      await server.container.users.createUser(operator, {
        userPrincipalName: `${name}@contoso.com`,
        displayName: name,
        accountEnabled: true,
        mailNickname: name,
        passwordProfile: { password: 'Correct-Horse-Battery-9', forceChangePasswordNextSignIn: false },
        ...(name === 'bob' && { mobilePhone: '+1 4255550100' }),
      } as UserChanges);
    }
    const synced = {
      ...newCloudUser(
        { id: syncedId, userPrincipalName: 'sam@contoso.com', createdDateTime: '2026-01-01T00:00:00.000Z' },
        { displayName: 'sam', businessPhones: ['+1 4255550111'] },
      ),
      onPremisesSyncEnabled: true,
      onPremisesImmutableId: 'c2Ft',
    };
    await new SqlUserRepository(server.database.store.db).insert(
      synced,
      auditDraft(operator, {
        activity: 'Add user',
        category: 'UserManagement',
        service: 'Sync',
        operationType: 'Add',
        targets: [userTarget(synced)],
      }),
    );
  });
  afterAll(async () => server?.close());

  const mixed = Buffer.concat([
    Buffer.from(
      [
        '\uFEFFuserPrincipalName;mobile;telephoneNumber;alternateEmail',
        'ada@contoso.com;(425) 555-0101;;ada@fabrikam.com,ada2@fabrikam.com', // 2 changed, normalised
        'bob@contoso.com;+1 4255550100;;', // 3 unchanged
        'cara@contoso.com;not a phone;;', // 4 bad phone
        'dan@contoso.com;;;not-an-address', // 5 bad email
        'nobody@contoso.com;+1 4255550199;;', // 6 unknown user
        'eve@contoso.com;;+1 4255550102,+1 4255550103;', // 7 two office phones
        'sam@contoso.com;+1 4255550104;+1 4255550105;', // 8 synced user's office phone
        'sam@contoso.com;+1 4255550104;;', // 9 duplicate row
        'finn@contoso.com;;;"finn@fabrikam.com"', // 10 changed
      ].join('\r\n'),
    ),
    Buffer.from('\r\ngus@contoso.com;;;Ren'),
    Buffer.from([0xe9]), // 11 wrong encoding (Latin-1)
    Buffer.from('@fabrikam.com\r\nhal@contoso.com;<clear>;;\r\n'), // 12 unchanged (nothing to clear)
  ]);

  const expected = [
    { line: 2, key: 'ada@contoso.com', outcome: 'changed' },
    { line: 3, key: 'bob@contoso.com', outcome: 'unchanged' },
    { line: 4, key: 'cara@contoso.com', outcome: 'rejected', column: 'mobile' },
    { line: 5, key: 'dan@contoso.com', outcome: 'rejected', column: 'alternateEmail' },
    { line: 6, key: 'nobody@contoso.com', outcome: 'rejected', reason: 'User not found.' },
    { line: 7, key: 'eve@contoso.com', outcome: 'rejected', column: 'telephoneNumber' },
    { line: 8, key: 'sam@contoso.com', outcome: 'rejected', column: 'businessPhones' },
    { line: 9, key: 'sam@contoso.com', outcome: 'rejected', reason: 'The same user is already on line 8.' },
    { line: 10, key: 'finn@contoso.com', outcome: 'changed' },
    { line: 11, key: 'gus@contoso.com', outcome: 'rejected' },
    { line: 12, key: 'hal@contoso.com', outcome: 'unchanged' },
  ];

  it('dry run: reports every row with its line, column and reason, and writes nothing', async () => {
    const before = { events: await updateEvents(), jobs: await jobCount() };
    const report = await server.container.contactImports.import(operator, mixed, {
      normalize: true,
      defaultRegion: 'US',
      dryRun: true,
    });
    expect(report.rows).toMatchObject(expected);
    expect(report.counts).toEqual({ changed: 2, unchanged: 2, rejected: 7, warnings: 0 });
    const rows = report.rows ?? [];
    expect(rows[0]?.normalizations).toEqual([{ column: 'mobile', from: '(425) 555-0101', to: '+1 4255550101' }]);
    expect(rows[0]?.changes).toContainEqual({ property: 'mobilePhone', oldValue: null, newValue: '+1 4255550101' });
    expect(rows[2]?.reason).toMatch(/could not be read as a phone number/);
    expect(rows[5]?.reason).toMatch(/at most one value/);
    expect(rows[6]?.reason).toBe(
      'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.',
    );
    expect(rows[9]?.reason).toMatch(/not valid UTF-8/);
    expect((await user('ada@contoso.com')).mobilePhone).toBeNull();
    expect({ events: await updateEvents(), jobs: await jobCount() }).toEqual(before);
  });

  it('applies per row: the synced user keeps the rest of its row refused, one audit event per changed user', async () => {
    const before = await updateEvents();
    const report = await server.container.contactImports.import(operator, mixed, {
      normalize: true,
      defaultRegion: 'US',
    });
    expect(report.counts).toEqual({ changed: 2, unchanged: 2, rejected: 7, warnings: 0 });
    expect(report.job?.status).toBe('succeeded');
    const ada = await user('ada@contoso.com');
    expect(ada.mobilePhone).toBe('+1 4255550101');
    expect((await server.container.users.getUser(operator, ada.id)).otherMails).toEqual([
      'ada@fabrikam.com',
      'ada2@fabrikam.com',
    ]);
    expect((await user('sam@contoso.com')).businessPhones).toEqual(['+1 4255550111']);
    expect((await user('sam@contoso.com')).mobilePhone).toBeNull();
    expect(await updateEvents()).toBe(before + 2);
    const event = await server.database.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('activity_display_name', '=', 'Update user')
      .where('target_resources', 'like', '%ada@contoso.com%')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(event.initiated_by).user.userPrincipalName).toBe('operator:test');
    expect(JSON.parse(event.target_resources)[0].modifiedProperties).toContainEqual({
      displayName: 'mobilePhone',
      oldValue: 'null',
      newValue: '"+1 4255550101"',
    });
    const results = await all(server.container.contactImports.results(operator, report.job?.id ?? ''));
    expect(results).toMatchObject(expected);
  });

  it('is idempotent: the same file again changes nothing and audits nothing', async () => {
    const before = await updateEvents();
    const report = await server.container.contactImports.import(operator, mixed, {
      normalize: true,
      defaultRegion: 'US',
    });
    expect(report.resumed).toBe(false);
    expect(report.counts).toEqual({ changed: 0, unchanged: 4, rejected: 7, warnings: 0 });
    expect(await updateEvents()).toBe(before);
  });

  it('without --normalize stores a loosely written number verbatim with a warning', async () => {
    const report = await server.container.contactImports.import(
      operator,
      bytes('userPrincipalName,mobilePhone\ndan@contoso.com,+14255550107\n'),
      { normalize: false },
    );
    expect(report.counts).toEqual({ changed: 1, unchanged: 0, rejected: 0, warnings: 1 });
    expect((await user('dan@contoso.com')).mobilePhone).toBe('+14255550107');
    const [row] = await all(server.container.contactImports.results(operator, report.job?.id ?? ''));
    expect(row?.warnings[0]).toMatch(/stored as given.*"\+1 4255550107"/);
  });

  it('resumes after a crash inside a batch: the batch is rolled back, then done once', async () => {
    const lines = ['userPrincipalName,jobTitle'];
    const names = ['ada', 'bob', 'cara', 'dan', 'eve', 'finn', 'gus'];
    for (const name of names) lines.push(`${name}@contoso.com,Crash test ${name}`);
    const file = bytes(`${lines.join('\n')}\n`);
    const before = await updateEvents();
    const crashing = service({
      beforeCommit: (batch) => {
        if (batch === 2) throw new Error('simulated crash');
      },
    });
    await expect(crashing.import(operator, file, { normalize: false })).rejects.toThrow('simulated crash');
    // Batches 0 and 1 (ada..dan) committed; batch 2 (eve, finn) rolled back with its audit events.
    expect((await user('dan@contoso.com')).jobTitle).toBe('Crash test dan');
    expect((await user('eve@contoso.com')).jobTitle).toBeNull();
    expect(await updateEvents()).toBe(before + 4);
    const failed = await server.database.store.db
      .selectFrom('contact_import_jobs')
      .selectAll()
      .where('status', '=', 'failed')
      .executeTakeFirstOrThrow();
    expect(failed).toMatchObject({ rows_done: 4, total_rows: 7, message: 'simulated crash' });

    await expect(service().import(operator, file, { normalize: false, resume: true })).resolves.toMatchObject({
      resumed: true,
      counts: { changed: 7, unchanged: 0, rejected: 0, warnings: 0 },
      job: { status: 'succeeded', rowsDone: 7 },
    });
    for (const name of names) expect((await user(`${name}@contoso.com`)).jobTitle).toBe(`Crash test ${name}`);
    expect(await updateEvents()).toBe(before + 7);
    await expect(service().import(operator, file, { normalize: false, resume: true })).rejects.toThrow(
      /no unfinished import/,
    );
  });

  it('export writes every user with status, safe for spreadsheets, and imports back unchanged', async () => {
    let csv = '';
    for await (const chunk of server.container.contactExport.exportCsv(operator)) csv += chunk;
    const [header, ...rows] = csv.trimEnd().split('\r\n');
    expect(header).toBe(
      'userPrincipalName,id,displayName,givenName,surname,mail,mailNickname,jobTitle,officeLocation,preferredLanguage,mobilePhone,businessPhones,otherMails,onPremisesSyncEnabled,isSsprRegistered,isSsprEnabled,isSsprCapable,isAdmin,methodsRegistered',
    );
    expect(rows.find((row) => row.startsWith('ada@contoso.com'))).toContain("'+1 4255550101");
    expect(csv).not.toMatch(/argon2|password/i);
    const back = await server.container.contactImports.import(operator, bytes(csv), { normalize: false, dryRun: true });
    expect(back.counts.changed).toBe(0);
    expect(back.counts.rejected).toBe(0);
    expect(back.counts.unchanged).toBe(rows.length);
  });
});
