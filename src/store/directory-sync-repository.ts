import { randomUUID } from 'node:crypto';
import type SqliteDatabase from 'better-sqlite3';
import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { AuditEventDraft } from '../domain/audit.js';
import type { DirectoryFlavor, MappingRule } from '../domain/directory-mapping.js';
import {
  deletionThresholdExceeded,
  type SyncCounts,
  type SyncedUserChanges,
  type SyncIssue,
  type SyncRunRecord,
  type SyncRunStatus,
} from '../domain/directory-sync-records.js';
import { auditEventRow, insertAuditEvent } from './audit-writer.js';
import type { AuditEventTable, Database, DirectorySyncRunTable, UserTable } from './schema.js';
import type { SecretBox } from './secret-box.js';

/**
 * Directory sync's store (SPEC section 8): settings, runs and their issues, the lease, and the batched reads and
 * per-page transactions of the sync engine. Satisfies the services' `SyncStore` structurally; the types below
 * mirror the service's (the store never imports services).
 */

interface SyncSettingsRecord {
  readonly flavor: DirectoryFlavor;
  readonly urls: readonly string[];
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly baseDns: readonly string[];
  readonly filter: string | null;
  readonly groupDn: string | null;
  readonly pageSize: number;
  readonly timeoutMs: number;
  readonly tls: { readonly caFile?: string; readonly serverName?: string; readonly startTls?: boolean };
  readonly intervalMinutes: number;
  readonly mappings: readonly MappingRule[];
  readonly bypassDirSyncOverridesEnabled: boolean;
  readonly writebackEnabled: boolean;
  /** Absent: the stored one stays (the column's default, 500, for new settings). */
  readonly deletionThreshold?: number;
  readonly updatedAt: string;
}

interface DesiredUserRecord {
  readonly anchor: string;
  readonly distinguishedName: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly mail: string | null;
  readonly jobTitle: string | null;
  readonly officeLocation: string | null;
  readonly businessPhones: readonly string[];
  readonly mobilePhone: string | null;
  readonly otherMails: readonly string[];
  readonly onPremisesSamAccountName: string | null;
  readonly accountEnabled: boolean;
}

type UserRef = { id: string; displayName: string | null; userPrincipalName: string };

interface SyncPageWrite {
  readonly runId: string;
  readonly now: string;
  readonly inserts: readonly {
    readonly user: { readonly id: string; readonly desired: DesiredUserRecord; readonly syncOtherMails: boolean };
    readonly audit: AuditEventDraft;
  }[];
  readonly updates: readonly {
    readonly id: string;
    readonly changes: SyncedUserChanges;
    readonly audit: AuditEventDraft;
  }[];
  readonly seen: readonly string[];
  readonly issues: readonly SyncIssue[];
  readonly counts: SyncCounts;
  readonly finish?: {
    readonly watermark: string;
    readonly softDeletes: readonly UserRef[];
    readonly deleteUnseen?: { readonly anchorsInScope?: ReadonlySet<string> };
    readonly deletionThreshold?: {
      readonly limit: number;
      readonly stopped: (pendingDeletions: number) => { message: string; audit: AuditEventDraft };
    };
    readonly purgeSoftDeletedBefore?: string;
    readonly deleteAudit: (user: UserRef) => AuditEventDraft;
    readonly purgeAudit: (user: UserRef) => AuditEventDraft;
    readonly endAudit: (counts: SyncCounts, status: SyncRunStatus) => AuditEventDraft;
  };
}

/** What a page's transaction committed: the run's counters, and the deletions held back by the threshold. */
interface SyncPageResult {
  readonly counts: SyncCounts;
  /** Non-null when the run stopped at the deletion threshold: the users it did not soft-delete. */
  readonly pendingDeletions: number | null;
}

const stateColumns = [
  'id',
  'user_principal_name',
  'display_name',
  'given_name',
  'surname',
  'mail',
  'job_title',
  'office_location',
  'account_enabled',
  'mobile_phone',
  'business_phone',
  'other_mails',
  'on_premises_sync_enabled',
  'on_premises_immutable_id',
  'on_premises_distinguished_name',
  'on_premises_sam_account_name',
  'on_premises_user_principal_name',
  'mobile_phone_cloud_override',
  'sync_seen_run',
  'soft_deleted_at',
] as const;

type StateRow = Pick<Selectable<UserTable>, (typeof stateColumns)[number]>;

/** Rows per statement for `in (...)` lists and batched inserts: well under both dialects' parameter limits. */
const chunkSize = 500;
const leaseName = 'directory-sync';

export class SqlDirectorySyncRepository {
  private readonly prepared: SqliteRowWriter | undefined;

