import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { type Container, createContainer } from '../../../src/container.js';
import type { RequestContext } from '../../../src/domain/audit.js';
import type { DirectoryEntry } from '../../../src/domain/directory-mapping.js';
import type { DirectorySource } from '../../../src/services/sync/directory-sync-service.js';
import { dialectsUnderTest, type TestDatabase } from '../../support/databases.js';

const operator: RequestContext = { principal: { kind: 'operator', name: 't' }, correlationId: 'c', ipAddress: null };

interface Person {
  readonly n: number;
  readonly uid?: string;
  readonly mail?: string;
  readonly cn?: string;
  readonly telephoneNumber?: string;
  readonly mobile?: string;
  readonly title?: string;
}

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function anchor(n: number): string {
  return Buffer.from(uuid(n).replace(/-/g, ''), 'hex').toString('base64');
}

function entry(person: Person): DirectoryEntry {
  const uid = person.uid ?? `user${person.n}`;
  const attributes: Record<string, string[]> = {
    entryUUID: [uuid(person.n)],
    uid: [uid],
    cn: [person.cn ?? `User ${person.n}`],
    sn: [`Surname${person.n}`],
    mail: [person.mail ?? `${uid}@contoso.com`],
  };
  if (person.telephoneNumber !== undefined) attributes.telephoneNumber = [person.telephoneNumber];
  if (person.mobile !== undefined) attributes.mobile = [person.mobile];
  if (person.title !== undefined) attributes.title = [person.title];
  return { dn: `uid=${uid},ou=people,dc=contoso,dc=com`, attributes };
}

/** An in-memory directory: pages of `pageSize`, and optionally a failure after `failAfterPages` pages. */
class MemorySource implements DirectorySource {
  constructor(
    private readonly entries: readonly DirectoryEntry[],
    private readonly options: {
      readonly pageSize?: number;
      readonly failAfterPages?: number;
      readonly watermark?: string;
      readonly changed?: readonly DirectoryEntry[];
    } = {},
  ) {}

  async *pages(): AsyncIterable<readonly DirectoryEntry[]> {
    yield* this.paged(this.entries);
  }

  async *changedSince(): AsyncIterable<readonly DirectoryEntry[]> {
    yield* this.paged(this.options.changed ?? []);
  }

  async *anchors(): AsyncIterable<readonly string[]> {
    yield this.entries.map((item) => anchorOfEntry(item));
  }

  async currentWatermark(): Promise<string> {
    return this.options.watermark ?? 'w1';
  }

  private async *paged(items: readonly DirectoryEntry[]): AsyncIterable<readonly DirectoryEntry[]> {
    const size = this.options.pageSize ?? 3;
    let pages = 0;
    for (let index = 0; index < items.length; index += size) {
      if (this.options.failAfterPages !== undefined && pages === this.options.failAfterPages) {
        throw new Error(`connection reset after ${pages} pages`);
      }
      yield items.slice(index, index + size);
      pages++;
    }
  }
}

function anchorOfEntry(item: DirectoryEntry): string {
  const value = item.attributes.entryUUID?.[0] ?? '';
  return Buffer.from(value.replace(/-/g, ''), 'hex').toString('base64');
}

/** A `MemorySource` of one entry a page whose third page waits for `gate`: a run stays mid-way until it opens. */
class GatedSource extends MemorySource {
  constructor(
    entries: readonly DirectoryEntry[],
    private readonly gate: Promise<void>,
  ) {
    super(entries, { pageSize: 1 });
  }

  override async *pages(): AsyncIterable<readonly DirectoryEntry[]> {
    let index = 0;
    for await (const page of super.pages()) {
      if (index++ === 2) await this.gate;
      yield page;
    }
  }
}

/**
 * A directory that reports its deletions itself, as AD does with tombstones (no anchor scan): a delta from a
 * watermark before `deletedAt` reads `changes`, tombstones included; a later one reads nothing.
 */
class TombstoneSource implements DirectorySource {
  /** The watermark each delta run read from. */
  readonly deltasFrom: string[] = [];

  constructor(
    private readonly changes: readonly DirectoryEntry[],
    private readonly deletedAt: string,
    private readonly watermark: string,
  ) {}

