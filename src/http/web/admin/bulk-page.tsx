import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import {
  csvLine,
  type ImportCounts,
  type ImportJobRecord,
  type ImportOptions,
  type RowOutcome,
  resultCells,
  resultColumns,
} from '../../../domain/contact-import.js';
import { DomainError } from '../../../domain/errors.js';
import type { ContactExportService } from '../../../services/users/contact-export-service.js';
import type { ContactImportService } from '../../../services/users/contact-import-service.js';
import type { HeldContactUploads } from '../../../services/users/held-contact-uploads.js';
import { MultipartError, multipartBoundary, parseMultipart, type UploadedFile } from '../multipart.js';
import { cookieValue, sendPage } from '../page.js';
import {
  AdminForm,
  type AdminGuardOptions,
  AdminPage,
  type AdminView,
  adminBasePath,
  adminCookies,
  CsrfField,
  DataTable,
  ProblemSummary,
  seeOther,
} from './admin-kit.js';
import { requireAdminPage } from './admin-page-guard.js';

export interface BulkPageServices {
  readonly contactImports: ContactImportService;
  readonly contactExport: ContactExportService;
  readonly heldContactUploads: HeldContactUploads;
}

const bulkPath = `${adminBasePath}/bulk`;
/** As the API (`contactImportBodyLimit`): a 100,000-row file is about 10 MB. */
const uploadLimit = 64 * 1024 * 1024;
/** Rows listed per table on a page; the CSV downloads hold them all. */
const shownRows = 200;

/** The files of multipart bodies, beside their text fields (which `Form` reads, the CSRF token among them). */
const uploadedFiles = new WeakMap<object, readonly UploadedFile[]>();

interface UploadValues {
  readonly normalize: boolean;
  readonly defaultRegion: string;
}

function importOptions(values: UploadValues): ImportOptions {
  return { normalize: values.normalize, ...(values.defaultRegion !== '' && { defaultRegion: values.defaultRegion }) };
}

function csvResponse(reply: FastifyReply, filename: string, lines: AsyncIterable<string>): FastifyReply {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(lines));
}

async function* resultLines(rows: AsyncIterable<RowOutcome> | Iterable<RowOutcome>): AsyncGenerator<string> {
  yield `${csvLine(resultColumns)}\r\n`;
  for await (const row of rows) yield `${csvLine(resultCells(row))}\r\n`;
}

function allowed(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'permission_denied') return false;
    throw error;
  }
}

/**
 * `/admin/bulk`: upload a CSV of contact info, preview the dry run, apply it, download the results; export users'
 * contact info and registration status. The same use cases and rights as `/api/admin/v1/contactImports`
 * (docs/bulk-import.md); every changed user gets its "Update user" audit event from the service.
 */