  /**
   * With `sqlite` (the very connection `db` uses), the rows of a page are written with prepared statements inside
   * the page's Kysely transaction: same rows, same single transaction, without compiling a query per row.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly secrets: SecretBox,
    sqlite?: SqliteDatabase.Database,
  ) {
    this.prepared = sqlite && new SqliteRowWriter(sqlite);
  }

  async loadSettings() {
    const row = await this.db.selectFrom('directory_sync_settings').selectAll().where('id', '=', 1).executeTakeFirst();
    if (!row) return undefined;
    return {
      flavor: row.flavor as DirectoryFlavor,
      urls: JSON.parse(row.urls) as string[],
      bindDn: row.bind_dn,
      bindPassword: this.secrets.open(row.bind_password).toString('utf8'),
      baseDns: JSON.parse(row.base_dns) as string[],
      filter: row.filter,
      groupDn: row.group_dn,
      pageSize: row.page_size,
      timeoutMs: row.timeout_ms,
      tls: JSON.parse(row.tls) as { caFile?: string; serverName?: string; startTls?: boolean },
      intervalMinutes: row.interval_minutes,
      mappings: JSON.parse(row.mappings) as MappingRule[],
      mappingsVersion: row.mappings_version,
      bypassDirSyncOverridesEnabled: row.bypass_dir_sync_overrides_enabled === 1,
      writebackEnabled: row.writeback_enabled === 1,
      deletionThreshold: row.deletion_threshold,
      updatedAt: row.updated_at,
    };
  }

  /** Saves the one settings row; a change of the mappings bumps `mappings_version` (a full run is then due). */
  async saveSettings(settings: SyncSettingsRecord, audit: AuditEventDraft): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('directory_sync_settings')
        .select(['mappings', 'mappings_version'])
        .where('id', '=', 1)
        .executeTakeFirst();
      const mappings = JSON.stringify(settings.mappings);
      const values = {
        flavor: settings.flavor,
        urls: JSON.stringify(settings.urls),
        bind_dn: settings.bindDn,
        bind_password: this.secrets.seal(settings.bindPassword),
        base_dns: JSON.stringify(settings.baseDns),
        filter: settings.filter,
        group_dn: settings.groupDn,
        page_size: settings.pageSize,
        timeout_ms: settings.timeoutMs,
        tls: JSON.stringify(settings.tls),
        interval_minutes: settings.intervalMinutes,
        mappings,
        bypass_dir_sync_overrides_enabled: settings.bypassDirSyncOverridesEnabled ? 1 : 0,
        writeback_enabled: settings.writebackEnabled ? 1 : 0,
        ...(settings.deletionThreshold === undefined ? {} : { deletion_threshold: settings.deletionThreshold }),
        updated_at: settings.updatedAt,
      };
      if (current) {
        await trx
          .updateTable('directory_sync_settings')
          .set({
            ...values,
            mappings_version: current.mappings === mappings ? current.mappings_version : current.mappings_version + 1,
          })
          .where('id', '=', 1)
          .execute();
      } else {
        await trx
          .insertInto('directory_sync_settings')
          .values({ id: 1, ...values, mappings_version: 1 })
          .execute();
      }
      await insertAuditEvent(trx, audit);
    });
  }

  /**
   * Takes the lease when it is free, expired or already `holder`'s, or (with `takeOverFrom`) still held by that
   * one holder, which the caller found dead: a conditional UPDATE, so two instances never both win.
   */
  async acquireLease(holder: string, now: string, expiresAt: string, takeOverFrom?: string): Promise<boolean> {
    const result = await this.db
      .updateTable('directory_sync_lease')
      .set({ holder, expires_at: expiresAt })
      .where('name', '=', leaseName)
      .where((eb) =>
        eb.or([
          eb('holder', 'is', null),
          eb('holder', '=', holder),
          eb('expires_at', '<', now),
          ...(takeOverFrom === undefined ? [] : [eb('holder', '=', takeOverFrom)]),
        ]),
      )
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Who holds the lease, and until when; null when it is free. */
  async leaseHolder(): Promise<{ holder: string; expiresAt: string } | null> {
    const row = await this.db
      .selectFrom('directory_sync_lease')
      .select(['holder', 'expires_at'])
      .where('name', '=', leaseName)
      .executeTakeFirst();
    return row?.holder ? { holder: row.holder, expiresAt: row.expires_at ?? '' } : null;
  }

  async releaseLease(holder: string): Promise<void> {
    await this.db
      .updateTable('directory_sync_lease')
      .set({ holder: null, expires_at: null })
      .where('name', '=', leaseName)
      .where('holder', '=', holder)
      .execute();
  }

  /** Records a run; called with the lease held, so any other run still `running` was killed: it is marked failed. */
  async startRun(run: SyncRunRecord, audit: AuditEventDraft): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('directory_sync_runs')
        .set({ status: 'failed', finished_at: run.startedAt, message: 'interrupted (the process stopped mid-run)' })
        .where('status', '=', 'running')
        .execute();
      await trx
        .insertInto('directory_sync_runs')
        .values({
          id: run.id,
          kind: run.kind,
          dry_run: run.dryRun ? 1 : 0,
          status: run.status,
          started_at: run.startedAt,
          finished_at: null,
          counts: JSON.stringify(run.counts),
          watermark: null,
          message: null,
          mappings_version: run.mappingsVersion ?? null,
        })
        .execute();
      await insertAuditEvent(trx, audit);
    });
  }

  async endRun(
    id: string,
    end: {
      status: 'succeeded' | 'failed' | typeof deletionThresholdExceeded;
      finishedAt: string;
      counts: SyncCounts;
      message: string | null;
      issues: readonly SyncIssue[];
      pendingDeletions?: number;
      deletionThreshold?: number;
    },
    audit: AuditEventDraft,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('directory_sync_runs')
        .set({
          status: end.status,
          finished_at: end.finishedAt,
          counts: JSON.stringify(end.counts),
          message: end.message,
          ...(end.pendingDeletions === undefined ? {} : { pending_deletions: end.pendingDeletions }),
          ...(end.deletionThreshold === undefined ? {} : { deletion_threshold: end.deletionThreshold }),
        })
        .where('id', '=', id)
        .execute();
      await insertIssues(trx, id, end.issues);
      await insertAuditEvent(trx, audit);
    });
  }

  /**
   * For a dry run, which stamps nothing: how many synced users a real run's end would soft-delete, those in `seen`
   * (met by this run), in `excluded` (already counted) and, for a delta, with an anchor in `anchorsInScope` left out.
   */
  async countUnseenSynced(
    seen: ReadonlySet<string>,
    anchorsInScope: ReadonlySet<string> | undefined,
    excluded: ReadonlySet<string>,
  ): Promise<number> {
    const wasSeen = (row: ScannedUser) => seen.has(row.id);
    let count = 0;
    if (this.prepared && !this.prepared.busy) {
      // The prepared scan reads the connection directly, so it runs to the end without yielding: no other request's
      // transaction can start on the connection in between and show it uncommitted rows.
      for (const rows of this.prepared.scanUsers()) {
        for (const row of rows) if (isUnseen(row, wasSeen, anchorsInScope, excluded)) count += 1;
      }
      return count;
    }
    for await (const chunk of unseenUsers(usersById(this.db), wasSeen, anchorsInScope, excluded)) {
      count += chunk.length;
    }
    return count;
  }

  async lastWatermark(): Promise<string | null> {
    const row = await this.db
      .selectFrom('directory_sync_runs')
      .select('watermark')
      .where('status', '=', 'succeeded')
      .where('dry_run', '=', 0)
      .where('watermark', 'is not', null)
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row?.watermark ? (JSON.parse(row.watermark) as string) : null;
  }

  async lastRunErrorAnchors(): Promise<string[]> {
    const run = await this.db
      .selectFrom('directory_sync_runs')
      .select('id')
      .where('status', '=', 'succeeded')
      .where('dry_run', '=', 0)
      .where('watermark', 'is not', null)
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (!run) return [];
    const rows = await this.db
      .selectFrom('directory_sync_errors')
      .select('anchor')
      .distinct()
      .where('run_id', '=', run.id)
      .where('severity', '=', 'error')
      .where('anchor', 'is not', null)
      .execute();
    return rows.map((row) => row.anchor as string);
  }

  async findByAnchors(anchors: readonly string[]) {
    return this.findStates('on_premises_immutable_id', anchors);
  }

  async findByUserPrincipalNames(keys: readonly string[]) {
    return this.findStates('upn_key', keys);
  }

  async findByMails(mails: readonly string[]): Promise<{ id: string; mail: string }[]> {
    const found: { id: string; mail: string }[] = [];
    for (const chunk of chunks([...new Set(mails)])) {
      const rows = await this.db.selectFrom('users').select(['id', 'mail']).where('mail', 'in', chunk).execute();
      for (const row of rows) if (row.mail !== null) found.push({ id: row.id, mail: row.mail });
    }
    return found;
  }

  async applyPage(write: SyncPageWrite): Promise<SyncPageResult> {
    return this.db.transaction().execute(async (trx) => {
      const counts = { ...write.counts };
      // SQLite: the connection is this transaction's until it ends, so prepared statements run inside it.
      const rows: RowWriter = this.prepared ?? new KyselyRowWriter(trx);
      const at = new Date(write.now);
      for (const { user, audit } of write.inserts) {
        const desired = user.desired;
        await rows.insertUser(
          {
            id: user.id,
            user_principal_name: desired.userPrincipalName,
            upn_key: desired.userPrincipalName.toLowerCase(),
            display_name: desired.displayName,
            given_name: desired.givenName,
            surname: desired.surname,
            mail: desired.mail,
            mail_nickname: null,
            job_title: desired.jobTitle,
            office_location: desired.officeLocation,
            preferred_language: null,
            account_enabled: desired.accountEnabled ? 1 : 0,
            mobile_phone: desired.mobilePhone,
            business_phone: desired.businessPhones[0] ?? null,
            other_mails: JSON.stringify(user.syncOtherMails ? desired.otherMails : []),
            created_at: write.now,
            updated_at: write.now,
            on_premises_sync_enabled: 1,
            on_premises_immutable_id: desired.anchor,
            on_premises_last_sync_at: write.now,
            on_premises_distinguished_name: desired.distinguishedName,
            on_premises_sam_account_name: desired.onPremisesSamAccountName,
            on_premises_user_principal_name: desired.userPrincipalName,
            on_premises_domain_name: null,
            on_premises_security_identifier: null,
            // Synced users sign in against the directory (pass-through): no password hash here.
            password_hash: null,
            password_changed_at: null,
            force_change_password: 0,
            sync_seen_run: write.runId,
          },
          user.syncOtherMails ? desired.otherMails : undefined,
          auditEventRow(audit, at),
        );
      }
      for (const { id, changes, audit } of write.updates) {
        await rows.updateUser(id, toColumns(changes, write.now), changes.otherMails, auditEventRow(audit, at));
      }
      await rows.markSeen(write.seen, write.runId, write.now);
      await rows.insertIssues(write.runId, write.issues);

      const finish = write.finish;
      if (!finish) {
        await trx
          .updateTable('directory_sync_runs')
          .set({ counts: JSON.stringify(counts) })
          .where('id', '=', write.runId)
          .execute();
        return { counts, pendingDeletions: null };
      }
      const pendingDeletions = await this.applyDeletions(trx, rows, write, finish, counts);
      if (pendingDeletions !== null && finish.deletionThreshold) {
        // Stopped: nothing deleted or purged, and no watermark, so the next run finds the same deletions again.
        const stopped = finish.deletionThreshold.stopped(pendingDeletions);
        await trx
          .updateTable('directory_sync_runs')
          .set({
            counts: JSON.stringify(counts),
            status: deletionThresholdExceeded,
            finished_at: write.now,
            message: stopped.message,
            pending_deletions: pendingDeletions,
            deletion_threshold: finish.deletionThreshold.limit,
          })
          .where('id', '=', write.runId)
          .execute();
        await insertAuditEvent(trx, stopped.audit);
        await insertAuditEvent(trx, finish.endAudit(counts, deletionThresholdExceeded));
        return { counts, pendingDeletions };
      }
      if (finish.purgeSoftDeletedBefore) {
        await purgeSoftDeleted(trx, finish.purgeSoftDeletedBefore, finish.purgeAudit);
      }
      await trx
        .updateTable('directory_sync_runs')
        .set({
          counts: JSON.stringify(counts),
          status: 'succeeded',
          finished_at: write.now,
          watermark: JSON.stringify(finish.watermark),
        })
        .where('id', '=', write.runId)
        .execute();
      await insertAuditEvent(trx, finish.endAudit(counts, 'succeeded'));
      return { counts, pendingDeletions: null };
    });
  }

  /**
   * The end of a run's deletions: the soft deletions found along the run (AD tombstones) and, for a full run or a
   * delta's anchor scan, the synced users it did not see. Under a threshold they are first counted (keeping at
   * most `limit` users in memory): more than `limit` deletes none of them and returns their number; otherwise
   * (and without a threshold) they are applied and added to `counts.deleted`, and the result is null.
   */
  private async applyDeletions(
    trx: Transaction<Database>,
    rows: RowWriter,
    write: SyncPageWrite,
    finish: NonNullable<SyncPageWrite['finish']>,
    counts: SyncCounts,
  ): Promise<number | null> {
    const held = new Set(finish.softDeletes.map((item) => item.id));
    const anchorsInScope = finish.deleteUnseen?.anchorsInScope;
    const unseen = finish.deleteUnseen
      ? unseenUsers(
          rows.scanUsers?.() ?? usersById(trx),
          (row) => row.sync_seen_run === write.runId,
          anchorsInScope,
          held,
        )
      : undefined;
    const limit = finish.deletionThreshold?.limit;
    let toDelete: UserRef[] | undefined;
    if (limit !== undefined) {
      toDelete = [];
      let pending = held.size;
      for await (const chunk of unseen ?? []) {
        pending += chunk.length;
        if (pending <= limit) toDelete.push(...chunk);
      }
      if (pending > limit) return pending;
    }
    const at = new Date(write.now);
    for (const user of finish.softDeletes) {
      await rows.updateUser(
        user.id,
        { soft_deleted_at: write.now, updated_at: write.now },
        undefined,
        auditEventRow(finish.deleteAudit(user), at),
      );
    }
    counts.deleted += finish.softDeletes.length;
    if (toDelete) {
      for (const chunk of chunks(toDelete)) await softDelete(trx, chunk, write.now, finish.deleteAudit);
      counts.deleted += toDelete.length;
    } else {
      for await (const chunk of unseen ?? []) {
        await softDelete(trx, chunk, write.now, finish.deleteAudit);
        counts.deleted += chunk.length;
      }
    }
    return null;
  }

  async listRuns(limit: number): Promise<SyncRunRecord[]> {
    const rows = await this.db
      .selectFrom('directory_sync_runs')
      .selectAll()
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRunRecord);
  }

  async lastSucceededFullRun(): Promise<SyncRunRecord | undefined> {
    const row = await this.db
      .selectFrom('directory_sync_runs')
      .selectAll()
      .where('kind', '=', 'full')
      .where('status', '=', 'succeeded')
      .where('dry_run', '=', 0)
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row && toRunRecord(row);
  }

  async findRun(id: string): Promise<SyncRunRecord | undefined> {
    const row = await this.db.selectFrom('directory_sync_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRunRecord(row);
  }

  async runIssues(runId: string): Promise<SyncIssue[]> {
    const rows = await this.db
      .selectFrom('directory_sync_errors')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      dn: row.dn,
      anchor: row.anchor,
      userId: row.user_id,
      type: row.type as SyncIssue['type'],
      attribute: row.attribute,
      message: row.message,
      severity: row.severity as 'error' | 'warning',
    }));
  }

  private async findStates(column: 'on_premises_immutable_id' | 'upn_key', values: readonly string[]) {
    const found: ReturnType<typeof toState>[] = [];
    for (const chunk of chunks([...new Set(values)])) {
      const rows = await this.db.selectFrom('users').select(stateColumns).where(column, 'in', chunk).execute();
      found.push(...rows.map(toState));
    }
    return found;
  }
}

