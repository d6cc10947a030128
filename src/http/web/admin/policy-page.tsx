import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import type { RequestContext } from '../../../domain/audit.js';
import type { DirectoryAudit } from '../../../domain/audit-query.js';
import { DomainError } from '../../../domain/errors.js';
import { maxPasswordLength, minPasswordLength } from '../../../domain/password-policy.js';
import { customQuestionLength, maxCustomSecurityQuestions } from '../../../domain/security-questions.js';
import {
  administratorPolicy,
  maxCustomBannedPasswordLength,
  maxCustomBannedPasswords,
  minCustomBannedPasswordLength,
  type SsprPolicy,
} from '../../../domain/sspr-policy.js';
import type { AuditService } from '../../../services/audit/audit-service.js';
import type { SecurityQuestion, SsprPolicyService } from '../../../services/policy/sspr-policy-service.js';
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
  queryText,
  seeOther,
} from './admin-kit.js';
import type { AdminMessages } from './admin-messages.js';
import { requireAdminPage } from './admin-page-guard.js';

export interface PolicyPageServices {
  readonly policies: SsprPolicyService;
  readonly auditLog: AuditService;
}

/** Read-only facts shown beside the policy: branding comes from the server's configuration, not the policy. */
export interface PolicyPageSettings {
  readonly brandColor: string | null;
}

const policyPath = `${adminBasePath}/policy`;

const checkboxFields = [
  'emailOptionEnabled',
  'mobilePhoneOptionEnabled',
  'officePhoneOptionEnabled',
  'securityQuestionsOptionEnabled',
  'registrationRequiredOnSignIn',
  'notifyUsersOnPasswordReset',
  'notifyOnAdminPasswordReset',
  'writebackEnabled',
  'allowUnlockWithoutReset',
] as const satisfies readonly (keyof SsprPolicy)[];

const textFields = [
  'enablementType',
  'selectedGroupId',
  'numberOfAuthenticationMethodsRequired',
  'numberOfQuestionsToRegister',
  'numberOfQuestionsToReset',
  'registrationReconfirmIntervalInDays',
  'customHelpdeskEmailOrUrl',
  'blockedCountryCodes',
  'customBannedPasswords',
] as const satisfies readonly (keyof SsprPolicy)[];

type CheckboxField = (typeof checkboxFields)[number];
type TextField = (typeof textFields)[number];
export type PolicyFormField = CheckboxField | TextField;

/** The form as typed (strings) or as stored (booleans): what is shown again beside validation messages. */
export type PolicyFormValues = { [K in CheckboxField]: boolean } & { [K in TextField]: string };

export type PolicyFieldErrors = Partial<Record<PolicyFormField, string>>;

const maxTextLength: Record<TextField, number> = {
  enablementType: 16,
  selectedGroupId: 64,
  numberOfAuthenticationMethodsRequired: 8,
  numberOfQuestionsToRegister: 8,
  numberOfQuestionsToReset: 8,
  registrationReconfirmIntervalInDays: 8,
  customHelpdeskEmailOrUrl: 600,
  blockedCountryCodes: 2000,
  customBannedPasswords: 40_000,
};

export function policyFormValues(policy: SsprPolicy): PolicyFormValues {
  return {
    ...(Object.fromEntries(checkboxFields.map((field) => [field, policy[field]])) as { [K in CheckboxField]: boolean }),
    enablementType: policy.enablementType,
    selectedGroupId: policy.selectedGroupId ?? '',
    numberOfAuthenticationMethodsRequired: String(policy.numberOfAuthenticationMethodsRequired),
    numberOfQuestionsToRegister: String(policy.numberOfQuestionsToRegister),
    numberOfQuestionsToReset: String(policy.numberOfQuestionsToReset),
    registrationReconfirmIntervalInDays: String(policy.registrationReconfirmIntervalInDays),
    customHelpdeskEmailOrUrl: policy.customHelpdeskEmailOrUrl ?? '',
    blockedCountryCodes: policy.blockedCountryCodes.join(', '),
    customBannedPasswords: policy.customBannedPasswords.join('\n'),
  };
}

