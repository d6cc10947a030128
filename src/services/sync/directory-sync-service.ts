import type { AuditEventDraft, AuditInitiator, ModifiedProperty, RequestContext } from '../../domain/audit.js';
import { auditInitiator, modifiedProperties, userTarget } from '../../domain/audit.js';
import {
  anchorOf,
  type DesiredUser,
  type DirectoryEntry,
  type DirectoryFlavor,
  defaultMappings,
  type MappingRule,
  mapEntry,
  type SyncErrorType,
  type SyncTarget,
  syncTargets,
} from '../../domain/directory-mapping.js';
import {
  deletionThresholdExceeded,
  type SyncCounts,
  type SyncedUserChanges,
  type SyncIssue,
  type SyncRunKind,
  type SyncRunRecord,
  type SyncRunStatus,
} from '../../domain/directory-sync-records.js';
import { DomainError, formatErrorMessage } from '../../domain/errors.js';
import { directoryRoles, hasPermission, holdsAnyRole } from '../../domain/permissions.js';

export type { SyncCounts, SyncedUserChanges, SyncIssue, SyncRunKind, SyncRunRecord, SyncRunStatus };
export { deletionThresholdExceeded };

/**
 * Directory sync's full and delta runs (SPEC section 8). The source streams pages; each page is mapped (pure),
 * diffed against the store with one batched look-up by anchor, UPN and mail, and written in one transaction
 * with its audit events, the `sync_seen_run` stamps and the run's counters. The run's watermark and its soft
 * deletions (the users a full run or a delta's anchor scan did not see, and AD's tombstones, held back until then)
 * commit in the same transaction as the last page, so a run killed at any point leaves no watermark behind and the
 * next run repeats it: nothing lost, nothing twice. More deletions than the deletion threshold stop the run there
 * instead (Entra Connect's "prevent accidental deletes"): creates and updates stay, nothing is deleted and no
 * watermark is written, so every later run finds the same deletions until they are allowed once or the threshold
 * changes.
 *
 * Memory: one page at a time, plus one page of look-ahead (to know which page is the last). A delta run's
 * deletion scan keeps the set of anchors in scope (16-byte anchors, base64): the one thing that grows with the
 * directory.
 */

/** The on-premises directory, as the sync engine needs it. The LDAP connector implements it. */
export interface DirectorySource {
  /** Every entry in scope, a page at a time (full run). */
  pages(): AsyncIterable<readonly DirectoryEntry[]>;
  /**
   * Entries changed since the watermark (delta run). An entry with `isDeleted: TRUE` (Active Directory's
   * tombstones, read with the show-deleted control) is a deletion of its anchor.
   */
  changedSince(watermark: string): AsyncIterable<readonly DirectoryEntry[]>;
  /**
   * Every anchor in scope, as `onPremisesImmutableId` values (OpenLDAP, which keeps no tombstones: a synced user
   * whose anchor is missing has left the scope). Absent when the source reports deletions itself.
   */
  anchors?(): AsyncIterable<readonly string[]>;
  /**
   * The entries in scope among these anchors (`onPremisesImmutableId` values), a page at a time: a delta run reads
   * again the objects the previous run reported in error (a duplicate UPN freed since, ...), as Entra Connect
   * retries them every cycle. Absent: errors are retried by the next full run only.
   */
  entriesByAnchor?(anchors: readonly string[]): AsyncIterable<readonly DirectoryEntry[]>;
  /** The source's current watermark, read before anything else so that nothing changed during the run is missed. */
  currentWatermark(): Promise<string>;
  /** Releases the source's connections; called after a run on a source that `openSource` opened. */
  close?(): Promise<void>;
}

export interface SyncSettings {
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
  readonly mappingsVersion: number;
  readonly bypassDirSyncOverridesEnabled: boolean;
  readonly writebackEnabled: boolean;
  /** A run that would soft-delete more users than this stops instead (0: no limit). */
  readonly deletionThreshold: number;
  readonly updatedAt: string;
}

/** Entra Connect's default deletion threshold. */
export const defaultDeletionThreshold = 500;

/** A user as the diff needs it (soft-deleted ones included). */
export interface SyncedUserState {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string | null;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly mail: string | null;
  readonly jobTitle: string | null;
  readonly officeLocation: string | null;
  readonly accountEnabled: boolean;
  readonly mobilePhone: string | null;
  readonly businessPhones: readonly string[];
  readonly otherMails: readonly string[];
  readonly onPremisesSyncEnabled: boolean | null;
  readonly onPremisesImmutableId: string | null;
  readonly onPremisesDistinguishedName: string | null;
  readonly onPremisesSamAccountName: string | null;
  readonly onPremisesUserPrincipalName: string | null;
  readonly mobilePhoneCloudOverride: boolean;
  readonly syncSeenRun: string | null;
  readonly softDeletedAt: string | null;
}

export interface NewSyncedUser {
  readonly id: string;
  readonly desired: DesiredUser;
  readonly syncOtherMails: boolean;
}

/** Everything one page changes, written in one transaction. */
export interface SyncPageWrite {
  readonly runId: string;
  readonly now: string;
  readonly inserts: readonly { readonly user: NewSyncedUser; readonly audit: AuditEventDraft }[];
  readonly updates: readonly {
    readonly id: string;
    readonly changes: SyncedUserChanges;
    readonly audit: AuditEventDraft;
  }[];
  /** Users seen by this run (inserted, updated or unchanged): `sync_seen_run` and last sync time. */
  readonly seen: readonly string[];
  readonly issues: readonly SyncIssue[];
  /** The run's counters so far (without this page's end-of-run deletions). */
  readonly counts: SyncCounts;
  /** On the run's last page: what ends the run in the same transaction. */
  readonly finish?: SyncRunFinish;
}

/** A user as its audit events name it. */
export interface SyncedUserRef {
  readonly id: string;
  readonly displayName: string | null;
  readonly userPrincipalName: string;
}

export interface SyncRunFinish {
  readonly watermark: string;
  /**
   * Soft deletions found along the run (AD tombstones and users that left the scope), held back to the end; each
   * gets `deleteAudit`'s event.
   */
  readonly softDeletes: readonly SyncedUserRef[];
  /**
   * Soft-delete synced users this run did not see: all of them (full run), or those whose anchor is not in
   * `anchorsInScope` (delta run with an anchor scan). Absent: no end-of-run deletion.
   */
  readonly deleteUnseen?: { readonly anchorsInScope?: ReadonlySet<string> };
  /**
   * More deletions (`softDeletes` and `deleteUnseen` together) than `limit`: none of them happens, no purge and no
   * watermark; the run ends `stopped-deletion-threshold-exceeded` with `stopped`'s message and audit event.
   * Absent: no limit.
   */
  readonly deletionThreshold?: {
    readonly limit: number;
    readonly stopped: (pendingDeletions: number) => { message: string; audit: AuditEventDraft };
  };
  /** Hard-delete users soft-deleted before this instant. */
  readonly purgeSoftDeletedBefore?: string;
  readonly deleteAudit: (user: SyncedUserRef) => AuditEventDraft;
  readonly purgeAudit: (user: SyncedUserRef) => AuditEventDraft;
  readonly endAudit: (counts: SyncCounts, status: SyncRunStatus) => AuditEventDraft;
}

