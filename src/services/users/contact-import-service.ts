import { createHash } from 'node:crypto';
import { auditDraft, auditInitiator, modifiedProperties, type RequestContext, userTarget } from '../../domain/audit.js';
import { authorizeUserWrite } from '../../domain/authorization.js';
import {
  addToImportCounts,
  diffUserChanges,
  emptyImportCounts,
  type ImportBatchPlan,
  type ImportCounts,
  type ImportJobRecord,
  type ImportOptions,
  type ImportUserWrite,
  type ParsedRow,
  parseImportFile,
  type RowKey,
  type RowOutcome,
  readCsv,
  type UserIndex,
} from '../../domain/contact-import.js';
import { DomainError } from '../../domain/errors.js';
import { requirePermission } from '../../domain/permissions.js';
import { assertCloudMayChange, type UserRecordChanges } from '../../domain/user.js';

export type { ImportBatchPlan, UserIndex } from '../../domain/contact-import.js';

export interface ContactImportStore {
  lookUp(keys: readonly RowKey[]): Promise<UserIndex>;
  createJob(job: ImportJobRecord): Promise<void>;
  findJob(id: string): Promise<ImportJobRecord | undefined>;
  /** The newest job of this file and options that did not finish (killed or failed): the one a re-run resumes. */
  findUnfinishedJob(fileHash: string, options: ImportOptions): Promise<ImportJobRecord | undefined>;
  /**
   * In one transaction: looks the batch's users up, asks `plan` (pure, synchronous) what to write, writes it, moves
   * the job's watermark from `fromRow` to `plan.rowsDone` (refused when another process moved it meanwhile), calls
   * `beforeCommit`, commits.
   */
  applyBatch(
    jobId: string,
    fromRow: number,
    keys: readonly RowKey[],
    plan: (users: UserIndex) => ImportBatchPlan,
    beforeCommit?: () => void,
  ): Promise<ImportBatchPlan>;
  finishJob(jobId: string, status: 'succeeded' | 'failed', at: string, message: string | null): Promise<void>;
  /** A failed job being resumed: `running` again, its error message cleared. */
  reopenJob(jobId: string, at: string): Promise<void>;
  /** Committed batches' row outcomes in line order, `limit` batches at a time after the batch starting at `afterLine`. */
  resultBatches(jobId: string, afterLine: number, limit: number): Promise<RowOutcome[][]>;
}

export interface ContactImportDependencies {
  readonly store: ContactImportStore;
  readonly roles: { administratorIds(): Promise<Set<string>> };
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Rows per transaction (default 500). */
  readonly batchSize?: number;
  /** Test seam: called inside each batch's transaction after its writes, before it commits (a throw rolls it back). */
  readonly faults?: { beforeCommit?(batchIndex: number): void };
}

export interface ImportRequest extends ImportOptions {
  /** Only plan: report what would happen, write nothing (not even a job). */
  readonly dryRun?: boolean;
  /** Insist on continuing an unfinished job of this file (a plain re-run resumes one too). */
  readonly resume?: boolean;
}

export interface ImportProgress {
  readonly rowsDone: number;
  readonly totalRows: number;
  readonly counts: ImportCounts;
}

export interface ImportReport {
  readonly dryRun: boolean;
  /** Absent for a dry run. */
  readonly job?: ImportJobRecord;
  /** True when this run continued a job an earlier run left unfinished. */
  readonly resumed: boolean;
  readonly totalRows: number;
  readonly counts: ImportCounts;
  /** Every row's outcome for a dry run; for an applied import read them with `results` (earlier runs' too). */
  readonly rows?: readonly RowOutcome[];
}

const defaultBatchSize = 500;

/**
 * Bulk pre-population of contact info from CSV (docs/bulk-import.md). The import only updates existing users
 * (a row whose user does not exist is rejected with "user not found"); it applies the rules of `PATCH /users/{id}`
 * row by row: the caller's rights, the source of authority of synced users, Graph's value rules, and one
 * "Update user" audit event per changed user in the same transaction as the change. Rows go in batches, each one
 * transaction that also moves the job's watermark, so a killed import resumes after its last committed batch and
 * a re-applied file changes nothing.
 */
export class ContactImportService {
  private readonly batchSize: number;

  constructor(private readonly deps: ContactImportDependencies) {
    this.batchSize = deps.batchSize ?? defaultBatchSize;
  }