function readFormValues(form: Form): PolicyFormValues {
  return {
    ...(Object.fromEntries(checkboxFields.map((field) => [field, form.text(field, 8) === 'on'])) as {
      [K in CheckboxField]: boolean;
    }),
    ...(Object.fromEntries(textFields.map((field) => [field, form.text(field, maxTextLength[field])])) as {
      [K in TextField]: string;
    }),
  };
}

/**
 * The submitted form as a change for `SsprPolicyService.change` (the same validation as the admin API's PATCH),
 * with a message for every field whose text is not even of the right shape.
 */
export function policyChanges(
  values: PolicyFormValues,
  t: AdminMessages,
): { changes: Record<string, unknown>; errors: PolicyFieldErrors } {
  const errors: PolicyFieldErrors = {};
  const changes: Record<string, unknown> = {};
  for (const field of checkboxFields) changes[field] = values[field];
  changes.enablementType = values.enablementType;
  const group = values.selectedGroupId.trim();
  changes.selectedGroupId = group === '' ? null : group;
  for (const field of [
    'numberOfAuthenticationMethodsRequired',
    'numberOfQuestionsToRegister',
    'numberOfQuestionsToReset',
    'registrationReconfirmIntervalInDays',
  ] as const) {
    const text = values[field].trim();
    if (/^\d{1,4}$/.test(text)) changes[field] = Number(text);
    else errors[field] = policyFieldProblem(t, field);
  }
  const helpdesk = values.customHelpdeskEmailOrUrl.trim();
  changes.customHelpdeskEmailOrUrl = helpdesk === '' ? null : helpdesk;
  changes.blockedCountryCodes = values.blockedCountryCodes
    .split(/[\s,;]+/)
    .map((code) => code.replace(/^\+/, ''))
    .filter((code) => code !== '');
  changes.customBannedPasswords = values.customBannedPasswords
    .split(/\r?\n/)
    .map((term) => term.trim())
    .filter((term) => term !== '');
  return { changes, errors };
}

/** A short fingerprint of the policy a form was rendered from (to notice another administrator's change). */
export function policyBasis(policy: SsprPolicy): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('base64url').slice(0, 22);
}

function policyFieldProblem(t: AdminMessages, field: PolicyFormField): string {
  switch (field) {
    case 'enablementType':
      return t.policyProblemEnablement;
    case 'selectedGroupId':
      return t.policyProblemGroup;
    case 'numberOfAuthenticationMethodsRequired':
      return t.policyProblemMethodsRequired;
    case 'numberOfQuestionsToRegister':
      return t.policyProblemQuestionsToRegister;
    case 'numberOfQuestionsToReset':
      return t.policyProblemQuestionsToReset;
    case 'registrationReconfirmIntervalInDays':
      return t.policyProblemReconfirm;
    case 'customHelpdeskEmailOrUrl':
      return t.policyProblemHelpdesk;
    case 'blockedCountryCodes':
      return t.policyProblemCountryCodes;
    case 'customBannedPasswords':
      return t.policyProblemBannedPasswords
        .replace('{min}', String(minCustomBannedPasswordLength))
        .replace('{max}', String(maxCustomBannedPasswordLength))
        .replace('{count}', String(maxCustomBannedPasswords));
    default:
      return t.policyProblemYesNo;
  }
}

function isPolicyFormField(name: unknown): name is PolicyFormField {
  return (
    typeof name === 'string' &&
    ((checkboxFields as readonly string[]).includes(name) || (textFields as readonly string[]).includes(name))
  );
}

/** The policy's recent changes from the audit log; null when the viewer's roles don't include reading it. */
async function policyChangeHistory(
  services: PolicyPageServices,
  context: RequestContext,
): Promise<readonly DirectoryAudit[] | null> {
  try {
    const page = await services.auditLog.list(context, {
      top: 20,
      filter: [
        { kind: 'eq', property: 'category', value: 'Policy' },
        { kind: 'eq', property: 'loggedByService', value: 'Self-service Password Management' },
      ],
    });
    return page.events;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'permission_denied') return null;
    throw error;
  }
}

