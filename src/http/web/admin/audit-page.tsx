import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import type { RequestContext } from '../../../domain/audit.js';
import type { AuditFilter, AuditFilterClause, DirectoryAudit } from '../../../domain/audit-query.js';
import type { AuditPage as AuditResultPage, AuditService } from '../../../services/audit/audit-service.js';
import { sendPage } from '../page.js';
import {
  type AdminGuardOptions,
  AdminPage,
  type AdminView,
  adminBasePath,
  DataTable,
  DateTime,
  ProblemSummary,
  queryText,
} from './admin-kit.js';
import type { AdminMessages } from './admin-messages.js';
import { requireAdminPage } from './admin-page-guard.js';
import { auditCsvHeader, auditCsvRow, csvRow, initiatorName, targetNames } from './audit-csv.js';

export interface AuditPageServices {
  readonly auditLog: AuditService;
}

const auditPath = `${adminBasePath}/audit`;
const pageSize = 50;
const exportBatchSize = 500;
const dayMs = 24 * 60 * 60 * 1000;

/** Activities offered as suggestions in the filter (any exact activity name can be typed). */
const knownActivities = [
  'Reset password (self-service)',
  'Reset password (by admin)',
  'Self-service password reset flow activity progress',
  'Blocked from self-service password reset',
  'Unlock user account (self-service)',
  'User registered security info',
  'User updated security info',
  'User deleted security info',
  'User registered all required security info',
  'User started security info registration',
  'Admin registered security info',
  'Admin updated security info',
  'Admin deleted security info',
  'Update password reset policy',
  'Add custom security question',
  'Delete custom security question',
  'Add user',
  'Update user',
  'Delete user',
  'Update directory synchronization settings',
  'Start directory synchronization run',
  'End directory synchronization run',
  'Add application',
  'Update application – Certificates and secrets management',
  'Add app role assignment to service principal',
  'Remove app role assignment from service principal',
];

export interface AuditFilterValues {
  readonly from: string;
  readonly to: string;
  readonly activity: string;
  readonly initiator: string;
  readonly target: string;
  readonly result: string;
}

export type AuditFilterErrors = Partial<Record<'from' | 'to', string>>;

function readFilters(request: FastifyRequest): AuditFilterValues {
  const result = queryText(request, 'result', 16);
  return {
    from: queryText(request, 'from', 16).trim(),
    to: queryText(request, 'to', 16).trim(),
    activity: queryText(request, 'activity', 128).trim(),
    initiator: queryText(request, 'initiator', 256).trim(),
    target: queryText(request, 'target', 256).trim(),
    result: result === 'success' || result === 'failure' ? result : '',
  };
}

/** Midnight UTC of a `YYYY-MM-DD` date, or null when it is not a real date. */
function dayStart(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const time = Date.parse(`${text}T00:00:00.000Z`);
  return Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== text ? null : time;
}

/** The filters as the audit query's clauses (ANDed), or the messages for the date fields. */
export function auditFilter(
  values: AuditFilterValues,
  t: AdminMessages,
): { filter: AuditFilter; errors: AuditFilterErrors } {
  const errors: AuditFilterErrors = {};
  const clauses: AuditFilterClause[] = [];
  const from = values.from ? dayStart(values.from) : null;
  const to = values.to ? dayStart(values.to) : null;
  if (values.from && from === null) errors.from = t.auditProblemDate;
  if (values.to && to === null) errors.to = t.auditProblemDate;
  if (from !== null && to !== null && to < from) errors.to = t.auditProblemRange;
  if (from !== null) clauses.push({ kind: 'ge', property: 'activityDateTime', value: new Date(from).toISOString() });
  // The end date is included: events before the next midnight.
  if (to !== null)
    clauses.push({ kind: 'lt', property: 'activityDateTime', value: new Date(to + dayMs).toISOString() });
  if (values.activity) clauses.push({ kind: 'eq', property: 'activityDisplayName', value: values.activity });
  if (values.initiator) clauses.push({ kind: 'eq', property: 'initiatedByUserPrincipalName', value: values.initiator });
  if (values.target)
    clauses.push({
      kind: 'eq',
      property: values.target.includes('@') ? 'targetUserPrincipalName' : 'targetResourceId',
      value: values.target,
    });
  if (values.result) clauses.push({ kind: 'eq', property: 'result', value: values.result });
  return { filter: clauses, errors };
}

