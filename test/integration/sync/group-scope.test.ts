import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../../src/container.js';
import type { RequestContext } from '../../../src/domain/audit.js';
import { dialectsUnderTest, type TestDatabase } from '../../support/databases.js';
import { sspr } from '../../support/run-sspr.js';
import { generateUsers, openLdapSyncFlags, type RunningSlapd } from '../../support/slapd.js';
import { liveSyncedDns, type SlapdSync, startSlapdSync } from '../../support/slapd-sync.js';

const operator: RequestContext = { principal: { kind: 'operator', name: 't' }, correlationId: 'c', ipAddress: null };
const uid = (index: number) => `uid=user${String(index).padStart(5, '0')},ou=people,dc=example,dc=org`;
const groupDn = 'cn=sspr-users,ou=groups,dc=example,dc=org';

/** 60 users; the group holds users 0-19 (as `member`). */
function directoryLdif(): string {
  const members = Array.from({ length: 20 }, (_, index) => `member: ${uid(index)}`).join('\n');
  return `${generateUsers({ count: 60, knownPasswordCount: 0 }).ldif}
dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups

dn: ${groupDn}
objectClass: groupOfNames
cn: sspr-users
${members}
`;
}

describe.each(dialectsUnderTest)('group scope on $name', { timeout: 30_000 }, (dialect) => {
  let slapd: RunningSlapd;
  let database: TestDatabase;
  let container: Container;
  let setup: SlapdSync | undefined;

  beforeAll(async () => {
    setup = await startSlapdSync(dialect, { ldif: directoryLdif(), settings: { groupDn, pageSize: 25 } });
    ({ slapd, database, container } = setup);
  });
  afterAll(async () => {
    await setup?.close();
  });

  const syncedDns = () => liveSyncedDns(database);

  it('syncs only the members of the group', async () => {
    expect((await container.directorySync.settings())?.groupDn).toBe(groupDn);
    const result = await container.directorySync.runFull();
    expect(result.status, result.message ?? '').toBe('succeeded');
    expect(result.counts.read).toBe(20);
    expect(await syncedDns()).toEqual(Array.from({ length: 20 }, (_, index) => uid(index)).sort());
  });

  it('soft-deletes members leaving the group and adds new members in a delta run', async () => {
    await slapd.modify(
      `dn: ${groupDn}\nchangetype: modify\ndelete: member\nmember: ${uid(3)}\nmember: ${uid(4)}\n-\nadd: member\nmember: ${uid(40)}\nmember: ${uid(41)}\nmember: ${uid(42)}\n`,
    );
    const result = await container.directorySync.runDelta();
    expect(result).toMatchObject({ kind: 'delta', status: 'succeeded', counts: { added: 3, deleted: 2 } });
    const expected = [...Array.from({ length: 20 }, (_, index) => index).filter((i) => i !== 3 && i !== 4), 40, 41, 42];
    expect(await syncedDns()).toEqual(expected.map(uid).sort());
    const left = await database.store.db
      .selectFrom('users')
      .select('soft_deleted_at')
      .where('on_premises_distinguished_name', '=', uid(3))
      .executeTakeFirstOrThrow();
    expect(left.soft_deleted_at).not.toBeNull();
  });

  it('fails the run clearly when the group does not exist', async () => {
    await container.directorySync.update(operator, { groupDn: 'cn=missing,ou=groups,dc=example,dc=org' });
    const result = await container.directorySync.runFull();
    expect(result.status).toBe('failed');
    expect(result.message).toContain('cn=missing,ou=groups,dc=example,dc=org');
    // Nothing was deleted by the failed run.
    expect((await syncedDns()).length).toBe(21);
    await container.directorySync.update(operator, { groupDn: '' });
    expect((await container.directorySync.settings())?.groupDn).toBeNull();
  });

  // The CLI reads its own SQLite data folder: registered for the SQLite dialect alone.
  (dialect.name === 'sqlite' ? it : () => undefined)(
    'is set and cleared with sspr sync configure --group-dn',
    async () => {
      const cliDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-group-cli-'));
      try {
        const passwordFile = path.join(cliDir, 'bind-password');
        writeFileSync(passwordFile, slapd.writerPassword);
        const store = ['--data-dir', cliDir];
        const configure = (...extra: string[]) =>
          sspr(['sync', 'configure', ...store, '--output', 'json', ...extra], {});
        const first = await configure(...openLdapSyncFlags(slapd, passwordFile), '--group-dn', groupDn);
        expect(first.code, first.stderr).toBe(0);
        expect(JSON.parse(first.stdout)).toMatchObject({ groupDn });
        const cleared = await configure('--group-dn', '');
        expect(cleared.code, cleared.stderr).toBe(0);
        expect(JSON.parse(cleared.stdout)).toMatchObject({ groupDn: null });
      } finally {
        rmSync(cliDir, { recursive: true, force: true });
      }
    },
  );
});
