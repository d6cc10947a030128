import type { FastifyInstance, FastifyReply } from 'fastify';
import { emailMethodId, passwordMethodId, phoneMethodIds } from '../../../domain/authentication-methods.js';
import { DomainError } from '../../../domain/errors.js';
import { sendPage } from '../page.js';
import {
  type AdminGuardOptions,
  type AdminServices,
  type AdminView,
  adminBasePath,
  queryText,
  requireAdmin,
  seeOther,
} from './admin-kit.js';
import type { AdminMessages } from './admin-messages.js';
import {
  DeleteMethodPage,
  type EditableMethod,
  editableMethods,
  MethodFormPage,
  MethodsPage,
  methodsPath,
  PasswordResetDonePage,
  ResetPasswordPage,
} from './methods-pages.js';

export interface MethodsRouteOptions {
  readonly guard: AdminGuardOptions;
  readonly services: () => AdminServices;
}

const doneMessages = ['added', 'updated', 'deleted', 'reregister', 'revoked', 'unblocked'] as const;
type Done = (typeof doneMessages)[number];

function asMethod(value: string): EditableMethod | null {
  return (editableMethods as readonly string[]).includes(value) ? (value as EditableMethod) : null;
}

/** A refusal of the use case that the form shows beside its field (permission and not-found are the guard's). */
function formProblem(error: unknown): string {
  if (!(error instanceof DomainError) || error.code === 'permission_denied' || error.code === 'resource_not_found')
    throw error;
  return error.message;
}

/**
 * `/admin/users/{id}/authentication-methods` and its forms. Every action calls the Graph API's use case
 * (`AuthenticationMethodService`) or `UserActionsService` with the administrator's context: same rules, same audit.
 */
