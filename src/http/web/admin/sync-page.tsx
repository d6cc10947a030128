import type { FastifyInstance, FastifyReply } from 'fastify';
import { Fragment, type VNode } from 'preact';
import {
  deletionThresholdExceeded,
  type SyncIssue,
  type SyncRunRecord,
} from '../../../domain/directory-sync-records.js';
import { DomainError } from '../../../domain/errors.js';
import {
  type DirectorySyncService,
  defaultDeletionThreshold,
  type PublicSyncSettings,
  publicSettings,
  type SyncConnectionTest,
  type SyncRunView,
  type SyncSettingsInput,
  validateSettingsInput,
} from '../../../services/sync/directory-sync-service.js';
import type { Form } from '../form.js';
import { sendPage } from '../page.js';
import {
  AdminForm,
  type AdminGuardOptions,
  AdminPage,
  type AdminView,
  adminBasePath,
  DataTable,
  DateTime,
  ProblemSummary,
  seeOther,
} from './admin-kit.js';
import { requireAdminPage } from './admin-page-guard.js';

export interface SyncPageServices {
  readonly directorySync: DirectorySyncService;
}

const syncPath = `${adminBasePath}/sync`;
/** Issues listed on a run's page (the rest are counted; the API lists them all). */
const shownIssues = 500;
const runPath = (id: string) => `${syncPath}/runs/${encodeURIComponent(id)}`;

/** The settings form's fields, as typed (re-shown after a validation error). */
interface SettingsValues {
  readonly flavor: string;
  readonly urls: string;
  readonly bindDn: string;
  readonly baseDns: string;
  readonly filter: string;
  readonly groupDn: string;
  readonly caFile: string;
  readonly serverName: string;
  readonly startTls: boolean;
  readonly pageSize: string;
  readonly timeoutMs: string;
  readonly intervalMinutes: string;
  readonly writebackEnabled: boolean;
  readonly bypassDirSyncOverridesEnabled: boolean;
  readonly deletionThreshold: string;
  readonly mappings: string;
}

const settingsFields = [
  'flavor',
  'urls',
  'bindDn',
  'bindPassword',
  'baseDns',
  'filter',
  'groupDn',
  'caFile',
  'serverName',
  'startTls',
  'pageSize',
  'timeoutMs',
  'intervalMinutes',
  'writebackEnabled',
  'bypassDirSyncOverridesEnabled',
  'deletionThreshold',
  'mappings',
] as const;
type SettingsField = (typeof settingsFields)[number];
type SettingsErrors = Partial<Record<SettingsField, string>>;

function valuesOf(settings: PublicSyncSettings | undefined): SettingsValues {
  return {
    flavor: settings?.flavor ?? 'openldap',
    urls: (settings?.urls ?? []).join('\n'),
    bindDn: settings?.bindDn ?? '',
    baseDns: (settings?.baseDns ?? []).join('\n'),
    filter: settings?.filter ?? '',
    groupDn: settings?.groupDn ?? '',
    caFile: settings?.tls.caFile ?? '',
    serverName: settings?.tls.serverName ?? '',
    startTls: settings?.tls.startTls === true,
    pageSize: String(settings?.pageSize ?? 1000),
    timeoutMs: String(settings?.timeoutMs ?? 30_000),
    intervalMinutes: String(settings?.intervalMinutes ?? 30),
    writebackEnabled: settings?.writebackEnabled ?? false,
    bypassDirSyncOverridesEnabled: settings?.bypassDirSyncOverridesEnabled ?? false,
    deletionThreshold: String(settings?.deletionThreshold ?? defaultDeletionThreshold),
    mappings: settings && settings.mappings.length > 0 ? JSON.stringify(settings.mappings, null, 2) : '',
  };
}