/** What a page's transaction committed. */
export interface SyncPageResult {
  /** The run's counters (end-of-run deletions added). */
  readonly counts: SyncCounts;
  /** Non-null when the run stopped at the deletion threshold: the soft deletions it held back. */
  readonly pendingDeletions: number | null;
}

/** The settings as the CLI and the admin API show them: the bind password is write-only. */
export type PublicSyncSettings = Omit<SyncSettings, 'bindPassword'> & { readonly bindPasswordSet: boolean };

/** A change of the settings (CLI `sync configure`, admin API `PUT settings`): absent fields keep their value. */
export interface SyncSettingsInput {
  readonly flavor?: unknown;
  readonly urls?: unknown;
  readonly bindDn?: unknown;
  /** Write-only; absent keeps the stored one. */
  readonly bindPassword?: unknown;
  readonly baseDns?: unknown;
  readonly filter?: unknown;
  readonly groupDn?: unknown;
  readonly pageSize?: unknown;
  readonly timeoutMs?: unknown;
  readonly tls?: unknown;
  readonly intervalMinutes?: unknown;
  readonly mappings?: unknown;
  readonly bypassDirSyncOverridesEnabled?: unknown;
  readonly writebackEnabled?: unknown;
  readonly deletionThreshold?: unknown;
}

export function publicSettings(settings: SyncSettings): PublicSyncSettings {
  const { bindPassword, ...rest } = settings;
  return { ...rest, bindPasswordSet: bindPassword.length > 0 };
}

/** The store as directory sync needs it. */
export interface SyncStore {
  loadSettings(): Promise<SyncSettings | undefined>;
  /** An absent `deletionThreshold` keeps the stored one (the default for new settings). */
  saveSettings(settings: SettingsToSave & { readonly updatedAt: string }, audit: AuditEventDraft): Promise<void>;
  /**
   * Takes (or renews) the lease when it is free, expired or already ours, or still held by `takeOverFrom` (a
   * holder found dead); false when another holder has it.
   */
  acquireLease(holder: string, now: string, expiresAt: string, takeOverFrom?: string): Promise<boolean>;
  /** The lease's current holder (`<instanceName>:<runId>`), or null when free. */
  leaseHolder(): Promise<{ holder: string; expiresAt: string } | null>;
  releaseLease(holder: string): Promise<void>;
  startRun(run: SyncRunRecord, audit: AuditEventDraft): Promise<void>;
  /**
   * Ends a run that did not reach its last page (failure) or a dry run, with its counts and issues; a dry run that a
   * real run's deletion threshold would stop also records those deletions and that threshold.
   */
  endRun(
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
  ): Promise<void>;
  /**
   * For a dry run (which stamps nothing): how many synced users a real run's end would soft-delete, leaving out
   * those in `seen`, those in `excluded` and, when given, those whose anchor is in `anchorsInScope`.
   */
  countUnseenSynced(
    seen: ReadonlySet<string>,
    anchorsInScope: ReadonlySet<string> | undefined,
    excluded: ReadonlySet<string>,
  ): Promise<number>;
  /** The watermark of the latest succeeded run that wrote one (dry runs never do). */
  lastWatermark(): Promise<string | null>;
  /** The anchors of the objects in error (not warnings) in that same run. */
  lastRunErrorAnchors(): Promise<string[]>;
  findByAnchors(anchors: readonly string[]): Promise<SyncedUserState[]>;
  /** By lower-cased UPN. */
  findByUserPrincipalNames(keys: readonly string[]): Promise<SyncedUserState[]>;
  findByMails(mails: readonly string[]): Promise<{ id: string; mail: string }[]>;
  /** One transaction; returns the counters as committed (end-of-run deletions added) and any stop. */
  applyPage(write: SyncPageWrite): Promise<SyncPageResult>;
  listRuns(limit: number): Promise<SyncRunRecord[]>;
  /** The latest full run that succeeded and was not a dry run, however many runs came after it. */
  lastSucceededFullRun(): Promise<SyncRunRecord | undefined>;
  findRun(id: string): Promise<SyncRunRecord | undefined>;
  runIssues(runId: string): Promise<SyncIssue[]>;
}

export interface DirectorySyncDependencies {
  readonly store: SyncStore;
  /** Opens the configured directory; absent until the LDAP connector is wired (then runs need a `source`). */
  readonly openSource?: (settings: SyncSettings) => DirectorySource;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Identifies this server instance in the lease. */
  readonly instanceName: string;
  readonly leaseMilliseconds?: number;
  /**
   * True when the lease's holder (`<instanceName>:<runId>`) is certainly gone: its process ran on this host and no
   * longer exists (killed mid-run). Its lease is then taken over at once instead of after it expires. Absent:
   * a killed run's lease is only ever taken back once it expires.
   */
  readonly isHolderGone?: (holder: string) => boolean;
  readonly softDeleteRetentionDays?: number;
}

export interface SyncRunOptions {
  readonly dryRun?: boolean;
  /**
   * Apply this run's deletions even when they are more than the deletion threshold (the administrator checked
   * them): once, for this run only.
   */
  readonly allowDeletions?: boolean;
  /**
   * Who asked for this run (an administrator's "Run now", an API client, the CLI's operator): its start event names
   * them. A scheduled run has none and is the sync's own.
   */
  readonly requestedBy?: RequestContext;
  /** The directory to read; defaults to the one the settings describe. */
  readonly source?: DirectorySource;
  /** Called after each page is planned (and, unless a dry run, committed), with the counters so far. */
  readonly onProgress?: (progress: SyncProgress) => void;
  /** Called once the run is recorded (lease taken, run `running`), before it reads anything. */
  readonly onStarted?: (runId: string, kind: SyncRunKind) => void;
}

/** A run started in the background (`start`): recorded and running; `completion` settles when it ends. */
export interface StartedSyncRun {
  readonly runId: string;
  readonly kind: SyncRunKind;
  readonly dryRun: boolean;
  readonly completion: Promise<SyncRunResult>;
}

/** A run as `GET runs/{id}` shows it: its record, and while it runs in this instance, the pages read so far. */
export type SyncRunView = SyncRunRecord & { readonly pagesRead: number | null };

export interface SyncProgress {
  readonly runId: string;
  readonly kind: SyncRunKind;
  readonly page: number;
  readonly counts: SyncCounts;
}