/** How a page's rows are written inside its transaction: prepared statements (SQLite) or Kysely queries. */
interface RowWriter {
  insertUser(
    values: Insertable<UserTable>,
    otherMails: readonly string[] | undefined,
    audit: Insertable<AuditEventTable>,
  ): Promise<void> | void;
  updateUser(
    id: string,
    values: Updateable<UserTable>,
    otherMails: readonly string[] | undefined,
    audit: Insertable<AuditEventTable>,
  ): Promise<void> | void;
  markSeen(ids: readonly string[], runId: string, now: string): Promise<void> | void;
  insertIssues(runId: string, issues: readonly SyncIssue[]): Promise<void> | void;
  /** Every user a chunk at a time, in the cheapest order; absent: `usersById`. */
  scanUsers?(): Iterable<readonly ScannedUser[]>;
}

class KyselyRowWriter implements RowWriter {
  constructor(private readonly trx: Transaction<Database>) {}

  async insertUser(
    values: Insertable<UserTable>,
    otherMails: readonly string[] | undefined,
    audit: Insertable<AuditEventTable>,
  ) {
    await this.trx.insertInto('users').values(values).execute();
    if (otherMails !== undefined) await replaceOtherMails(this.trx, values.id, otherMails);
    await this.trx.insertInto('audit_events').values(audit).execute();
  }