/** `/admin/policy`: the password reset policy form, custom security questions and the change history. */
export function registerPolicyPages(
  app: FastifyInstance,
  guard: AdminGuardOptions,
  services: () => PolicyPageServices,
  settings: PolicyPageSettings,
): void {
  const show = async (
    view: AdminView,
    reply: FastifyReply,
    state: {
      values?: PolicyFormValues;
      errors?: PolicyFieldErrors;
      questionText?: string;
      questionError?: string | null;
      status?: string | null;
      /** The fingerprint the submitted form was made from (kept when the form is shown again with messages). */
      basis?: string;
    },
    code = 200,
  ) => {
    const context = view.session.context;
    const policies = services().policies;
    const policy = await policies.get(context);
    const [questions, history] = await Promise.all([
      policies.securityQuestions(context),
      policyChangeHistory(services(), context),
    ]);
    return sendPage(
      reply,
      <PolicyPage
        view={view}
        policy={policy}
        values={state.values ?? policyFormValues(policy)}
        errors={state.errors ?? {}}
        canChange={policies.canChange(context)}
        questions={questions.filter((question) => question.custom)}
        questionText={state.questionText ?? ''}
        questionError={state.questionError ?? null}
        history={history}
        status={state.status ?? null}
        basis={state.basis || policyBasis(policy)}
        settings={settings}
      />,
      code,
    );
  };

  app.get(
    policyPath,
    requireAdminPage(guard, async (request, reply, view) => {
      const { t } = view;
      const done = queryText(request, 'done');
      const status =
        done === 'saved'
          ? t.policySaved
          : done === 'unchanged'
            ? t.policyUnchanged
            : done === 'question-added'
              ? t.policyQuestionAdded
              : done === 'question-deleted'
                ? t.policyQuestionDeleted
                : null;
      return show(view, reply, { status });
    }),
  );

  app.post(
    policyPath,
    requireAdminPage(guard, async (_request, reply, view, form) => {
      const policies = services().policies;
      // The permission first: a role that may not change the policy gets the 403 page, never validation messages.
      if (!policies.canChange(view.session.context)) throw new DomainError('permission_denied');
      const values = readFormValues(form);
      const basis = form.text('basis', 64);
      const { changes, errors } = policyChanges(values, view.t);
      if (Object.keys(errors).length > 0) return show(view, reply, { values, errors, basis }, 400);
      const before = await policies.get(view.session.context);
      // The form holds every field: saving it over a policy changed since it was shown would undo that change.
      if (basis !== '' && basis !== policyBasis(before)) {
        return show(view, reply, { status: view.t.policyConflict }, 409);
      }
      try {
        const after = await policies.change(view.session.context, changes);
        const same = JSON.stringify(after) === JSON.stringify(before);
        return seeOther(reply, `${policyPath}?done=${same ? 'unchanged' : 'saved'}`);
      } catch (error) {
        if (error instanceof DomainError && error.code === 'invalid_property_value') {
          const field = isPolicyFormField(error.params.property) ? error.params.property : 'enablementType';
          return show(view, reply, { values, errors: { [field]: policyFieldProblem(view.t, field) }, basis }, 400);
        }
        throw error;
      }
    }),
  );

  app.post(
    `${policyPath}/questions`,
    requireAdminPage(guard, async (_request, reply, view, form) => {
      const text = form.text('question', 1000);
      try {
        await services().policies.addCustomQuestion(view.session.context, text);
      } catch (error) {
        if (
          error instanceof DomainError &&
          (error.code === 'invalid_property_value' || error.code === 'invalid_request')
        ) {
          const message =
            error.code === 'invalid_request'
              ? view.t.policyQuestionLimit.replace('{count}', String(maxCustomSecurityQuestions))
              : view.t.policyQuestionLength
                  .replace('{min}', String(customQuestionLength.min))
                  .replace('{max}', String(customQuestionLength.max));
          return show(view, reply, { questionText: text, questionError: message }, 400);
        }
        throw error;
      }
      return seeOther(reply, `${policyPath}?done=question-added#questions`);
    }),
  );

  app.post(
    `${policyPath}/questions/delete`,
    requireAdminPage(guard, async (_request, reply, view, form) => {
      await services().policies.removeCustomQuestion(view.session.context, form.text('id', 64));
      return seeOther(reply, `${policyPath}?done=question-deleted#questions`);
    }),
  );
}

