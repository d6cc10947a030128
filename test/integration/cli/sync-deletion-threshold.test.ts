import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteDatabase, type TestDatabase } from '../../support/databases.js';
import { ssprInProcess } from '../../support/run-sspr.js';
import { generateUsers, openLdapSyncFlags, type RunningSlapd, startSlapd } from '../../support/slapd.js';

const sspr = (args: readonly string[]) => ssprInProcess(args);

// SQLite, as the other `sspr sync` tests: every command opens the store and runs the migrations, whose table look-up
// on PostgreSQL reads every schema and fails when a parallel test drops its own meanwhile. The store's dialects are
// covered by the service, portal and API tests.
describe('sspr sync with the deletion threshold', { timeout: 60_000 }, () => {
  let slapd: RunningSlapd;
  let database: TestDatabase;
  let dir: string;
  let store: string[];

  beforeAll(async () => {
    [slapd, database] = await Promise.all([
      startSlapd({ ldif: generateUsers({ count: 10, knownPasswordCount: 0 }).ldif }),
      createSqliteDatabase(),
    ]);
    dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-cli-threshold-'));
    store = ['--data-dir', dir, '--database-url', database.url];
    writeFileSync(path.join(dir, 'bind-password'), slapd.writerPassword, { mode: 0o600 });
  });
  afterAll(async () => {
    await slapd?.stop();
    await database?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const deleteEntries = (indexes: readonly number[]) =>
    slapd.modify(
      indexes
        .map((index) => `dn: uid=user${String(index).padStart(5, '0')},ou=people,${slapd.baseDn}\nchangetype: delete\n`)
        .join('\n'),
    );
  const liveUsers = async () =>
    Number(
      (
        await database.store.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll().as('total'))
          .where('on_premises_sync_enabled', '=', 1)
          .where('soft_deleted_at', 'is', null)
          .executeTakeFirstOrThrow()
      ).total,
    );

  it('configures the threshold (default 500) and shows it in the settings', async () => {
    const configured = await sspr([
      'sync',
      'configure',
      ...store,
      ...openLdapSyncFlags(slapd, path.join(dir, 'bind-password')),
    ]);
    expect(configured.code, configured.stderr).toBe(0);
    expect(configured.stdout).toMatch(/deletionThreshold\s+: 500/);
    const refused = await sspr(['sync', 'configure', ...store, '--deletion-threshold', 'many']);
    expect(refused.code).toBe(1);
    expect(refused.error?.message).toContain('deletionThreshold: a whole number from 0 to 10000000 is expected');
    const changed = await sspr(['sync', 'configure', ...store, '--deletion-threshold', '5', '--output', 'json']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ deletionThreshold: 5, pageSize: 1000 });

    const first = await sspr(['sync', 'run', '--full', ...store, '--output', 'json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'succeeded', counts: { added: 10 } });
  });

  it('stops a run that would delete 6 users, says why and how to go on, and exits non-zero', async () => {
    await deleteEntries([0, 1, 2, 3, 4, 5]);
    // A dry run first: it predicts the stop, exits non-zero as the real run would, and changes nothing.
    const dry = await sspr(['sync', 'run', '--dry-run', ...store]);
    expect(dry.code).toBe(1);
    expect(dry.error?.message).toMatch(/^dry run \S+: a real run would stop here: it would soft-delete 6 users/);
    expect(await liveUsers()).toBe(10);

    const stopped = await sspr(['sync', 'run', ...store]);
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toMatch(/status\s+.*\bdeletionThreshold\b/);
    expect(stopped.stdout).toMatch(/stopped-deletion-threshold-exceeded\s.*\s0\s.*\s6\s+5\s*$/m);
    expect(stopped.error?.message).toContain('would soft-delete 6 users, more than the deletion threshold (5)');
    expect(stopped.error?.message).toContain('sspr sync run --allow-deletions');
    expect(await liveUsers()).toBe(10);

    const json = await sspr(['sync', 'run', ...store, '--output', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: 'delta',
      status: 'stopped-deletion-threshold-exceeded',
      counts: { deleted: 0 },
      pendingDeletions: 6,
      deletionThreshold: 5,
    });

    const status = await sspr(['sync', 'status', ...store, '--output', 'json']);
    const shown = JSON.parse(status.stdout);
    expect(shown.settings).toMatchObject({ deletionThreshold: 5 });
    expect(shown.runs[0]).toMatchObject({
      status: 'stopped-deletion-threshold-exceeded',
      pendingDeletions: 6,
      deletionThreshold: 5,
    });
    const table = await sspr(['sync', 'status', ...store]);
    expect(table.stdout).toContain('stopped-deletion-threshold-exceeded');
    // A stopped full run is to be repeated as a full run: a delta may not see the users that left the scope.
    const full = await sspr(['sync', 'run', '--full', ...store]);
    expect(full.code).toBe(1);
    expect(full.error?.message).toContain('sspr sync run --full --allow-deletions');
    expect(await liveUsers()).toBe(10);
  });

  it('deletes them with --allow-deletions, 3 more in a normal run, and any number at 0', async () => {
    const allowed = await sspr(['sync', 'run', '--allow-deletions', ...store, '--output', 'json']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ status: 'succeeded', counts: { deleted: 6 } });
    expect(await liveUsers()).toBe(4);

    await deleteEntries([6, 7, 8]);
    const three = await sspr(['sync', 'run', ...store, '--output', 'json']);
    expect(three.code, three.stderr).toBe(0);
    expect(JSON.parse(three.stdout)).toMatchObject({ status: 'succeeded', counts: { deleted: 3 } });

    await slapd.add(generateUsers({ count: 6, start: 20, knownPasswordCount: 0 }).ldif);
    expect(JSON.parse((await sspr(['sync', 'run', ...store, '--output', 'json'])).stdout)).toMatchObject({
      status: 'succeeded',
      counts: { added: 6 },
    });
    expect(await liveUsers()).toBe(7);

    // A typo in the base DN: the scope matches nothing and the run stops before deleting everyone.
    await slapd.add(`dn: ou=nobody,ou=people,${slapd.baseDn}\nobjectClass: organizationalUnit\nou: nobody\n`);
    await sspr(['sync', 'configure', ...store, '--base-dn', `ou=nobody,ou=people,${slapd.baseDn}`]);
    const typo = await sspr(['sync', 'run', '--full', ...store, '--output', 'json']);
    expect(typo.code).toBe(1);
    expect(JSON.parse(typo.stdout)).toMatchObject({
      status: 'stopped-deletion-threshold-exceeded',
      pendingDeletions: 7,
    });
    expect(await liveUsers()).toBe(7);

    // At 0 there is no limit.
    expect((await sspr(['sync', 'configure', ...store, '--deletion-threshold', '0'])).code).toBe(0);
    const none = await sspr(['sync', 'run', '--full', ...store, '--output', 'json']);
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({ status: 'succeeded', counts: { read: 0, deleted: 7 } });
    expect(await liveUsers()).toBe(0);
  });
});