  async updateUser(
    id: string,
    values: Updateable<UserTable>,
    otherMails: readonly string[] | undefined,
    audit: Insertable<AuditEventTable>,
  ) {
    await this.trx.updateTable('users').set(values).where('id', '=', id).execute();
    if (otherMails !== undefined) await replaceOtherMails(this.trx, id, otherMails);
    await this.trx.insertInto('audit_events').values(audit).execute();
  }

  async markSeen(ids: readonly string[], runId: string, now: string) {
    for (const chunk of chunks(ids)) {
      await this.trx
        .updateTable('users')
        .set({ sync_seen_run: runId, on_premises_last_sync_at: now })
        .where('id', 'in', chunk)
        .execute();
    }
  }

  insertIssues(runId: string, issues: readonly SyncIssue[]) {
    return insertIssues(this.trx, runId, issues);
  }
}

/**
 * The same writes as `KyselyRowWriter`, with statements prepared once (by SQL text) and run synchronously on the
 * connection the page's Kysely transaction holds open, so they commit or roll back with it.
 */
class SqliteRowWriter implements RowWriter {
  private readonly statements = new Map<string, SqliteDatabase.Statement>();

  constructor(private readonly sqlite: SqliteDatabase.Database) {}

  /** A transaction holds the connection (outside the page transactions, the prepared statements must wait). */
  get busy(): boolean {
    return this.sqlite.inTransaction;
  }

