import type { VNode } from 'preact';
import type { SyncIssue, SyncRunRecord } from '../../../domain/directory-sync-records.js';
import { unusableDataReasons } from '../../../domain/registration-report.js';
import type { DailyActivity, DashboardReport } from '../../../services/reports/registration-report-service.js';
import { AdminPage, type AdminView, adminBasePath, DataTable } from './admin-kit.js';

export interface DashboardWarnings {
  readonly outbox: boolean;
  readonly captchaOff: boolean;
}

export interface DashboardSync {
  /** False: the administrator's role may not read sync (Global Administrators only, as the API). */
  readonly visible: boolean;
  readonly configured: boolean;
  readonly lastRun: SyncRunRecord | null;
  readonly issues: readonly SyncIssue[];
}

/** A server-rendered bar chart (no script, no inline style: presentation attributes only), with its data table. */
function BarChart({
  id,
  title,
  days,
  value,
  colour,
}: {
  id: string;
  title: string;
  days: readonly DailyActivity[];
  value: (day: DailyActivity) => number;
  colour: string;
}): VNode {
  const width = 600;
  const height = 160;
  const top = 16;
  const bottom = 24;
  const max = Math.max(1, ...days.map(value));
  const slot = width / days.length;
  const total = days.reduce((sum, day) => sum + value(day), 0);
  const description = `${total} in the last ${days.length} days, at most ${max} a day.`;
  return (
    <figure>
      <svg
        class="chart"
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{description}</desc>
        <line x1="0" y1={height - bottom} x2={width} y2={height - bottom} stroke="#8a8886" />
        {days.map((day, index) => {
          const barHeight = ((height - top - bottom) * value(day)) / max;
          return (
            <rect
              key={day.day}
              x={index * slot + 2}
              y={height - bottom - barHeight}
              width={slot - 4}
              height={barHeight}
              fill={colour}
            >
              <title>{`${day.day}: ${value(day)}`}</title>
            </rect>
          );
        })}
        <text x="0" y={height - 6} font-size="11" fill="#505050">
          {days[0]?.day ?? ''}
        </text>
        <text x={width} y={height - 6} font-size="11" fill="#505050" text-anchor="end">
          {days[days.length - 1]?.day ?? ''}
        </text>
        <text x="0" y="12" font-size="11" fill="#505050">
          {`max ${max}`}
        </text>
      </svg>
      <figcaption>
        {title}: {description}
      </figcaption>
      <details>
        <summary>{`${title}: data`}</summary>
        <DataTable
          caption={`${title}: data`}
          rows={days}
          columns={[
            { header: 'Day', cell: (day) => day.day },
            { header: 'Count', numeric: true, cell: value },
          ]}
        />
      </details>
    </figure>
  );
}

function Card({ label, value, href }: { label: string; value: number; href?: string }): VNode {
  return (
    <div class="card">
      <span class="number">{value.toLocaleString('en-US')}</span>
      {href ? <a href={href}>{label}</a> : <span>{label}</span>}
    </div>
  );
}

