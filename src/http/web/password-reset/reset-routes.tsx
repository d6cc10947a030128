import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecurityQuestionAnswer } from '../../../domain/security-questions.js';
import {
  type FlowHandle,
  FlowNotFound,
  type PasswordResetService,
  type ResetView,
} from '../../../services/self-service/password-reset-service.js';
import { Form } from '../form.js';
import { type PageLanguage, pickLanguage } from '../language.js';
import { type Branding, cookie, cookieValue, sendPage } from '../page.js';
import { ExpiredPage, ResetPage } from './reset-pages.js';

export interface ResetRouteOptions {
  readonly resets: () => PasswordResetService;
  readonly branding: () => Branding;
  /** True when the pages are served over HTTPS (directly or behind a proxy): cookies get `Secure`. */
  readonly secureCookies: boolean;
}

const path = '/passwordreset';

/**
 * `/passwordreset`: the reset flow's pages. The flow id travels in the URL (`?flow=`), the browser binding in
 * an HttpOnly SameSite=Strict cookie, and every form carries the flow's CSRF token. Anything that does not check
 * out (unknown, expired, tampered, another browser's flow) gets the same "start over" page.
 */
export async function resetRoutes(app: FastifyInstance, options: ResetRouteOptions): Promise<void> {
  // Over HTTPS the `__Host-` prefix: Secure, Path=/, no Domain, so no other host of the domain can plant it.
  // Lax, not Strict: a link to /passwordreset from an email or another site must keep its flow across the 303;
  // every state change is a POST with the flow's CSRF token anyway.
  const bindingCookie = options.secureCookies ? '__Host-sspr_reset' : 'sspr_reset';
  const setBinding = (reply: FastifyReply, binding: string) =>
    reply.header(
      'set-cookie',
      cookie(bindingCookie, binding, {
        path: '/',
        maxAgeSeconds: 15 * 60,
        secure: options.secureCookies,
        sameSite: 'Lax',
      }),
    );

  const languageOf = (request: FastifyRequest): PageLanguage =>
    pickLanguage((request.query as { mkt?: unknown }).mkt, request.headers['accept-language']);

  const handleOf = (request: FastifyRequest): FlowHandle | null => {
    const flowId = (request.query as { flow?: unknown }).flow;
    const binding = cookieValue(request.headers.cookie, bindingCookie);
    if (typeof flowId !== 'string' || !/^[\w-]{10,64}$/.test(flowId) || !binding) return null;
    return { flowId, binding, ipAddress: request.ip, language: languageOf(request) };
  };

  const show = (request: FastifyRequest, reply: FastifyReply, view: ResetView) => {
    const status = view.problems.length > 0 ? 400 : 200;
    return sendPage(
      reply,
      <ResetPage view={view} language={languageOf(request)} branding={options.branding()} />,
      status,
    );
  };

  const expired = (request: FastifyRequest, reply: FastifyReply) =>
    sendPage(reply, <ExpiredPage language={languageOf(request)} branding={options.branding()} />, 400);

  app.get(path, async (request, reply) => {
    const handle = handleOf(request);
    if (handle) {
      try {
        return show(request, reply, await options.resets().view(handle));
      } catch (error) {
        if (error instanceof FlowNotFound) return expired(request, reply);
        throw error;
      }
    }
    const { flowId, binding } = await options.resets().start(request.ip);
    const mkt = (request.query as { mkt?: unknown }).mkt;
    setBinding(reply, binding);
    const language = typeof mkt === 'string' ? `&mkt=${encodeURIComponent(mkt)}` : '';
    return reply.code(303).header('cache-control', 'no-store').redirect(`${path}?flow=${flowId}${language}`, 303);
  });

  type Action = (service: PasswordResetService, handle: FlowHandle, csrf: string, form: Form) => Promise<ResetView>;
  const actions: Record<string, Action> = {
    identify: (service, handle, csrf, form) =>
      service.identify(handle, csrf, { userName: form.text('username', 256), captcha: form.text('captcha', 16) }),
    method: (service, handle, csrf, form) => {
      const [method = '', channel = null] = form.text('method', 64).split(':');
      return service.chooseMethod(handle, csrf, { method, channel });
    },
    phone: (service, handle, csrf, form) => service.confirmPhone(handle, csrf, { phoneNumber: form.text('phone', 64) }),
    code: (service, handle, csrf, form) => service.verifyCode(handle, csrf, { code: form.text('code', 16) }),
    resend: (service, handle, csrf) => service.resendCode(handle, csrf),
    questions: (service, handle, csrf, form) => {
      const answers: SecurityQuestionAnswer[] = [];
      for (let index = 0; index < 5; index++) {
        const questionId = form.text(`question_${index}`, 64);
        if (questionId) answers.push({ questionId, answer: form.text(`answer_${index}`, 200) });
      }
      return service.answerQuestions(handle, csrf, { answers });
    },
    password: (service, handle, csrf, form) =>
      service.setPassword(handle, csrf, {
        newPassword: form.text('new_password', 512),
        confirmPassword: form.text('confirm_password', 512),
      }),
    back: (service, handle, csrf) => service.back(handle, csrf),
  };

  app.post(`${path}/:action`, async (request, reply) => {
    const { action } = request.params as { action: string };
    const run = Object.hasOwn(actions, action) ? actions[action] : undefined;
    const handle = handleOf(request);
    if (!run || !handle) return expired(request, reply);
    const form = new Form(request.body);
    try {
      const view = await run(options.resets(), handle, form.text('csrf_token', 128), form);
      if (view.newBinding) setBinding(reply, view.newBinding);
      return show(request, reply, view);
    } catch (error) {
      if (error instanceof FlowNotFound) return expired(request, reply);
      throw error;
    }
  });
}