  /**
   * Every user in the table's own (rowid) order, as arrays: a sequential read of the table, where a walk by id reads
   * the id index and then looks each row up (100,000 users: a tenth of the time). Stable within one transaction.
   */
  *scanUsers(): Iterable<readonly ScannedUser[]> {
    const statement = this.rawStatement(
      `select rowid, ${scannedColumns.map((column) => `"${column}"`).join(', ')} from "users" where rowid > ? order by rowid limit ?`,
    );
    let after = 0;
    for (;;) {
      const rows = statement.all(after, chunkSize) as unknown[][];
      if (rows.length === 0) return;
      after = (rows[rows.length - 1] as unknown[])[0] as number;
      // Columns in `scannedColumns` order, after the rowid.
      yield rows.map(
        (row): ScannedUser => ({
          id: row[1] as string,
          display_name: row[2] as string | null,
          user_principal_name: row[3] as string,
          on_premises_immutable_id: row[4] as string | null,
          on_premises_sync_enabled: row[5] as number,
          soft_deleted_at: row[6] as string | null,
          sync_seen_run: row[7] as string | null,
        }),
      );
    }
  }

  private rawStatement(text: string): SqliteDatabase.Statement {
    let statement = this.statements.get(`raw:${text}`);
    if (!statement) {
      statement = this.sqlite.prepare(text).raw(true);
      this.statements.set(`raw:${text}`, statement);
    }
    return statement;
  }