export function registerBulkPages(
  app: FastifyInstance,
  guard: AdminGuardOptions,
  services: () => BulkPageServices,
): void {
  const imports = () => services().contactImports;
  const held = () => services().heldContactUploads;
  const exports = () => services().contactExport;

  const formPage = (
    view: AdminView,
    reply: FastifyReply,
    state: { values?: UploadValues; problem?: string },
    code = 200,
  ) => {
    const context = view.session.context;
    const canImport = allowed(() => imports().authorize(context));
    const canExport = allowed(() => exports().authorize(context));
    if (!canImport && !canExport) imports().authorize(context);
    return sendPage(
      reply,
      <BulkPage
        view={view}
        canImport={canImport}
        canExport={canExport}
        values={state.values ?? { normalize: true, defaultRegion: '' }}
        problem={state.problem ?? null}
      />,
      code,
    );
  };

  app.get(
    bulkPath,
    requireAdminPage(guard, async (_request, reply, view) => formPage(view, reply, {})),
  );

  app.get(
    `${bulkPath}/export.csv`,
    requireAdminPage(guard, async (_request, reply, view) => {
      const context = view.session.context;
      exports().authorize(context);
      return csvResponse(reply, 'users-export.csv', exports().exportCsv(context));
    }),
  );

  // The upload: its own scope, so that only this route reads multipart bodies, and only with a session cookie.
  app.register(async (scope) => {
    const names = adminCookies(guard.secureCookies);
    scope.addContentTypeParser(
      'multipart/form-data',
      { parseAs: 'buffer', bodyLimit: uploadLimit },
      (request, body, done) => {
        const boundary = multipartBoundary(request.headers['content-type']);
        if (!boundary) return done(new MultipartError('The form has no multipart boundary.'), undefined);
        try {
          const parsed = parseMultipart(body as Buffer, boundary);
          uploadedFiles.set(parsed.fields, parsed.files);
          return done(null, parsed.fields);
        } catch (error) {
          return done(error as Error, undefined);
        }
      },
    );
    // No session cookie: back to sign-in before a large body is even read.
    scope.addHook('onRequest', async (request, reply) => {
      if (!cookieValue(request.headers.cookie, names.session)) {
        return seeOther(reply, `${adminBasePath}/signin?ended=1`);
      }
    });

    scope.post(
      `${bulkPath}/preview`,
      { bodyLimit: uploadLimit },
      requireAdminPage(guard, async (request, reply, view, form) => {
        const context = view.session.context;
        imports().authorize(context);
        const values: UploadValues = {
          normalize: form.text('normalize', 8) === 'on',
          defaultRegion: form.text('defaultRegion', 8).trim().toUpperCase(),
        };
        const files = typeof request.body === 'object' && request.body ? uploadedFiles.get(request.body) : undefined;
        const file = files?.find((candidate) => candidate.field === 'file');
        if (!file || file.data.length === 0) {
          return formPage(view, reply, { values, problem: view.t.bulkProblemFile }, 400);
        }
        if (values.defaultRegion !== '' && !/^[A-Z]{2}$/.test(values.defaultRegion)) {
          return formPage(view, reply, { values, problem: view.t.bulkProblemRegion }, 400);
        }
        const options = importOptions(values);
        let report: Awaited<ReturnType<ContactImportService['import']>>;
        try {
          report = await imports().import(context, file.data, { ...options, dryRun: true });
        } catch (error) {
          if (error instanceof DomainError && error.code !== 'permission_denied') {
            return formPage(view, reply, { values, problem: error.message }, 400);
          }
          throw error;
        }
        const upload = await held().hold(view.session.idHash, file.filename, file.data, options);
        reply.header('cache-control', 'no-store');
        return sendPage(
          reply,
          <PreviewPage
            view={view}
            uploadId={upload.id}
            filename={file.filename}
            totalRows={report.totalRows}
            counts={report.counts}
            rows={report.rows ?? []}
          />,
        );
      }),
    );
  });

  app.get(
    `${bulkPath}/uploads/:id/preview.csv`,
    requireAdminPage(guard, async (request, reply, view) => {
      const context = view.session.context;
      imports().authorize(context);
      const upload = await held().find(view.session.idHash, (request.params as { id: string }).id);
      if (!upload) throw new DomainError('resource_not_found', { resource: 'upload' });
      const report = await imports().import(context, upload.data, { ...upload.options, dryRun: true });
      return csvResponse(reply, 'contact-import-preview.csv', resultLines(report.rows ?? []));
    }),
  );

  app.post(
    `${bulkPath}/apply`,
    requireAdminPage(guard, async (_request, reply, view, form) => {
      const context = view.session.context;
      imports().authorize(context);
      // Taken out first, atomically, so that a second click cannot apply it twice, on any instance (a failed run
      // resumes when the file is uploaded again). The service parses and plans the same bytes again: what is applied
      // is re-checked against today's users.
      const upload = await held().take(view.session.idHash, form.text('upload', 64));
      if (!upload) return formPage(view, reply, { problem: view.t.bulkProblemExpired }, 409);
      const report = await imports().import(context, upload.data, upload.options);
      if (!report.job) throw new Error('An applied import has no job.');
      return seeOther(reply, `${bulkPath}/jobs/${encodeURIComponent(report.job.id)}`);
    }),
  );

  app.get(
    `${bulkPath}/jobs/:id`,
    requireAdminPage(guard, async (request, reply, view) => {
      const context = view.session.context;
      const job = await imports().job(context, (request.params as { id: string }).id);
      const rejected: RowOutcome[] = [];
      let rejectedTotal = 0;
      for await (const row of imports().results(context, job.id)) {
        if (row.outcome !== 'rejected') continue;
        rejectedTotal += 1;
        if (rejected.length < shownRows) rejected.push(row);
      }
      reply.header('cache-control', 'no-store');
      return sendPage(reply, <JobPage view={view} job={job} rejected={rejected} rejectedTotal={rejectedTotal} />);
    }),
  );

  app.get(
    `${bulkPath}/jobs/:id/results.csv`,
    requireAdminPage(guard, async (request, reply, view) => {
      const context = view.session.context;
      const job = await imports().job(context, (request.params as { id: string }).id);
      return csvResponse(
        reply,
        `contact-import-${job.id}-results.csv`,
        resultLines(imports().results(context, job.id)),
      );
    }),
  );
}

