import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../../src/container.js';
import type { RequestContext } from '../../../src/domain/audit.js';
import { dialectsUnderTest, type TestDatabase } from '../../support/databases.js';
import { generateUsers, type RunningSlapd } from '../../support/slapd.js';
import { liveSyncedDns, type SlapdSync, startSlapdSync } from '../../support/slapd-sync.js';

const operator: RequestContext = { principal: { kind: 'operator', name: 't' }, correlationId: 'c', ipAddress: null };
const uid = (index: number) => `user${String(index).padStart(5, '0')}`;

// The safeguard against accidental deletes with a real slapd: deleted entries are found by the delta's anchor scan
// and by full runs, and held back while they are more than the threshold.
describe.each(dialectsUnderTest)('directory sync deletion threshold on $name', { timeout: 20_000 }, (dialect) => {
  let slapd: RunningSlapd;
  let database: TestDatabase;
  let container: Container;
  let setup: SlapdSync | undefined;

  beforeAll(async () => {
    setup = await startSlapdSync(dialect, {
      ldif: generateUsers({ count: 10, knownPasswordCount: 0 }).ldif,
      settings: { pageSize: 4 },
    });
    ({ slapd, database, container } = setup);
  });
  afterAll(async () => {
    await setup?.close();
  });

  /** The uids of the synced users not deleted. */
  const live = async () => (await liveSyncedDns(database)).map((dn) => /^uid=([^,]+)/.exec(dn)?.[1]).sort();
  const deleteEntries = (indexes: readonly number[]) =>
    slapd.modify(
      indexes.map((index) => `dn: uid=${uid(index)},ou=people,${slapd.baseDn}\nchangetype: delete\n`).join('\n'),
    );
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, offset) => from + offset);

  it('syncs 10 users with the default threshold of 500', async () => {
    expect((await container.directorySync.settings())?.deletionThreshold).toBe(500);
    expect(await container.directorySync.runFull()).toMatchObject({ status: 'succeeded', counts: { added: 10 } });
    expect(await live()).toEqual(range(0, 9).map(uid));
    await container.directorySync.update(operator, { deletionThreshold: 5 });
  });

  it('stops a delta and a full run that would delete 6 users: nothing deleted, creates and updates applied', async () => {
    await deleteEntries(range(0, 5));
    await slapd.add(generateUsers({ count: 1, start: 10, knownPasswordCount: 0 }).ldif);
    await slapd.modify(
      `dn: uid=${uid(9)},ou=people,${slapd.baseDn}\nchangetype: modify\nreplace: mobile\nmobile: +1 2065550999\n`,
    );

    // Dry runs predict the stop (the delta through its anchor scan, the full run by the users it did not meet).
    const dryRuns = [
      () => container.directorySync.runDelta({ dryRun: true }),
      () => container.directorySync.runFull({ dryRun: true }),
    ];
    for (const dryRun of dryRuns) {
      expect(await dryRun()).toMatchObject({
        dryRun: true,
        status: 'stopped-deletion-threshold-exceeded',
        counts: { deleted: 0 },
        pendingDeletions: 6,
        deletionThreshold: 5,
      });
    }
    expect(await container.directorySync.runDelta({ dryRun: true, allowDeletions: true })).toMatchObject({
      status: 'succeeded',
      counts: { deleted: 6 },
    });
    expect(await live()).toEqual(range(0, 9).map(uid));

    const delta = await container.directorySync.runDelta();
    expect(delta).toMatchObject({
      kind: 'delta',
      status: 'stopped-deletion-threshold-exceeded',
      counts: { added: 1, updated: 1, deleted: 0 },
      pendingDeletions: 6,
      deletionThreshold: 5,
    });
    expect(delta.message).toContain('would soft-delete 6 users, more than the deletion threshold (5)');
    expect(await live()).toEqual(range(0, 10).map(uid));
    const [mail] = (await slapd.search(`uid=${uid(9)},ou=people,${slapd.baseDn}`, '(objectClass=*)', ['mail'], 'base'))
      .split('\n')
      .filter((line) => line.startsWith('mail: '))
      .map((line) => line.slice('mail: '.length));
    expect((await container.users.getUser(operator, mail as string)).mobilePhone).toBe('+1 2065550999');
    expect(await container.directorySync.findRun(delta.runId)).toMatchObject({
      status: 'stopped-deletion-threshold-exceeded',
      watermark: null,
      pendingDeletions: 6,
      deletionThreshold: 5,
    });

    // The next normal runs stop again while the condition holds, a full one as well.
    expect(await container.directorySync.runDelta()).toMatchObject({
      status: 'stopped-deletion-threshold-exceeded',
      counts: { added: 0, deleted: 0 },
      pendingDeletions: 6,
    });
    expect(await container.directorySync.runFull()).toMatchObject({
      status: 'stopped-deletion-threshold-exceeded',
      counts: { read: 5, added: 0, deleted: 0 },
      pendingDeletions: 6,
    });
    expect(await live()).toEqual(range(0, 10).map(uid));
    const events = await database.store.db
      .selectFrom('audit_events')
      .select('activity_display_name')
      .where('activity_display_name', '=', 'Directory synchronization deletion threshold exceeded')
      .execute();
    expect(events).toHaveLength(3);
  });

  it('deletes them in one run allowed to, then stops again only when the condition comes back', async () => {
    expect(await container.directorySync.runDelta({ allowDeletions: true })).toMatchObject({
      kind: 'delta',
      status: 'succeeded',
      counts: { deleted: 6 },
    });
    expect(await live()).toEqual(range(6, 10).map(uid));
    expect(await container.directorySync.runDelta()).toMatchObject({ status: 'succeeded', counts: { deleted: 0 } });
  });

  it('deletes 3 users (under the threshold) in a normal run', async () => {
    await deleteEntries([6, 7, 8]);
    expect(await container.directorySync.runDelta()).toMatchObject({ status: 'succeeded', counts: { deleted: 3 } });
    expect(await live()).toEqual([uid(9), uid(10)]);
  });

  it('has no limit at 0', async () => {
    await slapd.add(generateUsers({ count: 6, start: 20, knownPasswordCount: 0 }).ldif);
    expect(await container.directorySync.runDelta()).toMatchObject({ status: 'succeeded', counts: { added: 6 } });
    await deleteEntries([9, 10, ...range(20, 25)]);
    expect(await container.directorySync.runDelta()).toMatchObject({
      status: 'stopped-deletion-threshold-exceeded',
      pendingDeletions: 8,
    });
    await container.directorySync.update(operator, { deletionThreshold: 0 });
    expect(await container.directorySync.runDelta()).toMatchObject({ status: 'succeeded', counts: { deleted: 8 } });
    expect(await live()).toEqual([]);
  });
});