function formValues(form: Form): SettingsValues {
  return {
    flavor: form.text('flavor', 32),
    urls: form.text('urls', 4000),
    bindDn: form.text('bindDn', 1000),
    baseDns: form.text('baseDns', 4000),
    filter: form.text('filter', 4000),
    groupDn: form.text('groupDn', 1000),
    caFile: form.text('caFile', 1000),
    serverName: form.text('serverName', 300),
    startTls: form.text('startTls', 8) === 'on',
    pageSize: form.text('pageSize', 16),
    timeoutMs: form.text('timeoutMs', 16),
    intervalMinutes: form.text('intervalMinutes', 16),
    writebackEnabled: form.text('writebackEnabled', 8) === 'on',
    bypassDirSyncOverridesEnabled: form.text('bypassDirSyncOverridesEnabled', 8) === 'on',
    deletionThreshold: form.text('deletionThreshold', 16),
    mappings: form.text('mappings', 100_000),
  };
}

/** One item per line (DNs hold commas, so lines, not the service's comma lists). */
function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** The form as the service's input; a blank password (or deletion threshold) keeps the stored one. */
function inputOf(values: SettingsValues, bindPassword: string): SyncSettingsInput | { mappingsJson: false } {
  let mappings: unknown = [];
  if (values.mappings.trim() !== '') {
    try {
      mappings = JSON.parse(values.mappings);
    } catch {
      return { mappingsJson: false };
    }
  }
  return {
    flavor: values.flavor,
    urls: lines(values.urls),
    bindDn: values.bindDn.trim(),
    ...(bindPassword === '' ? {} : { bindPassword }),
    baseDns: lines(values.baseDns),
    filter: values.filter.trim(),
    groupDn: values.groupDn.trim(),
    tls: {
      caFile: values.caFile.trim(),
      serverName: values.serverName.trim(),
      startTls: values.startTls,
    },
    pageSize: values.pageSize,
    timeoutMs: values.timeoutMs,
    intervalMinutes: values.intervalMinutes,
    writebackEnabled: values.writebackEnabled,
    bypassDirSyncOverridesEnabled: values.bypassDirSyncOverridesEnabled,
    ...(values.deletionThreshold.trim() === '' ? {} : { deletionThreshold: values.deletionThreshold }),
    mappings,
  };
}

/** The form field a validation error's `property` names (`tls.caFile` → `caFile`, `mappings[2]` → `mappings`). */
function fieldOf(property: unknown): SettingsField {
  const name = String(property ?? '')
    .replace(/^tls\./, '')
    .replace(/\[\d+\]$/, '');
  return (settingsFields as readonly string[]).includes(name) ? (name as SettingsField) : 'flavor';
}

const inputKeyOf = (field: SettingsField): keyof SyncSettingsInput =>
  field === 'caFile' || field === 'serverName' || field === 'startTls' ? 'tls' : field;

/** Valid stand-ins for a refused required field, so that the fields after it are checked too. */
const standIns: Partial<Record<keyof SyncSettingsInput, unknown>> = {
  flavor: 'openldap',
  urls: ['ldap://localhost'],
  bindDn: 'cn=stand-in',
  bindPassword: 'stand-in',
  baseDns: ['dc=stand-in'],
  tls: {},
};

/**
 * Every field the service's validation refuses, with its message: the service stops at the first bad field, so each
 * refused one is replaced by a valid stand-in and the rest checked again.
 */
function validationErrors(input: SyncSettingsInput, current: Parameters<typeof validateSettingsInput>[1]) {
  const errors: SettingsErrors = {};
  const remaining: Record<string, unknown> = { ...input };
  for (let attempt = 0; attempt <= settingsFields.length; attempt += 1) {
    try {
      validateSettingsInput(remaining, current);
      return errors;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const field = fieldOf(error.params.property);
      if (errors[field] !== undefined) return errors;
      errors[field] = error.message;
      const key = inputKeyOf(field);
      if (standIns[key] === undefined) delete remaining[key];
      else remaining[key] = standIns[key];
    }
  }
  return errors;
}

