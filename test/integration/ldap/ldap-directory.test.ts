import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DirectoryError,
  DirectoryPasswordRefused,
  DirectoryUnavailable,
  LdapDirectory,
} from '../../../src/connectors/ldap/ldap-directory.js';
import { type GeneratedUser, generateUsers, type RunningSlapd, startSlapd } from '../../support/slapd.js';

const COUNT = 2_500;
let slapd: RunningSlapd;
let known: readonly GeneratedUser[];
const directories: LdapDirectory[] = [];

function directory(overrides: Partial<ConstructorParameters<typeof LdapDirectory>[0]> = {}): LdapDirectory {
  const created = new LdapDirectory({
    urls: [slapd.url],
    bindDn: slapd.writerDn,
    bindPassword: slapd.writerPassword,
    timeoutMs: 10_000,
    connectTimeoutMs: 2_000,
    ...overrides,
  });
  directories.push(created);
  return created;
}

function knownUser(index: number): GeneratedUser {
  const user = known[index];
  if (!user) throw new Error(`no known user ${index}`);
  return user;
}

beforeAll(async () => {
  const generated = generateUsers({ count: COUNT, knownPasswordCount: 6 });
  known = generated.knownUsers;
  slapd = await startSlapd({ ldif: generated.ldif });
});

afterAll(async () => {
  await Promise.all(directories.map((d) => d.close()));
  await slapd?.stop();
});