/** Where an error summary link points: the first radio of a group, else the field. */
function problemTarget(field: PolicyFormField): string {
  if (field === 'enablementType') return 'enablementType-none';
  if (field === 'numberOfAuthenticationMethodsRequired') return 'numberOfAuthenticationMethodsRequired-1';
  return field;
}

function FieldError({ id, message }: { id: string; message: string | undefined }): VNode | null {
  return message ? (
    <p class="field-error" id={id}>
      {message}
    </p>
  ) : null;
}

function Checkbox({
  name,
  label,
  values,
  disabled,
}: {
  name: CheckboxField;
  label: string;
  values: PolicyFormValues;
  disabled: boolean;
}): VNode {
  return (
    <div class="choice">
      <input type="checkbox" id={name} name={name} checked={values[name]} disabled={disabled} />
      <label for={name}>{label}</label>
    </div>
  );
}

function Radio({
  name,
  value,
  label,
  values,
  disabled,
  invalid,
}: {
  name: TextField;
  value: string;
  label: string;
  values: PolicyFormValues;
  disabled: boolean;
  invalid: boolean;
}): VNode {
  const id = `${name}-${value}`;
  return (
    <div class="choice">
      <input
        type="radio"
        id={id}
        name={name}
        value={value}
        checked={values[name] === value}
        disabled={disabled}
        aria-invalid={invalid ? 'true' : undefined}
      />
      <label for={id}>{label}</label>
    </div>
  );
}

function QuestionCountSelect({
  name,
  label,
  values,
  errors,
  disabled,
}: {
  name: 'numberOfQuestionsToRegister' | 'numberOfQuestionsToReset';
  label: string;
  values: PolicyFormValues;
  errors: PolicyFieldErrors;
  disabled: boolean;
}): VNode {
  return (
    <>
      <label for={name}>{label}</label>
      <FieldError id={`${name}-error`} message={errors[name]} />
      <select
        id={name}
        name={name}
        disabled={disabled}
        aria-invalid={errors[name] ? 'true' : undefined}
        aria-describedby={errors[name] ? `${name}-error` : undefined}
      >
        {['3', '4', '5'].map((count) => (
          <option key={count} value={count} selected={values[name] === count}>
            {count}
          </option>
        ))}
      </select>
    </>
  );
}

function methodNames(t: AdminMessages, policy: SsprPolicy): string {
  const names: string[] = [];
  if (policy.emailOptionEnabled) names.push(t.policyMethodEmail);
  if (policy.mobilePhoneOptionEnabled) names.push(t.policyMethodMobile);
  if (policy.officePhoneOptionEnabled) names.push(t.policyMethodOffice);
  if (policy.securityQuestionsOptionEnabled) names.push(t.policyMethodQuestions);
  return names.join(', ');
}

/** A JSON text from an audit event, shortened for the table (the audit log keeps it whole). */
function shortValue(value: string | null, t: AdminMessages): string {
  if (value === null) return t.policyHistoryNone;
  return value.length > 120 ? `${value.slice(0, 117)}...` : value;
}