interface SyncPageState {
  readonly values?: SettingsValues;
  readonly errors?: SettingsErrors;
  readonly status?: string | null;
  readonly test?: { readonly result: SyncConnectionTest } | { readonly failure: string } | null;
  readonly runProblem?: string | null;
}

/** `/admin/sync`: directory sync settings, test connection with a mapped sample, run now, run history and runs. */
export function registerSyncPages(
  app: FastifyInstance,
  guard: AdminGuardOptions,
  services: () => SyncPageServices,
): void {
  const denied = (t: AdminView['t']) => t.syncDenied;

  const page = async (view: AdminView, reply: FastifyReply, state: SyncPageState, code = 200) => {
    const sync = services().directorySync;
    sync.authorize(view.session.context);
    const [settings, runs] = await Promise.all([sync.settings(), sync.runs(20)]);
    const shown = settings ? publicSettings(settings) : undefined;
    return sendPage(
      reply,
      <SyncPage
        view={view}
        settings={shown}
        values={state.values ?? valuesOf(shown)}
        errors={state.errors ?? {}}
        status={state.status ?? null}
        test={state.test ?? null}
        runProblem={state.runProblem ?? null}
        runs={runs}
      />,
      code,
    );
  };

  app.get(
    syncPath,
    requireAdminPage(
      guard,
      async (request, reply, view) =>
        page(view, reply, {
          status: (request.query as { done?: unknown }).done === 'saved' ? view.t.syncSaved : null,
        }),
      denied,
    ),
  );

  app.post(
    syncPath,
    requireAdminPage(
      guard,
      async (_request, reply, view, form) => {
        const sync = services().directorySync;
        sync.authorize(view.session.context);
        const values = formValues(form);
        const input = inputOf(values, form.text('bindPassword', 1000));
        if ('mappingsJson' in input) {
          return page(view, reply, { values, errors: { mappings: view.t.syncMappingsJson } }, 400);
        }
        const errors = validationErrors(input, await sync.settings());
        if (Object.keys(errors).length > 0) return page(view, reply, { values, errors }, 400);
        try {
          // The use case checks the caller again, validates, saves and audits.
          await sync.update(view.session.context, input);
        } catch (error) {
          if (error instanceof DomainError && error.code === 'invalid_request') {
            return page(view, reply, { values, errors: { [fieldOf(error.params.property)]: error.message } }, 400);
          }
          throw error;
        }
        return seeOther(reply, `${syncPath}?done=saved`);
      },
      denied,
    ),
  );

  app.post(
    `${syncPath}/test`,
    requireAdminPage(
      guard,
      async (_request, reply, view) => {
        const sync = services().directorySync;
        sync.authorize(view.session.context);
        try {
          return await page(view, reply, { test: { result: await sync.testConnection() } });
        } catch (error) {
          if (error instanceof DomainError && error.code === 'permission_denied') throw error;
          const message = error instanceof Error ? error.message : String(error);
          return page(view, reply, { test: { failure: message } }, 400);
        }
      },
      denied,
    ),
  );

  /** Starts a run and shows its page; "Run now" and "Allow deletions and run" differ only in their options. */
  const startRun = async (view: AdminView, reply: FastifyReply, form: Form, allowDeletions: boolean) => {
    const sync = services().directorySync;
    sync.authorize(view.session.context);
    if (!(await sync.settings())) return page(view, reply, { runProblem: view.t.syncNotConfigured }, 400);
    const kind = form.text('kind', 8) === 'full' ? 'full' : 'delta';
    try {
      const started = await sync.start(kind, {
        dryRun: !allowDeletions && form.text('dryRun', 8) === 'on',
        allowDeletions,
        requestedBy: view.session.context,
      });
      return seeOther(reply, runPath(started.runId));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'sync_run_in_progress') {
        return page(view, reply, { runProblem: view.t.syncRunBusy }, 409);
      }
      throw error;
    }
  };

  app.post(
    `${syncPath}/runs`,
    requireAdminPage(guard, async (_request, reply, view, form) => startRun(view, reply, form, false), denied),
  );

  // After a run stopped at the deletion threshold: one run that applies the deletions it held back.
  app.post(
    `${syncPath}/allow-deletions`,
    requireAdminPage(guard, async (_request, reply, view, form) => startRun(view, reply, form, true), denied),
  );

  app.get(
    `${syncPath}/runs/:runId`,
    requireAdminPage(
      guard,
      async (request, reply, view) => {
        const sync = services().directorySync;
        sync.authorize(view.session.context);
        const { runId } = request.params as { runId: string };
        const run = await sync.findRun(runId);
        if (!run) throw new DomainError('resource_not_found', { resource: `directorySync/runs/${runId}` });
        const issues = await sync.issuesWithUsers(run.id);
        return sendPage(reply, <SyncRunPage view={view} run={run} issues={issues} />);
      },
      denied,
    ),
  );
}