  insertUser(
    values: Insertable<UserTable>,
    otherMails: readonly string[] | undefined,
    audit: Insertable<AuditEventTable>,
  ) {
    this.insert('users', values);
    if (otherMails !== undefined) this.replaceOtherMails(values.id, otherMails);
    this.insert('audit_events', audit);
  }

  updateUser(
    id: string,
    values: Updateable<UserTable>,
    otherMails: readonly string[] | undefined,
    audit: Insertable<AuditEventTable>,
  ) {
    const columns = Object.keys(values);
    this.statement(`update "users" set ${columns.map((column) => `"${column}" = ?`).join(', ')} where "id" = ?`).run(
      ...Object.values(values),
      id,
    );
    if (otherMails !== undefined) this.replaceOtherMails(id, otherMails);
    this.insert('audit_events', audit);
  }

  markSeen(ids: readonly string[], runId: string, now: string) {
    const statement = this.statement(
      'update "users" set "sync_seen_run" = ?, "on_premises_last_sync_at" = ? where "id" = ?',
    );
    for (const id of ids) statement.run(runId, now, id);
  }

  insertIssues(runId: string, issues: readonly SyncIssue[]) {
    for (const issue of issues) {
      this.insert('directory_sync_errors', {
        id: randomUUID(),
        run_id: runId,
        dn: issue.dn,
        anchor: issue.anchor,
        user_id: issue.userId,
        type: issue.type,
        attribute: issue.attribute,
        message: issue.message,
        severity: issue.severity,
      });
    }
  }

  private replaceOtherMails(userId: string, addresses: readonly string[]) {
    this.statement('delete from "user_other_mails" where "user_id" = ?').run(userId);
    const insertKey = this.statement('insert into "user_other_mails" ("user_id", "address_key") values (?, ?)');
    for (const key of new Set(addresses.map((address) => address.toLowerCase()))) insertKey.run(userId, key);
  }

  private insert(table: string, row: object) {
    const columns = Object.keys(row);
    this.statement(
      `insert into "${table}" (${columns.map((column) => `"${column}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    ).run(...Object.values(row));
  }

  private statement(text: string): SqliteDatabase.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      if (this.statements.size >= 200) this.statements.clear();
      statement = this.sqlite.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }
}

