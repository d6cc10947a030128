import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { DomainError } from '../../../domain/errors.js';
import { adminSessionLifetimeMs } from '../../../services/admin/admin-session-service.js';
import { Form } from '../form.js';
import { type Branding, cookie, cookieValue, Page, sendPage } from '../page.js';
import {
  type AdminGuardOptions,
  type AdminServices,
  adminBasePath,
  adminCookies,
  languageOf,
  ProblemSummary,
  queryText,
  requireAdmin,
  seeOther,
} from './admin-kit.js';
import { type AdminProblem, adminMessages, adminProblem } from './admin-messages.js';
import { registerAppsPages } from './apps-page.js';
import { registerAuditPages } from './audit-page.js';
import { registerBulkPages } from './bulk-page.js';
import { DashboardPage, type DashboardSync } from './dashboard-page.js';
import { methodsRoutes } from './methods-routes.js';
import { registerOutboxPage } from './outbox-page.js';
import { registerPolicyPages } from './policy-page.js';
import { registerSyncPages } from './sync-page.js';
import { usersRoutes } from './users-routes.js';

export type { AdminServices };

export interface AdminRouteOptions {
  readonly services: () => AdminServices;
  readonly branding: () => Branding;
  readonly secureCookies: boolean;
  /** `SSPR_CAPTCHA=off`: the dashboard warns. */
  readonly captchaOff: boolean;
  /** The tenant's verified domains (the new-user form's hint and check). */
  readonly verifiedDomains: () => readonly string[];
  /** The configured header colour (`SSPR_BRAND_COLOR`), shown read-only on the policy page. */
  readonly brandColor?: string;
}