export async function methodsRoutes(app: FastifyInstance, options: MethodsRouteOptions): Promise<void> {
  const { guard } = options;
  const path = `${adminBasePath}/users/:id/authentication-methods`;
  const userIdOf = (request: { params: unknown }) => (request.params as { id: string }).id;

  const showMethods = async (reply: FastifyReply, view: AdminView, id: string, done: Done | null) => {
    const services = options.services();
    const overview = await services.authenticationMethods.methodsOverview(view.session.context, id);
    const blockedUntil = await services.userActions.ssprBlock(view.session.context, overview.user.id);
    const text = done ? view.t[`done_${done}` as keyof AdminMessages] : null;
    return sendPage(reply, <MethodsPage view={view} overview={overview} blockedUntil={blockedUntil} done={text} />);
  };

  app.get(
    path,
    requireAdmin(guard, async (request, reply, view) => {
      const done = queryText(request, 'done', 16);
      return showMethods(
        reply,
        view,
        userIdOf(request),
        (doneMessages as readonly string[]).includes(done) ? (done as Done) : null,
      );
    }),
  );

  app.get(
    `${path}/add`,
    requireAdmin(guard, async (request, reply, view) => {
      // Read first: a caller who may not read the user's methods gets the 403 page, not a form.
      const overview = await options
        .services()
        .authenticationMethods.methodsOverview(view.session.context, userIdOf(request));
      return sendPage(
        reply,
        <MethodFormPage view={view} userId={overview.user.id} mode="add" method="mobile" value="" problem={null} />,
      );
    }),
  );

  app.post(
    `${path}/add`,
    requireAdmin(guard, async (request, reply, view, form) => {
      const id = userIdOf(request);
      const method = asMethod(form.text('method', 32)) ?? 'mobile';
      const value = form.text('value', 254).trim();
      const methods = options.services().authenticationMethods;
      try {
        if (method === 'email') await methods.addEmailMethod(view.session.context, id, { emailAddress: value });
        else await methods.addPhoneMethod(view.session.context, id, { phoneNumber: value, phoneType: method });
      } catch (error) {
        return sendPage(
          reply,
          <MethodFormPage
            view={view}
            userId={id}
            mode="add"
            method={method}
            value={value}
            problem={formProblem(error)}
          />,
          400,
        );
      }
      return seeOther(reply, `${methodsPath(id)}?done=added`);
    }),
  );

  app.get(
    `${path}/edit`,
    requireAdmin(guard, async (request, reply, view) => {
      const id = userIdOf(request);
      const method = asMethod(queryText(request, 'method', 32));
      const overview = await options.services().authenticationMethods.methodsOverview(view.session.context, id);
      if (!method) return seeOther(reply, methodsPath(overview.user.id));
      // A masked number is never put back in the form: the administrator types the new one.
      const current =
        method === 'email'
          ? (overview.email ?? '')
          : overview.access === 'full'
            ? (overview.phones.find((phone) => phone.phoneType === method)?.phoneNumber ?? '')
            : '';
      return sendPage(
        reply,
        <MethodFormPage
          view={view}
          userId={overview.user.id}
          mode="edit"
          method={method}
          value={current}
          problem={null}
        />,
      );
    }),
  );

  app.post(
    `${path}/edit`,
    requireAdmin(guard, async (request, reply, view, form) => {
      const id = userIdOf(request);
      const method = asMethod(form.text('method', 32));
      if (!method) return seeOther(reply, methodsPath(id));
      const value = form.text('value', 254).trim();
      const methods = options.services().authenticationMethods;
      try {
        if (method === 'email')
          await methods.updateEmailMethod(view.session.context, id, emailMethodId, { emailAddress: value });
        else await methods.updatePhoneMethod(view.session.context, id, phoneMethodIds[method], { phoneNumber: value });
      } catch (error) {
        return sendPage(
          reply,
          <MethodFormPage
            view={view}
            userId={id}
            mode="edit"
            method={method}
            value={value}
            problem={formProblem(error)}
          />,
          400,
        );
      }
      return seeOther(reply, `${methodsPath(id)}?done=updated`);
    }),
  );

  app.get(
    `${path}/delete`,
    requireAdmin(guard, async (request, reply, view) => {
      const id = userIdOf(request);
      const method = asMethod(queryText(request, 'method', 32));
      const overview = await options.services().authenticationMethods.methodsOverview(view.session.context, id);
      const value =
        method === 'email' ? overview.email : overview.phones.find((phone) => phone.phoneType === method)?.phoneNumber;
      if (!method || !value) return seeOther(reply, methodsPath(overview.user.id));
      return sendPage(reply, <DeleteMethodPage view={view} userId={overview.user.id} method={method} value={value} />);
    }),
  );

  app.post(
    `${path}/delete`,
    requireAdmin(guard, async (request, reply, view, form) => {
      const id = userIdOf(request);
      const method = asMethod(form.text('method', 32));
      if (!method) return seeOther(reply, methodsPath(id));
      const methods = options.services().authenticationMethods;
      if (method === 'email') await methods.deleteEmailMethod(view.session.context, id, emailMethodId);
      else await methods.deletePhoneMethod(view.session.context, id, phoneMethodIds[method]);
      return seeOther(reply, `${methodsPath(id)}?done=deleted`);
    }),
  );

  const action = (
    name: string,
    done: Done,
    run: (services: AdminServices, view: AdminView, id: string) => Promise<void>,
  ) =>
    app.post(
      `${path}/${name}`,
      requireAdmin(guard, async (request, reply, view) => {
        const id = userIdOf(request);
        await run(options.services(), view, id);
        return seeOther(reply, `${methodsPath(id)}?done=${done}`);
      }),
    );
  action('require-reregister', 'reregister', (services, view, id) =>
    services.userActions.requireReregistration(view.session.context, id),
  );
  action('revoke-sessions', 'revoked', (services, view, id) =>
    services.userActions.revokeSessions(view.session.context, id),
  );
  action('unblock', 'unblocked', (services, view, id) => services.userActions.unblockSspr(view.session.context, id));

  app.get(
    `${path}/reset-password`,
    requireAdmin(guard, async (request, reply, view) => {
      const user = await options.services().users.getUser(view.session.context, userIdOf(request));
      return sendPage(
        reply,
        <ResetPasswordPage
          view={view}
          userId={user.id}
          userName={user.userPrincipalName}
          synced={user.onPremisesSyncEnabled === true}
          mode="generate"
          problem={null}
        />,
      );
    }),
  );

  app.post(
    `${path}/reset-password`,
    requireAdmin(guard, async (request, reply, view, form) => {
      const services = options.services();
      const user = await services.users.getUser(view.session.context, userIdOf(request));
      const mode = form.text('passwordMode', 16) === 'type' ? 'type' : 'generate';
      const typed = form.text('password', 256);
      const showForm = (problem: string) =>
        sendPage(
          reply,
          <ResetPasswordPage
            view={view}
            userId={user.id}
            userName={user.userPrincipalName}
            synced={user.onPremisesSyncEnabled === true}
            mode={mode}
            problem={problem}
          />,
          400,
        );
      if (mode === 'type' && typed.length === 0) return showForm('Type a password, or choose to generate one.');
      try {
        const result = await services.authenticationMethods.resetPassword(
          view.session.context,
          user.id,
          passwordMethodId,
          mode === 'type' ? { newPassword: typed } : undefined,
          { generateForSyncedUser: true },
        );
        return sendPage(
          reply,
          <PasswordResetDonePage view={view} userId={user.id} password={result.newPassword ?? null} />,
        );
      } catch (error) {
        return showForm(formProblem(error));
      }
    }),
  );
}