function toState(row: StateRow) {
  return {
    id: row.id,
    userPrincipalName: row.user_principal_name,
    displayName: row.display_name,
    givenName: row.given_name,
    surname: row.surname,
    mail: row.mail,
    jobTitle: row.job_title,
    officeLocation: row.office_location,
    accountEnabled: row.account_enabled === 1,
    mobilePhone: row.mobile_phone,
    businessPhones: row.business_phone === null ? [] : [row.business_phone],
    otherMails: JSON.parse(row.other_mails) as string[],
    onPremisesSyncEnabled: row.on_premises_sync_enabled === null ? null : row.on_premises_sync_enabled === 1,
    onPremisesImmutableId: row.on_premises_immutable_id,
    onPremisesDistinguishedName: row.on_premises_distinguished_name,
    onPremisesSamAccountName: row.on_premises_sam_account_name,
    onPremisesUserPrincipalName: row.on_premises_user_principal_name,
    mobilePhoneCloudOverride: row.mobile_phone_cloud_override === 1,
    syncSeenRun: row.sync_seen_run,
    softDeletedAt: row.soft_deleted_at,
  };
}

function toColumns(changes: SyncedUserChanges, now: string) {
  const values: Updateable<UserTable> = { updated_at: now };
  if (changes.userPrincipalName !== undefined) {
    values.user_principal_name = changes.userPrincipalName;
    values.upn_key = changes.userPrincipalName.toLowerCase();
  }
  if (changes.displayName !== undefined) values.display_name = changes.displayName;
  if (changes.givenName !== undefined) values.given_name = changes.givenName;
  if (changes.surname !== undefined) values.surname = changes.surname;
  if (changes.mail !== undefined) values.mail = changes.mail;
  if (changes.jobTitle !== undefined) values.job_title = changes.jobTitle;
  if (changes.officeLocation !== undefined) values.office_location = changes.officeLocation;
  if (changes.accountEnabled !== undefined) values.account_enabled = changes.accountEnabled ? 1 : 0;
  if (changes.mobilePhone !== undefined) values.mobile_phone = changes.mobilePhone;
  if (changes.businessPhones !== undefined) values.business_phone = changes.businessPhones[0] ?? null;
  if (changes.otherMails !== undefined) values.other_mails = JSON.stringify(changes.otherMails);
  if (changes.onPremisesSyncEnabled !== undefined) values.on_premises_sync_enabled = 1;
  if (changes.onPremisesImmutableId !== undefined) values.on_premises_immutable_id = changes.onPremisesImmutableId;
  if (changes.onPremisesDistinguishedName !== undefined) {
    values.on_premises_distinguished_name = changes.onPremisesDistinguishedName;
  }
  if (changes.onPremisesSamAccountName !== undefined) {
    values.on_premises_sam_account_name = changes.onPremisesSamAccountName;
  }
  if (changes.onPremisesUserPrincipalName !== undefined) {
    values.on_premises_user_principal_name = changes.onPremisesUserPrincipalName;
  }
  if (changes.mobilePhoneCloudOverride !== undefined) values.mobile_phone_cloud_override = 0;
  if (changes.softDeletedAt !== undefined) values.soft_deleted_at = null;
  return values;
}

/**
 * The synced users (not soft-deleted) that run `runId` did not see (full run), or those of them whose anchor is no
 * longer in scope (delta run's anchor scan), less `excluded`, a chunk at a time. Keyset-paged by id so it never
 * loads every user at once; a caller that soft-deletes a chunk before reading the next one is not affected (the
 * walk is past it).
 */
/** The columns the end-of-run deletion scan reads. */
type ScannedUser = Pick<
  Selectable<UserTable>,
  | 'id'
  | 'display_name'
  | 'user_principal_name'
  | 'on_premises_immutable_id'
  | 'on_premises_sync_enabled'
  | 'soft_deleted_at'
  | 'sync_seen_run'
>;

const scannedColumns = [
  'id',
  'display_name',
  'user_principal_name',
  'on_premises_immutable_id',
  'on_premises_sync_enabled',
  'soft_deleted_at',
  'sync_seen_run',
] as const satisfies readonly (keyof ScannedUser)[];

/** Every user, a chunk at a time, along the primary key (Kysely, both dialects). */
async function* usersById(db: Transaction<Database> | Kysely<Database>): AsyncIterable<readonly ScannedUser[]> {
  let after = '';
  for (;;) {
    // A walk along the primary key, filtered by the caller: any condition in the query lets the database pick another
    // index and sort every synced user again for each chunk (quadratic when most users are unseen, as in a delta).
    const rows = await db
      .selectFrom('users')
      .select(scannedColumns)
      .where('id', '>', after)
      .orderBy('id')
      .limit(chunkSize)
      .execute();
    if (rows.length === 0) return;
    after = rows[rows.length - 1]?.id ?? after;
    yield rows;
  }
}

