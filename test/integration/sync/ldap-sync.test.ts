import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../../src/container.js';
import type { RequestContext } from '../../../src/domain/audit.js';
import { defaultMappings } from '../../../src/domain/directory-mapping.js';
import { dialectsUnderTest, type TestDatabase } from '../../support/databases.js';
import { generateUsers, type RunningSlapd } from '../../support/slapd.js';
import { type SlapdSync, startSlapdSync } from '../../support/slapd-sync.js';

const COUNT = 300;
const operator: RequestContext = { principal: { kind: 'operator', name: 't' }, correlationId: 'c', ipAddress: null };

// One slapd per dialect (started in its block): the tests change and delete entries, and each dialect's run
// must start from the same directory.
let slapd: RunningSlapd;

/** The entry of generated user `index` as `ldapsearch` prints it (LDIF, base64 values decoded). */
async function ldapValues(index: number, attribute: string): Promise<string[]> {
  const dn = `uid=user${String(index).padStart(5, '0')},ou=people,${slapd.baseDn}`;
  const ldif = await slapd.search(dn, '(objectClass=*)', [attribute], 'base');
  return ldif
    .split('\n')
    .filter((line) => line.toLowerCase().startsWith(`${attribute.toLowerCase()}:`))
    .map((line) =>
      line.startsWith(`${attribute}:: `)
        ? Buffer.from(line.slice(attribute.length + 3), 'base64').toString('utf8')
        : line.slice(attribute.length + 2),
    );
}

