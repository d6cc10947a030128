import type { VNode } from 'preact';
import type { ResetView } from '../../../services/self-service/password-reset-service.js';
import type { PageLanguage } from '../language.js';
import { type Branding, Page } from '../page.js';
import { fill, problemMessage, type ResetMessages, resetMessages } from './reset-messages.js';

interface Props {
  readonly view: ResetView;
  readonly language: PageLanguage;
  readonly branding: Branding;
}

/** The page for a reset flow's step: one form per step, posting to `/passwordreset/{action}?flow=...`. */
export function ResetPage({ view, language, branding }: Props): VNode {
  const t = resetMessages(language);
  const action = (name: string) => `/passwordreset/${name}?flow=${encodeURIComponent(view.flowId)}`;
  const csrf = <input type="hidden" name="csrf_token" value={view.csrfToken} />;
  const errors = <Problems view={view} language={language} t={t} />;
  const progress =
    view.gatesRequired === 2 && ['chooseMethod', 'confirmPhone', 'enterCode', 'answerQuestions'].includes(view.step) ? (
      <p class="step">{fill(t.stepOf, { current: Math.min(view.gatesPassed + 1, 2), total: 2 })}</p>
    ) : null;
  const backButton = (
    <form method="post" action={action('back')}>
      {csrf}
      <button type="submit" class="secondary">
        {t.back}
      </button>
    </form>
  );
  const page = (heading: string, body: VNode) => (
    <Page language={language} title={heading} branding={{ ...branding, helpdesk: view.helpdesk ?? branding.helpdesk }}>
      <h1>{heading}</h1>
      {progress}
      {errors}
      {body}
    </Page>
  );

  switch (view.step) {
    case 'identify':
      return page(
        t.identifyHeading,
        <form method="post" action={action('identify')} novalidate>
          {csrf}
          <p>{t.identifyIntro}</p>
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
            aria-describedby="username-hint"
            value={view.userName ?? ''}
          />
          {view.captchaSvg ? (
            <>
              <img
                class="captcha"
                src={`data:image/svg+xml;base64,${Buffer.from(view.captchaSvg).toString('base64')}`}
                alt={t.captchaImage}
                width={200}
                height={70}
              />
              <label for="captcha">{t.captchaLabel}</label>
              <input
                id="captcha"
                name="captcha"
                type="text"
                autocomplete="off"
                required
                maxLength={16}
                spellcheck={false}
              />
            </>
          ) : null}
          <div class="actions">
            <button type="submit">{t.next}</button>
          </div>
        </form>,
      );

    case 'chooseMethod':
      return page(
        view.gatesPassed > 0 ? t.secondGate : t.chooseHeading,
        view.methods.length === 0 ? (
          <p>{t.noMethods}</p>
        ) : (
          <form method="post" action={action('method')}>
            {csrf}
            <fieldset>
              <legend class="visually-hidden">{view.gatesPassed > 0 ? t.secondGate : t.chooseHeading}</legend>
              {view.methods.flatMap((choice, index) => {
                const options: { value: string; label: string }[] = [];
                const masked = choice.masked ?? '';
                if (choice.method === 'email') options.push({ value: 'email', label: fill(t.methodEmail, { masked }) });
                if (choice.method === 'mobilePhone') {
                  options.push({ value: 'mobilePhone:sms', label: fill(t.methodSms, { masked }) });
                  options.push({ value: 'mobilePhone:voice', label: fill(t.methodMobileCall, { masked }) });
                }
                if (choice.method === 'officePhone') {
                  options.push({ value: 'officePhone:voice', label: fill(t.methodOfficeCall, { masked }) });
                }
                if (choice.method === 'securityQuestions')
                  options.push({ value: 'securityQuestions', label: t.methodQuestions });
                return options.map((option, optionIndex) => (
                  <div class="choice" key={option.value}>
                    <input
                      type="radio"
                      id={`method-${option.value.replace(':', '-')}`}
                      name="method"
                      value={option.value}
                      checked={index === 0 && optionIndex === 0}
                    />
                    <label for={`method-${option.value.replace(':', '-')}`}>{option.label}</label>
                  </div>
                ));
              })}
            </fieldset>
            <div class="actions">
              <button type="submit">{t.next}</button>
            </div>
          </form>
        ),
      );

    case 'confirmPhone':
      return page(
        t.confirmPhoneHeading,
        <>
          <form method="post" action={action('phone')} novalidate>
            {csrf}
            <p id="phone-intro">{fill(t.confirmPhoneIntro, { masked: view.current?.masked ?? '' })}</p>
            <label for="phone">{t.phoneNumber}</label>
            <input
              id="phone"
              name="phone"
              type="tel"
              autocomplete="tel"
              required
              maxLength={64}
              aria-describedby="phone-intro"
            />
            <div class="actions">
              <button type="submit">{view.current?.channel === 'voice' ? t.sendCall : t.sendText}</button>
            </div>
          </form>
          <div class="actions">{backButton}</div>
        </>,
      );

    case 'enterCode': {
      const masked = view.current?.masked ?? '';
      const sent =
        view.current?.channel === 'email'
          ? t.codeSentEmail
          : view.current?.channel === 'voice'
            ? t.codeSentVoice
            : t.codeSentSms;
      return page(
        t.enterCodeHeading,
        <>
          {view.deliveryFailed ? (
            <div class="errors" role="alert">
              <p>{t.deliveryFailed}</p>
            </div>
          ) : (
            <p class="status" role="status">
              {fill(sent, { masked })}
            </p>
          )}
          <form method="post" action={action('code')} novalidate>
            {csrf}
            <label for="code">{t.code}</label>
            <input
              id="code"
              name="code"
              type="text"
              inputMode="numeric"
              autocomplete="one-time-code"
              required
              maxLength={12}
              spellcheck={false}
            />
            <div class="actions">
              <button type="submit">{t.next}</button>
            </div>
          </form>
          <div class="actions">
            <form method="post" action={action('resend')}>
              {csrf}
              <button type="submit" class="secondary">
                {t.resend}
              </button>
            </form>
            <form method="post" action={action('back')}>
              {csrf}
              <button type="submit" class="secondary">
                {t.tryAnotherMethod}
              </button>
            </form>
          </div>
        </>,
      );
    }

    case 'answerQuestions':
      return page(
        t.questionsHeading,
        <>
          <form method="post" action={action('questions')} novalidate>
            {csrf}
            {view.questions.map((question, index) => (
              <div key={question.id}>
                <label for={`answer-${index}`}>{question.text}</label>
                <input type="hidden" name={`question_${index}`} value={question.id} />
                <input
                  id={`answer-${index}`}
                  name={`answer_${index}`}
                  type="text"
                  autocomplete="off"
                  required
                  maxLength={80}
                />
              </div>
            ))}
            <div class="actions">
              <button type="submit">{t.next}</button>
            </div>
          </form>
          <div class="actions">{backButton}</div>
        </>,
      );

    case 'newPassword':
      return page(
        t.newPasswordHeading,
        <form method="post" action={action('password')} novalidate>
          {csrf}
          <p class="hint" id="password-hint">
            {t.passwordHint}
          </p>
          <input type="text" name="username" autocomplete="username" value={view.userName ?? ''} hidden readOnly />
          <label for="new-password">{t.newPassword}</label>
          <input
            id="new-password"
            name="new_password"
            type="password"
            autocomplete="new-password"
            required
            maxLength={256}
            aria-describedby="password-hint"
          />
          <label for="confirm-password">{t.confirmPassword}</label>
          <input
            id="confirm-password"
            name="confirm_password"
            type="password"
            autocomplete="new-password"
            required
            maxLength={256}
          />
          <div class="actions">
            <button type="submit">{t.finish}</button>
          </div>
        </form>,
      );

    case 'done':
      return page(
        t.doneHeading,
        <p role="status" class="status">
          {t.doneText}
        </p>,
      );

    case 'blocked':
      return page(t.blockedHeading, <p>{t.blockedText}</p>);

    case 'expired':
      return ExpiredPage({ language, branding });
  }
}

/** Unknown, expired, tampered or foreign flows all land here, with a link to start over. */
export function ExpiredPage({ language, branding }: { language: PageLanguage; branding: Branding }): VNode {
  const t = resetMessages(language);
  return (
    <Page language={language} title={t.expiredHeading} branding={branding}>
      <h1>{t.expiredHeading}</h1>
      <p>{t.expiredText}</p>
      <p>
        <a href="/passwordreset">{t.startOver}</a>
      </p>
    </Page>
  );
}

function Problems({ view, language, t }: { view: ResetView; language: PageLanguage; t: ResetMessages }): VNode | null {
  if (view.problems.length === 0) return null;
  return (
    <div class="errors" role="alert" id="problems">
      <h2>{t.problemHeading}</h2>
      <ul>
        {view.problems.map((problem) => (
          <li key={problem}>{problemMessage(language, problem)}</li>
        ))}
      </ul>
    </div>
  );
}