/** `/admin`: who can reset, recent activity, the last sync run, and configuration warnings. */
export function DashboardPage({
  view,
  warnings,
  report,
  sync,
}: {
  view: AdminView;
  warnings: DashboardWarnings;
  /** Null: the administrator's role may not read reports (as `userRegistrationDetails`). */
  report: DashboardReport | null;
  sync: DashboardSync;
}): VNode {
  const { t } = view;
  const summary = report?.summary ?? null;
  const unusable = summary ? unusableDataReasons.filter((reason) => (summary.unusable[reason] ?? 0) > 0) : [];
  return (
    <AdminPage view={view} title={t.dashboardHeading} current="dashboard">
      <h1>{t.dashboardHeading}</h1>
      {warnings.outbox ? (
        <p class="warning" role="status">
          Development outbox in use: codes and notices are stored and shown on the Outbox page, not delivered.
        </p>
      ) : null}
      {warnings.captchaOff ? (
        <p class="warning" role="status">
          CAPTCHA is off (SSPR_CAPTCHA=off): the password reset page asks for none. Use this only in test set-ups.
        </p>
      ) : null}
      {report ? (
        <>
          <h2>Who can reset</h2>
          {summary ? (
            <>
              <div class="cards">
                <Card label="Users" value={summary.totalUsers} href={`${adminBasePath}/users`} />
                <Card label="Can reset now" value={summary.capableNow} href={`${adminBasePath}/users?capable=yes`} />
                <Card label="Registered" value={summary.registered} href={`${adminBasePath}/users?registered=yes`} />
                <Card label="Pre-populated only" value={summary.prePopulatedOnly} />
                <Card label="Blocked from SSPR now" value={report.blockedUsers} />
              </div>
              <h3>Unusable contact data</h3>
              {unusable.length === 0 ? (
                <p>No user has present but unusable contact data.</p>
              ) : (
                <ul>
                  {unusable.map((reason) => (
                    <li key={reason}>
                      <a href={`${adminBasePath}/users?unusable=${reason}`}>
                        {`${t[`unusable_${reason}`]}: ${summary?.unusable[reason] ?? 0}`}
                      </a>
                    </li>
                  ))}
                </ul>
              )}
              <p class="hint">{`Totals computed at ${report.summaryComputedAt} (kept for 5 minutes).`}</p>
            </>
          ) : (
            <>
              <p role="status">The totals are being computed over the whole directory. Reload this page in a minute.</p>
              <div class="cards">
                <Card label="Blocked from SSPR now" value={report.blockedUsers} />
              </div>
            </>
          )}
          <h2>Activity, last 30 days</h2>
          <BarChart
            id="resets"
            title="Self-service password resets"
            days={report.days}
            value={(day) => day.resets}
            colour="#0f6cbd"
          />
          <BarChart
            id="registrations"
            title="Completed security info registrations"
            days={report.days}
            value={(day) => day.registrations}
            colour="#0b6a0b"
          />
        </>
      ) : (
        <p>Your role doesn’t allow reading the reset readiness reports.</p>
      )}
      <h2>On-premises sync</h2>
      {!sync.visible ? (
        <p>Only Global Administrators see the directory sync status.</p>
      ) : !sync.configured ? (
        <p>
          Directory sync is not configured. <a href={`${adminBasePath}/sync`}>Set it up</a>
        </p>
      ) : !sync.lastRun ? (
        <p>Directory sync has not run yet.</p>
      ) : (
        <>
          <p>
            {`Last run: ${sync.lastRun.kind}${sync.lastRun.dryRun ? ' (dry run)' : ''}, ${sync.lastRun.status}, started ${sync.lastRun.startedAt}${sync.lastRun.finishedAt ? `, finished ${sync.lastRun.finishedAt}` : ''}.`}
          </p>
          <p>
            {`Read ${sync.lastRun.counts.read}, added ${sync.lastRun.counts.added}, updated ${sync.lastRun.counts.updated}, deleted ${sync.lastRun.counts.deleted}, errors ${sync.lastRun.counts.errors}, warnings ${sync.lastRun.counts.warnings}.`}
          </p>
          {sync.lastRun.message ? <p>{sync.lastRun.message}</p> : null}
          <DataTable
            caption="Errors and warnings of the last run (first 10)"
            showCaption
            rows={sync.issues.slice(0, 10)}
            columns={[
              {
                header: 'Object',
                cell: (issue) =>
                  issue.userId ? (
                    <a href={`${adminBasePath}/users/${encodeURIComponent(issue.userId)}`}>{issue.dn}</a>
                  ) : (
                    issue.dn
                  ),
              },
              { header: 'Type', cell: (issue) => issue.type },
              { header: 'Message', cell: (issue) => issue.message },
            ]}
          />
        </>
      )}
    </AdminPage>
  );
}
