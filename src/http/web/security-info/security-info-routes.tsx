import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecurityQuestionAnswer } from '../../../domain/security-questions.js';
import {
  type ActiveSession,
  CsrfRejected,
  type SecurityInfoService,
  SessionNotFound,
  sessionLifetimeMs,
} from '../../../services/self-service/security-info-service.js';
import { Form } from '../form.js';
import { type PageLanguage, pickLanguage } from '../language.js';
import { type Branding, cookie, cookieValue, sendPage } from '../page.js';
import { securityInfoMessages } from './security-info-messages.js';
import {
  basePath,
  DeletePage,
  EmailPage,
  ForbiddenPage,
  InterruptPage,
  PhonePage,
  QuestionsPage,
  ReviewPage,
  SignInPage,
  VerificationEndedPage,
  VerifyPage,
} from './security-info-pages.js';

export interface SecurityInfoRouteOptions {
  readonly securityInfo: () => SecurityInfoService;
  readonly branding: () => Branding;
  /** True when the pages are served over HTTPS (directly or behind a proxy): the cookie gets `Secure`. */
  readonly secureCookies: boolean;
}

export const sessionCookie = 'sspr_session';
const signInCookie = 'sspr_signin';

function sameToken(cookieToken: string | null, fieldToken: string): boolean {
  if (!cookieToken || fieldToken.length === 0) return false;
  const a = Buffer.from(cookieToken);
  const b = Buffer.from(fieldToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `/mysecurityinfo`: sign-in, the "More information required" interrupt, and the user's security info. The
 * session lives in an HttpOnly SameSite=Strict cookie scoped to this path; every POST carries its CSRF token.
 */
export async function securityInfoRoutes(app: FastifyInstance, options: SecurityInfoRouteOptions): Promise<void> {
  const languageOf = (request: FastifyRequest): PageLanguage =>
    pickLanguage((request.query as { mkt?: unknown }).mkt, request.headers['accept-language']);
  const common = (request: FastifyRequest) => ({ language: languageOf(request), branding: options.branding() });
  const query = (request: FastifyRequest, name: string): string => {
    const value = (request.query as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : '';
  };
  const redirect = (reply: FastifyReply, to: string) =>
    reply.code(303).header('cache-control', 'no-store').redirect(to, 303);
  const clearCookie = (reply: FastifyReply) =>
    reply.header(
      'set-cookie',
      cookie(sessionCookie, '', { path: basePath, maxAgeSeconds: 0, secure: options.secureCookies }),
    );

  const signInPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    state: { problem?: Parameters<typeof SignInPage>[0]['problem']; status?: string | null; userName?: string },
    code = 200,
  ) => {
    // Login CSRF: the sign-in form carries a token that must match a cookie set with it (double submit), so no
    // other site can sign a browser into an account of its choosing.
    const token = randomBytes(16).toString('base64url');
    reply.header(
      'set-cookie',
      cookie(signInCookie, token, { path: basePath, maxAgeSeconds: 3600, secure: options.secureCookies }),
    );
    return sendPage(
      reply,
      <SignInPage
        {...common(request)}
        problem={state.problem ?? null}
        status={state.status ?? null}
        userName={state.userName ?? ''}
        csrfToken={token}
      />,
      code,
    );
  };

  /** Runs `handler` with the request's session; a POST must carry the session's CSRF token. */
  const withSession = async (
    request: FastifyRequest,
    reply: FastifyReply,
    handler: (session: ActiveSession, form: Form) => Promise<FastifyReply>,
  ): Promise<FastifyReply> => {
    const form = new Form(request.body);
    try {
      const session = await options.securityInfo().authenticate(cookieValue(request.headers.cookie, sessionCookie), {
        ipAddress: request.ip,
        language: languageOf(request),
        ...(request.method === 'POST' && { csrf: form.text('csrf_token', 128) }),
      });
      return await handler(session, form);
    } catch (error) {
      if (error instanceof SessionNotFound) {
        clearCookie(reply);
        const t = securityInfoMessages(languageOf(request));
        return signInPage(
          request,
          reply,
          { status: request.method === 'POST' ? t.sessionEnded : null },
          request.method === 'POST' ? 401 : 200,
        );
      }
      if (error instanceof CsrfRejected) return sendPage(reply, <ForbiddenPage {...common(request)} />, 403);
      throw error;
    }
  };

  app.get(basePath, (request, reply) =>
    withSession(request, reply, async (session) => {
      const overview = await options.securityInfo().overview(session);
      const setup = query(request, 'setup') === '1';
      if (overview.registrationDue && !setup) {
        return sendPage(reply, <InterruptPage {...common(request)} overview={overview} />);
      }
      const problem = query(request, 'problem') === 'not_registered' ? 'not_registered' : null;
      return sendPage(
        reply,
        <ReviewPage
          {...common(request)}
          overview={overview}
          setup={overview.registrationDue || setup}
          saved={query(request, 'saved') === '1'}
          problem={problem}
        />,
        problem ? 400 : 200,
      );
    }),
  );

  app.post(`${basePath}/signin`, async (request, reply) => {
    const form = new Form(request.body);
    const userName = form.text('username', 256);
    if (!sameToken(cookieValue(request.headers.cookie, signInCookie), form.text('csrf_token', 128))) {
      return sendPage(reply, <ForbiddenPage {...common(request)} />, 403);
    }
    const result = await options
      .securityInfo()
      .signIn({ userName, password: form.text('password', 256), ipAddress: request.ip });
    if (!result.ok) return signInPage(request, reply, { problem: result.problem, userName }, 400);
    reply.header(
      'set-cookie',
      cookie(sessionCookie, result.token, {
        path: basePath,
        maxAgeSeconds: sessionLifetimeMs / 1000,
        secure: options.secureCookies,
      }),
    );
    return redirect(reply, basePath);
  });

  app.post(`${basePath}/signout`, (request, reply) =>
    withSession(request, reply, async (session) => {
      await options.securityInfo().signOut(session);
      clearCookie(reply);
      return signInPage(request, reply, { status: securityInfoMessages(languageOf(request)).signedOut });
    }),
  );

  app.post(`${basePath}/start`, (request, reply) =>
    withSession(request, reply, async (session) => {
      await options.securityInfo().startRegistration(session);
      return redirect(reply, `${basePath}?setup=1`);
    }),
  );

  app.post(`${basePath}/skip`, (request, reply) =>
    withSession(request, reply, async (session) => {
      await options.securityInfo().skip(session);
      return redirect(reply, basePath);
    }),
  );

  app.post(`${basePath}/confirm`, (request, reply) =>
    withSession(request, reply, async (session) => {
      const confirmed = await options.securityInfo().confirm(session);
      return redirect(reply, confirmed ? basePath : `${basePath}?setup=1&problem=not_registered`);
    }),
  );

  app.get(`${basePath}/phone`, (request, reply) =>
    withSession(request, reply, async (session) => {
      const { phone } = await options.securityInfo().prefill(session);
      return sendPage(
        reply,
        <PhonePage
          {...common(request)}
          csrfToken={session.csrfToken}
          phone={phone}
          region=""
          channel="sms"
          problem={null}
        />,
      );
    }),
  );

  app.post(`${basePath}/phone`, (request, reply) =>
    withSession(request, reply, async (session, form) => {
      const phone = form.text('phone', 64);
      const region = form.text('region', 2);
      const channel = form.text('channel', 8) === 'voice' ? 'voice' : 'sms';
      const result = await options.securityInfo().startPhone(session, { phone, region, channel });
      if (!result.ok) {
        return sendPage(
          reply,
          <PhonePage
            {...common(request)}
            csrfToken={session.csrfToken}
            phone={phone}
            region={region}
            channel={channel}
            problem={result.problem}
          />,
          400,
        );
      }
      return sendPage(
        reply,
        <VerifyPage {...common(request)} csrfToken={session.csrfToken} pending={result.pending} problem={null} />,
      );
    }),
  );

  app.get(`${basePath}/email`, (request, reply) =>
    withSession(request, reply, async (session) => {
      const { email } = await options.securityInfo().prefill(session);
      return sendPage(
        reply,
        <EmailPage {...common(request)} csrfToken={session.csrfToken} email={email} problem={null} />,
      );
    }),
  );

  app.post(`${basePath}/email`, (request, reply) =>
    withSession(request, reply, async (session, form) => {
      const email = form.text('email', 254);
      const result = await options.securityInfo().startEmail(session, { email });
      if (!result.ok) {
        return sendPage(
          reply,
          <EmailPage {...common(request)} csrfToken={session.csrfToken} email={email} problem={result.problem} />,
          400,
        );
      }
      return sendPage(
        reply,
        <VerifyPage {...common(request)} csrfToken={session.csrfToken} pending={result.pending} problem={null} />,
      );
    }),
  );

  app.post(`${basePath}/verify`, (request, reply) =>
    withSession(request, reply, async (session, form) => {
      const result = await options.securityInfo().verify(session, query(request, 'flow'), form.text('code', 16));
      if (result.outcome === 'saved') return redirect(reply, `${basePath}?saved=1&setup=1`);
      if (result.outcome === 'ended') return sendPage(reply, <VerificationEndedPage {...common(request)} />, 400);
      return sendPage(
        reply,
        <VerifyPage
          {...common(request)}
          csrfToken={session.csrfToken}
          pending={result.pending}
          problem="code_invalid"
        />,
        400,
      );
    }),
  );

  app.get(`${basePath}/questions`, (request, reply) =>
    withSession(request, reply, async (session) => {
      const { required, choices } = await options.securityInfo().questionChoices();
      return sendPage(
        reply,
        <QuestionsPage
          {...common(request)}
          csrfToken={session.csrfToken}
          required={required}
          choices={choices}
          fields={[]}
        />,
      );
    }),
  );

  app.post(`${basePath}/questions`, (request, reply) =>
    withSession(request, reply, async (session, form) => {
      const service = options.securityInfo();
      const { required, choices } = await service.questionChoices();
      const answers: SecurityQuestionAnswer[] = Array.from({ length: required }, (_, index) => ({
        questionId: form.text(`question_${index}`, 64),
        answer: form.text(`answer_${index}`, 200),
      }));
      const result = await service.registerQuestions(session, answers);
      if (result.ok) return redirect(reply, `${basePath}?saved=1&setup=1`);
      return sendPage(
        reply,
        <QuestionsPage
          {...common(request)}
          csrfToken={session.csrfToken}
          required={required}
          choices={choices}
          fields={result.fields}
        />,
        400,
      );
    }),
  );

  app.get(`${basePath}/delete`, (request, reply) =>
    withSession(request, reply, async (session) => {
      const method = query(request, 'method');
      const overview = await options.securityInfo().overview(session);
      const entry = overview.methods.find((candidate) => candidate.method === method && candidate.registered);
      if (!entry || (entry.method !== 'phone' && entry.method !== 'email')) return redirect(reply, basePath);
      return sendPage(
        reply,
        <DeletePage
          {...common(request)}
          csrfToken={session.csrfToken}
          method={entry.method}
          masked={entry.masked ?? ''}
        />,
      );
    }),
  );

  app.post(`${basePath}/delete`, (request, reply) =>
    withSession(request, reply, async (session, form) => {
      const method = form.text('method', 16);
      if (method === 'phone' || method === 'email') await options.securityInfo().deleteMethod(session, method);
      return redirect(reply, `${basePath}?saved=1&setup=1`);
    }),
  );
}