function BulkPage({
  view,
  canImport,
  canExport,
  values,
  problem,
}: {
  view: AdminView;
  canImport: boolean;
  canExport: boolean;
  values: UploadValues;
  problem: string | null;
}): VNode {
  const { t, session } = view;
  return (
    <AdminPage view={view} title={t.bulkHeading} current="bulk">
      <h1>{t.bulkHeading}</h1>
      <ProblemSummary heading={t.problemHeading} problems={problem ? [problem] : []} />
      {canImport ? (
        <section aria-labelledby="import-heading">
          <h2 id="import-heading">{t.bulkImportHeading}</h2>
          <p>{t.bulkImportIntro}</p>
          <form method="post" action={`${bulkPath}/preview`} enctype="multipart/form-data">
            <CsrfField session={session} />
            <label for="file">{t.bulkFile}</label>
            <p class="hint" id="file-hint">
              {t.bulkFileHint}
            </p>
            <input id="file" name="file" type="file" accept=".csv,text/csv" required aria-describedby="file-hint" />
            <div class="choice">
              <input type="checkbox" id="normalize" name="normalize" checked={values.normalize} />
              <label for="normalize">{t.bulkNormalize}</label>
            </div>
            <label for="defaultRegion">{t.bulkRegion}</label>
            <p class="hint" id="region-hint">
              {t.bulkRegionHint}
            </p>
            <input
              id="defaultRegion"
              name="defaultRegion"
              type="text"
              maxLength={2}
              autocomplete="off"
              value={values.defaultRegion}
              aria-describedby="region-hint"
            />
            <div class="actions">
              <button type="submit">{t.bulkPreview}</button>
            </div>
          </form>
        </section>
      ) : null}
      {canExport ? (
        <section aria-labelledby="export-heading">
          <h2 id="export-heading">{t.bulkExportHeading}</h2>
          <p>{t.bulkExportIntro}</p>
          <p>
            <a href={`${bulkPath}/export.csv`} download>
              {t.bulkExportLink}
            </a>
          </p>
        </section>
      ) : null}
    </AdminPage>
  );
}

function cellValue(value: unknown, empty: string): string {
  if (value === null || value === undefined || value === '') return empty;
  if (Array.isArray(value)) return value.length === 0 ? empty : value.join('; ');
  return String(value);
}

function Counts({ view, counts, totalRows }: { view: AdminView; counts: ImportCounts; totalRows: number }): VNode {
  const { t } = view;
  const items: [string, number][] = [
    [t.bulkRows, totalRows],
    [t.bulkChanged, counts.changed],
    [t.bulkUnchanged, counts.unchanged],
    [t.bulkRejected, counts.rejected],
    [t.bulkWarnings, counts.warnings],
  ];
  return (
    <div class="cards">
      {items.map(([label, value]) => (
        <div class="card" key={label}>
          <span class="number">{value.toLocaleString('en-US')}</span>
          <span>{label}</span>
        </div>
      ))}
    </div>
  );
}

function More({ view, total }: { view: AdminView; total: number }): VNode | null {
  return total > shownRows ? (
    <p class="hint">
      {view.t.bulkMore.replace('{shown}', String(shownRows)).replace('{total}', total.toLocaleString('en-US'))}
    </p>
  ) : null;
}

function RejectedTable({ view, rows, total }: { view: AdminView; rows: readonly RowOutcome[]; total: number }): VNode {
  const { t } = view;
  return (
    <section aria-labelledby="rejected-heading">
      <h2 id="rejected-heading">{t.bulkRejectedHeading}</h2>
      <DataTable
        caption={t.bulkRejectedHeading}
        empty={t.bulkNoneRejected}
        rows={rows}
        columns={[
          { header: t.bulkLine, numeric: true, cell: (row) => row.line },
          { header: t.bulkUser, cell: (row) => row.key },
          { header: t.bulkColumn, cell: (row) => row.column ?? '' },
          { header: t.bulkReason, cell: (row) => row.reason ?? '' },
        ]}
      />
      <More view={view} total={total} />
    </section>
  );
}

