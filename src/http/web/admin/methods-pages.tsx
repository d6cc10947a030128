import type { ComponentChildren, VNode } from 'preact';
import type { ContactSource, MethodReadiness } from '../../../domain/authentication-methods.js';
import type { MethodsOverview } from '../../../services/authentication/authentication-method-service.js';
import { AdminForm, AdminPage, type AdminView, DataTable, ProblemSummary } from './admin-kit.js';
import type { AdminMessages } from './admin-messages.js';
import { userPath } from './users-pages.js';

/** The kinds of method the page adds, edits and deletes. */
export const editableMethods = ['mobile', 'alternateMobile', 'office', 'email'] as const;
export type EditableMethod = (typeof editableMethods)[number];

export function methodsPath(userId: string): string {
  return `${userPath(userId)}/authentication-methods`;
}

export function methodLabel(t: AdminMessages, method: EditableMethod): string {
  return {
    mobile: t.phoneMobile,
    alternateMobile: t.phoneAlternateMobile,
    office: t.phoneOffice,
    email: t.emailMethod,
  }[method];
}

const readinessLabel = (t: AdminMessages, method: MethodReadiness['method']) =>
  ({
    mobilePhone: t.methodMobilePhone,
    officePhone: t.methodOfficePhone,
    email: t.methodEmail,
    securityQuestions: t.methodSecurityQuestions,
  })[method];

const sourceLabel = (t: AdminMessages, source: ContactSource | null) =>
  source === null
    ? ''
    : {
        authenticationPhone: t.sourceAuthenticationPhone,
        authenticationEmail: t.sourceAuthenticationEmail,
        profileMobilePhone: t.sourceProfileMobilePhone,
        profileBusinessPhones: t.sourceProfileBusinessPhones,
        profileOtherMails: t.sourceProfileOtherMails,
        securityQuestions: t.sourceSecurityQuestions,
      }[source];

