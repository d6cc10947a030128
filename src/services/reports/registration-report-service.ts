import type { RequestContext } from '../../domain/audit.js';
import { authorizeRegistrationReportRead } from '../../domain/audit-query.js';
import {
  type AuthenticationMethodSet,
  evaluateSsprReadiness,
  noAuthenticationMethods,
  type SsprReadiness,
} from '../../domain/authentication-methods.js';
import {
  addToReadinessSummary,
  emptyReadinessSummary,
  matchesRegistrationFilter,
  type RegistrationFilter,
  registrationDetailsOf,
  type SsprReadinessSummary,
  type UserRegistrationDetails,
} from '../../domain/registration-report.js';
import type { SsprPolicy } from '../../domain/sspr-policy.js';
import type { DirectoryUser } from '../../domain/user.js';
import type { UserListQuery } from '../../domain/user-query.js';

export interface RegistrationReportDependencies {
  readonly users: { list(query: UserListQuery): Promise<DirectoryUser[]> };
  readonly methods: { loadMany(userIds: readonly string[]): Promise<Map<string, AuthenticationMethodSet>> };
  readonly roles: { administratorIds(): Promise<Set<string>> };
  readonly policy: { current(): Promise<SsprPolicy> };
  /** For the admin dashboard (absent: `dashboard` is not available). */
  readonly activity?: {
    dailyCounts(
      activities: readonly string[],
      since: string,
    ): Promise<{ day: string; activity: string; count: number }[]>;
  };
  readonly blocks?: { blockedUserCount(now: Date): Promise<number> };
  readonly clock?: () => Date;
}

/** One UTC day of the dashboard's charts. */
export interface DailyActivity {
  readonly day: string;
  readonly resets: number;
  readonly registrations: number;
}

export interface DashboardReport {
  /** Null while the first computation is still running (a large directory): the page says to come back. */
  readonly summary: SsprReadinessSummary | null;
  /** When `summary` was computed (it is kept for `summaryMaxAgeMs`). */
  readonly summaryComputedAt: string | null;
  readonly blockedUsers: number;
  /** The last 30 days, oldest first, today included. */
  readonly days: readonly DailyActivity[];
}

/** The readiness totals stream over every user: the dashboard reuses one computation for this long. */
export const summaryMaxAgeMs = 5 * 60_000;
/** How long a dashboard request waits for a (re)computation before it shows the previous totals, or none yet. */
export const summaryWaitMs = 3_000;
export const dashboardDays = 30;
const resetActivities = ['Reset password (self-service)'];
const registrationActivities = ['User registered all required security info'];

export interface RegistrationQuery {
  readonly filter?: RegistrationFilter;
  readonly top: number;
  /** Id of the last user scanned by the previous page (users are scanned in id order). */
  readonly afterId?: string;
}

export interface RegistrationPage {
  readonly value: readonly UserRegistrationDetails[];
  /** Where the next page starts, when there may be more. */
  readonly nextAfterId?: string;
}

/** Users scanned per database round trip. */
const batchSize = 500;
/**
 * A filter on computed flags cannot be answered by an index: one request scans at most this many
 * users, then returns what it found (possibly an empty page) with a next link, as Graph may.
 */
export const maxUsersScannedPerPage = 5000;

/**
 * `userRegistrationDetails` and OpenSSPR's readiness summary. Every flag comes from
 * `evaluateSsprReadiness`, over batches of users: methods in three queries per batch, the
 * administrator set and the policy once per request.
 */
export class RegistrationReportService {
  constructor(private readonly deps: RegistrationReportDependencies) {}

  async userRegistrationDetails(context: RequestContext, query: RegistrationQuery): Promise<RegistrationPage> {
    authorizeRegistrationReportRead(context.principal);
    const [admins, policy] = await Promise.all([this.deps.roles.administratorIds(), this.deps.policy.current()]);
    const filter = query.filter ?? [];
    const upnClause = filter.find((clause) => clause.kind === 'userPrincipalName');
    const found: UserRegistrationDetails[] = [];
    let afterId = query.afterId;
    let scanned = 0;
    for (;;) {
      const size = Math.min(batchSize, Math.max(query.top, 1), maxUsersScannedPerPage - scanned);
      const users = await this.deps.users.list({
        top: size,
        ...(upnClause && { filter: { kind: 'eq', property: 'userPrincipalName', value: upnClause.value } }),
        ...(afterId !== undefined && { after: { sortValue: null, id: afterId } }),
      });
      const batch = users.slice(0, size);
      const more = users.length > size;
      const methods = await this.deps.methods.loadMany(batch.map((user) => user.id));
      for (const user of batch) {
        scanned += 1;
        afterId = user.id;
        const { details, readiness } = this.details(user, methods, admins, policy);
        if (matchesRegistrationFilter(details, readiness, filter)) found.push(details);
        if (found.length === query.top) {
          // Full page: there is more if this batch or the table goes on.
          const last = user === batch[batch.length - 1];
          return !last || more ? { value: found, nextAfterId: user.id } : { value: found };
        }
      }
      if (!more) return { value: found };
      if (scanned >= maxUsersScannedPerPage) return { value: found, nextAfterId: afterId as string };
    }
  }