export function PolicyPage({
  view,
  policy,
  values,
  errors,
  canChange,
  questions,
  questionText,
  questionError,
  history,
  status,
  basis,
  settings,
}: {
  view: AdminView;
  policy: SsprPolicy;
  values: PolicyFormValues;
  errors: PolicyFieldErrors;
  canChange: boolean;
  questions: readonly SecurityQuestion[];
  questionText: string;
  questionError: string | null;
  history: readonly DirectoryAudit[] | null;
  status: string | null;
  basis: string;
  settings: PolicyPageSettings;
}): VNode {
  const { t, session } = view;
  const disabled = !canChange;
  const problems = Object.entries(errors) as [PolicyFormField, string][];
  const adminPolicy = administratorPolicy(policy);
  const describedBy = (field: PolicyFormField, hint?: string) =>
    [hint, errors[field] ? `${field}-error` : undefined].filter(Boolean).join(' ') || undefined;
  return (
    <AdminPage view={view} title={t.policyHeading} current="policy">
      <h1>{t.policyHeading}</h1>
      <ProblemSummary
        heading={t.problemHeading}
        problems={problems.map(([field, message]) => [problemTarget(field), message] as const)}
      />
      {status ? (
        <p class="status" role="status">
          {status}
        </p>
      ) : null}
      {canChange ? null : (
        <p class="warning" role="status">
          {t.policyReadOnly}
        </p>
      )}
      <AdminForm session={session} action={policyPath} novalidate>
        <input type="hidden" name="basis" value={basis} />
        <h2>{t.policyWhoHeading}</h2>
        <fieldset aria-describedby={errors.enablementType ? 'enablementType-error' : undefined}>
          <legend>{t.policyEnablement}</legend>
          <FieldError id="enablementType-error" message={errors.enablementType} />
          {(
            [
              ['none', t.policyEnablementNone],
              ['all', t.policyEnablementAll],
            ] as const
          ).map(([value, label]) => (
            <Radio
              key={value}
              name="enablementType"
              value={value}
              label={label}
              values={values}
              disabled={disabled}
              invalid={Boolean(errors.enablementType)}
            />
          ))}
        </fieldset>

        <h2>{t.policyMethodsHeading}</h2>
        <fieldset
          aria-describedby={
            errors.numberOfAuthenticationMethodsRequired ? 'numberOfAuthenticationMethodsRequired-error' : undefined
          }
        >
          <legend>{t.policyMethodsRequired}</legend>
          <FieldError
            id="numberOfAuthenticationMethodsRequired-error"
            message={errors.numberOfAuthenticationMethodsRequired}
          />
          {['1', '2'].map((count) => (
            <Radio
              key={count}
              name="numberOfAuthenticationMethodsRequired"
              value={count}
              label={count}
              values={values}
              disabled={disabled}
              invalid={Boolean(errors.numberOfAuthenticationMethodsRequired)}
            />
          ))}
        </fieldset>
        <fieldset>
          <legend>{t.policyMethodsAvailable}</legend>
          <Checkbox name="emailOptionEnabled" label={t.policyMethodEmail} values={values} disabled={disabled} />
          <Checkbox name="mobilePhoneOptionEnabled" label={t.policyMethodMobile} values={values} disabled={disabled} />
          <Checkbox name="officePhoneOptionEnabled" label={t.policyMethodOffice} values={values} disabled={disabled} />
          <Checkbox
            name="securityQuestionsOptionEnabled"
            label={t.policyMethodQuestions}
            values={values}
            disabled={disabled}
          />
        </fieldset>
        <QuestionCountSelect
          name="numberOfQuestionsToRegister"
          label={t.policyQuestionsToRegister}
          values={values}
          errors={errors}
          disabled={disabled}
        />
        <QuestionCountSelect
          name="numberOfQuestionsToReset"
          label={t.policyQuestionsToReset}
          values={values}
          errors={errors}
          disabled={disabled}
        />

        <h2>{t.policyRegistrationHeading}</h2>
        <Checkbox
          name="registrationRequiredOnSignIn"
          label={t.policyRegistrationRequired}
          values={values}
          disabled={disabled}
        />
        <label for="registrationReconfirmIntervalInDays">{t.policyReconfirm}</label>
        <p class="hint" id="registrationReconfirmIntervalInDays-hint">
          {t.policyReconfirmHint}
        </p>
        <FieldError
          id="registrationReconfirmIntervalInDays-error"
          message={errors.registrationReconfirmIntervalInDays}
        />
        <input
          type="number"
          id="registrationReconfirmIntervalInDays"
          name="registrationReconfirmIntervalInDays"
          min={0}
          max={730}
          value={values.registrationReconfirmIntervalInDays}
          disabled={disabled}
          aria-invalid={errors.registrationReconfirmIntervalInDays ? 'true' : undefined}
          aria-describedby={describedBy(
            'registrationReconfirmIntervalInDays',
            'registrationReconfirmIntervalInDays-hint',
          )}
        />

        <h2>{t.policyNotificationsHeading}</h2>
        <Checkbox name="notifyUsersOnPasswordReset" label={t.policyNotifyUsers} values={values} disabled={disabled} />
        <Checkbox name="notifyOnAdminPasswordReset" label={t.policyNotifyAdmins} values={values} disabled={disabled} />

        <h2>{t.policyCustomizationHeading}</h2>
        <label for="customHelpdeskEmailOrUrl">{t.policyHelpdesk}</label>
        <p class="hint" id="customHelpdeskEmailOrUrl-hint">
          {t.policyHelpdeskHint}
        </p>
        <FieldError id="customHelpdeskEmailOrUrl-error" message={errors.customHelpdeskEmailOrUrl} />
        <input
          type="text"
          id="customHelpdeskEmailOrUrl"
          name="customHelpdeskEmailOrUrl"
          value={values.customHelpdeskEmailOrUrl}
          maxLength={512}
          disabled={disabled}
          aria-invalid={errors.customHelpdeskEmailOrUrl ? 'true' : undefined}
          aria-describedby={describedBy('customHelpdeskEmailOrUrl', 'customHelpdeskEmailOrUrl-hint')}
        />
        <label for="blockedCountryCodes">{t.policyBlockedCountries}</label>
        <p class="hint" id="blockedCountryCodes-hint">
          {t.policyBlockedCountriesHint}
        </p>
        <FieldError id="blockedCountryCodes-error" message={errors.blockedCountryCodes} />
        <input
          type="text"
          id="blockedCountryCodes"
          name="blockedCountryCodes"
          value={values.blockedCountryCodes}
          disabled={disabled}
          aria-invalid={errors.blockedCountryCodes ? 'true' : undefined}
          aria-describedby={describedBy('blockedCountryCodes', 'blockedCountryCodes-hint')}
        />

        <h2>{t.policyOnPremisesHeading}</h2>
        <Checkbox name="writebackEnabled" label={t.policyWriteback} values={values} disabled={disabled} />
        <Checkbox name="allowUnlockWithoutReset" label={t.policyUnlock} values={values} disabled={disabled} />

        <h2>{t.policyPasswordsHeading}</h2>
        <p>
          {t.policyPasswordRule.replace('{min}', String(minPasswordLength)).replace('{max}', String(maxPasswordLength))}
        </p>
        <label for="customBannedPasswords">{t.policyBannedPasswords}</label>
        <p class="hint" id="customBannedPasswords-hint">
          {t.policyBannedPasswordsHint
            .replace('{min}', String(minCustomBannedPasswordLength))
            .replace('{max}', String(maxCustomBannedPasswordLength))
            .replace('{count}', String(maxCustomBannedPasswords))}
        </p>
        <FieldError id="customBannedPasswords-error" message={errors.customBannedPasswords} />
        <textarea
          id="customBannedPasswords"
          name="customBannedPasswords"
          rows={6}
          disabled={disabled}
          aria-invalid={errors.customBannedPasswords ? 'true' : undefined}
          aria-describedby={describedBy('customBannedPasswords', 'customBannedPasswords-hint')}
        >
          {values.customBannedPasswords}
        </textarea>
        {canChange ? (
          <div class="actions">
            <button type="submit">{t.save}</button>
          </div>
        ) : null}
      </AdminForm>

      <h2 id="questions">{t.policyQuestionsHeading}</h2>
      <p>{t.policyQuestionsIntro.replace('{count}', String(maxCustomSecurityQuestions))}</p>
      <DataTable
        caption={t.policyQuestionsHeading}
        empty={t.policyNoCustomQuestions}
        rows={questions}
        columns={[
          { header: t.policyQuestionColumn, cell: (question) => question.text },
          canChange && {
            header: t.policyActionsColumn,
            cell: (question) => (
              <AdminForm session={session} action={`${policyPath}/questions/delete`} class="inline">
                <input type="hidden" name="id" value={question.id} />
                <button type="submit" class="link" aria-label={`${t.delete}: ${question.text}`}>
                  {t.delete}
                </button>
              </AdminForm>
            ),
          },
        ]}
      />
      {canChange ? (
        <AdminForm session={session} action={`${policyPath}/questions`} novalidate>
          <label for="question">{t.policyNewQuestion}</label>
          {questionError ? (
            <p class="field-error" id="question-error" role="alert">
              {questionError}
            </p>
          ) : null}
          <input
            type="text"
            id="question"
            name="question"
            value={questionText}
            maxLength={customQuestionLength.max}
            aria-invalid={questionError ? 'true' : undefined}
            aria-describedby={questionError ? 'question-error' : undefined}
          />
          <div class="actions">
            <button type="submit" class="secondary">
              {t.policyAddQuestion}
            </button>
          </div>
        </AdminForm>
      ) : null}

      <h2>{t.policyAdminHeading}</h2>
      <p>{t.policyAdminIntro}</p>
      <dl class="fields">
        <dt>{t.policyEnablement}</dt>
        <dd>{t.policyAdminEveryone}</dd>
        <dt>{t.policyMethodsRequired}</dt>
        <dd>{String(adminPolicy.numberOfAuthenticationMethodsRequired)}</dd>
        <dt>{t.policyMethodsAvailable}</dt>
        <dd>{methodNames(t, adminPolicy)}</dd>
        <dt>{t.policyMethodQuestions}</dt>
        <dd>{t.policyAdminNoQuestions}</dd>
      </dl>

      <h2>{t.policyBrandingHeading}</h2>
      <p>{t.policyBrandingIntro}</p>
      <dl class="fields">
        <dt>{t.policyBrandingName}</dt>
        <dd>{view.branding.tenantName}</dd>
        <dt>{t.policyBrandingLogo}</dt>
        <dd>{view.branding.logoUrl ?? t.notSet}</dd>
        <dt>{t.policyBrandingColour}</dt>
        <dd>{settings.brandColor ?? t.notSet}</dd>
      </dl>

      <h2>{t.policyHistoryHeading}</h2>
      {history === null ? (
        <p>{t.policyHistoryDenied}</p>
      ) : (
        <DataTable
          caption={t.policyHistoryHeading}
          empty={t.policyHistoryEmpty}
          rows={history}
          columns={[
            {
              header: t.auditColDate,
              cell: (event) => <DateTime iso={event.activityDateTime} />,
            },
            {
              header: t.auditColInitiator,
              cell: (event) => event.initiatedBy.user?.userPrincipalName ?? event.initiatedBy.app?.appId ?? '',
            },
            { header: t.auditColActivity, cell: (event) => event.activityDisplayName },
            {
              header: t.policyHistoryChanges,
              cell: (event) => (
                <ul>
                  {event.targetResources.flatMap((target) =>
                    target.modifiedProperties.map((property) => (
                      <li key={`${target.id}-${property.displayName}`}>
                        {`${property.displayName}: ${shortValue(property.oldValue, t)} → ${shortValue(property.newValue, t)}`}
                      </li>
                    )),
                  )}
                </ul>
              ),
            },
          ]}
        />
      )}
      {history !== null ? (
        <p>
          <a href={`${adminBasePath}/audit?activity=${encodeURIComponent('Update password reset policy')}`}>
            {t.policyHistoryAll}
          </a>
        </p>
      ) : null}
    </AdminPage>
  );
}
