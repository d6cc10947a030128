import type { FastifyInstance, FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import type { AppRegistration } from '../../../domain/app-registration.js';
import { DomainError } from '../../../domain/errors.js';
import { knownPermissions } from '../../../domain/permissions.js';
import type { AppDetails, AppService } from '../../../services/apps/app-service.js';
import type { Form } from '../form.js';
import { sendPage } from '../page.js';
import {
  AdminForm,
  type AdminGuardOptions,
  AdminPage,
  type AdminView,
  adminBasePath,
  DataTable,
  ProblemSummary,
  queryText,
  seeOther,
} from './admin-kit.js';
import { requireAdminPage } from './admin-page-guard.js';

export interface AppsPageServices {
  readonly apps: AppService;
}

const appsPath = `${adminBasePath}/apps`;
const secretLifetimes = ['90', '180', '365', '730'] as const;
const defaultLifetime = '180';

interface NewAppValues {
  readonly displayName: string;
  readonly permissions: readonly string[];
  readonly lifetime: string;
}

type NewAppErrors = Partial<Record<'displayName' | 'lifetime', string>>;

/** One checkbox per permission, each its own field (the pages' form parser keeps one value per name). */
function checkedPermissions(form: Form): string[] {
  return knownPermissions.filter((permission) => form.text(`permission:${permission}`, 8) === 'on');
}

function appPath(appId: string): string {
  return `${appsPath}/${encodeURIComponent(appId)}`;
}

function day(dateTime: string): string {
  return dateTime.slice(0, 10);
}

/** `/admin/apps`: app registrations, their client secrets (shown once) and application permissions. */
export function registerAppsPages(
  app: FastifyInstance,
  guard: AdminGuardOptions,
  services: () => AppsPageServices,
): void {
  const list = async (
    view: AdminView,
    reply: FastifyReply,
    state: { values?: NewAppValues; errors?: NewAppErrors },
    code = 200,
  ) => {
    const apps = await services().apps.listApps(view.session.context);
    return sendPage(
      reply,
      <AppsPage
        view={view}
        apps={apps}
        canManage={services().apps.canManage(view.session.context)}
        values={state.values ?? { displayName: '', permissions: [], lifetime: defaultLifetime }}
        errors={state.errors ?? {}}
      />,
      code,
    );
  };

  app.get(
    appsPath,
    requireAdminPage(guard, async (_request, reply, view) => list(view, reply, {})),
  );

  app.post(
    appsPath,
    requireAdminPage(guard, async (_request, reply, view, form) => {
      const values: NewAppValues = {
        displayName: form.text('displayName', 300),
        permissions: checkedPermissions(form),
        lifetime: form.text('lifetime', 8),
      };
      const errors: NewAppErrors = {};
      const name = values.displayName.trim();
      if (name.length === 0 || name.length > 256) errors.displayName = view.t.appsProblemName;
      if (!(secretLifetimes as readonly string[]).includes(values.lifetime))
        errors.lifetime = view.t.appsProblemLifetime;
      if (Object.keys(errors).length > 0) return list(view, reply, { values, errors }, 400);
      const created = await services().apps.createApp(view.session.context, {
        displayName: name,
        permissions: values.permissions,
        secretLifetimeDays: Number(values.lifetime),
      });
      // The secret is in this response only: no redirect, no URL that shows it again.
      return sendPage(
        reply,
        <SecretOncePage
          view={view}
          heading={view.t.appsCreatedHeading}
          app={created.app}
          secret={created.clientSecret}
          expires={created.secretExpiresDateTime}
        />,
      );
    }),
  );

  app.get(
    `${appsPath}/:appId`,
    requireAdminPage(guard, async (request, reply, view) => {
      const { appId } = request.params as { appId: string };
      const details = await services().apps.getApp(view.session.context, appId);
      const done = queryText(request, 'done');
      const { t } = view;
      const status =
        done === 'secret-revoked'
          ? t.appsSecretRevoked
          : done === 'granted'
            ? t.appsPermissionGranted
            : done === 'revoked'
              ? t.appsPermissionRevoked
              : null;
      return sendPage(
        reply,
        <AppDetailsPage
          view={view}
          app={details}
          canManage={services().apps.canManage(view.session.context)}
          status={status}
        />,
      );
    }),
  );

  app.post(
    `${appsPath}/:appId/secrets`,
    requireAdminPage(guard, async (request, reply, view, form) => {
      const { appId } = request.params as { appId: string };
      const lifetime = form.text('lifetime', 8);
      const days = (secretLifetimes as readonly string[]).includes(lifetime)
        ? Number(lifetime)
        : Number(defaultLifetime);
      const apps = services().apps;
      const added = await apps.addSecret(view.session.context, appId, { lifetimeDays: days });
      const details = await apps.getApp(view.session.context, appId);
      return sendPage(
        reply,
        <SecretOncePage
          view={view}
          heading={view.t.appsSecretAddedHeading}
          app={details}
          secret={added.clientSecret}
          expires={added.expiresDateTime}
        />,
      );
    }),
  );

  app.post(
    `${appsPath}/:appId/secrets/revoke`,
    requireAdminPage(guard, async (request, reply, view, form) => {
      const { appId } = request.params as { appId: string };
      await services().apps.revokeSecret(view.session.context, appId, form.text('keyId', 64));
      return seeOther(reply, `${appPath(appId)}?done=secret-revoked`);
    }),
  );

  app.post(
    `${appsPath}/:appId/permissions`,
    requireAdminPage(guard, async (request, reply, view, form) => {
      const { appId } = request.params as { appId: string };
      const grant = form.text('grant', 8) === 'true';
      try {
        await services().apps.setPermission(view.session.context, appId, form.text('permission', 128), grant);
      } catch (error) {
        // Only a forged form names an unknown permission.
        if (error instanceof DomainError && error.code === 'invalid_request')
          throw new DomainError('resource_not_found');
        throw error;
      }
      return seeOther(reply, `${appPath(appId)}?done=${grant ? 'granted' : 'revoked'}`);
    }),
  );
}

function LifetimeSelect({ view, value, error }: { view: AdminView; value: string; error?: string | undefined }): VNode {
  return (
    <>
      <label for="lifetime">{view.t.appsSecretLifetime}</label>
      {error ? (
        <p class="field-error" id="lifetime-error">
          {error}
        </p>
      ) : null}
      <select id="lifetime" name="lifetime" aria-describedby={error ? 'lifetime-error' : undefined}>
        {secretLifetimes.map((days) => (
          <option key={days} value={days} selected={value === days}>
            {view.t.appsDays.replace('{days}', days)}
          </option>
        ))}
      </select>
    </>
  );
}

export function AppsPage({
  view,
  apps,
  canManage,
  values,
  errors,
}: {
  view: AdminView;
  apps: readonly AppRegistration[];
  canManage: boolean;
  values: NewAppValues;
  errors: NewAppErrors;
}): VNode {
  const { t, session } = view;
  const problems = Object.entries(errors) as [keyof NewAppErrors, string][];
  return (
    <AdminPage view={view} title={t.appsHeading} current="apps">
      <h1>{t.appsHeading}</h1>
      <ProblemSummary heading={t.problemHeading} problems={problems} />
      <p>{t.appsIntro}</p>
      {canManage ? null : (
        <p class="warning" role="status">
          {t.appsReadOnly}
        </p>
      )}
      <DataTable
        caption={t.appsHeading}
        empty={t.appsNone}
        rows={apps}
        columns={[
          { header: t.appsColName, cell: (app) => <a href={appPath(app.appId)}>{app.displayName}</a> },
          { header: t.appsColAppId, cell: (app) => app.appId },
          { header: t.appsColPermissions, cell: (app) => app.permissions.join(', ') },
          { header: t.appsColCreated, cell: (app) => day(app.createdDateTime) },
        ]}
      />
      {canManage ? (
        <AdminForm session={session} action={appsPath} novalidate>
          <h2>{t.appsNewHeading}</h2>
          <label for="displayName">{t.appsName}</label>
          {errors.displayName ? (
            <p class="field-error" id="displayName-error">
              {errors.displayName}
            </p>
          ) : null}
          <input
            type="text"
            id="displayName"
            name="displayName"
            value={values.displayName}
            maxLength={256}
            required
            aria-invalid={errors.displayName ? 'true' : undefined}
            aria-describedby={errors.displayName ? 'displayName-error' : undefined}
          />
          <fieldset>
            <legend>{t.appsPermissions}</legend>
            {knownPermissions.map((permission) => (
              <div class="choice" key={permission}>
                <input
                  type="checkbox"
                  id={`permission-${permission}`}
                  name={`permission:${permission}`}
                  checked={values.permissions.includes(permission)}
                />
                <label for={`permission-${permission}`}>{permission}</label>
              </div>
            ))}
          </fieldset>
          <LifetimeSelect view={view} value={values.lifetime} error={errors.lifetime} />
          <div class="actions">
            <button type="submit">{t.appsCreate}</button>
          </div>
        </AdminForm>
      ) : null}
    </AdminPage>
  );
}

/** The one response that holds a new client secret (never stored, never shown again). */
function SecretOncePage({
  view,
  heading,
  app,
  secret,
  expires,
}: {
  view: AdminView;
  heading: string;
  app: AppRegistration;
  secret: string;
  expires: string;
}): VNode {
  const { t } = view;
  return (
    <AdminPage view={view} title={heading} current="apps">
      <h1>{heading}</h1>
      <dl class="fields">
        <dt>{t.appsColName}</dt>
        <dd>{app.displayName}</dd>
        <dt>{t.appsColAppId}</dt>
        <dd>{app.appId}</dd>
      </dl>
      <p class="warning" role="status">
        {t.appsSecretOnce}
      </p>
      <p>
        {t.appsSecretLabel}: <span class="secret">{secret}</span>
      </p>
      <p>{t.appsSecretExpires.replace('{date}', day(expires))}</p>
      <p>
        <a href={appPath(app.appId)}>{t.appsOpen}</a>
      </p>
    </AdminPage>
  );
}

export function AppDetailsPage({
  view,
  app,
  canManage,
  status,
}: {
  view: AdminView;
  app: AppDetails;
  canManage: boolean;
  status: string | null;
}): VNode {
  const { t, session } = view;
  return (
    <AdminPage view={view} title={app.displayName} current="apps">
      <h1>{app.displayName}</h1>
      {status ? (
        <p class="status" role="status">
          {status}
        </p>
      ) : null}
      <dl class="fields">
        <dt>{t.appsColAppId}</dt>
        <dd>{app.appId}</dd>
        <dt>{t.appsObjectId}</dt>
        <dd>{app.id}</dd>
        <dt>{t.appsColCreated}</dt>
        <dd>{day(app.createdDateTime)}</dd>
      </dl>

      <h2>{t.appsSecretsHeading}</h2>
      <DataTable
        caption={t.appsSecretsHeading}
        empty={t.appsNoSecrets}
        rows={app.secrets}
        columns={[
          { header: t.appsColHint, cell: (secret) => `${secret.hint}*****` },
          { header: t.appsColCreated, cell: (secret) => day(secret.createdDateTime) },
          { header: t.appsColExpires, cell: (secret) => day(secret.expiresDateTime) },
          canManage && {
            header: t.policyActionsColumn,
            cell: (secret) => (
              <AdminForm session={session} action={`${appPath(app.appId)}/secrets/revoke`} class="inline">
                <input type="hidden" name="keyId" value={secret.keyId} />
                <button type="submit" class="link" aria-label={`${t.appsRevoke}: ${secret.hint}*****`}>
                  {t.appsRevoke}
                </button>
              </AdminForm>
            ),
          },
        ]}
      />
      {canManage ? (
        <AdminForm session={session} action={`${appPath(app.appId)}/secrets`}>
          <LifetimeSelect view={view} value={defaultLifetime} />
          <div class="actions">
            <button type="submit" class="secondary">
              {t.appsAddSecret}
            </button>
          </div>
        </AdminForm>
      ) : null}

      <h2>{t.appsPermissionsHeading}</h2>
      <DataTable
        caption={t.appsPermissionsHeading}
        rows={knownPermissions.map((permission) => ({ permission, granted: app.permissions.includes(permission) }))}
        columns={[
          { header: t.appsColPermissions, cell: (row) => row.permission },
          { header: t.appsColStatus, cell: (row) => (row.granted ? t.appsGranted : t.appsNotGranted) },
          canManage && {
            header: t.policyActionsColumn,
            cell: ({ permission, granted }) => (
              <AdminForm session={session} action={`${appPath(app.appId)}/permissions`} class="inline">
                <input type="hidden" name="permission" value={permission} />
                <input type="hidden" name="grant" value={granted ? 'false' : 'true'} />
                <button
                  type="submit"
                  class="link"
                  aria-label={`${granted ? t.appsRevoke : t.appsGrant}: ${permission}`}
                >
                  {granted ? t.appsRevoke : t.appsGrant}
                </button>
              </AdminForm>
            ),
          },
        ]}
      />
      <p>
        <a href={appsPath}>{t.appsBack}</a>
      </p>
    </AdminPage>
  );
}