  /** Tenant totals over every user, streamed in batches (never the whole directory in memory). */
  async readinessSummary(context: RequestContext): Promise<SsprReadinessSummary> {
    authorizeRegistrationReportRead(context.principal);
    const [admins, policy] = await Promise.all([this.deps.roles.administratorIds(), this.deps.policy.current()]);
    const summary = emptyReadinessSummary();
    let afterId: string | undefined;
    for (;;) {
      const users = await this.deps.users.list({
        top: batchSize,
        ...(afterId !== undefined && { after: { sortValue: null, id: afterId } }),
      });
      const batch = users.slice(0, batchSize);
      const methods = await this.deps.methods.loadMany(batch.map((user) => user.id));
      for (const user of batch) {
        const isAdmin = admins.has(user.id);
        const readiness = evaluateSsprReadiness({
          user,
          methods: methods.get(user.id) ?? noAuthenticationMethods,
          tenantPolicy: policy,
          isAdministrator: isAdmin,
        });
        addToReadinessSummary(summary, readiness, isAdmin);
        afterId = user.id;
      }
      if (users.length <= batchSize) return summary;
      // SQLite answers synchronously: let other requests (and the dashboard's wait timer) in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * The admin dashboard: the readiness totals (computed by `readinessSummary`, reused for five minutes), users
   * blocked from SSPR now (one SQL count), and successful self-service resets and completed registrations per
   * day over the last 30 days (one SQL GROUP BY over the audit log's time index).
   */
  async dashboard(context: RequestContext): Promise<DashboardReport> {
    authorizeRegistrationReportRead(context.principal);
    const { activity, blocks } = this.deps;
    if (!activity || !blocks) throw new Error('The dashboard report is not wired.');
    const now = (this.deps.clock ?? (() => new Date()))();
    if (!this.cachedSummary || now.getTime() - this.cachedSummary.at.getTime() >= summaryMaxAgeMs) {
      // One computation at a time, in the background: a slow one (a minute over 100,000 users) never holds a
      // request longer than `summaryWaitMs`; the page then shows the previous totals, or says they are coming.
      this.summaryJob ??= this.readinessSummary(context)
        .then((value) => {
          this.cachedSummary = { at: now, value };
        })
        .finally(() => {
          this.summaryJob = undefined;
        });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.summaryJob,
        new Promise((resolve) => {
          timer = setTimeout(resolve, summaryWaitMs);
        }),
      ]).finally(() => clearTimeout(timer));
    }
    const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (dashboardDays - 1)));
    const [counts, blockedUsers] = await Promise.all([
      activity.dailyCounts([...resetActivities, ...registrationActivities], first.toISOString()),
      blocks.blockedUserCount(now),
    ]);
    const days = Array.from({ length: dashboardDays }, (_, index) => {
      const day = new Date(first.getTime() + index * 86_400_000).toISOString().slice(0, 10);
      const sum = (names: readonly string[]) =>
        counts
          .filter((row) => row.day === day && names.includes(row.activity))
          .reduce((total, row) => total + row.count, 0);
      return { day, resets: sum(resetActivities), registrations: sum(registrationActivities) };
    });
    const cached = this.cachedSummary as { at: Date; value: SsprReadinessSummary } | undefined;
    return {
      summary: cached?.value ?? null,
      summaryComputedAt: cached?.at.toISOString() ?? null,
      blockedUsers,
      days,
    };
  }

  private cachedSummary: { at: Date; value: SsprReadinessSummary } | undefined;
  private summaryJob: Promise<void> | undefined;

  private details(
    user: DirectoryUser,
    methods: Map<string, AuthenticationMethodSet>,
    admins: Set<string>,
    policy: SsprPolicy,
  ): { details: UserRegistrationDetails; readiness: SsprReadiness } {
    const isAdmin = admins.has(user.id);
    const readiness = evaluateSsprReadiness({
      user,
      methods: methods.get(user.id) ?? noAuthenticationMethods,
      tenantPolicy: policy,
      isAdministrator: isAdmin,
    });
    return { details: registrationDetailsOf(user, readiness, isAdmin), readiness };
  }
}