function FieldError({ id, error }: { id: string; error: string | undefined }): VNode | null {
  return error ? (
    <p class="field-error" id={`${id}-error`}>
      {error}
    </p>
  ) : null;
}

function TextField({
  id,
  label,
  value,
  error,
  hint,
  numeric = false,
}: {
  id: SettingsField;
  label: string;
  value: string;
  error: string | undefined;
  hint?: string;
  numeric?: boolean;
}): VNode {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <>
      <label for={id}>{label}</label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      <FieldError id={id} error={error} />
      <input
        type="text"
        inputMode={numeric ? 'numeric' : undefined}
        id={id}
        name={id}
        value={value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined}
      />
    </>
  );
}

function AreaField({
  id,
  label,
  value,
  error,
  hint,
  rows,
}: {
  id: SettingsField;
  label: string;
  value: string;
  error: string | undefined;
  hint?: string;
  rows: number;
}): VNode {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return (
    <>
      <label for={id}>{label}</label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      <FieldError id={id} error={error} />
      <textarea
        id={id}
        name={id}
        rows={rows}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined}
      >
        {value}
      </textarea>
    </>
  );
}

function CheckField({
  id,
  label,
  checked,
  error,
}: {
  id: SettingsField;
  label: string;
  checked: boolean;
  error: string | undefined;
}): VNode {
  return (
    <div class="choice">
      <FieldError id={id} error={error} />
      <input type="checkbox" id={id} name={id} checked={checked} aria-invalid={error ? 'true' : undefined} />
      <label for={id}>{label}</label>
    </div>
  );
}

function countsText(run: SyncRunRecord): string {
  const c = run.counts;
  return `${c.read} / ${c.added} / ${c.updated} / ${c.deleted} / ${c.errors}`;
}