  /** Global Administrators, User Administrators, privileged authentication administrators, apps with User.ReadWrite.All. */
  authorize(context: RequestContext): void {
    requirePermission(context.principal, 'User.ReadWrite.All');
    authorizeUserWrite(context.principal, null, []);
  }

  async import(
    context: RequestContext,
    file: Uint8Array,
    request: ImportRequest,
    onProgress?: (progress: ImportProgress) => void,
  ): Promise<ImportReport> {
    this.authorize(context);
    const options: ImportOptions = {
      normalize: request.normalize,
      ...(request.defaultRegion !== undefined && { defaultRegion: request.defaultRegion.trim().toUpperCase() }),
    };
    const { rows } = parseImportFile(readCsv(file), options);
    const admins = await this.deps.roles.administratorIds();
    if (request.dryRun) return this.dryRun(context, rows, admins);

    const fileHash = createHash('sha256').update(file).digest('hex');
    const unfinished = await this.deps.store.findUnfinishedJob(fileHash, options);
    if (request.resume && !unfinished) {
      throw new DomainError(
        'invalid_request',
        {},
        'There is no unfinished import of this file with these options to resume.',
      );
    }
    const now = this.deps.clock().toISOString();
    let job: ImportJobRecord = unfinished ?? {
      id: this.deps.newId(),
      fileHash,
      options,
      status: 'running',
      totalRows: rows.length,
      rowsDone: 0,
      batchSize: this.batchSize,
      counts: emptyImportCounts(),
      createdBy: initiatorLabel(context),
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      message: null,
    };
    if (!unfinished) await this.deps.store.createJob(job);
    else if (unfinished.status !== 'running') {
      await this.deps.store.reopenJob(job.id, now);
      job = { ...job, status: 'running', message: null, finishedAt: null, updatedAt: now };
    }

    let counts = { ...job.counts };
    let rowsDone = job.rowsDone;
    let batchIndex = Math.floor(rowsDone / job.batchSize);
    // Users already handled in this run (two rows may name one user by id and by userPrincipalName).
    const seen = new Map<string, number>();
    onProgress?.({ rowsDone, totalRows: rows.length, counts });
    try {
      while (rowsDone < rows.length) {
        const batch = rows.slice(rowsDone, rowsDone + job.batchSize);
        const index = batchIndex;
        const applied = await this.deps.store.applyBatch(
          job.id,
          rowsDone,
          batch.map((row) => row.key),
          (users) => this.planBatch(context, batch, users, admins, counts, rowsDone, seen),
          () => this.deps.faults?.beforeCommit?.(index),
        );
        counts = applied.counts;
        rowsDone = applied.rowsDone;
        batchIndex += 1;
        onProgress?.({ rowsDone, totalRows: rows.length, counts });
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.deps.store
        .finishJob(job.id, 'failed', this.deps.clock().toISOString(), message)
        .catch(() => undefined);
      throw error;
    }
    const finishedAt = this.deps.clock().toISOString();
    await this.deps.store.finishJob(job.id, 'succeeded', finishedAt, null);
    job = { ...job, status: 'succeeded', rowsDone, counts, updatedAt: finishedAt, finishedAt };
    return { dryRun: false, job, resumed: unfinished !== undefined, totalRows: rows.length, counts };
  }

  async job(context: RequestContext, id: string): Promise<ImportJobRecord> {
    this.authorize(context);
    const job = await this.deps.store.findJob(id);
    if (!job) throw new DomainError('resource_not_found', { resource: id });
    return job;
  }

  /** A job's row results in line order, streamed from the store in pages. */
  async *results(context: RequestContext, id: string): AsyncGenerator<RowOutcome> {
    await this.job(context, id);
    let afterLine = 0;
    for (;;) {
      const batches = await this.deps.store.resultBatches(id, afterLine, 20);
      for (const batch of batches) {
        yield* batch;
        afterLine = (batch[0] as RowOutcome).line;
      }
      if (batches.length < 20) return;
    }
  }

  private async dryRun(
    context: RequestContext,
    rows: readonly ParsedRow[],
    admins: Set<string>,
  ): Promise<ImportReport> {
    let counts = emptyImportCounts();
    const outcomes: RowOutcome[] = [];
    const seen = new Map<string, number>();
    for (let start = 0; start < rows.length; start += this.batchSize) {
      const batch = rows.slice(start, start + this.batchSize);
      const users = await this.deps.store.lookUp(batch.map((row) => row.key));
      const plan = this.planBatch(context, batch, users, admins, counts, start, seen);
      outcomes.push(...plan.results);
      counts = plan.counts;
    }
    return { dryRun: true, resumed: false, totalRows: rows.length, counts, rows: outcomes };
  }

  /** Pure: each row of a batch against its stored user, and what to write. */
  private planBatch(
    context: RequestContext,
    batch: readonly ParsedRow[],
    users: UserIndex,
    admins: Set<string>,
    previous: ImportCounts,
    fromRow: number,
    seen: Map<string, number>,
  ): ImportBatchPlan {
    const now = this.deps.clock().toISOString();
    const counts = { ...previous };
    const writes: ImportUserWrite[] = [];
    const results: RowOutcome[] = [];
    for (const row of batch) {
      const { outcome, write } = this.planRow(context, row, users, admins, seen, now);
      results.push(outcome);
      addToImportCounts(counts, outcome);
      if (write) writes.push(write);
    }
    return { writes, results, counts, rowsDone: fromRow + batch.length, updatedAt: now };
  }

  private planRow(
    context: RequestContext,
    row: ParsedRow,
    users: UserIndex,
    admins: Set<string>,
    seen: Map<string, number>,
    now: string,
  ): { outcome: RowOutcome; write?: ImportUserWrite } {
    const key = row.key.userPrincipalName ?? row.key.id ?? '';
    const base = { line: row.line, key, warnings: [], normalizations: [], changes: [] };
    const reject = (reason: string, column?: string): { outcome: RowOutcome } => ({
      outcome: {
        ...base,
        ...(row.ok && { warnings: row.warnings, normalizations: row.normalizations }),
        outcome: 'rejected',
        ...(column !== undefined && { column }),
        reason,
      },
    });
    if (!row.ok) return reject(row.reason, row.column);
    const user =
      row.key.id !== undefined
        ? users.byId(row.key.id.toLowerCase())
        : users.byUserPrincipalName(row.key.userPrincipalName ?? '');
    if (!user) return reject('User not found.', row.key.id !== undefined ? 'id' : 'userPrincipalName');
    if (
      row.key.id !== undefined &&
      row.key.userPrincipalName !== undefined &&
      user.userPrincipalName.toLowerCase() !== row.key.userPrincipalName.toLowerCase()
    ) {
      return reject(
        'The userPrincipalName is not the one of the user with this id (the import does not rename users).',
        'userPrincipalName',
      );
    }
    const earlier = seen.get(user.id);
    if (earlier !== undefined) return reject(`The same user is already on line ${earlier}.`);
    seen.set(user.id, row.line);

    const diff = diffUserChanges(user, row.changes);
    const properties = Object.keys(diff);
    // Literals rather than spreads of `base`: this runs for every row of files of 100,000 rows (same keys, same order).
    const { warnings, normalizations } = row;
    if (properties.length === 0) {
      return { outcome: { line: row.line, key, warnings, normalizations, changes: [], outcome: 'unchanged' } };
    }
    try {
      authorizeUserWrite(context.principal, { id: user.id, isAdministrator: admins.has(user.id) }, properties);
      assertCloudMayChange(user, diff);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const property = typeof error.params.property === 'string' ? error.params.property : undefined;
      return reject(error.message, property);
    }
    const changes: { -readonly [K in keyof UserRecordChanges]: UserRecordChanges[K] } = { ...diff, updatedAt: now };
    // A cloud-set mobile phone of a synced user becomes a cloud override that syncs leave alone (SPEC section 2).
    if (user.onPremisesSyncEnabled && diff.mobilePhone !== undefined) changes.mobilePhoneCloudOverride = true;
    const audit = auditDraft(context, {
      activity: 'Update user',
      category: 'UserManagement',
      service: 'Core Directory',
      operationType: 'Update',
      targets: [userTarget(user, modifiedProperties(user, diff))],
    });
    const propertyChanges = properties.map((property) => ({
      property,
      oldValue: (user as unknown as Record<string, unknown>)[property] ?? null,
      newValue: (diff as Record<string, unknown>)[property] ?? null,
    }));
    return {
      outcome: { line: row.line, key, warnings, normalizations, changes: propertyChanges, outcome: 'changed' },
      write: { id: user.id, changes, audit },
    };
  }
}

function initiatorLabel(context: RequestContext): string {
  const initiator = auditInitiator(context);
  return initiator.user?.userPrincipalName ?? initiator.app?.appId ?? 'unknown';
}