function sameToken(cookieToken: string | null, fieldToken: string): boolean {
  if (!cookieToken || fieldToken.length === 0) return false;
  const a = Buffer.from(cookieToken);
  const b = Buffer.from(fieldToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Only a path inside the portal may be a `next` target (no open redirect). */
export function safeNext(next: string): string {
  return /^\/admin(?:[/?]|$)/.test(next) && !next.includes('//') && !next.includes('\\') ? next : adminBasePath;
}

/** `/admin`: sign-in, sign-out and the dashboard; the users pages register their own routes beside these. */
export async function adminRoutes(app: FastifyInstance, options: AdminRouteOptions): Promise<void> {
  const names = adminCookies(options.secureCookies);
  const guard: AdminGuardOptions = {
    authenticate: (token, request) => options.services().adminSessions.authenticate(token, request),
    branding: options.branding,
    outboxInUse: () => options.services().outbox.inUse,
    secureCookies: options.secureCookies,
  };

  const signInPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    state: { problem?: AdminProblem | null; status?: string | null; userName?: string; next?: string },
    code = 200,
  ) => {
    // Login CSRF: double submit of a token in a cookie and the form, as on My Security Info.
    const token = randomBytes(16).toString('base64url');
    reply.header(
      'set-cookie',
      cookie(names.signIn, token, { path: names.path, maxAgeSeconds: 3600, secure: options.secureCookies }),
    );
    return sendPage(
      reply,
      <SignInPage
        language={languageOf(request)}
        branding={options.branding()}
        problem={state.problem ?? null}
        status={state.status ?? null}
        userName={state.userName ?? ''}
        next={state.next ?? ''}
        csrfToken={token}
      />,
      code,
    );
  };

  app.get(`${adminBasePath}/signin`, (request, reply) => {
    const t = adminMessages(languageOf(request));
    return signInPage(request, reply, {
      status:
        queryText(request, 'ended') === '1' ? t.sessionEnded : queryText(request, 'out') === '1' ? t.signedOut : null,
      next: safeNext(queryText(request, 'next', 512)),
    });
  });

  app.post(`${adminBasePath}/signin`, async (request, reply) => {
    const form = new Form(request.body);
    const userName = form.text('username', 256);
    const next = safeNext(form.text('next', 512));
    const language = languageOf(request);
    if (!sameToken(cookieValue(request.headers.cookie, names.signIn), form.text('csrf_token', 128))) {
      const t = adminMessages(language);
      return sendPage(
        reply,
        <Page language={language} title={t.forbiddenHeading} branding={options.branding()}>
          <h1>{t.forbiddenHeading}</h1>
          <p>{t.forbiddenText}</p>
          <p>
            <a href={`${adminBasePath}/signin`}>{t.signIn}</a>
          </p>
        </Page>,
        403,
      );
    }
    const result = await options
      .services()
      .adminSessions.signIn({ userName, password: form.text('password', 256), ipAddress: request.ip });
    if (!result.ok) return signInPage(request, reply, { problem: result.problem, userName, next }, 400);
    reply.header('set-cookie', [
      cookie(names.session, result.token, {
        path: names.path,
        maxAgeSeconds: adminSessionLifetimeMs / 1000,
        secure: options.secureCookies,
      }),
      cookie(names.signIn, '', { path: names.path, maxAgeSeconds: 0, secure: options.secureCookies }),
    ]);
    return seeOther(reply, next);
  });

  app.post(
    `${adminBasePath}/signout`,
    requireAdmin(guard, async (_request, reply, view) => {
      await options.services().adminSessions.signOut(view.session);
      // A previewed CSV (contact data) waits for no one once its session has ended.
      await options.services().heldContactUploads.release(view.session.idHash);
      reply.header(
        'set-cookie',
        cookie(names.session, '', { path: names.path, maxAgeSeconds: 0, secure: options.secureCookies }),
      );
      return seeOther(reply, `${adminBasePath}/signin?out=1`);
    }),
  );

  await app.register(methodsRoutes, { guard, services: options.services });
  await app.register(usersRoutes, {
    guard,
    services: options.services,
    verifiedDomains: options.verifiedDomains,
  });

  app.get(
    adminBasePath,
    requireAdmin(guard, async (_request, reply, view) => {
      const services = options.services();
      const context = view.session.context;
      const report = await services.reports.dashboard(context).catch((error: unknown) => {
        if (error instanceof DomainError && error.code === 'permission_denied') return null;
        throw error;
      });
      let sync: DashboardSync = { visible: false, configured: false, lastRun: null, issues: [] };
      try {
        services.directorySync.authorize(context);
        const [settings, runs] = await Promise.all([services.directorySync.settings(), services.directorySync.runs(1)]);
        const lastRun = runs[0] ?? null;
        sync = {
          visible: true,
          configured: settings !== undefined,
          lastRun,
          issues: lastRun ? await services.directorySync.issues(lastRun.id) : [],
        };
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'permission_denied')) throw error;
      }
      return sendPage(
        reply,
        <DashboardPage
          view={view}
          warnings={{ outbox: services.outbox.inUse, captchaOff: options.captchaOff }}
          report={report}
          sync={sync}
        />,
      );
    }),
  );

  registerPolicyPages(app, guard, options.services, { brandColor: options.brandColor ?? null });
  registerAuditPages(app, guard, options.services);
  registerAppsPages(app, guard, options.services);
  registerOutboxPage(app, guard, options.services);
  registerSyncPages(app, guard, options.services);
  registerBulkPages(app, guard, options.services);
}

function SignInPage({
  language,
  branding,
  problem,
  status,
  userName,
  next,
  csrfToken,
}: {
  language: ReturnType<typeof languageOf>;
  branding: Branding;
  problem: AdminProblem | null;
  status: string | null;
  userName: string;
  next: string;
  csrfToken: string;
}): VNode {
  const t = adminMessages(language);
  const userProblem = problem === 'user_name_required';
  const passwordProblem = problem !== null && !userProblem;
  return (
    <Page language={language} title={t.signInHeading} branding={branding}>
      <h1>{t.signInHeading}</h1>
      <ProblemSummary heading={t.problemHeading} problems={problem ? [adminProblem(language, problem)] : []} />
      {status ? (
        <p class="status" role="status">
          {status}
        </p>
      ) : null}
      <form method="post" action={`${adminBasePath}/signin`} novalidate>
        <input type="hidden" name="csrf_token" value={csrfToken} />
        <input type="hidden" name="next" value={next} />
        <p>{t.signInIntro}</p>
        <label for="username">{t.userName}</label>
        <p class="hint" id="username-hint">
          {t.userNameHint}
        </p>
        <input
          id="username"
          name="username"
          type="email"
          autocomplete="username"
          required
          maxLength={256}
          value={userName}
          aria-describedby="username-hint"
          aria-invalid={userProblem ? 'true' : undefined}
        />
        <label for="password">{t.password}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          maxLength={256}
          aria-invalid={passwordProblem ? 'true' : undefined}
        />
        <div class="actions">
          <button type="submit">{t.signIn}</button>
        </div>
      </form>
    </Page>
  );
}