export function SyncPage({
  view,
  settings,
  values,
  errors,
  status,
  test,
  runProblem,
  runs,
}: {
  view: AdminView;
  settings: PublicSyncSettings | undefined;
  values: SettingsValues;
  errors: SettingsErrors;
  status: string | null;
  test: SyncPageState['test'] | null;
  runProblem: string | null;
  runs: readonly SyncRunRecord[];
}): VNode {
  const { t, session } = view;
  const problems = Object.entries(errors) as [SettingsField, string][];
  // The latest run that writes (dry runs write nothing), when it stopped at the deletion threshold.
  const lastWritingRun = runs.find((run) => !run.dryRun);
  const stopped = lastWritingRun?.status === deletionThresholdExceeded ? lastWritingRun : undefined;
  return (
    <AdminPage view={view} title={t.syncHeading} current="sync">
      <h1>{t.syncHeading}</h1>
      <ProblemSummary heading={t.problemHeading} problems={problems} />
      {status ? (
        <p class="status" role="status">
          {status}
        </p>
      ) : null}
      <p>{t.syncIntro}</p>
      {settings ? null : (
        <p class="warning" role="status">
          {t.syncNotConfigured}
        </p>
      )}

      {settings ? (
        <section aria-labelledby="test-heading">
          <h2 id="test-heading">{t.syncTestHeading}</h2>
          <p>{t.syncTestIntro}</p>
          {test ? <TestResult view={view} test={test} /> : null}
          <AdminForm session={session} action={`${syncPath}/test`}>
            <div class="actions">
              <button type="submit" class="secondary">
                {t.syncTest}
              </button>
            </div>
          </AdminForm>
        </section>
      ) : null}

      {settings && stopped ? <StoppedRun view={view} run={stopped} /> : null}

      {settings ? (
        <section aria-labelledby="run-heading">
          <h2 id="run-heading">{t.syncRunHeading}</h2>
          {runProblem ? (
            <p class="field-error" role="alert">
              {runProblem}
            </p>
          ) : null}
          <AdminForm session={session} action={`${syncPath}/runs`}>
            <div class="choice">
              <input type="checkbox" id="dryRun" name="dryRun" />
              <label for="dryRun">{t.syncDryRun}</label>
            </div>
            <div class="actions">
              <button type="submit" name="kind" value="delta">
                {t.syncRunDelta}
              </button>{' '}
              <button type="submit" name="kind" value="full" class="secondary">
                {t.syncRunFull}
              </button>
            </div>
          </AdminForm>
        </section>
      ) : runProblem ? (
        <p class="field-error" role="alert">
          {runProblem}
        </p>
      ) : null}

      <h2>{t.syncHistoryHeading}</h2>
      <DataTable
        caption={t.syncHistoryHeading}
        empty={t.syncNoRuns}
        rows={runs}
        columns={[
          {
            header: t.syncColStarted,
            cell: (run) => (
              <a href={runPath(run.id)}>
                <DateTime iso={run.startedAt} />
              </a>
            ),
          },
          { header: t.syncColKind, cell: (run) => (run.dryRun ? `${run.kind} (${t.syncDry})` : run.kind) },
          { header: t.syncColStatus, cell: (run) => run.status },
          { header: t.syncColCounts, cell: countsText },
        ]}
      />

      <AdminForm session={session} action={syncPath} novalidate>
        <h2>{t.syncSettingsHeading}</h2>
        <label for="flavor">{t.syncFlavor}</label>
        <FieldError id="flavor" error={errors.flavor} />
        <select id="flavor" name="flavor" aria-invalid={errors.flavor ? 'true' : undefined}>
          <option value="openldap" selected={values.flavor === 'openldap'}>
            {t.syncFlavorOpenLdap}
          </option>
          <option value="activeDirectory" selected={values.flavor === 'activeDirectory'}>
            {t.syncFlavorAd}
          </option>
        </select>
        <AreaField
          id="urls"
          label={t.syncUrls}
          hint={t.syncUrlsHint}
          value={values.urls}
          error={errors.urls}
          rows={2}
        />
        <TextField id="bindDn" label={t.syncBindDn} value={values.bindDn} error={errors.bindDn} />
        <label for="bindPassword">{t.syncBindPassword}</label>
        <p class="hint" id="bindPassword-hint">
          {settings?.bindPasswordSet ? t.syncBindPasswordSet : t.syncBindPasswordNotSet}
        </p>
        <FieldError id="bindPassword" error={errors.bindPassword} />
        <input
          type="password"
          id="bindPassword"
          name="bindPassword"
          autocomplete="new-password"
          aria-invalid={errors.bindPassword ? 'true' : undefined}
          aria-describedby={errors.bindPassword ? 'bindPassword-hint bindPassword-error' : 'bindPassword-hint'}
        />
        <AreaField
          id="baseDns"
          label={t.syncBaseDns}
          hint={t.syncBaseDnsHint}
          value={values.baseDns}
          error={errors.baseDns}
          rows={2}
        />
        <TextField id="filter" label={t.syncFilter} value={values.filter} error={errors.filter} />
        <TextField id="groupDn" label={t.syncGroupDn} value={values.groupDn} error={errors.groupDn} />
        <TextField id="caFile" label={t.syncCaFile} value={values.caFile} error={errors.caFile} />
        <TextField id="serverName" label={t.syncServerName} value={values.serverName} error={errors.serverName} />
        <CheckField id="startTls" label={t.syncStartTls} checked={values.startTls} error={errors.startTls} />
        <TextField id="pageSize" numeric label={t.syncPageSize} value={values.pageSize} error={errors.pageSize} />
        <TextField id="timeoutMs" numeric label={t.syncTimeout} value={values.timeoutMs} error={errors.timeoutMs} />
        <TextField
          id="intervalMinutes"
          numeric
          label={t.syncInterval}
          value={values.intervalMinutes}
          error={errors.intervalMinutes}
        />
        <CheckField
          id="writebackEnabled"
          label={t.syncWriteback}
          checked={values.writebackEnabled}
          error={errors.writebackEnabled}
        />
        <CheckField
          id="bypassDirSyncOverridesEnabled"
          label={t.syncBypass}
          checked={values.bypassDirSyncOverridesEnabled}
          error={errors.bypassDirSyncOverridesEnabled}
        />
        <TextField
          id="deletionThreshold"
          numeric
          label={t.syncDeletionThreshold}
          hint={t.syncDeletionThresholdHint}
          value={values.deletionThreshold}
          error={errors.deletionThreshold}
        />
        <AreaField
          id="mappings"
          label={t.syncMappings}
          hint={values.mappings.trim() === '' ? `${t.syncMappingsHint} ${t.syncMappingsDefault}` : t.syncMappingsHint}
          value={values.mappings}
          error={errors.mappings}
          rows={8}
        />
        <div class="actions">
          <button type="submit">{t.syncSave}</button>
        </div>
      </AdminForm>
    </AdminPage>
  );
}