function PreviewPage({
  view,
  uploadId,
  filename,
  totalRows,
  counts,
  rows,
}: {
  view: AdminView;
  uploadId: string;
  filename: string;
  totalRows: number;
  counts: ImportCounts;
  rows: readonly RowOutcome[];
}): VNode {
  const { t, session } = view;
  const changed = rows.filter((row) => row.outcome === 'changed');
  const rejected = rows.filter((row) => row.outcome === 'rejected');
  const noted = rows.filter(
    (row) => row.outcome !== 'rejected' && (row.warnings.length > 0 || row.normalizations.length > 0),
  );
  return (
    <AdminPage view={view} title={t.bulkPreviewHeading} current="bulk">
      <h1>{t.bulkPreviewHeading}</h1>
      <p class="status" role="status">
        {t.bulkPreviewIntro.replace('{file}', filename || 'CSV')}
      </p>
      <Counts view={view} counts={counts} totalRows={totalRows} />
      <section aria-labelledby="changed-heading">
        <h2 id="changed-heading">{t.bulkChangedHeading}</h2>
        <DataTable
          caption={t.bulkChangedHeading}
          empty={t.bulkNoneChanged}
          rows={changed
            .slice(0, shownRows)
            .flatMap((row) => row.changes.map((change, index) => ({ row, change, first: index === 0 })))}
          columns={[
            // A user's later changes leave line and user blank, so each user reads as one group.
            { header: t.bulkLine, numeric: true, cell: ({ row, first }) => (first ? row.line : '') },
            { header: t.bulkUser, cell: ({ row, first }) => (first ? row.key : '') },
            { header: t.bulkField, cell: ({ change }) => change.property },
            { header: t.bulkOld, cell: ({ change }) => cellValue(change.oldValue, t.bulkEmpty) },
            { header: t.bulkNew, cell: ({ change }) => cellValue(change.newValue, t.bulkEmpty) },
          ]}
        />
        <More view={view} total={changed.length} />
      </section>
      <RejectedTable view={view} rows={rejected.slice(0, shownRows)} total={rejected.length} />
      {noted.length > 0 ? (
        <section aria-labelledby="noted-heading">
          <h2 id="noted-heading">{t.bulkNotedHeading}</h2>
          <DataTable
            caption={t.bulkNotedHeading}
            rows={noted.slice(0, shownRows)}
            columns={[
              { header: t.bulkLine, numeric: true, cell: (row) => row.line },
              { header: t.bulkUser, cell: (row) => row.key },
              {
                header: t.bulkNote,
                cell: (row) =>
                  [...row.normalizations.map((n) => `${n.column}: ${n.from} → ${n.to}`), ...row.warnings].join('; '),
              },
            ]}
          />
          <More view={view} total={noted.length} />
        </section>
      ) : null}
      <p>
        <a href={`${bulkPath}/uploads/${encodeURIComponent(uploadId)}/preview.csv`} download>
          {t.bulkPreviewCsv}
        </a>
      </p>
      <AdminForm session={session} action={`${bulkPath}/apply`}>
        <input type="hidden" name="upload" value={uploadId} />
        <p>{counts.changed > 0 ? t.bulkApplyIntro : t.bulkApplyNothing}</p>
        <div class="actions">
          <button type="submit">{t.bulkApply}</button>
          <a href={bulkPath}>{t.bulkCancel}</a>
        </div>
      </AdminForm>
    </AdminPage>
  );
}

function JobPage({
  view,
  job,
  rejected,
  rejectedTotal,
}: {
  view: AdminView;
  job: ImportJobRecord;
  rejected: readonly RowOutcome[];
  rejectedTotal: number;
}): VNode {
  const { t } = view;
  const status =
    job.status === 'succeeded' ? t.bulkJobSucceeded : job.status === 'failed' ? t.bulkJobFailed : t.bulkJobRunning;
  return (
    <AdminPage view={view} title={t.bulkResultsHeading} current="bulk">
      <h1>{t.bulkResultsHeading}</h1>
      <p class="status" role="status">
        {status}
      </p>
      {job.message ? <p class="warning">{job.message}</p> : null}
      <dl class="fields">
        <dt>{t.bulkJobBy}</dt>
        <dd>{job.createdBy}</dd>
        <dt>{t.bulkJobStarted}</dt>
        <dd>{job.createdAt}</dd>
        <dt>{t.bulkJobProgress}</dt>
        <dd>
          {job.rowsDone} / {job.totalRows}
        </dd>
      </dl>
      <Counts view={view} counts={job.counts} totalRows={job.totalRows} />
      <p>
        <a href={`${bulkPath}/jobs/${encodeURIComponent(job.id)}/results.csv`} download>
          {t.bulkResultsCsv}
        </a>
      </p>
      <RejectedTable view={view} rows={rejected} total={rejectedTotal} />
      <p>
        <a href={bulkPath}>{t.bulkBack}</a>
      </p>
    </AdminPage>
  );
}
