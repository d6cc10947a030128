import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdapDirectory } from '../../../src/connectors/ldap/ldap-directory.js';
import { escapeFilterValue, LdapDirectorySource } from '../../../src/connectors/ldap/ldap-directory-source.js';
import { type DirectoryEntry, defaultMappings, mapEntry } from '../../../src/domain/directory-mapping.js';
import { generateUsers, type RunningSlapd, startSlapd } from '../../support/slapd.js';

const COUNT = 1_200;
let slapd: RunningSlapd;
let ldap: LdapDirectory;
let source: LdapDirectorySource;

async function collect<T>(pages: AsyncIterable<readonly T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}

beforeAll(async () => {
  slapd = await startSlapd({ ldif: generateUsers({ count: COUNT }).ldif });
  ldap = new LdapDirectory({ urls: [slapd.url], bindDn: slapd.adminDn, bindPassword: slapd.adminPassword });
  source = new LdapDirectorySource(ldap, {
    flavor: 'openldap',
    baseDns: [`ou=people,${slapd.baseDn}`],
    pageSize: 500,
    rules: defaultMappings('openldap'),
  });
});

afterAll(async () => {
  await ldap?.close();
  await slapd?.stop();
});

describe('the directory sync source over slapd', () => {
  it('streams every user in scope with the attributes the mappings need, and maps them', async () => {
    const entries: DirectoryEntry[] = await collect(source.pages());
    expect(entries).toHaveLength(COUNT);
    const outcomes = entries.map((entry) => mapEntry(entry, defaultMappings('openldap'), 'openldap'));
    const mapped = outcomes.filter((outcome) => outcome.ok);
    expect(mapped.length).toBeGreaterThan(COUNT * 0.9);
    // Messy phones are synced verbatim with a warning; users without mail fail with Entra's error type.
    expect(outcomes.some((outcome) => outcome.ok && outcome.warnings.length > 0)).toBe(true);
    expect(outcomes.some((outcome) => !outcome.ok && outcome.error.type === 'IdentityDataValidationFailed')).toBe(true);
  });

  it('lists every anchor for the deletion scan', async () => {
    const anchors = await collect(source.anchors());
    expect(new Set(anchors).size).toBe(COUNT);
  });

  it('finds only what changed since the watermark', async () => {
    const before = await source.currentWatermark();
    expect(before).toMatch(/^\d{14}\.\d{6}Z#/);
    const dn = `uid=user00007,ou=people,${slapd.baseDn}`;
    await slapd.modify(`dn: ${dn}\nchangetype: modify\nreplace: mobile\nmobile: +1 4255559999\n`);
    const after = await source.currentWatermark();
    expect(after > before).toBe(true);
    const changed = await collect(source.changedSince(after));
    expect(changed.map((entry) => entry.dn)).toEqual([dn]);
    const sinceBefore = await collect(source.changedSince(before));
    expect(sinceBefore.map((entry) => entry.dn)).toContain(dn);
    expect(sinceBefore.length).toBeLessThan(5);
  });

  it('escapes filter values', () => {
    expect(escapeFilterValue('a*b(c)\\d')).toBe('a\\2ab\\28c\\29\\5cd');
  });
});