/**
 * The last run held back its deletions (more than the deletion threshold): what it found, and the one action that
 * applies them, a run of the same kind with `allowDeletions` (the settings below raise or turn off the threshold).
 */
function StoppedRun({ view, run }: { view: AdminView; run: SyncRunRecord }): VNode {
  const { t, session } = view;
  const text = t.syncStopped
    .replace('{kind}', run.kind)
    .replace('{started}', run.startedAt.replace('T', ' ').slice(0, 19))
    .replace('{count}', String(run.pendingDeletions ?? ''))
    .replace('{threshold}', String(run.deletionThreshold ?? ''));
  return (
    <section class="warning" aria-labelledby="stopped-heading" id="stopped-run">
      <h2 id="stopped-heading">{t.syncStoppedHeading}</h2>
      <p role="alert">{text}</p>
      <p>
        <a href={runPath(run.id)}>{t.syncStoppedRunLink}</a>
      </p>
      <AdminForm session={session} action={`${syncPath}/allow-deletions`}>
        <input type="hidden" name="kind" value={run.kind} />
        <div class="actions">
          <button type="submit">{t.syncAllowDeletions}</button>
        </div>
      </AdminForm>
    </section>
  );
}

function TestResult({ view, test }: { view: AdminView; test: NonNullable<SyncPageState['test']> }): VNode {
  const { t } = view;
  if ('failure' in test) {
    return (
      <p class="field-error" role="alert" id="test-result">
        {t.syncTestFailed.replace('{message}', test.failure)}
      </p>
    );
  }
  const { result } = test;
  return (
    <div id="test-result" role="status">
      <p class="status">{t.syncTestOk.replace('{count}', String(result.entriesInScope))}</p>
      {result.sample === null ? (
        <p class="warning">{t.syncTestNoEntry}</p>
      ) : result.sample.error ? (
        <p class="warning">{t.syncTestSampleError.replace('{message}', result.sample.error)}</p>
      ) : (
        <DataTable
          caption={t.syncTestSample.replace('{dn}', result.sample.dn)}
          showCaption
          rows={result.sample.rows}
          columns={[
            { header: t.syncColTarget, cell: (row) => row.target },
            { header: t.syncColValue, cell: (row) => row.value },
            { header: t.syncColWarning, cell: (row) => row.warning },
          ]}
        />
      )}
    </div>
  );
}