function filterQuery(values: AuditFilterValues, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...values, ...extra })) if (value) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Every matching event, newest first, read from the audit service a batch at a time. */
async function* exportRows(
  audit: AuditService,
  context: RequestContext,
  filter: AuditFilter,
  first: AuditResultPage,
): AsyncGenerator<string> {
  yield csvRow(auditCsvHeader);
  let page = first;
  for (;;) {
    yield page.events.map(auditCsvRow).join('');
    if (page.nextBeforeSeq === undefined) return;
    page = await audit.list(context, { filter, top: exportBatchSize, beforeSeq: page.nextBeforeSeq });
  }
}

/** `/admin/audit`: the audit log with filters, keyset paging (newest first) and a streamed CSV export. */
export function registerAuditPages(
  app: FastifyInstance,
  guard: AdminGuardOptions,
  services: () => AuditPageServices,
): void {
  app.get(
    auditPath,
    requireAdminPage(guard, async (request, reply, view) => {
      const values = readFilters(request);
      const { filter, errors } = auditFilter(values, view.t);
      const before = queryText(request, 'before', 20);
      const beforeSeq = /^\d{1,15}$/.test(before) ? Number(before) : undefined;
      const hasErrors = Object.keys(errors).length > 0;
      const page = hasErrors
        ? null
        : await services().auditLog.list(view.session.context, {
            filter,
            top: pageSize,
            ...(beforeSeq !== undefined && { beforeSeq }),
          });
      return sendPage(
        reply,
        <AuditLogPage view={view} values={values} errors={errors} page={page} paged={beforeSeq !== undefined} />,
        hasErrors ? 400 : 200,
      );
    }),
  );

  app.get(
    `${auditPath}/export.csv`,
    requireAdminPage(guard, async (request, reply, view) => {
      const values = readFilters(request);
      const { filter, errors } = auditFilter(values, view.t);
      if (Object.keys(errors).length > 0)
        return sendPage(
          reply,
          <AuditLogPage view={view} values={values} errors={errors} page={null} paged={false} />,
          400,
        );
      const audit = services().auditLog;
      const context = view.session.context;
      // The first batch is read before the response starts, so a refusal is still a page.
      const first = await audit.list(context, { filter, top: exportBatchSize });
      const day = new Date().toISOString().slice(0, 10);
      return reply
        .code(200)
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-log-${day}.csv"`)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(Readable.from(exportRows(audit, context, filter, first)));
    }),
  );
}