describe('LdapDirectory against a private slapd', () => {
  it('streams a paged search: pages of 1,000, every entry once', async () => {
    const ldap = directory();
    const sizes: number[] = [];
    const dns = new Set<string>();
    for await (const page of ldap.searchPages({
      baseDn: `ou=people,${slapd.baseDn}`,
      filter: '(objectClass=inetOrgPerson)',
      attributes: ['uid', 'cn', 'mail', 'telephoneNumber', 'mobile', 'entryUUID'],
      pageSize: 1_000,
    })) {
      sizes.push(page.length);
      for (const entry of page) dns.add(entry.dn);
    }
    expect(sizes).toEqual([1_000, 1_000, 500]);
    expect(dns.size).toBe(COUNT);
  });

  it('returns text attributes as strings (non-ASCII decoded, entryUUID) and binary ones as Buffers', async () => {
    const ldap = directory();
    const photo = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x80, 0xfe, 0x01, 0x02]);
    await slapd.add(
      `dn: uid=binary.user,ou=people,${slapd.baseDn}\nobjectClass: inetOrgPerson\nuid: binary.user\ncn:: ${Buffer.from('Zoë Łukasz').toString('base64')}\nsn: User\njpegPhoto:: ${photo.toString('base64')}\n`,
    );
    const pages = [];
    for await (const page of ldap.searchPages({
      baseDn: `ou=people,${slapd.baseDn}`,
      filter: '(uid=binary.user)',
      attributes: ['uid', 'cn', 'entryUUID', 'jpegPhoto'],
      binaryAttributes: ['jpegPhoto'],
    })) {
      pages.push(page);
    }
    const entry = pages.flat()[0];
    expect(entry?.dn).toBe(`uid=binary.user,ou=people,${slapd.baseDn}`);
    expect(entry?.attributes.cn).toEqual(['Zoë Łukasz']);
    expect(entry?.attributes.entryUUID?.[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(entry?.binary?.jpegPhoto?.[0]?.equals(photo)).toBe(true);
    expect(entry?.attributes.jpegPhoto).toBeUndefined();
  });

  it('verifies passwords with a bind: right, wrong, empty, unknown user', async () => {
    const ldap = directory();
    const user = knownUser(0);
    expect(await ldap.verifyPassword(user.dn, user.password)).toBe(true);
    expect(await ldap.verifyPassword(user.dn, 'not-the-password')).toBe(false);
    expect(await ldap.verifyPassword(user.dn, '')).toBe(false);
    expect(await ldap.verifyPassword(`uid=nobody,ou=people,${slapd.baseDn}`, 'whatever1')).toBe(false);
  });

  it('sets a password with the Password Modify operation; the new one binds, the old one no longer', async () => {
    const ldap = directory();
    const user = knownUser(1);
    await ldap.setPasswordOpenLdap(user.dn, 'Brand-New-Passw0rd', { asAdmin: true });
    expect(await ldap.verifyPassword(user.dn, 'Brand-New-Passw0rd')).toBe(true);
    expect(await ldap.verifyPassword(user.dn, user.password)).toBe(false);
  });

  it('lets a user change their own password with the old one', async () => {
    const ldap = directory();
    const user = knownUser(2);
    await ldap.setPasswordOpenLdap(user.dn, 'Self-Chosen-Pass1', { asAdmin: false, oldPassword: user.password });
    expect(await ldap.verifyPassword(user.dn, 'Self-Chosen-Pass1')).toBe(true);
  });

  it('surfaces a ppolicy refusal for a too-short password as DirectoryPasswordRefused(too_short)', async () => {
    const ldap = directory();
    const user = knownUser(3);
    const error = await ldap.setPasswordOpenLdap(user.dn, 'short', { asAdmin: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryPasswordRefused);
    expect((error as DirectoryPasswordRefused).reason).toBe('too_short');
    expect((error as Error).message).not.toContain('short,');
    expect((error as Error).message).not.toContain(slapd.writerPassword);
    expect(await ldap.verifyPassword(user.dn, user.password)).toBe(true);
  });

  it('surfaces a password from the history as DirectoryPasswordRefused(in_history)', async () => {
    const ldap = directory();
    const user = knownUser(4);
    await ldap.setPasswordOpenLdap(user.dn, 'History-Pass-One', { asAdmin: true });
    await ldap.setPasswordOpenLdap(user.dn, 'History-Pass-Two', { asAdmin: true });
    const error = await ldap.setPasswordOpenLdap(user.dn, 'History-Pass-One', { asAdmin: true }).catch((e) => e);
    expect(error).toBeInstanceOf(DirectoryPasswordRefused);
    expect((error as DirectoryPasswordRefused).reason).toBe('in_history');
  });

  it('fails over: a dead first URL, then the live one', async () => {
    const dead = await deadUrl();
    const ldap = directory({ urls: [dead, slapd.url] });
    expect(await ldap.verifyPassword(knownUser(0).dn, knownUser(0).password)).toBe(true);
    let count = 0;
    for await (const page of ldap.searchPages({
      baseDn: slapd.baseDn,
      filter: '(uid=user0000*)',
      attributes: ['uid'],
    })) {
      count += page.length;
    }
    expect(count).toBe(10);
  });

  it('reports every URL when none answers, without the bind password', async () => {
    const ldap = directory({ urls: [await deadUrl(), await deadUrl()] });
    const error = await ldap.contextCsn(slapd.baseDn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryUnavailable);
    expect((error as DirectoryUnavailable).attempts).toHaveLength(2);
    expect((error as Error).message).not.toContain(slapd.writerPassword);
  });

  it('refuses a wrong service bind password with a DirectoryError that does not contain it', async () => {
    const ldap = directory({ bindPassword: 'Wrong-Service-Secret' });
    const error = await ldap.contextCsn(slapd.baseDn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryError);
    expect((error as DirectoryError).resultCode).toBe(49);
    expect((error as Error).message).not.toContain('Wrong-Service-Secret');
  });

  it('reads contextCSN, which moves after a modify', async () => {
    const ldap = directory();
    const before = await ldap.contextCsn(slapd.baseDn);
    expect(before).toMatch(/^\d{14}\.\d{6}Z#[0-9a-f]{6}#[0-9a-f]{3}#[0-9a-f]{6}$/);
    await slapd.modify(
      `dn: uid=user00100,ou=people,${slapd.baseDn}\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: +1 4255550199\n`,
    );
    const after = await ldap.contextCsn(slapd.baseDn);
    expect(after).not.toBe(before);
    expect((after ?? '') > (before ?? '')).toBe(true);
    expect(await ldap.highestCommittedUsn()).toBeNull();
  });

  it('refuses Active Directory password writes without TLS', async () => {
    const ldap = directory();
    await expect(ldap.setPasswordActiveDirectory(knownUser(5).dn, 'Whatever-Pass1')).rejects.toThrow(/TLS/);
  });
});

/** A loopback URL where nothing listens (a port just released). */
async function deadUrl(): Promise<string> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 1;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `ldap://127.0.0.1:${port}/`;
}