export function SyncRunPage({
  view,
  run,
  issues,
}: {
  view: AdminView;
  run: SyncRunView;
  issues: readonly SyncIssue[];
}): VNode {
  const { t } = view;
  const running = run.status === 'running';
  const title = t.syncRunTitle.replace('{id}', run.id);
  const counts: [string, number][] = [
    [t.syncCountRead, run.counts.read],
    [t.syncCountAdded, run.counts.added],
    [t.syncCountUpdated, run.counts.updated],
    [t.syncCountDeleted, run.counts.deleted],
    [t.syncCountUnchanged, run.counts.unchanged],
    [t.syncCountErrors, run.counts.errors],
    [t.syncCountWarnings, run.counts.warnings],
  ];
  // No automatic reload while it runs (a timed reload fails WCAG 2.2.1, and the portal has no script): the
  // administrator refreshes when they want the counts so far.
  return (
    <AdminPage view={view} title={title} current="sync">
      <h1>{title}</h1>
      {running ? (
        <p class="status" role="status">
          {t.syncRunRunning} <a href={runPath(run.id)}>{t.syncRunRefresh}</a>
        </p>
      ) : null}
      <dl class="fields" id="run-summary">
        <dt>{t.syncRunStatus}</dt>
        <dd>{run.status}</dd>
        <dt>{t.syncRunKind}</dt>
        <dd>{run.dryRun ? `${run.kind} (${t.syncDry})` : run.kind}</dd>
        <dt>{t.syncRunStarted}</dt>
        <dd>{run.startedAt}</dd>
        {run.finishedAt ? (
          <>
            <dt>{t.syncRunFinished}</dt>
            <dd>{run.finishedAt}</dd>
          </>
        ) : null}
        {run.pagesRead !== null ? (
          <>
            <dt>{t.syncRunPages}</dt>
            <dd>{run.pagesRead}</dd>
          </>
        ) : null}
        {counts.map(([label, value]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </Fragment>
        ))}
        {run.pendingDeletions != null ? (
          <>
            <dt>{t.syncRunPending}</dt>
            <dd>{run.pendingDeletions}</dd>
            <dt>{t.syncRunThreshold}</dt>
            <dd>{run.deletionThreshold}</dd>
          </>
        ) : null}
        {run.message ? (
          <>
            <dt>{t.syncRunMessage}</dt>
            <dd>{run.message}</dd>
          </>
        ) : null}
      </dl>
      <h2>{t.syncIssuesHeading}</h2>
      <DataTable
        caption={t.syncIssuesHeading}
        empty={t.syncNoIssues}
        rows={issues.slice(0, shownIssues)}
        columns={[
          {
            header: t.syncColObject,
            cell: (issue) =>
              issue.userId ? (
                <a href={`${adminBasePath}/users/${encodeURIComponent(issue.userId)}`}>{issue.dn}</a>
              ) : (
                issue.dn
              ),
          },
          { header: t.syncColType, cell: (issue) => issue.type },
          { header: t.syncColAttribute, cell: (issue) => issue.attribute ?? '' },
          { header: t.syncColMessage, cell: (issue) => issue.message },
        ]}
      />
      {issues.length > shownIssues ? (
        <p>{t.syncMoreIssues.replace('{count}', String(issues.length - shownIssues)).replace('{id}', run.id)}</p>
      ) : null}
      <p>
        <a href={syncPath}>{t.syncBack}</a>
      </p>
    </AdminPage>
  );
}
