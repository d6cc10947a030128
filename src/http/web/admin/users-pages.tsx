import type { VNode } from 'preact';
import { type UnusableDataReason, unusableDataReasons } from '../../../domain/registration-report.js';
import type { DirectoryUser } from '../../../domain/user.js';
import { AdminForm, AdminPage, type AdminView, adminBasePath, DataTable } from './admin-kit.js';

export interface UserListFilters {
  readonly q: string;
  readonly source: '' | 'cloud' | 'synced';
  readonly capable: '' | 'yes' | 'no';
  readonly registered: '' | 'yes' | 'no';
  readonly unusable: '' | 'any' | UnusableDataReason;
}

export interface UserListRow {
  readonly id: string;
  readonly displayName: string | null;
  readonly userPrincipalName: string;
  readonly synced: boolean | null;
  readonly accountEnabled: boolean | null;
  readonly mobilePhone: string | null;
}

export function userPath(id: string): string {
  return `${adminBasePath}/users/${encodeURIComponent(id)}`;
}

function Select({
  id,
  label,
  value,
  options,
}: {
  id: string;
  label: string;
  value: string;
  options: readonly (readonly [string, string])[];
}): VNode {
  return (
    <div>
      <label for={id}>{label}</label>
      <select id={id} name={id}>
        {options.map(([optionValue, text]) => (
          <option key={optionValue} value={optionValue} selected={optionValue === value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/** `/admin/users`: search, filters, one page of users and a link to the next. */
export function UsersPage({
  view,
  filters,
  rows,
  nextHref,
  firstHref,
  note,
}: {
  view: AdminView;
  filters: UserListFilters;
  rows: readonly UserListRow[];
  nextHref: string | null;
  firstHref: string | null;
  note: string | null;
}): VNode {
  const { t } = view;
  const anyYesNo = [
    ['', t.filterAny],
    ['yes', t.yes],
    ['no', t.no],
  ] as const;
  return (
    <AdminPage view={view} title={t.usersHeading} current="users">
      <h1>{t.usersHeading}</h1>
      <p>
        <a href={`${adminBasePath}/users/new`}>{t.newUser}</a>
      </p>
      <search>
        <form method="get" action={`${adminBasePath}/users`} class="filters">
          <div>
            <label for="q">{t.searchLabel}</label>
            <input id="q" name="q" type="text" value={filters.q} maxLength={128} />
          </div>
          <Select
            id="source"
            label={t.filterSource}
            value={filters.source}
            options={[
              ['', t.filterAny],
              ['cloud', t.filterCloud],
              ['synced', t.filterSynced],
            ]}
          />
          <Select id="capable" label="Can reset now" value={filters.capable} options={anyYesNo} />
          <Select id="registered" label="Registered" value={filters.registered} options={anyYesNo} />
          <Select
            id="unusable"
            label={t.filterUnusable}
            value={filters.unusable}
            options={[
              ['', t.filterAny],
              ['any', t.filterUnusableAny],
              ...unusableDataReasons.map((reason) => [reason, t[`unusable_${reason}`]] as const),
            ]}
          />
          <div>
            <button type="submit">{t.search}</button>
          </div>
        </form>
      </search>
      {note ? (
        <p class="hint" role="status">
          {note}
        </p>
      ) : null}
      <DataTable
        caption={t.usersHeading}
        empty={t.noUsers}
        rows={rows}
        columns={[
          {
            header: t.colName,
            cell: (row) => <a href={userPath(row.id)}>{row.displayName || row.userPrincipalName}</a>,
          },
          { header: t.colUpn, cell: (row) => row.userPrincipalName },
          {
            header: t.colSource,
            cell: (row) => (row.synced === null ? '' : row.synced ? t.sourceSynced : t.sourceCloud),
          },
          { header: t.colMobile, cell: (row) => row.mobilePhone ?? '' },
          {
            header: t.colEnabled,
            cell: (row) => (row.accountEnabled === null ? '' : row.accountEnabled ? t.enabled : t.disabled),
          },
        ]}
      />
      <p class="actions">
        {firstHref ? <a href={firstHref}>{t.firstPage}</a> : null}
        {nextHref ? <a href={nextHref}>{t.nextPage}</a> : null}
      </p>
    </AdminPage>
  );
}

export interface NewUserFields {
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly passwordMode: 'generate' | 'type';
  readonly forceChange: boolean;
}

export type NewUserErrors = Partial<Record<'displayName' | 'userPrincipalName' | 'password' | 'form', string>>;

function FieldError({ id, text }: { id: string; text: string | undefined }) {
  return text ? (
    <p class="field-error" id={id}>
      {text}
    </p>
  ) : null;
}

/** `/admin/users/new`: a cloud user with a generated (shown once) or typed initial password. */
export function NewUserPage({
  view,
  fields,
  errors,
  domain,
}: {
  view: AdminView;
  fields: NewUserFields;
  errors: NewUserErrors;
  domain: string;
}): VNode {
  const { t } = view;
  const messages = Object.values(errors);
  return (
    <AdminPage view={view} title={t.createHeading} current="users">
      <h1>{t.createHeading}</h1>
      {messages.length > 0 ? (
        <div class="errors" role="alert" id="problems">
          <h2>{t.problemHeading}</h2>
          <ul>
            {messages.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <AdminForm session={view.session} action={`${adminBasePath}/users/new`} novalidate>
        <label for="displayName">{t.displayName}</label>
        <FieldError id="displayName-error" text={errors.displayName} />
        <input
          id="displayName"
          name="displayName"
          type="text"
          required
          maxLength={256}
          value={fields.displayName}
          aria-invalid={errors.displayName ? 'true' : undefined}
          aria-describedby={errors.displayName ? 'displayName-error' : undefined}
        />
        <label for="userPrincipalName">{t.upn}</label>
        <p class="hint" id="upn-hint">
          {t.upnHint.replace('{domain}', domain)}
        </p>
        <FieldError id="upn-error" text={errors.userPrincipalName} />
        <input
          id="userPrincipalName"
          name="userPrincipalName"
          type="email"
          required
          maxLength={113}
          value={fields.userPrincipalName}
          aria-invalid={errors.userPrincipalName ? 'true' : undefined}
          aria-describedby={errors.userPrincipalName ? 'upn-hint upn-error' : 'upn-hint'}
        />
        <fieldset>
          <legend>{t.initialPasswordLegend}</legend>
          <div class="choice">
            <input
              type="radio"
              id="mode-generate"
              name="passwordMode"
              value="generate"
              checked={fields.passwordMode === 'generate'}
            />
            <label for="mode-generate">{t.generatePassword}</label>
          </div>
          <div class="choice">
            <input
              type="radio"
              id="mode-type"
              name="passwordMode"
              value="type"
              checked={fields.passwordMode === 'type'}
            />
            <label for="mode-type">{t.typePassword}</label>
          </div>
          <label for="password">{t.password}</label>
          <FieldError id="password-error" text={errors.password} />
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            maxLength={256}
            aria-invalid={errors.password ? 'true' : undefined}
            aria-describedby={errors.password ? 'password-error' : undefined}
          />
          <div class="choice">
            <input type="checkbox" id="forceChange" name="forceChange" value="1" checked={fields.forceChange} />
            <label for="forceChange">Require a password change at next sign-in</label>
          </div>
        </fieldset>
        <div class="actions">
          <button type="submit">{t.create}</button>
          <a href={`${adminBasePath}/users`}>{t.cancel}</a>
        </div>
      </AdminForm>
    </AdminPage>
  );
}

/** Shown once after creation: the generated password is never stored in clear nor shown again. */
export function UserCreatedPage({
  view,
  user,
  password,
  forceChange,
}: {
  view: AdminView;
  user: DirectoryUser;
  password: string | null;
  forceChange: boolean;
}): VNode {
  const { t } = view;
  return (
    <AdminPage view={view} title={t.createdHeading} current="users">
      <h1>{t.createdHeading}</h1>
      {password ? (
        <>
          <p>{t.createdText.replace('{upn}', user.userPrincipalName)}</p>
          <p>
            <code class="secret">{password}</code>
          </p>
        </>
      ) : (
        <p role="status">{`${user.userPrincipalName} was created.`}</p>
      )}
      {forceChange ? <p>{t.createdMustChange}</p> : null}
      <p>
        <a href={userPath(user.id)}>{t.openUser}</a>
      </p>
    </AdminPage>
  );
}

export interface ContactFields {
  readonly officePhone: string;
  readonly mobilePhone: string;
  readonly alternateEmails: string;
}

/** `/admin/users/{id}`: profile, and the contact fields (read-only where mastered on-premises). */
export function UserDetailPage({
  view,
  user,
  contact,
  error,
  saved,
}: {
  view: AdminView;
  user: DirectoryUser;
  contact: ContactFields;
  error: string | null;
  saved: boolean;
}): VNode {
  const { t } = view;
  const synced = user.onPremisesSyncEnabled === true;
  const name = user.displayName || user.userPrincipalName;
  const onPremisesNote = <span class="hint">{` (${t.managedOnPremises})`}</span>;
  return (
    <AdminPage view={view} title={name} current="users">
      <h1>{name}</h1>
      <p>
        <a href={`${userPath(user.id)}/authentication-methods`}>{t.authenticationMethods}</a>
      </p>
      {saved ? (
        <p class="status" role="status">
          {t.saved}
        </p>
      ) : null}
      <h2>{t.profile}</h2>
      <dl class="fields">
        <dt>{t.upn}</dt>
        <dd>{user.userPrincipalName}</dd>
        <dt>{t.displayName}</dt>
        <dd>{user.displayName ?? t.notSet}</dd>
        <dt>{t.jobTitle}</dt>
        <dd>{user.jobTitle ?? t.notSet}</dd>
        <dt>{t.mail}</dt>
        <dd>{user.mail ?? t.notSet}</dd>
        <dt>{t.accountEnabled}</dt>
        <dd>{user.accountEnabled ? t.yes : t.no}</dd>
        <dt>{t.colSource}</dt>
        <dd>{synced ? t.sourceSynced : t.sourceCloud}</dd>
        {synced ? (
          <>
            <dt>{t.lastSync}</dt>
            <dd>{user.onPremisesLastSyncDateTime ?? t.notSet}</dd>
          </>
        ) : null}
        <dt>{t.createdOn}</dt>
        <dd>{user.createdDateTime}</dd>
      </dl>
      <h2 id="contact">{t.contactInfo}</h2>
      {error ? (
        <div class="errors" role="alert" id="problems">
          <h2>{t.problemHeading}</h2>
          <ul>
            <li>{error}</li>
          </ul>
        </div>
      ) : null}
      <AdminForm session={view.session} action={`${userPath(user.id)}/contact`} novalidate>
        <label for="officePhone">
          {t.officePhone}
          {synced ? onPremisesNote : null}
        </label>
        {synced ? (
          <input id="officePhone" type="tel" value={contact.officePhone} readOnly aria-readonly="true" />
        ) : (
          <input id="officePhone" name="officePhone" type="tel" maxLength={64} value={contact.officePhone} />
        )}
        <label for="mobilePhone">{t.mobilePhone}</label>
        <input id="mobilePhone" name="mobilePhone" type="tel" maxLength={64} value={contact.mobilePhone} />
        <label for="alternateEmails">{t.alternateEmail}</label>
        <p class="hint" id="alternateEmails-hint">
          {t.alternateEmailHint}
        </p>
        <textarea id="alternateEmails" name="alternateEmails" rows={3} aria-describedby="alternateEmails-hint">
          {contact.alternateEmails}
        </textarea>
        <div class="actions">
          <button type="submit">{t.save}</button>
        </div>
      </AdminForm>
    </AdminPage>
  );
}