/** One mapped property of the sample entry `sspr sync test` shows. */
export interface SyncPreviewRow {
  readonly target: string;
  readonly value: string;
  readonly warning: string;
}

export interface SyncConnectionTest {
  /** Entries in scope (the bind succeeded when this is known). */
  readonly entriesInScope: number;
  readonly sample: {
    readonly dn: string;
    readonly rows: readonly SyncPreviewRow[];
    readonly error: string | null;
  } | null;
}

export interface SyncRunResult {
  readonly runId: string;
  readonly kind: SyncRunKind;
  readonly dryRun: boolean;
  readonly status: Exclude<SyncRunStatus, 'running'>;
  readonly counts: SyncCounts;
  readonly message: string | null;
  /** A run stopped by the deletion threshold: the users it would have soft-deleted, and that threshold. */
  readonly pendingDeletions?: number | null;
  readonly deletionThreshold?: number | null;
}

/** The settings `configure` saves: an absent `deletionThreshold` keeps the stored one. */
export type SettingsToSave = Omit<SyncSettings, 'mappingsVersion' | 'updatedAt' | 'deletionThreshold'> & {
  readonly deletionThreshold?: number;
};

// Frozen: audit rows reuse the JSON of an initiator they saw last (audit-writer.ts).
const syncInitiator: AuditInitiator = Object.freeze({
  app: Object.freeze({ appId: 'opensspr-directory-sync', displayName: 'OpenSSPR directory sync' }),
});

/** The properties whose values a mapping rule must produce before the sync writes them. */
const optionalTargets: readonly SyncTarget[] = [
  'givenName',
  'surname',
  'mail',
  'jobTitle',
  'officeLocation',
  'businessPhones',
  'mobilePhone',
  'otherMails',
  'onPremisesSamAccountName',
];

export class DirectorySyncService {
  /** Runs of this instance in progress: their pages and counters so far. */
  private readonly live = new Map<string, SyncProgress>();
  /** Runs started in the background (`start`) and not yet ended. */
  private readonly background = new Set<Promise<unknown>>();
  private readonly backgroundById = new Map<string, Promise<SyncRunResult>>();
  private stopping = false;

  constructor(private readonly deps: DirectorySyncDependencies) {}

  settings(): Promise<SyncSettings | undefined> {
    return this.deps.store.loadSettings();
  }

  /**
   * Who may read and change directory sync (settings, runs, errors): the local operator, a Global Administrator
   * signed in with the `Directory.ReadWrite.All` scope, or an application with `Directory.ReadWrite.All`.
   */
  authorize(context: RequestContext): void {
    const { principal } = context;
    const allowed =
      principal.kind === 'operator' ||
      (hasPermission(principal, 'Directory.ReadWrite.All') &&
        (principal.kind === 'application' || holdsAnyRole(principal, [directoryRoles.globalAdministrator])));
    if (!allowed) throw new DomainError('permission_denied');
  }

  /**
   * Saves the connection and mapping settings (the store seals the bind password and bumps the mapping version).
   * The audit event names `context`'s caller when given, else the sync itself.
   */
  async configure(settings: SettingsToSave, context?: RequestContext): Promise<void> {
    const updatedAt = this.deps.clock().toISOString();
    // The safeguard's change shows its old value too: turning it off is what an auditor looks for.
    const current = settings.deletionThreshold === undefined ? undefined : await this.deps.store.loadSettings();
    const draft = this.audit('Update directory synchronization settings', 'DirectoryManagement', 'Update', [
      {
        id: 'directory-sync',
        displayName: 'Directory synchronization',
        type: 'Directory',
        modifiedProperties: [
          ...modifiedProperties(null, {
            flavor: settings.flavor,
            urls: settings.urls,
            baseDns: settings.baseDns,
            bypassDirSyncOverridesEnabled: settings.bypassDirSyncOverridesEnabled,
          }),
          ...(settings.deletionThreshold === undefined
            ? []
            : modifiedProperties(current ?? null, { deletionThreshold: settings.deletionThreshold })),
        ],
      },
    ]);
    await this.deps.store.saveSettings({ ...settings, updatedAt }, requestedAudit(draft, context));
  }

  /**
   * Validates `input` merged over the stored settings and saves them (`sspr sync configure`, `PUT settings`).
   * Returns the settings without the password.
   */
  async update(context: RequestContext, input: SyncSettingsInput): Promise<PublicSyncSettings> {
    this.authorize(context);
    const current = await this.deps.store.loadSettings();
    const merged = validateSettingsInput(input, current);
    await this.configure(merged, context);
    const saved = await this.deps.store.loadSettings();
    return publicSettings(saved as SyncSettings);
  }

  runs(limit = 20): Promise<SyncRunRecord[]> {
    return this.deps.store.listRuns(limit);
  }

  issues(runId: string): Promise<SyncIssue[]> {
    return this.deps.store.runIssues(runId);
  }

  /**
   * A run's issues, each naming the user it concerns when a user (not deleted) has its anchor: warnings are recorded
   * before the user is written, so their `userId` is filled here (the portal links each issue to its user).
   */
  async issuesWithUsers(runId: string): Promise<SyncIssue[]> {
    const issues = await this.deps.store.runIssues(runId);
    const anchors = [
      ...new Set(issues.flatMap((issue) => (issue.userId === null && issue.anchor ? [issue.anchor] : []))),
    ];
    if (anchors.length === 0) return issues;
    const users = new Map(
      (await this.deps.store.findByAnchors(anchors))
        .filter((user) => user.softDeletedAt === null && user.onPremisesImmutableId !== null)
        .map((user) => [user.onPremisesImmutableId as string, user.id]),
    );
    return issues.map((issue) =>
      issue.userId === null && issue.anchor !== null && users.has(issue.anchor)
        ? { ...issue, userId: users.get(issue.anchor) ?? null }
        : issue,
    );
  }

  runFull(options: SyncRunOptions = {}): Promise<SyncRunResult> {
    return this.run('full', options);
  }

  /**
   * Starts a run (a delta one without a watermark yet is a full one) and answers as soon as it is recorded, the run
   * going on in the background (`POST runs`). Throws `sync_run_in_progress` when another run holds the lease.
   */
  start(kind: SyncRunKind, options: Omit<SyncRunOptions, 'onStarted'> = {}): Promise<StartedSyncRun> {
    return new Promise((resolve, reject) => {
      let started: { runId: string; kind: SyncRunKind } | undefined;
      const completion = (kind === 'full' ? this.runFull : this.runDelta).call(this, {
        ...options,
        onStarted: (runId, runKind) => {
          started = { runId, kind: runKind };
          this.backgroundById.set(runId, completion);
          resolve({ runId, kind: runKind, dryRun: options.dryRun === true, completion });
        },
      });
      this.background.add(completion);
      completion
        .then(
          // A run that failed while being recorded ends without having started: its outcome is the answer.
          (result) => {
            if (!started) resolve({ runId: result.runId, kind: result.kind, dryRun: result.dryRun, completion });
          },
          (error: unknown) => {
            if (!started) reject(error);
          },
        )
        .finally(() => {
          this.background.delete(completion);
          if (started) this.backgroundById.delete(started.runId);
        });
    });
  }

