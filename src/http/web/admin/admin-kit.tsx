import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ComponentChildren, VNode } from 'preact';
import { DomainError } from '../../../domain/errors.js';
import {
  AdminCsrfRejected,
  type AdminSession,
  AdminSessionNotFound,
  type AdminSessionService,
} from '../../../services/admin/admin-session-service.js';
import type { UserActionsService } from '../../../services/admin/user-actions-service.js';
import type { AppService } from '../../../services/apps/app-service.js';
import type { AuditService } from '../../../services/audit/audit-service.js';
import type { AuthenticationMethodService } from '../../../services/authentication/authentication-method-service.js';
import type { OutboxService } from '../../../services/delivery/outbox-service.js';
import type { SsprPolicyService } from '../../../services/policy/sspr-policy-service.js';
import type { RegistrationReportService } from '../../../services/reports/registration-report-service.js';
import type { DirectorySyncService } from '../../../services/sync/directory-sync-service.js';
import type { ContactExportService } from '../../../services/users/contact-export-service.js';
import type { ContactImportService } from '../../../services/users/contact-import-service.js';
import type { HeldContactUploads } from '../../../services/users/held-contact-uploads.js';
import type { UserService } from '../../../services/users/user-service.js';
import { Form } from '../form.js';
import type { PageLanguage } from '../language.js';
import { type Branding, cookie, cookieValue, Page, sendPage } from '../page.js';
import { type AdminMessages, adminMessages } from './admin-messages.js';

export const adminBasePath = '/admin';

/**
 * The use cases the portal calls, by the names the container gives them (the container satisfies this).
 * A page that needs another service adds it here.
 */
export interface AdminServices {
  readonly adminSessions: AdminSessionService;
  readonly users: UserService;
  readonly authenticationMethods: AuthenticationMethodService;
  readonly userActions: UserActionsService;
  readonly reports: RegistrationReportService;
  readonly directorySync: DirectorySyncService;
  readonly outbox: OutboxService;
  readonly policies: SsprPolicyService;
  readonly auditLog: AuditService;
  readonly apps: AppService;
  readonly contactImports: ContactImportService;
  readonly contactExport: ContactExportService;
  readonly heldContactUploads: HeldContactUploads;
}

/** The portal's navigation, in order; `key` is what a page passes as `current`. */
export const adminNavigation = [
  { key: 'dashboard', href: adminBasePath, label: 'navDashboard' },
  { key: 'users', href: `${adminBasePath}/users`, label: 'navUsers' },
  { key: 'policy', href: `${adminBasePath}/policy`, label: 'navPolicy' },
  { key: 'sync', href: `${adminBasePath}/sync`, label: 'navSync' },
  { key: 'bulk', href: `${adminBasePath}/bulk`, label: 'navBulk' },
  { key: 'audit', href: `${adminBasePath}/audit`, label: 'navAudit' },
  { key: 'apps', href: `${adminBasePath}/apps`, label: 'navApps' },
  { key: 'outbox', href: `${adminBasePath}/outbox`, label: 'navOutbox' },
] as const satisfies readonly { key: string; href: string; label: keyof AdminMessages }[];

export type AdminSection = (typeof adminNavigation)[number]['key'];

/** What every portal page needs besides its own data. */
export interface AdminView {
  readonly language: PageLanguage;
  readonly branding: Branding;
  readonly session: AdminSession;
  /** The development outbox is in use: the Outbox link is shown. */
  readonly outboxInUse: boolean;
  readonly t: AdminMessages;
}

/** The portal layout: banner with the tenant name, navigation, signed-in administrator and sign-out, one `h1`. */
export function AdminPage({
  view,
  title,
  current,
  children,
}: {
  view: AdminView;
  title: string;
  current: AdminSection | null;
  children: ComponentChildren;
}): VNode {
  const { t, session } = view;
  const nav = (
    <nav class="admin" aria-label={t.navLabel}>
      <ul>
        {adminNavigation
          .filter((item) => item.key !== 'outbox' || view.outboxInUse)
          .map((item) => (
            <li key={item.key}>
              <a href={item.href} aria-current={item.key === current ? 'page' : undefined}>
                {t[item.label]}
              </a>
            </li>
          ))}
      </ul>
      <div class="who">
        <span>{t.signedInAs.replace('{name}', session.user.userPrincipalName)}</span>
        <AdminForm session={session} action={`${adminBasePath}/signout`} class="inline">
          <button type="submit" class="link">
            {t.signOut}
          </button>
        </AdminForm>
      </div>
    </nav>
  );
  return (
    <Page language={view.language} title={`${title} - ${t.portalName}`} branding={view.branding} nav={nav} wide>
      {children}
    </Page>
  );
}

