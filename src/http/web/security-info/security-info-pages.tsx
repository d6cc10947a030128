import type { ComponentChildren, VNode } from 'preact';
import type {
  PendingVerification,
  QuestionField,
  SecurityInfoOverview,
} from '../../../services/self-service/security-info-service.js';
import type { PageLanguage } from '../language.js';
import { type Branding, Page } from '../page.js';
import {
  fill,
  type SecurityInfoMessages,
  type SecurityInfoProblem,
  securityInfoMessages,
  securityInfoProblem,
} from './security-info-messages.js';

export const basePath = '/mysecurityinfo';

interface Common {
  readonly language: PageLanguage;
  readonly branding: Branding;
}

/** Countries offered beside the phone number; "from the number" expects `+CC`. */
const countries: readonly { code: string; name: string; dial: string }[] = [
  { code: 'US', name: 'United States', dial: '1' },
  { code: 'CA', name: 'Canada', dial: '1' },
  { code: 'GB', name: 'United Kingdom', dial: '44' },
  { code: 'IE', name: 'Ireland', dial: '353' },
  { code: 'FR', name: 'France', dial: '33' },
  { code: 'BE', name: 'Belgique / België', dial: '32' },
  { code: 'CH', name: 'Schweiz / Suisse', dial: '41' },
  { code: 'LU', name: 'Luxembourg', dial: '352' },
  { code: 'DE', name: 'Deutschland', dial: '49' },
  { code: 'NL', name: 'Nederland', dial: '31' },
  { code: 'ES', name: 'España', dial: '34' },
  { code: 'IT', name: 'Italia', dial: '39' },
  { code: 'PT', name: 'Portugal', dial: '351' },
  { code: 'SE', name: 'Sverige', dial: '46' },
  { code: 'IN', name: 'India', dial: '91' },
  { code: 'AU', name: 'Australia', dial: '61' },
  { code: 'JP', name: '日本', dial: '81' },
  { code: 'BR', name: 'Brasil', dial: '55' },
  { code: 'MX', name: 'México', dial: '52' },
];