  /** The outcome of a background run of this instance, once it ends; undefined when it is not running here. */
  whenEnded(runId: string): Promise<SyncRunResult> | undefined {
    return this.backgroundById.get(runId);
  }

  /** A run's record, with the pages read so far while it runs in this instance; undefined when unknown. */
  async findRun(runId: string): Promise<SyncRunView | undefined> {
    const record = await this.deps.store.findRun(runId);
    if (!record) return undefined;
    const live = record.status === 'running' ? this.live.get(runId) : undefined;
    return live
      ? { ...record, counts: live.counts, pagesRead: live.page }
      : { ...record, pagesRead: record.status === 'running' ? 0 : null };
  }

  /**
   * Ends this instance's background runs (server shutdown): each stops after its current page and is recorded as
   * failed; resolves when all have ended. A stopped run is repeated safely by the next one.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.background]);
  }

  /**
   * What the scheduler runs: nothing when sync is not configured; a full run when the mappings changed since the
   * last succeeded full run (or there is none); a delta run otherwise.
   */
  async runScheduled(): Promise<SyncRunResult | null> {
    const settings = await this.deps.store.loadSettings();
    if (!settings) return null;
    const lastFull = await this.deps.store.lastSucceededFullRun();
    if (!lastFull || lastFull.mappingsVersion !== settings.mappingsVersion) return this.runFull();
    return this.runDelta();
  }

  /**
   * `sspr sync test`: binds and counts the entries in scope (reading every page), and maps the first entry with the
   * configured mappings: each target with its value and any warning, or the object error.
   */
  async testConnection(options: { readonly source?: DirectorySource } = {}): Promise<SyncConnectionTest> {
    const settings = await this.deps.store.loadSettings();
    if (!settings) {
      throw new DomainError('invalid_configuration', {
        detail: 'directory sync is not configured (sspr sync configure)',
      });
    }
    const source = options.source ?? this.deps.openSource?.(settings);
    if (!source) throw new DomainError('invalid_configuration', { detail: 'no directory connector is available' });
    try {
      let count = 0;
      let first: DirectoryEntry | undefined;
      for await (const page of source.pages()) {
        count += page.length;
        first ??= page[0];
      }
      if (!first) return { entriesInScope: count, sample: null };
      const rules = effectiveMappings(settings);
      const outcome = mapEntry(first, rules, settings.flavor);
      if (!outcome.ok) {
        return {
          entriesInScope: count,
          sample: { dn: first.dn, rows: [], error: `${outcome.error.type}: ${outcome.error.message}` },
        };
      }
      const user = outcome.user;
      const targets = [...new Set(rules.map((rule) => rule.target))];
      const rows: SyncPreviewRow[] = [
        ...targets.map((target) => {
          const value = user[target as keyof DesiredUser];
          const warnings = outcome.warnings.filter((warning) => warning.target === target);
          return {
            target,
            value: Array.isArray(value) ? value.join(', ') : value === null || value === undefined ? '' : String(value),
            warning: warnings
              .map((warning) =>
                warning.suggestion ? `${warning.message} Suggested: ${warning.suggestion}` : warning.message,
              )
              .join(' '),
          };
        }),
        { target: 'onPremisesImmutableId', value: user.anchor, warning: '' },
        { target: 'onPremisesDistinguishedName', value: user.distinguishedName, warning: '' },
      ];
      return { entriesInScope: count, sample: { dn: first.dn, rows, error: null } };
    } finally {
      if (!options.source) await source.close?.().catch(() => undefined);
    }
  }

  /** A delta run; the first run (no watermark yet) is a full one. */
  async runDelta(options: SyncRunOptions = {}): Promise<SyncRunResult> {
    const watermark = await this.deps.store.lastWatermark();
    return watermark === null ? this.run('full', options) : this.run('delta', options, watermark);
  }

  private async run(kind: SyncRunKind, options: SyncRunOptions, since?: string): Promise<SyncRunResult> {
    const settings = await this.deps.store.loadSettings();
    if (!settings) {
      throw new DomainError('invalid_configuration', {
        detail: 'directory sync is not configured (sspr sync configure)',
      });
    }
    const source = options.source ?? this.deps.openSource?.(settings);
    if (!source) throw new DomainError('invalid_configuration', { detail: 'no directory connector is available' });
    try {
      return await this.runWith(kind, options, settings, source, since);
    } finally {
      // A source the settings opened is ours to close; one passed in belongs to the caller.
      if (!options.source) await source.close?.().catch(() => undefined);
    }
  }