/** The session's CSRF token as a hidden field: every POST form of the portal carries it. */
export function CsrfField({ session }: { session: AdminSession }): VNode {
  return <input type="hidden" name="csrf_token" value={session.csrfToken} />;
}

/** A POST form with the session's CSRF token. */
export function AdminForm({
  session,
  action,
  children,
  class: className,
  novalidate,
}: {
  session: AdminSession;
  action: string;
  children: ComponentChildren;
  class?: string;
  novalidate?: boolean;
}): VNode {
  return (
    <form method="post" action={action} class={className} novalidate={novalidate}>
      <CsrfField session={session} />
      {children}
    </form>
  );
}

/** An ISO instant as the tables show it, `2026-11-25 09:00:00` (UTC, to the second), machine-readable too. */
export function DateTime({ iso }: { iso: string }): VNode {
  return <time dateTime={iso}>{iso.replace('T', ' ').slice(0, 19)}</time>;
}

/** One column of a `DataTable`. */
export interface DataColumn<Row> {
  /** The column header; on narrow screens also the label before each of its cells. */
  readonly header: string;
  readonly cell: (row: Row) => ComponentChildren;
  /** Right-aligned with even-width digits (counts, line numbers). */
  readonly numeric?: boolean;
  /** The cell names its row (`<th scope="row">`), as the method column of the methods tables. */
  readonly rowHeader?: boolean;
  /** A class for one cell, from its row (e.g. the usable/unusable colour). */
  readonly cellClass?: (row: Row) => string | undefined;
}

/** A problem of a form page: a message, or a field's id and its message (linked to the field). */
export type PageProblem = string | readonly [field: string, message: string];

/** The error summary at the top of a page: nothing without problems; each one linked to its field when it has one. */
export function ProblemSummary({ heading, problems }: { heading: string; problems: readonly PageProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <div class="errors" role="alert" id="problems">
      <h2>{heading}</h2>
      <ul>
        {problems.map((problem) =>
          typeof problem === 'string' ? (
            <li key={problem}>{problem}</li>
          ) : (
            <li key={problem[0]}>
              <a href={`#${problem[0]}`}>{problem[1]}</a>
            </li>
          ),
        )}
      </ul>
    </div>
  );
}

/**
 * The portal's one table: `th scope="col"` headers, a caption (visually hidden unless `showCaption`), and each
 * body cell's column header in `data-label`, which the style sheet shows before the cell on narrow screens, where
 * every row becomes a stacked card. No rows: the `empty` message instead of the table (nothing without one).
 * A column given as `false` is left out (one the signed-in role may not use).
 */