function DateField({
  name,
  label,
  value,
  error,
}: {
  name: 'from' | 'to';
  label: string;
  value: string;
  error: string | undefined;
}): VNode {
  return (
    <div>
      <label for={name}>{label}</label>
      {error ? (
        <p class="field-error" id={`${name}-error`}>
          {error}
        </p>
      ) : null}
      <input
        type="date"
        id={name}
        name={name}
        value={value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${name}-error` : undefined}
      />
    </div>
  );
}

function TextFilter({ name, label, value, list }: { name: string; label: string; value: string; list?: string }) {
  return (
    <div>
      <label for={name}>{label}</label>
      <input type="text" id={name} name={name} value={value} maxLength={256} list={list} />
    </div>
  );
}

function changesOf(event: DirectoryAudit): string[] {
  return event.targetResources.flatMap((target) =>
    target.modifiedProperties.map((property) => {
      const show = (value: string | null) =>
        value === null ? '' : value.length > 80 ? `${value.slice(0, 77)}...` : value;
      return `${property.displayName}: ${show(property.oldValue)} → ${show(property.newValue)}`;
    }),
  );
}

export function AuditLogPage({
  view,
  values,
  errors,
  page,
  paged,
}: {
  view: AdminView;
  values: AuditFilterValues;
  errors: AuditFilterErrors;
  page: AuditResultPage | null;
  paged: boolean;
}): VNode {
  const { t } = view;
  const problems = Object.entries(errors) as ['from' | 'to', string][];
  return (
    <AdminPage view={view} title={t.auditHeading} current="audit">
      <h1>{t.auditHeading}</h1>
      <ProblemSummary heading={t.problemHeading} problems={problems} />
      <form method="get" action={auditPath} class="filters" aria-label={t.auditFilters}>
        <DateField name="from" label={t.auditFrom} value={values.from} error={errors.from} />
        <DateField name="to" label={t.auditTo} value={values.to} error={errors.to} />
        <TextFilter name="activity" label={t.auditActivity} value={values.activity} list="activities" />
        <datalist id="activities">
          {knownActivities.map((activity) => (
            <option key={activity} value={activity} />
          ))}
        </datalist>
        <TextFilter name="initiator" label={t.auditInitiator} value={values.initiator} />
        <TextFilter name="target" label={t.auditTarget} value={values.target} />
        <div>
          <label for="result">{t.auditResult}</label>
          <select id="result" name="result">
            <option value="" selected={values.result === ''}>
              {t.auditResultAny}
            </option>
            <option value="success" selected={values.result === 'success'}>
              {t.auditResultSuccess}
            </option>
            <option value="failure" selected={values.result === 'failure'}>
              {t.auditResultFailure}
            </option>
          </select>
        </div>
        <div class="actions">
          <button type="submit">{t.auditApply}</button>
        </div>
      </form>
      <p>
        <a href={auditPath}>{t.auditClear}</a>
        {' · '}
        <a href={`${auditPath}/export.csv${filterQuery(values)}`} download>
          {t.auditExport}
        </a>
      </p>
      {page === null ? null : (
        <DataTable
          caption={t.auditHeading}
          empty={t.auditNoEvents}
          rows={page.events}
          columns={[
            {
              header: t.auditColDate,
              cell: (event) => <DateTime iso={event.activityDateTime} />,
            },
            {
              header: t.auditColService,
              cell: (event) => (
                <>
                  {event.loggedByService}
                  <br />
                  <span class="hint">{event.category}</span>
                </>
              ),
            },
            { header: t.auditColActivity, cell: (event) => event.activityDisplayName },
            {
              header: t.auditColResult,
              cell: (event) => (
                <>
                  {event.result === 'success' ? t.auditResultSuccess : t.auditResultFailure}
                  {event.resultReason ? (
                    <>
                      <br />
                      <span class="hint">{event.resultReason}</span>
                    </>
                  ) : null}
                </>
              ),
            },
            {
              header: t.auditColInitiator,
              cell: (event) => (
                <>
                  {initiatorName(event)}
                  {event.initiatedBy.user?.ipAddress ? (
                    <>
                      <br />
                      <span class="hint">{event.initiatedBy.user.ipAddress}</span>
                    </>
                  ) : null}
                </>
              ),
            },
            { header: t.auditColTarget, cell: targetNames },
            {
              header: t.auditColChanges,
              cell: (event) =>
                changesOf(event).length > 0 ? (
                  <ul>
                    {changesOf(event).map((change) => (
                      <li key={change}>{change}</li>
                    ))}
                  </ul>
                ) : null,
            },
          ]}
        />
      )}
      {page && (paged || page.nextBeforeSeq !== undefined) ? (
        <p>
          {paged ? <a href={`${auditPath}${filterQuery(values)}`}>{t.firstPage}</a> : null}
          {paged && page.nextBeforeSeq !== undefined ? ' · ' : null}
          {page.nextBeforeSeq !== undefined ? (
            <a href={`${auditPath}${filterQuery(values, { before: String(page.nextBeforeSeq) })}`} rel="next">
              {t.nextPage}
            </a>
          ) : null}
        </p>
      ) : null}
    </AdminPage>
  );
}