  private async runWith(
    kind: SyncRunKind,
    options: SyncRunOptions,
    settings: SyncSettings,
    source: DirectorySource,
    since?: string,
  ): Promise<SyncRunResult> {
    const dryRun = options.dryRun === true;
    // A dry run shows what the same run would do for real, deletion threshold (and its override) included.
    const allowDeletions = options.allowDeletions === true;
    const threshold = allowDeletions || settings.deletionThreshold === 0 ? null : settings.deletionThreshold;
    const runId = this.deps.newId();
    const holder = `${this.deps.instanceName}:${runId}`;
    const leaseMs = this.deps.leaseMilliseconds ?? 5 * 60 * 1000;
    const takeLease = () => {
      const now = this.deps.clock();
      return this.deps.store.acquireLease(holder, now.toISOString(), new Date(now.getTime() + leaseMs).toISOString());
    };
    if (!(await takeLease()) && !(await this.takeOverDeadHolder(holder, leaseMs))) {
      const current = await this.deps.store.leaseHolder();
      throw new DomainError('sync_run_in_progress', {
        runId: current ? `run ${current.holder.split(':').at(-1)}` : 'another instance',
      });
    }
    const counts: SyncCounts = { read: 0, added: 0, updated: 0, deleted: 0, unchanged: 0, errors: 0, warnings: 0 };
    const runTarget = (modified: readonly ModifiedProperty[] = []) => [
      {
        id: runId,
        displayName: `${dryRun ? 'Dry run: ' : ''}${kind} synchronization`,
        type: 'Directory' as const,
        modifiedProperties: modified,
      },
    ];
    const endAudit = (finalCounts: SyncCounts, status: SyncRunStatus) =>
      this.audit('End directory synchronization run', 'DirectoryManagement', 'Other', [
        ...runTarget(modifiedProperties(null, { status, ...finalCounts })),
      ]);
    const startedAt = this.deps.clock().toISOString();
    let pendingIssues: SyncIssue[] = [];
    // Soft deletions found along the run (AD tombstones), by user id: applied with the last page, or not at all
    // when the run stops at the deletion threshold. Users only (their audit events are made then): small.
    const heldDeletes = new Map<string, SyncedUserRef>();
    // A dry run stamps nothing, so it keeps the users it met to count the end-of-run deletions (ids only).
    const seenInDryRun = new Set<string>();
    let anchorsInScope: ReadonlySet<string> | undefined;
    let pendingDeletions: number | null = null;
    try {
      await this.deps.store.startRun(
        {
          id: runId,
          kind,
          dryRun,
          status: 'running',
          startedAt,
          finishedAt: null,
          counts,
          watermark: null,
          message: null,
          mappingsVersion: settings.mappingsVersion,
        },
        requestedAudit(
          this.audit(
            'Start directory synchronization run',
            'DirectoryManagement',
            'Other',
            runTarget(allowDeletions ? modifiedProperties(null, { allowDeletions: true }) : []),
          ),
          options.requestedBy,
        ),
      );
      this.live.set(runId, { runId, kind, page: 0, counts: { ...counts } });
      options.onStarted?.(runId, kind);
      // Read first: whatever changes while the run reads is read again by the next delta.
      const watermark = await source.currentWatermark();
      const rules = effectiveMappings(settings);
      const context: PageContext = {
        runId,
        kind,
        settings,
        rules,
        syncOtherMails: rules.some((rule) => rule.target === 'otherMails'),
        mapped: new Set(rules.map((rule) => rule.target)),
      };
      // The delta's anchor-only scan runs alongside the changed entries (its own connection); the last page waits
      // for it. A failure is seen there, not as an unhandled rejection.
      const anchorScan =
        kind === 'delta' && source.anchors ? collectAnchors(source.anchors()) : Promise.resolve(undefined);
      anchorScan.catch(() => undefined);
      const pages =
        kind === 'full'
          ? source.pages()
          : deltaPages(
              source,
              since as string,
              source.entriesByAnchor ? await this.deps.store.lastRunErrorAnchors() : [],
              settings.flavor,
            );
      const iterator = pages[Symbol.asyncIterator]();
      let current = await iterator.next();
      // Always one write, even for an empty source: it carries the end of the run.
      if (current.done) current = { done: false, value: [] };
      let page = 0;
      while (!current.done) {
        const next = await iterator.next();
        const last = next.done === true;
        if (this.stopping) throw new Error('stopped: the server is shutting down');
        const { softDeletes, ...planned } = await this.planPage(current.value, context, counts);
        for (const id of planned.seen) heldDeletes.delete(id);
        for (const item of softDeletes) heldDeletes.set(item.id, item);
        if (last) anchorsInScope = await anchorScan;
        if (dryRun) {
          for (const id of planned.seen) seenInDryRun.add(id);
          pendingIssues.push(...planned.issues);
          // Bounded: a dry run reports its first issues, and counts all of them.
          if (pendingIssues.length > 10_000) pendingIssues = pendingIssues.slice(0, 10_000);
        } else {
          if (!(await takeLease())) throw new Error('the directory sync lease was lost to another instance');
          const now = this.deps.clock().toISOString();
          const write: SyncPageWrite = {
            runId,
            now,
            ...planned,
            counts: { ...counts },
            ...(last
              ? {
                  finish: {
                    watermark,
                    softDeletes: [...heldDeletes.values()],
                    ...(kind === 'full'
                      ? { deleteUnseen: {} }
                      : anchorsInScope
                        ? { deleteUnseen: { anchorsInScope } }
                        : {}),
                    ...(threshold === null
                      ? {}
                      : {
                          deletionThreshold: {
                            limit: threshold,
                            stopped: (pending: number) => ({
                              message: formatErrorMessage('sync_deletion_threshold_exceeded', {
                                count: pending,
                                threshold,
                              }),
                              audit: this.audit(
                                'Directory synchronization deletion threshold exceeded',
                                'DirectoryManagement',
                                'Other',
                                runTarget(
                                  modifiedProperties(null, { pendingDeletions: pending, deletionThreshold: threshold }),
                                ),
                              ),
                            }),
                          },
                        }),
                    purgeSoftDeletedBefore: new Date(
                      this.deps.clock().getTime() - (this.deps.softDeleteRetentionDays ?? 30) * 86_400_000,
                    ).toISOString(),
                    deleteAudit: (user) =>
                      this.audit('Delete user', 'UserManagement', 'Delete', [
                        userTarget(user, [{ displayName: 'softDeleted', oldValue: null, newValue: 'true' }]),
                      ]),
                    purgeAudit: (user) =>
                      this.audit('Hard delete user', 'UserManagement', 'Delete', [userTarget(user)]),
                    endAudit,
                  },
                }
              : {}),
          };
          const committed = await this.deps.store.applyPage(write);
          Object.assign(counts, committed.counts);
          pendingDeletions = committed.pendingDeletions;
        }
        page++;
        const progress = { runId, kind, page, counts: { ...counts } };
        this.live.set(runId, progress);
        options.onProgress?.(progress);
        current = next;
      }
      if (dryRun) {
        // The deletions a real run would make: those found along the way, and at the end the synced users it did
        // not meet (a full run) or whose anchor the delta's scan did not find. Over the threshold, none of them.
        const unseen =
          kind === 'full' || anchorsInScope
            ? await this.deps.store.countUnseenSynced(seenInDryRun, anchorsInScope, new Set(heldDeletes.keys()))
            : 0;
        const wouldDelete = heldDeletes.size + unseen;
        const stop =
          threshold !== null && wouldDelete > threshold ? { pendingDeletions: wouldDelete, threshold } : null;
        if (stop) pendingDeletions = stop.pendingDeletions;
        else counts.deleted += wouldDelete;
        const status = stop ? deletionThresholdExceeded : 'succeeded';
        await this.deps.store.endRun(
          runId,
          {
            status,
            finishedAt: this.deps.clock().toISOString(),
            counts,
            message: stop
              ? formatErrorMessage('sync_deletion_threshold_exceeded', {
                  count: stop.pendingDeletions,
                  threshold: stop.threshold,
                })
              : null,
            issues: pendingIssues,
            ...(stop ? { pendingDeletions: stop.pendingDeletions, deletionThreshold: stop.threshold } : {}),
          },
          endAudit(counts, status),
        );
      }
      if (pendingDeletions !== null && threshold !== null) {
        return {
          runId,
          kind,
          dryRun,
          status: deletionThresholdExceeded,
          counts,
          message: formatErrorMessage('sync_deletion_threshold_exceeded', { count: pendingDeletions, threshold }),
          pendingDeletions,
          deletionThreshold: threshold,
        };
      }
      return {
        runId,
        kind,
        dryRun,
        status: 'succeeded',
        counts,
        message: null,
        pendingDeletions: null,
        deletionThreshold: null,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      try {
        await this.deps.store.endRun(
          runId,
          {
            status: 'failed',
            finishedAt: this.deps.clock().toISOString(),
            counts,
            message,
            issues: dryRun ? pendingIssues : [],
          },
          endAudit(counts, 'failed'),
        );
      } catch {
        // The store itself failed: the run stays `running` and its lease expires; the next run repeats it.
      }
      return {
        runId,
        kind,
        dryRun,
        status: 'failed',
        counts,
        message,
        pendingDeletions: null,
        deletionThreshold: null,
      };
    } finally {
      this.live.delete(runId);
      await this.deps.store.releaseLease(holder).catch(() => undefined);
    }
  }

  /** Takes the lease from a holder `isHolderGone` finds dead (a run killed on this host); false otherwise. */
  private async takeOverDeadHolder(holder: string, leaseMs: number): Promise<boolean> {
    const current = await this.deps.store.leaseHolder();
    if (!current || !this.deps.isHolderGone?.(current.holder)) return false;
    const now = this.deps.clock();
    return this.deps.store.acquireLease(
      holder,
      now.toISOString(),
      new Date(now.getTime() + leaseMs).toISOString(),
      current.holder,
    );
  }

  /** Maps a page, looks its users up in three batched queries, and works out the writes. */
  private async planPage(
    entries: readonly DirectoryEntry[],
    context: PageContext,
    counts: SyncCounts,
  ): Promise<Pick<SyncPageWrite, 'inserts' | 'updates' | 'seen' | 'issues'> & Pick<SyncRunFinish, 'softDeletes'>> {
    const { settings } = context;
    const issues: SyncIssue[] = [];
    const recordError = (
      dn: string,
      anchor: string | null,
      userId: string | null,
      type: SyncErrorType,
      attribute: string | null,
      message: string,
    ) => {
      counts.errors++;
      issues.push({ dn, anchor, userId, type, attribute, message, severity: 'error' });
    };
    const desired: DesiredUser[] = [];
    const tombstones: string[] = [];
    const failedAnchors: string[] = [];
    for (const entry of entries) {
      counts.read++;
      if (isTombstone(entry)) {
        // A tombstone maps no UPN; its anchor is what matters.
        const anchor = anchorOf(entry, settings.flavor);
        if (anchor) tombstones.push(anchor);
        continue;
      }
      const outcome = mapEntry(entry, context.rules, settings.flavor);
      if (!outcome.ok) {
        const anchor = anchorOf(entry, settings.flavor);
        // Still in scope: a user it already made is seen, so the end of a full run does not delete it.
        if (anchor) failedAnchors.push(anchor);
        recordError(outcome.error.dn, anchor, null, outcome.error.type, outcome.error.attribute, outcome.error.message);
        continue;
      }
      for (const warning of outcome.warnings) {
        counts.warnings++;
        issues.push({
          dn: warning.dn,
          anchor: outcome.user.anchor,
          userId: null,
          type: 'Warning',
          attribute: warning.target,
          message: warning.suggestion ? `${warning.message} Suggested: ${warning.suggestion}` : warning.message,
          severity: 'warning',
        });
      }
      desired.push(outcome.user);
    }

    const store = this.deps.store;
    const byAnchor = new Map(
      (await store.findByAnchors([...desired.map((user) => user.anchor), ...tombstones, ...failedAnchors])).map(
        (user) => [user.onPremisesImmutableId as string, user],
      ),
    );
    const byUpn = new Map(
      (await store.findByUserPrincipalNames(desired.map((user) => user.userPrincipalName.toLowerCase()))).map(
        (user) => [user.userPrincipalName.toLowerCase(), user],
      ),
    );
    const mails = desired.flatMap((user) => (user.mail ? [user.mail, user.mail.toLowerCase()] : []));
    const mailOwners = new Map<string, Set<string>>();
    for (const { id, mail } of await store.findByMails([...new Set(mails)])) {
      const key = mail.toLowerCase();
      mailOwners.set(key, (mailOwners.get(key) ?? new Set()).add(id));
    }

    const inserts: SyncPageWrite['inserts'][number][] = [];
    const updates: SyncPageWrite['updates'][number][] = [];
    const softDeletes: SyncedUserRef[] = [];
    const seen: string[] = [];
    // Keys claimed earlier in this page: the first entry wins, as in the source's order.
    const claimedUpns = new Map<string, string>();
    const claimedMails = new Map<string, string>();
    const claimedAnchors = new Set<string>();
    for (const anchor of failedAnchors) {
      const user = byAnchor.get(anchor);
      if (user && user.softDeletedAt === null) seen.push(user.id);
      claimedAnchors.add(anchor);
    }

    for (const user of desired) {
      if (claimedAnchors.has(user.anchor)) continue;
      claimedAnchors.add(user.anchor);
      const upnKey = user.userPrincipalName.toLowerCase();
      let existing = byAnchor.get(user.anchor);
      // An object in error stays in scope: the user it already has is seen (and kept) as it is.
      const error = (type: SyncErrorType, attribute: string, message: string) => {
        if (existing && existing.softDeletedAt === null) seen.push(existing.id);
        recordError(user.distinguishedName, user.anchor, existing?.id ?? null, type, attribute, message);
      };
      const upnOwner = byUpn.get(upnKey);
      const duplicateInPage = claimedUpns.has(upnKey) && claimedUpns.get(upnKey) !== user.anchor;
      if (duplicateInPage) {
        error(
          'AttributeValueMustBeUnique',
          'userPrincipalName',
          `The userPrincipalName "${user.userPrincipalName}" is already used by another object in the directory.`,
        );
        continue;
      }
      if (!existing && upnOwner) {
        if (upnOwner.onPremisesImmutableId === null) {
          // Soft match: a cloud user without an anchor takes this one.
          existing = upnOwner;
        } else if (upnOwner.syncSeenRun === context.runId) {
          error(
            'AttributeValueMustBeUnique',
            'userPrincipalName',
            `The userPrincipalName "${user.userPrincipalName}" is already used by another object in the directory.`,
          );
          continue;
        } else {
          error(
            'InvalidSoftMatch',
            'userPrincipalName',
            `The userPrincipalName "${user.userPrincipalName}" belongs to a user with a different source anchor (${upnOwner.onPremisesImmutableId}).`,
          );
          continue;
        }
      }
      if (existing && upnOwner && upnOwner.id !== existing.id) {
        error(
          'AttributeValueMustBeUnique',
          'userPrincipalName',
          `The userPrincipalName "${user.userPrincipalName}" is already used by another user.`,
        );
        continue;
      }
      if (user.mail) {
        const mailKey = user.mail.toLowerCase();
        const owners = [...(mailOwners.get(mailKey) ?? [])].filter((id) => id !== existing?.id);
        const claimed = claimedMails.get(mailKey);
        if (owners.length > 0 || (claimed !== undefined && claimed !== user.anchor)) {
          error('AttributeValueMustBeUnique', 'mail', `The mail "${user.mail}" is already used by another user.`);
          continue;
        }
        claimedMails.set(mailKey, user.anchor);
      }
      claimedUpns.set(upnKey, user.anchor);

      if (!existing) {
        const id = this.deps.newId();
        inserts.push({
          user: { id, desired: user, syncOtherMails: context.syncOtherMails },
          audit: this.audit('Add user', 'UserManagement', 'Add', [
            userTarget(
              { id, displayName: user.displayName, userPrincipalName: user.userPrincipalName },
              modifiedProperties(null, { ...publicDesired(user, context), onPremisesImmutableId: user.anchor }),
            ),
          ]),
        });
        counts.added++;
        seen.push(id);
        continue;
      }
      const changes = diff(existing, user, context);
      seen.push(existing.id);
      if (Object.keys(changes).length === 0) {
        counts.unchanged++;
        continue;
      }
      const restored = existing.softDeletedAt !== null;
      updates.push({
        id: existing.id,
        changes,
        audit: this.audit(restored ? 'Restore user' : 'Update user', 'UserManagement', 'Update', [
          userTarget(existing, modifiedProperties(existing, auditedChanges(changes))),
        ]),
      });
      counts.updated++;
    }

    for (const anchor of new Set(tombstones)) {
      const user = byAnchor.get(anchor);
      if (!user || user.softDeletedAt !== null || claimedAnchors.has(anchor)) continue;
      softDeletes.push({ id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName });
    }
    // Counted as deleted when the last page applies them (the threshold may hold them back).
    return { inserts, updates, softDeletes, seen, issues };
  }

  private audit(
    activity: string,
    category: AuditEventDraft['category'],
    operationType: AuditEventDraft['operationType'],
    targets: AuditEventDraft['targetResources'],
  ): AuditEventDraft {
    return {
      activityDisplayName: activity,
      category,
      loggedByService: 'Sync',
      operationType,
      result: 'success',
      resultReason: '',
      initiatedBy: syncInitiator,
      targetResources: targets,
      correlationId: this.deps.newId(),
    };
  }
}

/** Every anchor the source's anchor-only scan reports. */
async function collectAnchors(pages: AsyncIterable<readonly string[]>): Promise<Set<string>> {
  const anchors = new Set<string>();
  for await (const page of pages) for (const anchor of page) anchors.add(anchor);
  return anchors;
}

/**
 * A delta run's pages: the entries changed since the watermark, then those of the previous run's objects in error
 * that were not among them (read again by anchor). Keeps the changed entries' anchors (the delta's size).
 */
async function* deltaPages(
  source: DirectorySource,
  since: string,
  retryAnchors: readonly string[],
  flavor: DirectoryFlavor,
): AsyncIterable<readonly DirectoryEntry[]> {
  const read = new Set<string>();
  for await (const page of source.changedSince(since)) {
    if (retryAnchors.length > 0) {
      for (const entry of page) {
        const anchor = anchorOf(entry, flavor);
        if (anchor) read.add(anchor);
      }
    }
    yield page;
  }
  const retry = retryAnchors.filter((anchor) => !read.has(anchor));
  if (retry.length > 0 && source.entriesByAnchor) yield* source.entriesByAnchor(retry);
}

interface PageContext {
  readonly runId: string;
  readonly kind: SyncRunKind;
  readonly settings: SyncSettings;
  readonly rules: readonly MappingRule[];
  readonly syncOtherMails: boolean;
  readonly mapped: ReadonlySet<SyncTarget>;
}

function isTombstone(entry: DirectoryEntry): boolean {
  const key = Object.keys(entry.attributes).find((name) => name.toLowerCase() === 'isdeleted');
  return key !== undefined && entry.attributes[key]?.[0]?.toUpperCase() === 'TRUE';
}

/** The desired values of a user as Graph properties, for the audit of an add. */
function publicDesired(user: DesiredUser, context: PageContext): Record<string, unknown> {
  const values: Record<string, unknown> = {
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    accountEnabled: user.accountEnabled,
  };
  for (const target of optionalTargets) {
    if (context.mapped.has(target)) values[target] = user[target as keyof DesiredUser];
  }
  return values;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** The writes that bring `existing` to `user`; the cloud override of the mobile phone is respected. */
function diff(existing: SyncedUserState, user: DesiredUser, context: PageContext): SyncedUserChanges {
  const changes: SyncedUserChanges = {};
  const { mapped, settings } = context;
  if (existing.userPrincipalName !== user.userPrincipalName) changes.userPrincipalName = user.userPrincipalName;
  if (existing.displayName !== user.displayName) changes.displayName = user.displayName;
  if (existing.accountEnabled !== user.accountEnabled) changes.accountEnabled = user.accountEnabled;
  const scalar = ['givenName', 'surname', 'mail', 'jobTitle', 'officeLocation', 'onPremisesSamAccountName'] as const;
  for (const key of scalar) {
    if (mapped.has(key) && existing[key] !== user[key]) changes[key] = user[key];
  }
  if (mapped.has('businessPhones') && !sameList(existing.businessPhones, user.businessPhones)) {
    changes.businessPhones = user.businessPhones;
  }
  if (context.syncOtherMails && !sameList(existing.otherMails, user.otherMails)) changes.otherMails = user.otherMails;
  if (mapped.has('mobilePhone')) {
    if (!existing.mobilePhoneCloudOverride) {
      if (existing.mobilePhone !== user.mobilePhone) changes.mobilePhone = user.mobilePhone;
    } else if (settings.bypassDirSyncOverridesEnabled) {
      // bypassDirSyncOverridesEnabled: on-premises wins again and the override is cleared.
      if (existing.mobilePhone !== user.mobilePhone) changes.mobilePhone = user.mobilePhone;
      changes.mobilePhoneCloudOverride = false;
    }
  }
  if (existing.onPremisesSyncEnabled !== true) changes.onPremisesSyncEnabled = true;
  if (existing.onPremisesImmutableId !== user.anchor) changes.onPremisesImmutableId = user.anchor;
  if (existing.onPremisesDistinguishedName !== user.distinguishedName) {
    changes.onPremisesDistinguishedName = user.distinguishedName;
  }
  if (existing.onPremisesUserPrincipalName !== user.userPrincipalName) {
    changes.onPremisesUserPrincipalName = user.userPrincipalName;
  }
  if (existing.softDeletedAt !== null) changes.softDeletedAt = null;
  return changes;
}

/** The changes as the audit shows them (the internal flags by readable names). */
function auditedChanges(changes: SyncedUserChanges): Record<string, unknown> {
  const { mobilePhoneCloudOverride, softDeletedAt, ...rest } = changes;
  return {
    ...rest,
    ...(mobilePhoneCloudOverride === undefined ? {} : { mobilePhoneCloudOverride }),
    ...(softDeletedAt === undefined ? {} : { softDeleted: false }),
  };
}

/** Mappings used when none are configured. */
export function effectiveMappings(settings: Pick<SyncSettings, 'flavor' | 'mappings'>): readonly MappingRule[] {
  return settings.mappings.length > 0 ? settings.mappings : defaultMappings(settings.flavor);
}

const invalid = (property: string, detail: string) =>
  new DomainError('invalid_request', { property }, `Invalid directory sync setting ${property}: ${detail}.`);

function stringList(value: unknown, property: string): string[] {
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
    throw invalid(property, 'a list of strings is expected');
  }
  return items.map((item: string) => item.trim()).filter((item) => item.length > 0);
}

function wholeNumber(value: unknown, property: string, min: number, max: number): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw invalid(property, `a whole number from ${min} to ${max} is expected`);
  }
  return number;
}