/** `/admin/users/{id}/authentication-methods`: usable methods and why, the methods, and the helpdesk's actions. */
export function MethodsPage({
  view,
  overview,
  blockedUntil,
  done,
}: {
  view: AdminView;
  overview: MethodsOverview;
  blockedUntil: Date | null;
  done: string | null;
}): VNode {
  const { t, session } = view;
  const { user, readiness, writable } = overview;
  const name = user.displayName || user.userPrincipalName;
  const base = methodsPath(user.id);
  const editable: { method: EditableMethod; value: string }[] = [
    ...overview.phones.map((phone) => ({ method: phone.phoneType as EditableMethod, value: phone.phoneNumber })),
    ...(overview.email ? [{ method: 'email' as const, value: overview.email }] : []),
  ];
  // The password and the security questions stand first and last, around the methods the page can change.
  const registered: { label: string; value: string; actions: ComponentChildren }[] = [
    {
      label: t.passwordMethod,
      value: t.passwordValue,
      actions: <a href={`${base}/reset-password`}>{t.resetPassword}</a>,
    },
    ...editable.map((row) => ({
      label: methodLabel(t, row.method),
      value: row.value,
      actions: writable ? (
        <>
          <a href={`${base}/edit?method=${row.method}`} aria-label={`${t.edit} ${methodLabel(t, row.method)}`}>
            {t.edit}
          </a>
          {' · '}
          <a href={`${base}/delete?method=${row.method}`} aria-label={`${t.delete} ${methodLabel(t, row.method)}`}>
            {t.delete}
          </a>
        </>
      ) : null,
    })),
    {
      label: t.questionsMethod,
      value: t.questionsValue
        .replace('{answer}', overview.securityQuestionCount > 0 ? t.yes : t.no)
        .replace('{count}', String(overview.securityQuestionCount)),
      actions: null,
    },
  ];
  const heading = t.methodsOf.replace('{name}', name);
  return (
    <AdminPage view={view} title={heading} current="users">
      <h1>{heading}</h1>
      <p>
        <a href={userPath(user.id)}>{t.backToUser}</a>
      </p>
      {done ? (
        <p class="status" role="status">
          {done}
        </p>
      ) : null}
      {overview.access === 'masked' ? <p class="hint">{t.maskedNote}</p> : null}
      {!writable ? <p class="hint">{t.readOnlyNote}</p> : null}

      <h2>{t.usableHeading}</h2>
      <p>
        <strong>{t.canResetNow.replace('{answer}', readiness.isSsprCapable ? t.yes : t.no)}</strong>
      </p>
      <p>
        {t.policyApplied
          .replace('{policy}', readiness.policyApplied === 'administrator' ? t.policyAdministrator : t.policyUser)
          .replace('{count}', String(readiness.numberOfMethodsRequired))}
      </p>
      {!readiness.isSsprEnabled ? <p>{t.ssprNotEnabled}</p> : null}
      {!user.accountEnabled ? <p>{t.accountDisabled}</p> : null}
      <DataTable
        id="usable"
        caption={t.usableHeading}
        rows={readiness.methods}
        columns={[
          { header: t.colMethod, rowHeader: true, cell: (entry) => readinessLabel(t, entry.method) },
          {
            header: t.colValue,
            cell: (entry) =>
              entry.method === 'securityQuestions'
                ? entry.present
                  ? t.questionsValue
                      .replace('{answer}', t.yes)
                      .replace('{count}', String(overview.securityQuestionCount))
                  : ''
                : (entry.value ?? ''),
          },
          { header: t.colFrom, cell: (entry) => sourceLabel(t, entry.source) },
          {
            header: t.colUsable,
            cell: (entry) => (entry.usable ? t.usableYes : t.usableNo),
            cellClass: (entry) => (entry.usable ? 'usable' : 'unusable'),
          },
          {
            header: t.colWhy,
            cell: (entry) =>
              `${entry.reason ? t[`reason_${entry.reason}`] : t.reasonNone}${entry.suggestion ? ` ${t.suggestion.replace('{value}', entry.suggestion)}` : ''}`,
          },
        ]}
      />

      <h2>{t.registeredMethods}</h2>
      {writable ? (
        <p>
          <a href={`${base}/add`}>{t.addMethod}</a>
        </p>
      ) : null}
      <DataTable
        id="methods"
        caption={t.registeredMethods}
        rows={registered}
        columns={[
          { header: t.colType, rowHeader: true, cell: (row) => row.label },
          { header: t.colValue, cell: (row) => row.value },
          { header: t.colActions, cell: (row) => row.actions },
        ]}
      />

      <h2>{t.actionsHeading}</h2>
      <p>{blockedUntil ? t.blockedUntil.replace('{until}', blockedUntil.toISOString()) : t.notBlocked}</p>
      {blockedUntil ? (
        <AdminForm session={session} action={`${base}/unblock`}>
          <div class="actions">
            <button type="submit">{t.unblock}</button>
          </div>
        </AdminForm>
      ) : null}
      {writable ? (
        <>
          <AdminForm session={session} action={`${base}/require-reregister`}>
            <p class="hint" id="reregister-hint">
              {t.requireReregisterHint}
            </p>
            <button type="submit" class="secondary" aria-describedby="reregister-hint">
              {t.requireReregister}
            </button>
          </AdminForm>
          <AdminForm session={session} action={`${base}/revoke-sessions`}>
            <p class="hint" id="revoke-hint">
              {t.revokeSessionsHint}
            </p>
            <button type="submit" class="secondary" aria-describedby="revoke-hint">
              {t.revokeSessions}
            </button>
          </AdminForm>
        </>
      ) : null}
      <p>
        <a href={`${base}/reset-password`}>{t.resetPassword}</a>
      </p>
    </AdminPage>
  );
}