/** A synced, live user the run did not see, not excluded, and (for a delta) whose anchor its scan did not find. */
function isUnseen(
  row: ScannedUser,
  wasSeen: (row: ScannedUser) => boolean,
  anchorsInScope: ReadonlySet<string> | undefined,
  excluded: ReadonlySet<string>,
): boolean {
  return (
    row.on_premises_sync_enabled === 1 &&
    row.soft_deleted_at === null &&
    !wasSeen(row) &&
    !excluded.has(row.id) &&
    (!anchorsInScope || row.on_premises_immutable_id === null || !anchorsInScope.has(row.on_premises_immutable_id))
  );
}

/**
 * The synced, live users a run did not see (`wasSeen`), leaving out `excluded` and, when given, those whose anchor is
 * in `anchorsInScope` (a delta's scan found them), a chunk at a time.
 */
async function* unseenUsers(
  scan: AsyncIterable<readonly ScannedUser[]> | Iterable<readonly ScannedUser[]>,
  wasSeen: (row: ScannedUser) => boolean,
  anchorsInScope: ReadonlySet<string> | undefined,
  excluded: ReadonlySet<string>,
): AsyncIterable<UserRef[]> {
  for await (const rows of scan) {
    const gone = rows.filter((row) => isUnseen(row, wasSeen, anchorsInScope, excluded));
    if (gone.length > 0) {
      yield gone.map((row) => ({
        id: row.id,
        displayName: row.display_name,
        userPrincipalName: row.user_principal_name,
      }));
    }
  }
}

/** Soft-deletes these users (one statement) with an audit event each. */
async function softDelete(
  trx: Transaction<Database>,
  users: readonly UserRef[],
  now: string,
  audit: (user: UserRef) => AuditEventDraft,
): Promise<void> {
  if (users.length === 0) return;
  await trx
    .updateTable('users')
    .set({ soft_deleted_at: now, updated_at: now })
    .where(
      'id',
      'in',
      users.map((user) => user.id),
    )
    .execute();
  for (const user of users) await insertAuditEvent(trx, audit(user));
}

/** Hard-deletes users soft-deleted before `before` (30 days by default): their rows cascade away. */
async function purgeSoftDeleted(
  trx: Transaction<Database>,
  before: string,
  audit: (user: UserRef) => AuditEventDraft,
): Promise<void> {
  for (;;) {
    const rows = await trx
      .selectFrom('users')
      .select(['id', 'display_name', 'user_principal_name'])
      .where('soft_deleted_at', '<', before)
      .limit(chunkSize)
      .execute();
    if (rows.length === 0) return;
    await trx
      .deleteFrom('users')
      .where(
        'id',
        'in',
        rows.map((row) => row.id),
      )
      .execute();
    for (const row of rows) {
      await insertAuditEvent(
        trx,
        audit({ id: row.id, displayName: row.display_name, userPrincipalName: row.user_principal_name }),
      );
    }
  }
}

async function insertIssues(trx: Transaction<Database>, runId: string, issues: readonly SyncIssue[]): Promise<void> {
  for (const chunk of chunks(issues, 100)) {
    await trx
      .insertInto('directory_sync_errors')
      .values(
        chunk.map((issue) => ({
          id: randomUUID(),
          run_id: runId,
          dn: issue.dn,
          anchor: issue.anchor,
          user_id: issue.userId,
          type: issue.type,
          attribute: issue.attribute,
          message: issue.message,
          severity: issue.severity,
        })),
      )
      .execute();
  }
}

async function replaceOtherMails(trx: Transaction<Database>, userId: string, addresses: readonly string[]) {
  await trx.deleteFrom('user_other_mails').where('user_id', '=', userId).execute();
  const keys = [...new Set(addresses.map((address) => address.toLowerCase()))];
  if (keys.length > 0) {
    await trx
      .insertInto('user_other_mails')
      .values(keys.map((address_key) => ({ user_id: userId, address_key })))
      .execute();
  }
}

function toRunRecord(row: Selectable<DirectorySyncRunTable>): SyncRunRecord {
  return {
    id: row.id,
    kind: row.kind as 'full' | 'delta',
    dryRun: row.dry_run === 1,
    status: row.status as SyncRunRecord['status'],
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    counts: JSON.parse(row.counts) as SyncCounts,
    watermark: row.watermark === null ? null : (JSON.parse(row.watermark) as string),
    message: row.message,
    mappingsVersion: row.mappings_version ?? null,
    pendingDeletions: row.pending_deletions ?? null,
    deletionThreshold: row.deletion_threshold ?? null,
  };
}

function chunks<T>(items: readonly T[], size = chunkSize): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}