function optionalText(value: unknown, property: string): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') throw invalid(property, 'text is expected');
  return value;
}

function flag(value: unknown, property: string): boolean {
  if (typeof value !== 'boolean') throw invalid(property, 'true or false is expected');
  return value;
}

/** `input` over `current` (or the defaults), checked; the result is what `configure` saves. */
export function validateSettingsInput(
  input: SyncSettingsInput,
  current: SyncSettings | undefined,
): Omit<SyncSettings, 'mappingsVersion' | 'updatedAt'> {
  const flavorInput = input.flavor ?? current?.flavor;
  const flavor: DirectoryFlavor | undefined =
    flavorInput === 'ad' || flavorInput === 'activeDirectory'
      ? 'activeDirectory'
      : flavorInput === 'openldap'
        ? 'openldap'
        : undefined;
  if (!flavor) throw invalid('flavor', 'openldap or ad is expected');
  const urls = input.urls === undefined ? [...(current?.urls ?? [])] : stringList(input.urls, 'urls');
  if (urls.length === 0) throw invalid('urls', 'at least one ldap:// or ldaps:// URL is needed');
  for (const url of urls) {
    if (!/^ldaps?:\/\/[^\s/]+\/?$/i.test(url)) throw invalid('urls', `'${url}' is not an ldap:// or ldaps:// URL`);
  }
  const bindDn = input.bindDn === undefined ? current?.bindDn : optionalText(input.bindDn, 'bindDn');
  if (!bindDn) throw invalid('bindDn', 'a bind DN is needed');
  const bindPassword =
    input.bindPassword === undefined ? current?.bindPassword : optionalText(input.bindPassword, 'bindPassword');
  if (!bindPassword) throw invalid('bindPassword', 'a bind password is needed');
  const baseDns = input.baseDns === undefined ? [...(current?.baseDns ?? [])] : stringList(input.baseDns, 'baseDns');
  if (baseDns.length === 0) throw invalid('baseDns', 'at least one base DN is needed');
  const tlsInput = input.tls === undefined ? (current?.tls ?? {}) : input.tls;
  if (typeof tlsInput !== 'object' || tlsInput === null || Array.isArray(tlsInput)) {
    throw invalid('tls', 'an object { caFile, serverName, startTls } is expected');
  }
  const tlsRecord = tlsInput as Record<string, unknown>;
  const caFile = optionalText(tlsRecord.caFile, 'tls.caFile');
  const serverName = optionalText(tlsRecord.serverName, 'tls.serverName');
  const startTls = tlsRecord.startTls === undefined ? false : flag(tlsRecord.startTls, 'tls.startTls');
  let mappings: MappingRule[] = [...(current?.mappings ?? [])];
  if (input.mappings !== undefined) {
    if (!Array.isArray(input.mappings)) throw invalid('mappings', 'a list of mapping rules is expected');
    mappings = input.mappings.map((rule: unknown, index: number) => {
      const candidate = rule as { target?: unknown; source?: { kind?: unknown } } | null;
      const kind = candidate?.source?.kind;
      if (
        !candidate ||
        !(syncTargets as readonly unknown[]).includes(candidate.target) ||
        (kind !== 'attribute' && kind !== 'constant' && kind !== 'expression')
      ) {
        throw invalid(`mappings[${index}]`, 'a rule { target, source: { kind, ... } } is expected');
      }
      return candidate as MappingRule;
    });
  }
  return {
    flavor,
    urls,
    bindDn,
    bindPassword,
    baseDns,
    filter: input.filter === undefined ? (current?.filter ?? null) : optionalText(input.filter, 'filter'),
    groupDn: input.groupDn === undefined ? (current?.groupDn ?? null) : optionalText(input.groupDn, 'groupDn'),
    pageSize:
      input.pageSize === undefined ? (current?.pageSize ?? 1000) : wholeNumber(input.pageSize, 'pageSize', 1, 10_000),
    timeoutMs:
      input.timeoutMs === undefined
        ? (current?.timeoutMs ?? 30_000)
        : wholeNumber(input.timeoutMs, 'timeoutMs', 100, 600_000),
    tls: { ...(caFile ? { caFile } : {}), ...(serverName ? { serverName } : {}), ...(startTls ? { startTls } : {}) },
    intervalMinutes:
      input.intervalMinutes === undefined
        ? (current?.intervalMinutes ?? 30)
        : wholeNumber(input.intervalMinutes, 'intervalMinutes', 1, 10_080),
    mappings,
    bypassDirSyncOverridesEnabled:
      input.bypassDirSyncOverridesEnabled === undefined
        ? (current?.bypassDirSyncOverridesEnabled ?? false)
        : flag(input.bypassDirSyncOverridesEnabled, 'bypassDirSyncOverridesEnabled'),
    writebackEnabled:
      input.writebackEnabled === undefined
        ? (current?.writebackEnabled ?? false)
        : flag(input.writebackEnabled, 'writebackEnabled'),
    deletionThreshold:
      input.deletionThreshold === undefined
        ? (current?.deletionThreshold ?? defaultDeletionThreshold)
        : wholeNumber(input.deletionThreshold, 'deletionThreshold', 0, 10_000_000),
  };
}

/** A sync audit event made by the caller who asked for it, when one did; else the sync's own. */
function requestedAudit(draft: AuditEventDraft, context: RequestContext | undefined): AuditEventDraft {
  return context ? { ...draft, initiatedBy: auditInitiator(context), correlationId: context.correlationId } : draft;
}