describe.each(dialectsUnderTest)('directory sync from slapd on $name', { timeout: 20_000 }, (dialect) => {
  let database: TestDatabase;
  let container: Container;
  let setup: SlapdSync | undefined;

  beforeAll(async () => {
    setup = await startSlapdSync(dialect, { ldif: generateUsers({ count: COUNT }).ldif, settings: { pageSize: 100 } });
    ({ slapd, database, container } = setup);
  });
  afterAll(async () => {
    await setup?.close();
  });

  const user = (upn: string) => container.users.getUser(operator, upn).catch(() => undefined);

  it('never shows the bind password, and keeps it sealed at rest', async () => {
    const row = await database.store.db
      .selectFrom('directory_sync_settings')
      .select('bind_password')
      .executeTakeFirstOrThrow();
    expect(row.bind_password).not.toContain(slapd.writerPassword);
    const runs = await container.directorySync.runs();
    expect(JSON.stringify(runs)).not.toContain(slapd.writerPassword);
  });

  it('previews one entry and counts the scope', async () => {
    const test = await container.directorySync.testConnection();
    expect(test.entriesInScope).toBe(COUNT);
    expect(test.sample?.dn).toMatch(/^uid=user\d{5},ou=people,/);
    expect(test.sample?.rows.map((row) => row.target)).toEqual(
      expect.arrayContaining(['userPrincipalName', 'businessPhones', 'mobilePhone', 'onPremisesImmutableId']),
    );
  });

  it('creates the users of a full run with their phones verbatim, warnings and per-object errors', async () => {
    const progress: number[] = [];
    const result = await container.directorySync.runFull({ onProgress: (p) => progress.push(p.counts.read) });
    expect(result.status, result.message ?? '').toBe('succeeded');
    expect(progress).toEqual([100, 200, 300]);
    expect(result.counts.read).toBe(COUNT);
    expect(result.counts.added + result.counts.errors).toBe(COUNT);
    expect(result.counts.warnings).toBeGreaterThan(0);

    // user00000: both phones exactly as slapd holds them.
    const [mail] = await ldapValues(0, 'mail');
    const phones = await ldapValues(0, 'telephoneNumber');
    const [mobile] = await ldapValues(0, 'mobile');
    const first = await user(mail as string);
    expect(first).toMatchObject({
      businessPhones: phones,
      mobilePhone: mobile ?? null,
      onPremisesSyncEnabled: true,
      onPremisesDistinguishedName: `uid=user00000,ou=people,${slapd.baseDn}`,
    });

    const issues = await container.directorySync.issues(result.runId);
    const withoutMail = issues.filter((issue) => issue.type === 'IdentityDataValidationFailed');
    expect(withoutMail.map((issue) => issue.dn)).toContain(`uid=user00249,ou=people,${slapd.baseDn}`);
    const warnings = issues.filter((issue) => issue.severity === 'warning');
    expect(warnings.length).toBe(result.counts.warnings);
    expect(warnings.every((issue) => issue.attribute === 'businessPhones' || issue.attribute === 'mobilePhone')).toBe(
      true,
    );
    // A messy phone is still synced verbatim.
    const messy = warnings.find((issue) => issue.attribute === 'mobilePhone' && issue.userId === null);
    expect(messy).toBeDefined();
    const messyIndex = Number(/uid=user(\d{5})/.exec(messy?.dn ?? '')?.[1]);
    const [messyMail] = await ldapValues(messyIndex, 'mail');
    const [messyMobile] = await ldapValues(messyIndex, 'mobile');
    expect((await user(messyMail as string))?.mobilePhone).toBe(messyMobile);
  });

  it('updates just the modified user in a delta run', async () => {
    const [mail] = await ldapValues(7, 'mail');
    await slapd.modify(
      `dn: uid=user00007,ou=people,${slapd.baseDn}\nchangetype: modify\nreplace: mobile\nmobile: +1 2065550777\n`,
    );
    const result = await container.directorySync.runDelta();
    expect(result).toMatchObject({ kind: 'delta', status: 'succeeded' });
    expect(result.counts.updated).toBe(1);
    expect(result.counts.added + result.counts.deleted).toBe(0);
    // The changed entry, plus the previous run's objects in error, read again (and still in error).
    expect(result.counts.read - result.counts.errors).toBeLessThan(5);
    expect(result.counts.errors).toBeGreaterThan(0);
    expect((await user(mail as string))?.mobilePhone).toBe('+1 2065550777');
  });

  it('retries the objects in error in a delta run: a duplicate UPN freed elsewhere is synced', async () => {
    // user00096 has user00095's mail (the UPN source): in error until user00095 takes another address.
    const [mail] = await ldapValues(96, 'mail');
    expect(await ldapValues(95, 'mail')).toEqual([mail]);
    expect(await user(mail as string)).toMatchObject({
      onPremisesDistinguishedName: expect.stringContaining('user00095'),
    });
    await slapd.modify(
      `dn: uid=user00095,ou=people,${slapd.baseDn}\nchangetype: modify\nreplace: mail\nmail: moved.95@example.org\n`,
    );
    const result = await container.directorySync.runDelta();
    expect(result).toMatchObject({ kind: 'delta', status: 'succeeded' });
    expect(result.counts.added).toBe(1);
    expect(await user(mail as string)).toMatchObject({
      onPremisesDistinguishedName: `uid=user00096,ou=people,${slapd.baseDn}`,
    });
    expect(await user('moved.95@example.org')).toBeDefined();
  });

  it('soft-deletes a user whose entry was deleted', async () => {
    const [mail] = await ldapValues(11, 'mail');
    expect(await user(mail as string)).toBeDefined();
    await slapd.modify(`dn: uid=user00011,ou=people,${slapd.baseDn}\nchangetype: delete\n`);
    const result = await container.directorySync.runDelta();
    expect(result).toMatchObject({ kind: 'delta', status: 'succeeded', counts: { deleted: 1, added: 0 } });
    expect(await user(mail as string)).toBeUndefined();
    const row = await database.store.db
      .selectFrom('users')
      .select('soft_deleted_at')
      .where('upn_key', '=', (mail as string).toLowerCase())
      .executeTakeFirstOrThrow();
    expect(row.soft_deleted_at).not.toBeNull();
  });

  it('schedules a delta run, and a full run after a mapping change', async () => {
    expect((await container.directorySync.runScheduled())?.kind).toBe('delta');
    await container.directorySync.update(operator, {
      mappings: [
        ...defaultMappings('openldap').filter((rule) => rule.target !== 'officeLocation'),
        { target: 'officeLocation', source: { kind: 'constant', value: 'HQ' } },
      ],
    });
    const full = await container.directorySync.runScheduled();
    expect(full).toMatchObject({ kind: 'full', status: 'succeeded' });
    const [mail] = await ldapValues(0, 'mail');
    expect((await user(mail as string))?.officeLocation).toBe('HQ');
    expect((await container.directorySync.runScheduled())?.kind).toBe('delta');
  });

  it('reports a failed run when the directory refuses the bind', async () => {
    await container.directorySync.update(operator, { bindPassword: 'wrong-password' });
    const result = await container.directorySync.runDelta();
    expect(result.status).toBe('failed');
    expect(result.message).not.toContain('wrong-password');
    await container.directorySync.update(operator, { bindPassword: slapd.writerPassword });
  });
});