  // biome-ignore lint/correctness/useYield: a delta-only source; a full run is not expected here.
  async *pages(): AsyncIterable<readonly DirectoryEntry[]> {
    throw new Error('TombstoneSource reads deltas only');
  }

  async *changedSince(since: string): AsyncIterable<readonly DirectoryEntry[]> {
    this.deltasFrom.push(since);
    yield since < this.deletedAt ? this.changes : [];
  }

  async currentWatermark(): Promise<string> {
    return this.watermark;
  }
}

function tombstone(n: number): DirectoryEntry {
  return {
    dn: `uid=user${n},cn=Deleted Objects,dc=contoso,dc=com`,
    attributes: { entryUUID: [uuid(n)], isDeleted: ['TRUE'] },
  };
}

const messy: Person[] = [
  { n: 1, telephoneNumber: '+1 4255550100', mobile: '+1 4255550101' },
  { n: 2, telephoneNumber: '425-555-0102', mobile: '+14255550103' },
  { n: 3, telephoneNumber: '+44 20 7946 0958 x123', cn: 'Zoë Ångström' },
  { n: 4, mobile: '' },
  { n: 5, telephoneNumber: '+33 142685300', mobile: '+33 612345678' },
];

describe.each(dialectsUnderTest)('directory sync on $name', (dialect) => {
  let database: TestDatabase;
  let dataDir: string;
  let container: Container;
  let now: Date;

  const configure = (bypassDirSyncOverridesEnabled = false) =>
    container.directorySync.configure({
      flavor: 'openldap',
      urls: ['ldap://127.0.0.1:1'],
      bindDn: 'cn=sync,dc=contoso,dc=com',
      bindPassword: 'bind-secret',
      baseDns: ['ou=people,dc=contoso,dc=com'],
      filter: null,
      groupDn: null,
      pageSize: 3,
      timeoutMs: 1000,
      tls: {},
      intervalMinutes: 30,
      mappings: [],
      bypassDirSyncOverridesEnabled,
      writebackEnabled: false,
    });

  const open = async (db: TestDatabase) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-sync-'));
    const opened = await createContainer(
      loadConfig({ env: {}, flags: { dataDir: dir, tenantDomain: 'contoso.com', logLevel: 'silent' } }),
      { database: db.store, clock: () => now },
    );
    return { container: opened, dir };
  };

  beforeEach(async () => {
    now = new Date('2026-03-01T10:00:00.000Z');
    database = await dialect.create();
    const opened = await open(database);
    container = opened.container;
    dataDir = opened.dir;
    await configure();
  });
  afterEach(async () => {
    await database.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const full = (people: readonly Person[], options: { dryRun?: boolean; failAfterPages?: number } = {}) =>
    container.directorySync.runFull({
      source: new MemorySource(people.map(entry), {
        ...(options.failAfterPages === undefined ? {} : { failAfterPages: options.failAfterPages }),
      }),
      ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
    });
  const user = (upn: string) => container.users.getUser(operator, upn).catch(() => undefined);
  const syncAudits = async () =>
    (
      await database.store.db
        .selectFrom('audit_events')
        .select(['activity_display_name', 'target_resources'])
        .where('logged_by_service', '=', 'Sync')
        .orderBy('id')
        .execute()
    ).map((row) => ({ activity: row.activity_display_name, targets: JSON.parse(row.target_resources) }));

  it('creates synced users with their phones verbatim and reports the unusable ones as warnings', async () => {
    const result = await full(messy);
    expect(result).toMatchObject({ status: 'succeeded', counts: { read: 5, added: 5, errors: 0 } });
    const first = await user('user1@contoso.com');
    expect(first).toMatchObject({
      businessPhones: ['+1 4255550100'],
      mobilePhone: '+1 4255550101',
      onPremisesSyncEnabled: true,
      onPremisesImmutableId: anchor(1),
      onPremisesDistinguishedName: 'uid=user1,ou=people,dc=contoso,dc=com',
      onPremisesLastSyncDateTime: now.toISOString(),
    });
    expect(await user('user2@contoso.com')).toMatchObject({
      businessPhones: ['425-555-0102'],
      mobilePhone: '+14255550103',
    });
    expect(await user('user3@contoso.com')).toMatchObject({ displayName: 'Zoë Ångström' });
    expect(await user('user4@contoso.com')).toMatchObject({ mobilePhone: null, businessPhones: [] });
    const hash = await database.store.db
      .selectFrom('users')
      .select('password_hash')
      .where('upn_key', '=', 'user1@contoso.com')
      .executeTakeFirstOrThrow();
    expect(hash.password_hash).toBeNull();

    const issues = await container.directorySync.issues(result.runId);
    const warnings = issues.filter((issue) => issue.severity === 'warning');
    expect(warnings.map((issue) => issue.dn).sort()).toEqual(
      [
        'uid=user2,ou=people,dc=contoso,dc=com',
        'uid=user2,ou=people,dc=contoso,dc=com',
        'uid=user3,ou=people,dc=contoso,dc=com',
      ].sort(),
    );
    expect(result.counts.warnings).toBe(3);
    const [run] = await container.directorySync.runs(1);
    expect(run).toMatchObject({ id: result.runId, kind: 'full', status: 'succeeded', watermark: 'w1' });
    const activities = (await syncAudits()).map((event) => event.activity);
    expect(activities.filter((name) => name === 'Add user')).toHaveLength(5);
    expect(activities).toContain('Start directory synchronization run');
    expect(activities.at(-1)).toBe('End directory synchronization run');
  });

  it('names who asked for a run in its start event; a scheduled run is the sync’s own', async () => {
    const administrator: RequestContext = {
      principal: { kind: 'operator', name: 'helpdesk-lead' },
      correlationId: 'run-now-1',
      ipAddress: '192.0.2.7',
    };
    await container.directorySync.runFull({ source: new MemorySource(messy.map(entry)), requestedBy: administrator });
    await full(messy);
    const starts = await database.store.db
      .selectFrom('audit_events')
      .select(['initiated_by', 'correlation_id'])
      .where('activity_display_name', '=', 'Start directory synchronization run')
      .orderBy('seq')
      .execute();
    expect(starts.map((row) => [JSON.parse(row.initiated_by), row.correlation_id])).toEqual([
      [{ user: { id: null, userPrincipalName: 'operator:helpdesk-lead', ipAddress: '192.0.2.7' } }, 'run-now-1'],
      [{ app: { appId: 'opensspr-directory-sync', displayName: 'OpenSSPR directory sync' } }, expect.any(String)],
    ]);
  });

  it('schedules a delta after a succeeded full run, however many runs stopped since', async () => {
    const first = await full(messy);
    // 250 runs that did not succeed since (say four days of stops at the deletion threshold).
    const row = await database.store.db
      .selectFrom('directory_sync_runs')
      .selectAll()
      .where('id', '=', first.runId)
      .executeTakeFirstOrThrow();
    const later = Array.from({ length: 250 }, (_, index) => ({
      ...row,
      id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      kind: 'delta',
      status: 'failed',
      started_at: `2999-01-01T00:00:${String(index % 60).padStart(2, '0')}.${String(index).padStart(3, '0')}Z`,
    }));
    await database.store.db.insertInto('directory_sync_runs').values(later).execute();
    const scheduled = await container.directorySync.runScheduled();
    expect(scheduled?.kind).toBe('delta');
  });

  it('finds nothing to do on a second full run, and updates what changed with an audit event', async () => {
    await full(messy);
    expect((await full(messy)).counts).toMatchObject({ read: 5, added: 0, updated: 0, unchanged: 5, deleted: 0 });

    const changed = messy.map((person) =>
      person.n === 2 ? { ...person, title: 'Engineer', mobile: '+1 4255550199' } : person,
    );
    expect((await full(changed)).counts).toMatchObject({ updated: 1, unchanged: 4 });
    expect(await user('user2@contoso.com')).toMatchObject({ jobTitle: 'Engineer', mobilePhone: '+1 4255550199' });
    const update = (await syncAudits()).find((event) => event.activity === 'Update user');
    expect(update?.targets[0].modifiedProperties).toEqual(
      expect.arrayContaining([
        { displayName: 'jobTitle', oldValue: 'null', newValue: '"Engineer"' },
        { displayName: 'mobilePhone', oldValue: '"+14255550103"', newValue: '"+1 4255550199"' },
      ]),
    );
  });

  it('soft-deletes a user that left the scope, hides it, and restores it when it comes back', async () => {
    await full(messy);
    const before = await user('user5@contoso.com');
    const result = await full(messy.filter((person) => person.n !== 5));
    expect(result.counts).toMatchObject({ deleted: 1, unchanged: 4 });
    expect(await user('user5@contoso.com')).toBeUndefined();
    const page = await container.users.listUsers(operator, { top: 100 });
    expect(page.users.map((listed) => listed.userPrincipalName)).not.toContain('user5@contoso.com');
    expect(page.users.map((listed) => listed.userPrincipalName)).toContain('user4@contoso.com');
    expect((await syncAudits()).some((event) => event.activity === 'Delete user')).toBe(true);

    const back = await full(messy);
    expect(back.counts).toMatchObject({ updated: 1, unchanged: 4 });
    expect(await user('user5@contoso.com')).toMatchObject({ id: before?.id, mobilePhone: '+33 612345678' });
    expect((await syncAudits()).some((event) => event.activity === 'Restore user')).toBe(true);
  });

  it('purges users soft-deleted more than 30 days ago', async () => {
    await full(messy);
    await full(messy.filter((person) => person.n !== 5));
    now = new Date(now.getTime() + 31 * 86_400_000);
    await full(messy.filter((person) => person.n !== 5));
    const row = await database.store.db
      .selectFrom('users')
      .select('id')
      .where('upn_key', '=', 'user5@contoso.com')
      .executeTakeFirst();
    expect(row).toBeUndefined();
    expect((await syncAudits()).some((event) => event.activity === 'Hard delete user')).toBe(true);
  });

  it('joins a cloud user by UPN (soft match) and refuses a UPN held by another anchor (InvalidSoftMatch)', async () => {
    const cloud = await container.users.createUser(operator, {
      userPrincipalName: 'user1@contoso.com',
      displayName: 'Cloud One',
      mailNickname: 'user1',
      accountEnabled: true,
      passwordProfile: { password: 'Tq8#Lm2$Vz6!Rp4w', forceChangePasswordNextSignIn: false },
    });
    const result = await full(messy);
    expect(result.counts).toMatchObject({ added: 4, updated: 1, errors: 0 });
    expect(await user('user1@contoso.com')).toMatchObject({
      id: cloud.id,
      displayName: 'User 1',
      onPremisesSyncEnabled: true,
      onPremisesImmutableId: anchor(1),
    });

    // Another object, another anchor, the same UPN: not a soft match.
    const impostor = await full([...messy, { n: 99, uid: 'user1' }].filter((person) => person.n !== 1));
    expect(impostor.counts.errors).toBe(1);
    const issues = await container.directorySync.issues(impostor.runId);
    expect(issues.filter((issue) => issue.severity === 'error')).toEqual([
      expect.objectContaining({ type: 'InvalidSoftMatch', attribute: 'userPrincipalName', anchor: anchor(99) }),
    ]);
  });

  it('reports duplicate UPNs in the source as AttributeValueMustBeUnique; the first one wins', async () => {
    const people: Person[] = [
      { n: 1 },
      { n: 2, uid: 'dup' },
      { n: 3 },
      { n: 4 },
      { n: 5, uid: 'dup' }, // on the next page
      { n: 6, uid: 'dup' }, // same page as 5
    ];
    const result = await full(people);
    expect(result.counts).toMatchObject({ added: 4, errors: 2 });
    expect(await user('dup@contoso.com')).toMatchObject({ onPremisesImmutableId: anchor(2) });
    const issues = await container.directorySync.issues(result.runId);
    expect(issues.map((issue) => [issue.type, issue.anchor]).sort()).toEqual([
      ['AttributeValueMustBeUnique', anchor(5)],
      ['AttributeValueMustBeUnique', anchor(6)],
    ]);
    // The same outcome on the next run, and the winner is not deleted.
    const again = await full(people);
    expect(again.counts).toMatchObject({ unchanged: 4, errors: 2, deleted: 0 });
  });

  it('keeps a cloud override of the mobile phone until bypassDirSyncOverridesEnabled is on', async () => {
    await full(messy);
    const synced = await user('user1@contoso.com');
    await container.users.updateUser(operator, synced?.id ?? '', { mobilePhone: '+1 2065550000' });
    const changed = messy.map((person) => (person.n === 1 ? { ...person, mobile: '+1 4255550111' } : person));
    expect((await full(changed)).counts).toMatchObject({ unchanged: 5 });
    expect(await user('user1@contoso.com')).toMatchObject({ mobilePhone: '+1 2065550000' });

    await configure(true);
    expect((await full(changed)).counts).toMatchObject({ updated: 1 });
    expect(await user('user1@contoso.com')).toMatchObject({ mobilePhone: '+1 4255550111' });
    const row = await database.store.db
      .selectFrom('users')
      .select('mobile_phone_cloud_override')
      .where('upn_key', '=', 'user1@contoso.com')
      .executeTakeFirstOrThrow();
    expect(row.mobile_phone_cloud_override).toBe(0);
  });

  it("refuses a cloud write of a synced user's Office phone", async () => {
    await full(messy);
    const synced = await user('user1@contoso.com');
    await expect(
      container.users.updateUser(operator, synced?.id ?? '', { businessPhones: ['+1 2065550001'] }),
    ).rejects.toMatchObject({ code: 'on_premises_mastered' });
    expect(await user('user1@contoso.com')).toMatchObject({ businessPhones: ['+1 4255550100'] });
  });

  it('writes nothing but the run record on a dry run', async () => {
    const usersBefore = await countRows('users');
    const result = await full(messy, { dryRun: true });
    expect(result.counts).toMatchObject({ read: 5, added: 5, warnings: 3 });
    expect(await countRows('users')).toBe(usersBefore);
    expect((await syncAudits()).filter((event) => event.activity.endsWith('user'))).toEqual([]);
    const [run] = await container.directorySync.runs(1);
    expect(run).toMatchObject({ dryRun: true, status: 'succeeded', watermark: null, counts: { added: 5 } });
    expect(await container.directorySync.issues(result.runId)).toHaveLength(3);
  });

  it('applies a delta: changed entries, and deletions found by the anchor scan', async () => {
    await full(messy);
    const remaining = messy.filter((person) => person.n !== 4).map(entry);
    const changed = [entry({ ...messy[0], n: 1, title: 'Director' } as Person), entry({ n: 7 })];
    now = new Date(now.getTime() + 30 * 60_000);
    const result = await container.directorySync.runDelta({
      source: new MemorySource([...remaining, entry({ n: 7 })], { changed, watermark: 'w2' }),
    });
    expect(result).toMatchObject({
      kind: 'delta',
      status: 'succeeded',
      counts: { read: 2, added: 1, updated: 1, deleted: 1 },
    });
    expect(await user('user4@contoso.com')).toBeUndefined();
    expect(await user('user7@contoso.com')).toBeDefined();
    expect((await container.directorySync.runs(1))[0]).toMatchObject({ watermark: 'w2' });
  });

  it('starts a run in the background: live pages and counts, one run at a time', async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstPage = () => {};
    const paged = new Promise<void>((resolve) => {
      firstPage = resolve;
    });
    const started = await container.directorySync.start('full', {
      source: new GatedSource(messy.map(entry), gate),
      onProgress: (progress) => {
        if (progress.page === 1) firstPage();
      },
    });
    expect(started).toMatchObject({ kind: 'full', dryRun: false });
    await paged;
    // Page 1 is committed; the run waits for its third page (it reads one page ahead).
    expect(await container.directorySync.findRun(started.runId)).toMatchObject({
      status: 'running',
      pagesRead: 1,
      counts: { read: 1 },
    });
    await expect(container.directorySync.start('delta', { source: new MemorySource([]) })).rejects.toMatchObject({
      code: 'sync_run_in_progress',
    });
    release();
    expect((await started.completion).status).toBe('succeeded');
    expect(await container.directorySync.findRun(started.runId)).toMatchObject({
      status: 'succeeded',
      pagesRead: null,
      counts: { read: 5 },
    });
    expect(await container.directorySync.findRun('no-such-run')).toBeUndefined();
  });

  it('records a failed run without a watermark, and allows one run at a time', async () => {
    const failed = await full(messy, { failAfterPages: 1 });
    expect(failed).toMatchObject({ status: 'failed', message: 'connection reset after 1 pages' });
    expect((await container.directorySync.runs(1))[0]).toMatchObject({ status: 'failed', watermark: null });

    await database.store.db
      .updateTable('directory_sync_lease')
      .set({ holder: 'other-instance', expires_at: new Date(now.getTime() + 60_000).toISOString() })
      .execute();
    await expect(full(messy)).rejects.toThrow(/in progress/);
    now = new Date(now.getTime() + 120_000);
    // A run whose process was killed stays `running`; the next run (holding the lease) marks it failed.
    await database.store.db
      .insertInto('directory_sync_runs')
      .values({
        id: 'killed-run',
        kind: 'full',
        dry_run: 0,
        status: 'running',
        started_at: new Date(now.getTime() - 60_000).toISOString(),
        finished_at: null,
        counts: '{}',
        watermark: null,
        message: null,
      })
      .execute();
    expect((await full(messy)).status).toBe('succeeded');
    const runs = await container.directorySync.runs(10);
    expect(runs.find((run) => run.id === 'killed-run')).toMatchObject({ status: 'failed' });
  });

  describe('the deletion threshold', () => {
    const ten: Person[] = Array.from({ length: 10 }, (_, index) => ({ n: index + 1 }));
    /** The synced users not deleted, by UPN. */
    const live = async () =>
      (
        await database.store.db
          .selectFrom('users')
          .select('upn_key')
          .where('on_premises_sync_enabled', '=', 1)
          .where('soft_deleted_at', 'is', null)
          .orderBy('upn_key')
          .execute()
      ).map((row) => row.upn_key);
    const upns = (numbers: readonly number[]) => numbers.map((n) => `user${n}@contoso.com`).sort();

    it('is 500 by default, and changes with the settings (audited with its old value)', async () => {
      expect((await container.directorySync.settings())?.deletionThreshold).toBe(500);
      await expect(container.directorySync.update(operator, { deletionThreshold: -1 })).rejects.toMatchObject({
        code: 'invalid_request',
        message: 'Invalid directory sync setting deletionThreshold: a whole number from 0 to 10000000 is expected.',
      });
      await container.directorySync.update(operator, { deletionThreshold: 5 });
      expect((await container.directorySync.settings())?.deletionThreshold).toBe(5);
      // Settings saved without it keep it.
      await configure();
      expect((await container.directorySync.settings())?.deletionThreshold).toBe(5);
      const changes = (await syncAudits())
        .filter((event) => event.activity === 'Update directory synchronization settings')
        .flatMap((event) => event.targets[0].modifiedProperties)
        .filter((property: { displayName: string }) => property.displayName === 'deletionThreshold');
      expect(changes).toEqual([{ displayName: 'deletionThreshold', oldValue: '500', newValue: '5' }]);
    });

    it('full runs: up to the threshold deletes, more stops with creates and updates applied, 0 is no limit', async () => {
      await container.directorySync.update(operator, { deletionThreshold: 5 });
      await full(ten);
      // A dry run counts the users a full run would not meet, as the real run does (before, it reported 0).
      expect(
        await full(
          ten.filter((person) => person.n > 5),
          { dryRun: true },
        ),
      ).toMatchObject({
        dryRun: true,
        status: 'succeeded',
        counts: { deleted: 5 },
      });
      expect(await live()).toHaveLength(10);
      // Exactly the threshold is not more than it: deleted.
      expect(await full(ten.filter((person) => person.n > 5))).toMatchObject({
        status: 'succeeded',
        counts: { deleted: 5 },
      });
      now = new Date(now.getTime() + 31 * 86_400_000);
      const purgeable = () =>
        database.store.db
          .selectFrom('users')
          .select('id')
          .where('upn_key', 'in', upns([1, 2, 3, 4, 5]))
          .execute();

      await container.directorySync.update(operator, { deletionThreshold: 3 });
      const target: Person[] = [{ n: 6, title: 'Director' }, { n: 12 }];
      // The dry run predicts the stop, and changes nothing.
      expect(await full(target, { dryRun: true })).toMatchObject({
        dryRun: true,
        status: 'stopped-deletion-threshold-exceeded',
        counts: { added: 1, updated: 1, deleted: 0 },
        pendingDeletions: 4,
        deletionThreshold: 3,
      });
      expect(await live()).toEqual(upns([6, 7, 8, 9, 10]));
      const stopped = await full(target);
      expect(stopped).toMatchObject({
        status: 'stopped-deletion-threshold-exceeded',
        counts: { added: 1, updated: 1, deleted: 0 },
        pendingDeletions: 4,
        deletionThreshold: 3,
      });
      expect(stopped.message).toBe(
        'Directory synchronization stopped: it would soft-delete 4 users, more than the deletion threshold (3). No user was deleted; check the scope (base DNs, filter, group), then allow the deletions once or raise the threshold.',
      );
      expect(await live()).toEqual(upns([6, 7, 8, 9, 10, 12]));
      expect(await user('user6@contoso.com')).toMatchObject({ jobTitle: 'Director' });
      expect(await container.directorySync.findRun(stopped.runId)).toMatchObject({
        status: 'stopped-deletion-threshold-exceeded',
        watermark: null,
        pendingDeletions: 4,
        deletionThreshold: 3,
        finishedAt: now.toISOString(),
      });
      // A stopped run purges nothing either: the users soft-deleted 31 days ago wait for a run that goes through.
      expect(await purgeable()).toHaveLength(5);
      const thresholdEvents = (await syncAudits()).filter(
        (event) => event.activity === 'Directory synchronization deletion threshold exceeded',
      );
      expect(thresholdEvents.map((event) => event.targets[0].modifiedProperties)).toEqual([
        [
          { displayName: 'pendingDeletions', oldValue: null, newValue: '4' },
          { displayName: 'deletionThreshold', oldValue: null, newValue: '3' },
        ],
      ]);
      const ends = (await syncAudits()).filter((event) => event.activity === 'End directory synchronization run');
      expect(ends.at(-1)?.targets[0].modifiedProperties).toContainEqual({
        displayName: 'status',
        oldValue: null,
        newValue: '"stopped-deletion-threshold-exceeded"',
      });

      await container.directorySync.update(operator, { deletionThreshold: 0 });
      expect(await full(target)).toMatchObject({ status: 'succeeded', counts: { deleted: 4 }, pendingDeletions: null });
      expect(await live()).toEqual(upns([6, 12]));
      expect(await purgeable()).toHaveLength(0);
    });

    it('a delta stopped by tombstones keeps the watermark: the next delta finds them again until allowed', async () => {
      await container.directorySync.update(operator, { deletionThreshold: 5 });
      expect(await full(ten)).toMatchObject({ status: 'succeeded' });
      const changes = [entry({ n: 1, title: 'Director' }), entry({ n: 11 }), ...[2, 3, 4, 5, 6, 7].map(tombstone)];
      // Runs are ordered by their end: each one ends a minute after the previous one.
      const later = () => {
        now = new Date(now.getTime() + 60_000);
      };

      const first = new TombstoneSource(changes, 'w2', 'w2');
      later();
      const stopped = await container.directorySync.runDelta({ source: first });
      expect(first.deltasFrom).toEqual(['w1']);
      expect(stopped).toMatchObject({
        kind: 'delta',
        status: 'stopped-deletion-threshold-exceeded',
        counts: { added: 1, updated: 1, deleted: 0 },
        pendingDeletions: 6,
        deletionThreshold: 5,
      });
      expect(await live()).toEqual(upns([...ten.map((person) => person.n), 11]));
      expect(await user('user1@contoso.com')).toMatchObject({ jobTitle: 'Director' });

      // The watermark did not move past the tombstones: the next delta reads them again, and stops again.
      const again = new TombstoneSource(changes, 'w2', 'w3');
      later();
      expect(await container.directorySync.runDelta({ source: again })).toMatchObject({
        status: 'stopped-deletion-threshold-exceeded',
        counts: { added: 0, updated: 0, deleted: 0 },
        pendingDeletions: 6,
      });
      expect(again.deltasFrom).toEqual(['w1']);

      // A dry run shows what a real run would do: stop; and, allowed, delete them.
      later();
      const dry = await container.directorySync.runDelta({ source: again, dryRun: true });
      expect(dry).toMatchObject({
        dryRun: true,
        status: 'stopped-deletion-threshold-exceeded',
        counts: { deleted: 0 },
        pendingDeletions: 6,
        deletionThreshold: 5,
      });
      expect(await container.directorySync.findRun(dry.runId)).toMatchObject({
        dryRun: true,
        status: 'stopped-deletion-threshold-exceeded',
        pendingDeletions: 6,
      });
      later();
      const dryAllowed = await container.directorySync.runDelta({ source: again, dryRun: true, allowDeletions: true });
      expect(dryAllowed).toMatchObject({ status: 'succeeded', counts: { deleted: 6 }, pendingDeletions: null });
      expect(await live()).toEqual(upns([...ten.map((person) => person.n), 11]));

      // Allowed once: deleted, and the watermark moves on.
      later();
      const allowed = await container.directorySync.runDelta({
        source: new TombstoneSource(changes, 'w2', 'w3'),
        allowDeletions: true,
      });
      expect(allowed).toMatchObject({ status: 'succeeded', counts: { deleted: 6 } });
      expect(await live()).toEqual(upns([1, 8, 9, 10, 11]));
      expect(await container.directorySync.findRun(allowed.runId)).toMatchObject({
        status: 'succeeded',
        watermark: 'w3',
      });
      const starts = (await syncAudits()).filter((event) => event.activity === 'Start directory synchronization run');
      expect(starts.at(-1)?.targets[0].modifiedProperties).toEqual([
        { displayName: 'allowDeletions', oldValue: null, newValue: 'true' },
      ]);

      const after = new TombstoneSource(changes, 'w2', 'w4');
      later();
      expect(await container.directorySync.runDelta({ source: after })).toMatchObject({
        status: 'succeeded',
        counts: { read: 0, deleted: 0 },
      });
      expect(after.deltasFrom).toEqual(['w3']);
    });
  });

  async function countRows(table: 'users' | 'audit_events'): Promise<number> {
    const row = await sql<{ total: number | string }>`select count(*) as total from ${sql.table(table)}`.execute(
      database.store.db,
    );
    return Number(row.rows[0]?.total);
  }

  describe('a run killed after some pages and run again', () => {
    const initial: Person[] = Array.from({ length: 14 }, (_, index) => ({
      n: index + 1,
      telephoneNumber: `+1 42555501${String(index).padStart(2, '0')}`,
    }));
    // Changed, removed (n 3 and 9), added (n 20..22) and one duplicate UPN.
    const target: Person[] = [
      ...initial
        .filter((person) => person.n !== 3 && person.n !== 9)
        .map((person) => (person.n % 4 === 0 ? { ...person, title: `Changed ${person.n}` } : person)),
      { n: 20, mobile: '+1 4255550220' },
      { n: 21, uid: 'user20' },
      { n: 22, telephoneNumber: '0142685300' },
    ];

    const snapshot = async (db: TestDatabase) => {
      const rows = await db.store.db
        .selectFrom('users')
        .select([
          'upn_key',
          'display_name',
          'surname',
          'mail',
          'job_title',
          'mobile_phone',
          'business_phone',
          'on_premises_immutable_id',
          'on_premises_distinguished_name',
          'on_premises_sync_enabled',
          'soft_deleted_at',
        ])
        .where('on_premises_sync_enabled', '=', 1)
        .orderBy('on_premises_immutable_id')
        .execute();
      return rows.map((row) => ({ ...row, soft_deleted_at: row.soft_deleted_at !== null }));
    };

    it.each([0, 1, 3, 4])('converges after a failure after %i pages', async (failAfterPages) => {
      // Reference: an uninterrupted run. Then a database of its own for the interrupted one (one at a time: the
      // PostgreSQL test schemas share a server).
      await full(initial);
      await full(target);
      const expected = await snapshot(database);
      expect(expected.filter((row) => row.soft_deleted_at)).toHaveLength(2);
      await database.dispose();
      rmSync(dataDir, { recursive: true, force: true });
      database = await dialect.create();
      const reopened = await open(database);
      container = reopened.container;
      dataDir = reopened.dir;
      await configure();

      await full(initial);
      const crashed = await full(target, { failAfterPages });
      expect(crashed.status).toBe('failed');
      // Killed again while repeating, then completed.
      if (failAfterPages > 0) {
        expect((await full(target, { failAfterPages: failAfterPages - 1 })).status).toBe('failed');
      }
      const rerun = await full(target);
      expect(rerun.status).toBe('succeeded');
      expect(await snapshot(database)).toEqual(expected);
      const keys = await database.store.db.selectFrom('users').select('upn_key').execute();
      expect(new Set(keys.map((row) => row.upn_key)).size).toBe(keys.length);
    });
  });
});