export function DataTable<Row>({
  caption,
  showCaption,
  columns,
  rows,
  empty,
  id,
}: {
  caption: string;
  showCaption?: boolean;
  columns: readonly (DataColumn<Row> | false)[];
  rows: readonly Row[];
  empty?: string;
  id?: string;
}): VNode | null {
  if (rows.length === 0) return empty ? <p class="empty">{empty}</p> : null;
  const shown = columns.filter((column): column is DataColumn<Row> => column !== false);
  const classOf = (...names: (string | false | undefined)[]) => names.filter(Boolean).join(' ') || undefined;
  return (
    <table class="data" id={id}>
      <caption class={showCaption ? undefined : 'visually-hidden'}>{caption}</caption>
      <thead>
        <tr>
          {shown.map((column) => (
            <th key={column.header} scope="col" class={classOf(column.numeric && 'num')}>
              {column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={index}>
            {shown.map((column) => {
              const cellClass = classOf(column.numeric && 'num', column.cellClass?.(row));
              return column.rowHeader ? (
                <th key={column.header} scope="row" data-label={column.header} class={cellClass}>
                  {column.cell(row)}
                </th>
              ) : (
                <td key={column.header} data-label={column.header} class={cellClass}>
                  {column.cell(row)}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A short page with a heading, a text and a way back (refusals, not found). */
export function AdminMessagePage({
  view,
  heading,
  text,
  back,
}: {
  view: AdminView;
  heading: string;
  text: string;
  back?: { href: string; label: string };
}): VNode {
  return (
    <AdminPage view={view} title={heading} current={null}>
      <h1>{heading}</h1>
      <p>{text}</p>
      {back ? (
        <p>
          <a href={back.href}>{back.label}</a>
        </p>
      ) : null}
    </AdminPage>
  );
}

export interface AdminGuardOptions {
  readonly authenticate: (
    token: string | null,
    request: { ipAddress: string | null; correlationId: string; csrf?: string },
  ) => Promise<AdminSession>;
  readonly branding: () => Branding;
  readonly outboxInUse: () => boolean;
  readonly secureCookies: boolean;
}

/** Cookie names and path: `__Host-` over HTTPS (path `/`), else scoped to `/admin`. */
export function adminCookies(secure: boolean): { session: string; signIn: string; path: string } {
  return secure
    ? { session: '__Host-sspr_admin', signIn: '__Host-sspr_admin_signin', path: '/' }
    : { session: 'sspr_admin', signIn: 'sspr_admin_signin', path: adminBasePath };
}

/**
 * The portal's language. Its messages exist in English only so far (`admin-messages.ts`), so the page says so
 * (`lang="en"`) whatever the browser prefers; a French table makes this `pickLanguage(...)` as on the other pages.
 */
export function languageOf(_request: FastifyRequest): PageLanguage {
  return 'en';
}

export function queryText(request: FastifyRequest, name: string, maxLength = 256): string {
  const value = (request.query as Record<string, unknown>)[name];
  return typeof value === 'string' ? value.slice(0, maxLength) : '';
}

export function seeOther(reply: FastifyReply, to: string): FastifyReply {
  return reply.code(303).header('cache-control', 'no-store').redirect(to, 303);
}

export type AdminHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  view: AdminView,
  form: Form,
) => Promise<FastifyReply>;

/**
 * The route guard of every portal page: a valid session (else the sign-in page, `?next=` back here for a GET),
 * the session's CSRF token on a POST (else 403), and the use cases' refusals shown as pages: permission denied
 * 403, not found 404. Other `DomainError`s are the handler's to show beside its form.
 */
export function requireAdmin(
  options: AdminGuardOptions,
  handler: AdminHandler,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  const names = adminCookies(options.secureCookies);
  return async (request, reply) => {
    const form = new Form(request.body);
    const language = languageOf(request);
    const t = adminMessages(language);
    let session: AdminSession;
    try {
      session = await options.authenticate(cookieValue(request.headers.cookie, names.session), {
        ipAddress: request.ip,
        correlationId: request.id,
        ...(request.method === 'POST' && { csrf: form.text('csrf_token', 128) }),
      });
    } catch (error) {
      if (error instanceof AdminSessionNotFound) {
        reply.header(
          'set-cookie',
          cookie(names.session, '', { path: names.path, maxAgeSeconds: 0, secure: options.secureCookies }),
        );
        if (request.method === 'GET') {
          return seeOther(reply, `${adminBasePath}/signin?next=${encodeURIComponent(request.url)}`);
        }
        return seeOther(reply, `${adminBasePath}/signin?ended=1`);
      }
      if (error instanceof AdminCsrfRejected) {
        return sendPage(
          reply,
          <Page language={language} title={t.forbiddenHeading} branding={options.branding()}>
            <h1>{t.forbiddenHeading}</h1>
            <p>{t.forbiddenText}</p>
            <p>
              <a href={adminBasePath}>{t.navDashboard}</a>
            </p>
          </Page>,
          403,
        );
      }
      throw error;
    }
    const view: AdminView = {
      language,
      branding: options.branding(),
      session,
      outboxInUse: options.outboxInUse(),
      t,
    };
    try {
      return await handler(request, reply, view, form);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'permission_denied') {
        return sendPage(reply, <AdminMessagePage view={view} heading={t.deniedHeading} text={t.deniedText} />, 403);
      }
      if (error instanceof DomainError && error.code === 'resource_not_found') {
        // The way back is the dashboard: every role that may sign in sees it, not every role sees the users.
        return sendPage(
          reply,
          <AdminMessagePage
            view={view}
            heading={t.notFoundHeading}
            text={t.notFoundText}
            back={{ href: adminBasePath, label: t.backToDashboard }}
          />,
          404,
        );
      }
      throw error;
    }
  };
}