/** Add (any type not yet present) or edit (one type, fixed) a phone or email method. */
export function MethodFormPage({
  view,
  userId,
  mode,
  method,
  value,
  problem,
}: {
  view: AdminView;
  userId: string;
  mode: 'add' | 'edit';
  method: EditableMethod;
  value: string;
  problem: string | null;
}): VNode {
  const { t } = view;
  const heading = mode === 'add' ? t.addHeading : t.editHeading.replace('{method}', methodLabel(t, method));
  const isEmail = method === 'email';
  return (
    <AdminPage view={view} title={heading} current="users">
      <h1>{heading}</h1>
      <ProblemSummary heading={view.t.problemHeading} problems={problem ? [problem] : []} />
      <AdminForm session={view.session} action={`${methodsPath(userId)}/${mode}`} novalidate>
        {mode === 'add' ? (
          <>
            <label for="method">{t.methodType}</label>
            <select id="method" name="method">
              {editableMethods.map((option) => (
                <option key={option} value={option} selected={option === method}>
                  {methodLabel(t, option)}
                </option>
              ))}
            </select>
          </>
        ) : (
          <input type="hidden" name="method" value={method} />
        )}
        <label for="value">
          {mode === 'edit' && isEmail ? t.emailAddress : `${t.phoneNumber} / ${t.emailAddress}`}
        </label>
        <p class="hint" id="value-hint">
          {t.phoneNumberHint}
        </p>
        <input
          id="value"
          name="value"
          type="text"
          required
          maxLength={254}
          value={value}
          aria-invalid={problem ? 'true' : undefined}
          aria-describedby={problem ? 'value-hint problems' : 'value-hint'}
        />
        <div class="actions">
          <button type="submit">{mode === 'add' ? t.add : t.save}</button>
          <a href={methodsPath(userId)}>{t.cancel}</a>
        </div>
      </AdminForm>
    </AdminPage>
  );
}

export function DeleteMethodPage({
  view,
  userId,
  method,
  value,
}: {
  view: AdminView;
  userId: string;
  method: EditableMethod;
  value: string;
}): VNode {
  const { t } = view;
  const heading = t.deleteHeading.replace('{method}', methodLabel(t, method));
  return (
    <AdminPage view={view} title={heading} current="users">
      <h1>{heading}</h1>
      <p>{t.deleteText.replace('{value}', value)}</p>
      <AdminForm session={view.session} action={`${methodsPath(userId)}/delete`}>
        <input type="hidden" name="method" value={method} />
        <div class="actions">
          <button type="submit">{t.confirmDelete}</button>
          <a href={methodsPath(userId)}>{t.cancel}</a>
        </div>
      </AdminForm>
    </AdminPage>
  );
}

export function ResetPasswordPage({
  view,
  userId,
  userName,
  synced,
  mode,
  problem,
}: {
  view: AdminView;
  userId: string;
  userName: string;
  synced: boolean;
  mode: 'generate' | 'type';
  problem: string | null;
}): VNode {
  const { t } = view;
  return (
    <AdminPage view={view} title={t.resetHeading} current="users">
      <h1>{t.resetHeading}</h1>
      <p>{userName}</p>
      <ProblemSummary heading={view.t.problemHeading} problems={problem ? [problem] : []} />
      <p>{t.resetIntro}</p>
      {synced ? <p>{t.resetSynced}</p> : null}
      <AdminForm session={view.session} action={`${methodsPath(userId)}/reset-password`} novalidate>
        <fieldset>
          <legend>{t.initialPasswordLegend}</legend>
          <div class="choice">
            <input type="radio" id="mode-generate" name="passwordMode" value="generate" checked={mode === 'generate'} />
            <label for="mode-generate">{t.generatePassword}</label>
          </div>
          <div class="choice">
            <input type="radio" id="mode-type" name="passwordMode" value="type" checked={mode === 'type'} />
            <label for="mode-type">{t.typePassword}</label>
          </div>
        </fieldset>
        <label for="password">{t.password}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="new-password"
          maxLength={256}
          aria-invalid={problem ? 'true' : undefined}
        />
        <div class="actions">
          <button type="submit">{t.resetPassword}</button>
          <a href={methodsPath(userId)}>{t.cancel}</a>
        </div>
      </AdminForm>
    </AdminPage>
  );
}

export function PasswordResetDonePage({
  view,
  userId,
  password,
}: {
  view: AdminView;
  userId: string;
  password: string | null;
}): VNode {
  const { t } = view;
  return (
    <AdminPage view={view} title={t.resetDone} current="users">
      <h1>{t.resetDone}</h1>
      {password ? (
        <>
          <p>{t.resetGenerated}</p>
          <p>
            <code class="secret">{password}</code>
          </p>
        </>
      ) : null}
      <p>{t.resetIntro}</p>
      <p>
        <a href={methodsPath(userId)}>{t.methodsHeading}</a>
      </p>
    </AdminPage>
  );
}