function Shell({
  language,
  branding,
  heading,
  problems = [],
  children,
}: Common & { heading: string; problems?: readonly SecurityInfoProblem[]; children: ComponentChildren }): VNode {
  const t = securityInfoMessages(language);
  return (
    <Page language={language} title={heading} branding={branding}>
      <h1>{heading}</h1>
      {problems.length > 0 ? (
        <div class="errors" role="alert" id="problems">
          <h2>{t.problemHeading}</h2>
          <ul>
            {[...new Set(problems)].map((problem) => (
              <li key={problem}>{securityInfoProblem(language, problem)}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {children}
    </Page>
  );
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="csrf_token" value={token} />;
}

/** An error beside a field, referenced by the field's `aria-describedby`. */
function FieldError({
  id,
  language,
  problem,
}: {
  id: string;
  language: PageLanguage;
  problem: SecurityInfoProblem | null;
}) {
  if (!problem) return null;
  return (
    <p class="field-error" id={id}>
      {securityInfoProblem(language, problem)}
    </p>
  );
}

export function SignInPage({
  language,
  branding,
  problem,
  status,
  userName,
  csrfToken,
}: Common & {
  problem: SecurityInfoProblem | null;
  status: string | null;
  userName: string;
  csrfToken: string;
}): VNode {
  const t = securityInfoMessages(language);
  const userProblem = problem === 'user_name_required' ? problem : null;
  const passwordProblem = problem && problem !== 'user_name_required' ? problem : null;
  return (
    <Shell language={language} branding={branding} heading={t.signInHeading} problems={problem ? [problem] : []}>
      {status ? (
        <p class="status" role="status">
          {status}
        </p>
      ) : null}
      <form method="post" action={`${basePath}/signin`} novalidate>
        <input type="hidden" name="csrf_token" value={csrfToken} />
        <p>{t.signInIntro}</p>
        <label for="username">{t.userName}</label>
        <p class="hint" id="username-hint">
          {t.userNameHint}
        </p>
        <FieldError id="username-error" language={language} problem={userProblem} />
        <input
          id="username"
          name="username"
          type="email"
          autocomplete="username"
          required
          maxLength={256}
          value={userName}
          aria-describedby={userProblem ? 'username-hint username-error' : 'username-hint'}
          aria-invalid={userProblem ? 'true' : undefined}
        />
        <label for="password">{t.password}</label>
        <FieldError id="password-error" language={language} problem={passwordProblem} />
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          maxLength={256}
          aria-describedby={passwordProblem ? 'password-error' : undefined}
          aria-invalid={passwordProblem ? 'true' : undefined}
        />
        <div class="actions">
          <button type="submit">{t.signIn}</button>
        </div>
      </form>
      <p>
        <a href="/passwordreset">{t.forgotPassword}</a>
      </p>
    </Shell>
  );
}

export function InterruptPage({ language, branding, overview }: Common & { overview: SecurityInfoOverview }): VNode {
  const t = securityInfoMessages(language);
  return (
    <Shell language={language} branding={branding} heading={t.interruptHeading}>
      <p>{overview.user.userPrincipalName}</p>
      <p>{t.interruptText}</p>
      <div class="actions">
        <form method="post" action={`${basePath}/start`}>
          <Csrf token={overview.csrfToken} />
          <button type="submit">{t.next}</button>
        </form>
        <form method="post" action={`${basePath}/skip`}>
          <Csrf token={overview.csrfToken} />
          <button type="submit" class="secondary">
            {t.skip}
          </button>
        </form>
      </div>
    </Shell>
  );
}

function methodName(t: SecurityInfoMessages, method: 'phone' | 'email' | 'securityQuestions'): string {
  return method === 'phone' ? t.methodPhone : method === 'email' ? t.methodEmail : t.methodQuestions;
}

export function ReviewPage({
  language,
  branding,
  overview,
  setup,
  saved,
  problem,
}: Common & {
  overview: SecurityInfoOverview;
  setup: boolean;
  saved: boolean;
  problem: SecurityInfoProblem | null;
}): VNode {
  const t = securityInfoMessages(language);
  const defaultMethod = overview.methods.find((method) => method.method === overview.defaultMethod);
  return (
    <Shell language={language} branding={branding} heading={t.reviewHeading} problems={problem ? [problem] : []}>
      {saved ? (
        <p class="status" role="status">
          {t.saved}
        </p>
      ) : null}
      <p>{overview.user.userPrincipalName}</p>
      <p>{setup ? t.reviewSetupIntro : t.reviewIntro}</p>
      <p>
        {defaultMethod
          ? fill(t.defaultMethod, {
              method: `${methodName(t, defaultMethod.method)}${defaultMethod.masked ? ` (${defaultMethod.masked})` : ''}`,
            })
          : t.noDefault}
      </p>
      <ul class="methods">
        {overview.methods
          .filter((method) => method.enabled || method.registered)
          .map((method) => (
            <li key={method.method}>
              {method.method === 'securityQuestions' ? (
                <span>
                  {method.registered
                    ? fill(t.questionsRegistered, { count: method.count })
                    : `${t.methodQuestions}: ${t.notSet}`}
                </span>
              ) : (
                <span>
                  {methodName(t, method.method)}: {method.masked ?? t.notSet}
                </span>
              )}{' '}
              {method.enabled ? (
                <a
                  href={`${basePath}/${method.method === 'securityQuestions' ? 'questions' : method.method}`}
                  aria-label={`${method.registered ? t.change : t.add} ${methodName(t, method.method)}`}
                >
                  {method.registered ? t.change : t.add}
                </a>
              ) : null}{' '}
              {method.registered && method.method !== 'securityQuestions' ? (
                <a
                  href={`${basePath}/delete?method=${method.method}`}
                  aria-label={`${t.delete} ${methodName(t, method.method)}`}
                >
                  {t.delete}
                </a>
              ) : null}
            </li>
          ))}
      </ul>
      {setup ? (
        <form method="post" action={`${basePath}/confirm`}>
          <Csrf token={overview.csrfToken} />
          <div class="actions">
            <button type="submit">{t.looksGood}</button>
          </div>
        </form>
      ) : null}
      <form method="post" action={`${basePath}/signout`}>
        <Csrf token={overview.csrfToken} />
        <button type="submit" class="link">
          {t.signOut}
        </button>
      </form>
    </Shell>
  );
}

export function PhonePage({
  language,
  branding,
  csrfToken,
  phone,
  region,
  channel,
  problem,
}: Common & {
  csrfToken: string;
  phone: string;
  region: string;
  channel: 'sms' | 'voice';
  problem: SecurityInfoProblem | null;
}): VNode {
  const t = securityInfoMessages(language);
  return (
    <Shell language={language} branding={branding} heading={t.phoneHeading} problems={problem ? [problem] : []}>
      <form method="post" action={`${basePath}/phone`} novalidate>
        <Csrf token={csrfToken} />
        <p>{t.phoneIntro}</p>
        <label for="region">{t.country}</label>
        <select id="region" name="region">
          <option value="" selected={region === ''}>
            {t.countryFromNumber}
          </option>
          {countries.map((country) => (
            <option key={country.code} value={country.code} selected={region === country.code}>
              {`${country.name} (+${country.dial})`}
            </option>
          ))}
        </select>
        <label for="phone">{t.phoneNumber}</label>
        <p class="hint" id="phone-hint">
          {t.phoneHint}
        </p>
        <FieldError id="phone-error" language={language} problem={problem} />
        <input
          id="phone"
          name="phone"
          type="tel"
          autocomplete="tel"
          required
          maxLength={64}
          value={phone}
          aria-describedby={problem ? 'phone-hint phone-error' : 'phone-hint'}
          aria-invalid={problem ? 'true' : undefined}
        />
        <fieldset>
          <legend>{t.channelLegend}</legend>
          <div class="choice">
            <input type="radio" id="channel-sms" name="channel" value="sms" checked={channel === 'sms'} />
            <label for="channel-sms">{t.channelSms}</label>
          </div>
          <div class="choice">
            <input type="radio" id="channel-voice" name="channel" value="voice" checked={channel === 'voice'} />
            <label for="channel-voice">{t.channelVoice}</label>
          </div>
        </fieldset>
        <div class="actions">
          <button type="submit">{t.next}</button>
          <a href={basePath}>{t.cancel}</a>
        </div>
      </form>
    </Shell>
  );
}

export function EmailPage({
  language,
  branding,
  csrfToken,
  email,
  problem,
}: Common & { csrfToken: string; email: string; problem: SecurityInfoProblem | null }): VNode {
  const t = securityInfoMessages(language);
  return (
    <Shell language={language} branding={branding} heading={t.emailHeading} problems={problem ? [problem] : []}>
      <form method="post" action={`${basePath}/email`} novalidate>
        <Csrf token={csrfToken} />
        <p id="email-intro">{t.emailIntro}</p>
        <label for="email">{t.emailAddress}</label>
        <FieldError id="email-error" language={language} problem={problem} />
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="email"
          required
          maxLength={254}
          value={email}
          aria-describedby={problem ? 'email-intro email-error' : 'email-intro'}
          aria-invalid={problem ? 'true' : undefined}
        />
        <div class="actions">
          <button type="submit">{t.next}</button>
          <a href={basePath}>{t.cancel}</a>
        </div>
      </form>
    </Shell>
  );
}

export function VerifyPage({
  language,
  branding,
  csrfToken,
  pending,
  problem,
}: Common & { csrfToken: string; pending: PendingVerification; problem: SecurityInfoProblem | null }): VNode {
  const t = securityInfoMessages(language);
  const sent =
    pending.channel === 'email' ? t.codeSentEmail : pending.channel === 'voice' ? t.codeSentVoice : t.codeSentSms;
  return (
    <Shell language={language} branding={branding} heading={t.verifyHeading} problems={problem ? [problem] : []}>
      <p class="status" role="status" id="code-sent">
        {fill(sent, { masked: pending.masked })}
      </p>
      <form method="post" action={`${basePath}/verify?flow=${encodeURIComponent(pending.flowId)}`} novalidate>
        <Csrf token={csrfToken} />
        <label for="code">{t.code}</label>
        <FieldError id="code-error" language={language} problem={problem} />
        <input
          id="code"
          name="code"
          type="text"
          inputMode="numeric"
          autocomplete="one-time-code"
          required
          maxLength={12}
          spellcheck={false}
          aria-describedby={problem ? 'code-sent code-error' : 'code-sent'}
          aria-invalid={problem ? 'true' : undefined}
        />
        <div class="actions">
          <button type="submit">{t.verify}</button>
          <a href={basePath}>{t.cancel}</a>
        </div>
      </form>
    </Shell>
  );
}

export function VerificationEndedPage({ language, branding }: Common): VNode {
  const t = securityInfoMessages(language);
  return (
    <Shell
      language={language}
      branding={branding}
      heading={t.verificationEndedHeading}
      problems={['verification_ended']}
    >
      <p>{t.verificationEnded}</p>
      <p>
        <a href={basePath}>{t.backToInfo}</a>
      </p>
    </Shell>
  );
}

export function QuestionsPage({
  language,
  branding,
  csrfToken,
  required,
  choices,
  fields,
}: Common & {
  csrfToken: string;
  required: number;
  choices: readonly { id: string; text: string }[];
  /** The questions chosen so far and any problem per row (answers are never echoed back). */
  fields: readonly QuestionField[];
}): VNode {
  const t = securityInfoMessages(language);
  const problems = fields.map((field) => field.problem).filter((problem) => problem !== null);
  return (
    <Shell language={language} branding={branding} heading={t.questionsHeading} problems={problems}>
      <form method="post" action={`${basePath}/questions`} novalidate>
        <Csrf token={csrfToken} />
        <p id="questions-intro">{fill(t.questionsIntro, { count: required })}</p>
        {Array.from({ length: required }, (_, index) => {
          const field = fields[index];
          const questionProblem = field?.field === 'question' ? field.problem : null;
          const answerProblem = field?.field === 'answer' ? field.problem : null;
          return (
            <div class="question" key={index}>
              <label for={`question-${index}`}>{fill(t.question, { number: index + 1 })}</label>
              <FieldError id={`question-${index}-error`} language={language} problem={questionProblem} />
              <select
                id={`question-${index}`}
                name={`question_${index}`}
                aria-describedby={questionProblem ? `question-${index}-error` : undefined}
                aria-invalid={questionProblem ? 'true' : undefined}
              >
                <option value="" selected={!field?.questionId}>
                  {t.chooseQuestion}
                </option>
                {choices.map((choice) => (
                  <option key={choice.id} value={choice.id} selected={field?.questionId === choice.id}>
                    {choice.text}
                  </option>
                ))}
              </select>
              <label for={`answer-${index}`}>{fill(t.answer, { number: index + 1 })}</label>
              <FieldError id={`answer-${index}-error`} language={language} problem={answerProblem} />
              <input
                id={`answer-${index}`}
                name={`answer_${index}`}
                type="text"
                autocomplete="off"
                required
                maxLength={40}
                aria-describedby={answerProblem ? `questions-intro answer-${index}-error` : 'questions-intro'}
                aria-invalid={answerProblem ? 'true' : undefined}
              />
            </div>
          );
        })}
        <div class="actions">
          <button type="submit">{t.save}</button>
          <a href={basePath}>{t.cancel}</a>
        </div>
      </form>
    </Shell>
  );
}

export function DeletePage({
  language,
  branding,
  csrfToken,
  method,
  masked,
}: Common & { csrfToken: string; method: 'phone' | 'email'; masked: string }): VNode {
  const t = securityInfoMessages(language);
  const name = methodName(t, method);
  return (
    <Shell language={language} branding={branding} heading={fill(t.deleteHeading, { method: name })}>
      <p>{fill(t.deleteText, { masked })}</p>
      <form method="post" action={`${basePath}/delete`}>
        <Csrf token={csrfToken} />
        <input type="hidden" name="method" value={method} />
        <div class="actions">
          <button type="submit">{t.confirmDelete}</button>
          <a href={basePath}>{t.cancel}</a>
        </div>
      </form>
    </Shell>
  );
}

export function ForbiddenPage({ language, branding }: Common): VNode {
  const t = securityInfoMessages(language);
  return (
    <Shell language={language} branding={branding} heading={t.forbiddenHeading}>
      <p>{t.forbiddenText}</p>
      <p>
        <a href={basePath}>{t.backToInfo}</a>
      </p>
    </Shell>
  );
}
