import { randomBytes } from 'node:crypto';
import type { AuditEventDraft, RequestContext } from '../../domain/audit.js';
import { userTarget } from '../../domain/audit.js';
import {
  type AuthenticationMethodSet,
  evaluateSsprReadiness,
  type PhoneType,
  type SsprReadiness,
} from '../../domain/authentication-methods.js';
import { isValidAlternateEmail, maskEmailAddress } from '../../domain/email-address.js';
import { maskPhoneNumber, normalizePhoneNumber } from '../../domain/phone-number.js';
import {
  checkCode,
  newVerification,
  type RegistrationChannel,
  type RegistrationMethod,
  registrationCodeLifetimeMs,
  registrationDue,
  registrationFlowLifetimeMs,
  registrationFlowSchemaVersion,
  type VerificationState,
} from '../../domain/registration-flow.js';
import {
  answerLength,
  normalizeSecurityAnswer,
  predefinedSecurityQuestions,
  type SecurityQuestionAnswer,
} from '../../domain/security-questions.js';
import type { StoredCode, StoredFlow } from '../../domain/self-service-records.js';
import { administratorPolicy, enabledMethods, type SsprMethod, type SsprPolicy } from '../../domain/sspr-policy.js';
import type { DirectoryUser } from '../../domain/user.js';
import { sessionActivityDue, sessionEnded } from '../../domain/web-session.js';
import type { CodeDelivery } from '../delivery/code-delivery.js';
import type { UserLookup } from '../users/find-user.js';
import { FlowSecrets } from './flow-secrets.js';
import type { FlowStore } from './password-reset-service.js';
import { ssprLimits } from './sspr-limits.js';

export interface WebSession {
  readonly idHash: string;
  readonly userId: string;
  readonly csrfHash: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
}

export interface RegistrationTimes {
  readonly registeredAt: string | null;
  readonly confirmedAt: string | null;
  readonly skippedAt: string | null;
}

/** What the service asks of the store for sessions and the registration record. */
export interface SessionStore {
  insert(session: WebSession): Promise<void>;
  find(idHash: string): Promise<WebSession | undefined>;
  touch(idHash: string, lastSeenAt: string): Promise<void>;
  delete(idHash: string): Promise<void>;
  forcesPasswordChange(userId: string): Promise<boolean>;
  registrationOf(userId: string): Promise<RegistrationTimes | undefined>;
  recordRegistration(
    userId: string,
    changes: Partial<RegistrationTimes>,
    audit?: AuditEventDraft | null,
    at?: Date,
  ): Promise<void>;
}

/**
 * Checks a synced user's password against the on-premises directory (pass-through bind; the container plugs in
 * the LDAP check from the directory sync settings). False, never an error, when the directory cannot be asked.
 * Null: synced users cannot sign in (the generic failure).
 */
export interface OnPremisesPasswordCheck {
  verify(user: DirectoryUser, password: string): Promise<boolean>;
}

export interface SecurityInfoDependencies {
  readonly sessions: SessionStore;
  readonly flows: FlowStore;
  readonly users: UserLookup & { findPasswordHash(id: string): Promise<string | null> };
  readonly methods: {
    load(userId: string): Promise<AuthenticationMethodSet>;
    putPhone(
      userId: string,
      type: PhoneType,
      phoneNumber: string,
      mode: 'add' | 'update',
      audit: AuditEventDraft,
    ): Promise<void>;
    deletePhone(userId: string, type: PhoneType, audit: AuditEventDraft): Promise<void>;
    putEmail(userId: string, emailAddress: string, mode: 'add' | 'update', audit: AuditEventDraft): Promise<void>;
    deleteEmail(userId: string, audit: AuditEventDraft): Promise<void>;
  };
  readonly questions: {
    register(context: RequestContext, userRef: string, answers: readonly SecurityQuestionAnswer[]): Promise<void>;
  };
  readonly roles: { rolesOf(userId: string): Promise<string[]> };
  readonly policy: {
    current(): Promise<SsprPolicy>;
    customQuestions(): Promise<{ id: string; text: string }[]>;
  };
  /** Send limits, and sign-in throttling under a key of its own (never the reset flow's lockout). */
  readonly limits: {
    recordSend(
      send: { destinationKey: string; ipAddress: string | null; channel: string; at: Date },
      since: Date,
    ): Promise<{ toDestination: number; fromAddress: number }>;
    recordAttempt(subjectKey: string, kind: string, at: Date, since: Date): Promise<number>;
    block(
      block: { subjectKey: string; userId: string | null; until: Date; reason: string; at: Date },
      audit: AuditEventDraft | null,
    ): Promise<void>;
    blockedUntil(subjectKey: string, now: Date): Promise<Date | null>;
  };
  readonly delivery: CodeDelivery;
  readonly passwords: {
    hash(password: string): Promise<string>;
    verify(hash: string, password: string): Promise<boolean>;
  };
  readonly onPremises: OnPremisesPasswordCheck | null;
  readonly secrets: FlowSecrets;
  readonly clock: () => Date;
  readonly newId: () => string;
}

/** 60 minutes idle, 8 hours at most (SPEC section 6 sessions). */
export const sessionIdleMs = 60 * 60_000;
export const sessionLifetimeMs = 8 * 60 * 60_000;
/** Ten failed sign-ins for one user ID within 15 minutes pause sign-in for that user ID for 15 minutes. */
export const signInFailureLimit = 10;
export const signInWindowMs = 15 * 60_000;
/** Failed sign-ins from one client address (any user IDs) within the window before that address is paused. */
export const signInFailuresPerAddress = 50;

export type SignInProblem = 'sign_in_failed' | 'sign_in_limited' | 'must_reset' | 'user_name_required';

export type SignInResult =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly problem: SignInProblem };

/** A checked session: only `authenticate` makes one, so holding one is proof of a valid cookie (and CSRF). */
export interface ActiveSession {
  readonly idHash: string;
  readonly user: DirectoryUser;
  readonly csrfToken: string;
  readonly startedAt: Date;
  readonly ipAddress: string | null;
  readonly language: string;
}

/** The session cookie is missing, unknown, idle or expired. */
export class SessionNotFound extends Error {
  constructor() {
    super('No valid My Security Info session.');
  }
}

/** The form's CSRF token is missing or wrong. */
export class CsrfRejected extends Error {
  constructor() {
    super('The form was not issued by this session.');
  }
}

export interface MethodSummary {
  readonly method: 'phone' | 'email' | 'securityQuestions';
  /** Allowed by the policy that applies to the user. */
  readonly enabled: boolean;
  readonly registered: boolean;
  /** Masked number or address; the count of questions for security questions. */
  readonly masked: string | null;
  readonly count: number;
}

export interface SecurityInfoOverview {
  readonly user: { readonly displayName: string | null; readonly userPrincipalName: string };
  readonly csrfToken: string;
  readonly registrationDue: boolean;
  readonly isSsprRegistered: boolean;
  readonly methods: readonly MethodSummary[];
  readonly defaultMethod: MethodSummary['method'] | null;
  readonly numberOfMethodsRequired: 1 | 2;
}

export interface PhoneForm {
  readonly phone: string;
  readonly region: string;
  readonly channel: 'sms' | 'voice';
}

export type VerificationProblem =
  | 'phone_invalid'
  | 'phone_country_blocked'
  | 'email_invalid'
  | 'send_limited'
  | 'delivery_failed'
  | 'method_disabled'
  | 'code_invalid'
  | 'verification_ended';

export interface PendingVerification {
  readonly flowId: string;
  readonly method: RegistrationMethod;
  readonly channel: RegistrationChannel;
  readonly masked: string;
}

export type StartResult =
  | { readonly ok: true; readonly pending: PendingVerification }
  | { readonly ok: false; readonly problem: VerificationProblem };

export type VerifyResult =
  | { readonly outcome: 'saved'; readonly method: RegistrationMethod }
  | { readonly outcome: 'invalid'; readonly pending: PendingVerification }
  | { readonly outcome: 'ended' };

export type QuestionProblem = 'question_required' | 'question_repeated' | 'answer_length' | 'answer_repeated';

export interface QuestionField {
  readonly questionId: string;
  readonly problem: QuestionProblem | null;
  /** Which of the two fields the problem belongs to. */
  readonly field: 'question' | 'answer' | null;
}

export type QuestionsResult = { readonly ok: true } | { readonly ok: false; readonly fields: readonly QuestionField[] };

const methodsService = 'Authentication Methods' as const;
const selfService = 'Self-service Password Management' as const;

/**
 * My Security Info (SPEC section 6): password sign-in to a short web session, the "More information required"
 * interrupt, and the user's own authentication phone, email and security questions. A phone number or address is
 * saved only after a code sent to it comes back (a `registration` flow with its codes, like the reset flow's).
 */
export class SecurityInfoService {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly deps: SecurityInfoDependencies) {}

  /**
   * Unknown user, wrong password and disabled account give the same answer after the same argon2 work. Only a
   * correct password reveals that the user must reset it first; synced users fail until directory sync checks them.
   */
  async signIn(input: { userName: string; password: string; ipAddress: string | null }): Promise<SignInResult> {
    const checked = await this.checkCredentials(input);
    if (!checked.ok) return checked;
    const now = this.deps.clock();
    const token = FlowSecrets.token();
    await this.deps.sessions.insert({
      idHash: FlowSecrets.sha256(token),
      userId: checked.user.id,
      csrfHash: FlowSecrets.sha256(this.csrfToken(token)),
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + sessionLifetimeMs).toISOString(),
    });
    return { ok: true, token };
  }

  /**
   * The password check behind every web sign-in (My Security Info and the admin portal), with its throttles:
   * the same argon2 work and the same `sign_in_failed` for an unknown user, a wrong password, a disabled
   * account, a synced user the on-premises directory refuses and, with `requireDirectoryRole`, a user who
   * holds no directory role (counted as a failure too, so the portal tells nothing more than a wrong password).
   */
  async checkCredentials(
    input: { userName: string; password: string; ipAddress: string | null },
    options: { readonly requireDirectoryRole?: boolean } = {},
  ): Promise<
    { readonly ok: true; readonly user: DirectoryUser } | { readonly ok: false; readonly problem: SignInProblem }
  > {
    const upn = input.userName.trim();
    const now = this.deps.clock();
    // Keyed by the typed user ID, known or not, so the throttle tells nothing about which accounts exist.
    const subjectKey = this.deps.secrets.mac('web-sign-in', upn.normalize('NFKC').toLowerCase());
    // And by client address: spraying one password over many user IDs is throttled too.
    const addressKey = input.ipAddress ? this.deps.secrets.mac('web-sign-in-address', input.ipAddress) : null;
    if (
      (upn.length > 0 && (await this.deps.limits.blockedUntil(subjectKey, now))) ||
      (addressKey && (await this.deps.limits.blockedUntil(addressKey, now)))
    ) {
      return { ok: false, problem: 'sign_in_limited' };
    }
    const user = upn.length > 0 && upn.length <= 256 ? await this.deps.users.findByUserPrincipalName(upn) : undefined;
    const storedHash = user ? await this.deps.users.findPasswordHash(user.id) : null;
    this.dummyHash ??= this.deps.passwords.hash(randomBytes(16).toString('hex'));
    const verified = await this.deps.passwords.verify(storedHash ?? (await this.dummyHash), input.password);
    if (upn.length === 0) return { ok: false, problem: 'user_name_required' };
    const failed = async (): Promise<{ readonly ok: false; readonly problem: SignInProblem }> => {
      const count = await this.deps.limits.recordAttempt(
        subjectKey,
        'webSignInFailure',
        now,
        new Date(now.getTime() - signInWindowMs),
      );
      if (addressKey) {
        const fromAddress = await this.deps.limits.recordAttempt(
          addressKey,
          'webSignInFailure',
          now,
          new Date(now.getTime() - signInWindowMs),
        );
        if (fromAddress >= signInFailuresPerAddress) {
          await this.deps.limits.block(
            {
              subjectKey: addressKey,
              userId: null,
              until: new Date(now.getTime() + signInWindowMs),
              reason: 'Too many failed sign-ins from one address',
              at: now,
            },
            null,
          );
        }
      }
      if (count >= signInFailureLimit) {
        await this.deps.limits.block(
          {
            subjectKey,
            userId: null,
            until: new Date(now.getTime() + signInWindowMs),
            reason: 'Too many failed sign-ins',
            at: now,
          },
          null,
        );
      }
      return { ok: false, problem: 'sign_in_failed' };
    };
    if (user?.onPremisesSyncEnabled && user.accountEnabled) {
      // Pass-through sign-in. Without the on-premises check (or with the directory unreachable) a synced user
      // fails like a wrong password: a distinct message would tell anyone that the account exists and is synced.
      if (!this.deps.onPremises) return failed();
      if (!(await this.deps.onPremises.verify(user, input.password))) return failed();
    } else if (!user?.accountEnabled || storedHash === null || !verified) {
      return failed();
    }
    if (options.requireDirectoryRole && (await this.deps.roles.rolesOf(user.id)).length === 0) return failed();
    if (await this.deps.sessions.forcesPasswordChange(user.id)) return { ok: false, problem: 'must_reset' };
    return { ok: true, user };
  }

  /**
   * The session behind a cookie, refreshed; for a POST `csrf` must be the session's token (a missing one is '').
   * Throws `SessionNotFound` or `CsrfRejected`.
   */
  async authenticate(
    token: string | null,
    request: { ipAddress: string | null; language: string; csrf?: string },
  ): Promise<ActiveSession> {
    if (!token || !/^[\w-]{16,64}$/.test(token)) throw new SessionNotFound();
    const idHash = FlowSecrets.sha256(token);
    const stored = await this.deps.sessions.find(idHash);
    const now = this.deps.clock();
    if (!stored) throw new SessionNotFound();
    if (sessionEnded(stored, now, sessionIdleMs)) {
      await this.deps.sessions.delete(idHash);
      throw new SessionNotFound();
    }
    const user = await this.deps.users.findById(stored.userId);
    if (!user?.accountEnabled) {
      await this.deps.sessions.delete(idHash);
      throw new SessionNotFound();
    }
    const csrfToken = this.csrfToken(token);
    if (request.csrf !== undefined) {
      const presented = FlowSecrets.sha256(request.csrf);
      if (!this.deps.secrets.same(presented, stored.csrfHash)) throw new CsrfRejected();
    }
    if (sessionActivityDue(stored.lastSeenAt, now)) await this.deps.sessions.touch(idHash, now.toISOString());
    return {
      idHash,
      user,
      csrfToken,
      startedAt: new Date(stored.createdAt),
      ipAddress: request.ipAddress,
      language: request.language,
    };
  }

  async signOut(session: ActiveSession): Promise<void> {
    await this.deps.sessions.delete(session.idHash);
  }

  async overview(session: ActiveSession): Promise<SecurityInfoOverview> {
    const { user } = session;
    const [readiness, methods, registration, policy] = await Promise.all([
      this.readiness(user),
      this.deps.methods.load(user.id),
      this.deps.sessions.registrationOf(user.id),
      this.deps.policy.current(),
    ]);
    const enabled = (method: 'email' | 'mobilePhone' | 'securityQuestions') =>
      enabledInEffectivePolicy(readiness, policy, method);
    const phone = methods.phones.mobile ?? null;
    const summaries: MethodSummary[] = [
      {
        method: 'phone',
        enabled: enabled('mobilePhone'),
        registered: phone !== null,
        masked: phone ? maskPhoneNumber(phone) : null,
        count: phone ? 1 : 0,
      },
      {
        method: 'email',
        enabled: enabled('email'),
        registered: methods.email !== null,
        masked: methods.email ? maskEmailAddress(methods.email) : null,
        count: methods.email ? 1 : 0,
      },
      {
        method: 'securityQuestions',
        enabled: enabled('securityQuestions'),
        registered: methods.securityQuestionCount > 0,
        masked: null,
        count: methods.securityQuestionCount,
      },
    ];
    const usable = (method: string, source: string) =>
      readiness.methods.some((entry) => entry.method === method && entry.usable && entry.source === source);
    const defaultMethod = usable('mobilePhone', 'authenticationPhone')
      ? 'phone'
      : usable('email', 'authenticationEmail')
        ? 'email'
        : usable('securityQuestions', 'securityQuestions')
          ? 'securityQuestions'
          : null;
    const date = (value: string | null | undefined) => (value ? new Date(value) : null);
    return {
      user: { displayName: user.displayName, userPrincipalName: user.userPrincipalName },
      csrfToken: session.csrfToken,
      registrationDue: registrationDue({
        requiredOnSignIn: policy.registrationRequiredOnSignIn,
        reconfirmIntervalInDays: policy.registrationReconfirmIntervalInDays,
        isSsprRegistered: readiness.isSsprRegistered,
        confirmedAt: date(registration?.confirmedAt ?? registration?.registeredAt),
        skippedAt: date(registration?.skippedAt),
        sessionStartedAt: session.startedAt,
        now: this.deps.clock(),
      }),
      isSsprRegistered: readiness.isSsprRegistered,
      methods: summaries,
      defaultMethod,
      numberOfMethodsRequired: readiness.numberOfMethodsRequired,
    };
  }

  /** "Next" on the interrupt. */
  async startRegistration(session: ActiveSession): Promise<void> {
    await this.deps.sessions.recordRegistration(
      session.user.id,
      {},
      this.audit(session, selfService, 'User started security info registration', 'Other', []),
      this.deps.clock(),
    );
  }

  /** "Skip for now": in for this session, asked again at the next sign-in. */
  async skip(session: ActiveSession): Promise<void> {
    await this.deps.sessions.recordRegistration(session.user.id, { skippedAt: this.deps.clock().toISOString() });
  }

  /** "Looks good": false when the user is not registered enough yet. */
  async confirm(session: ActiveSession): Promise<boolean> {
    if (!(await this.readiness(session.user)).isSsprRegistered) return false;
    await this.deps.sessions.recordRegistration(session.user.id, { confirmedAt: this.deps.clock().toISOString() });
    return true;
  }

  /** The values the forms start with: the authentication layer's, else the pre-populated profile fields. */
  async prefill(session: ActiveSession): Promise<{ phone: string; email: string }> {
    const methods = await this.deps.methods.load(session.user.id);
    return {
      phone: methods.phones.mobile ?? session.user.mobilePhone ?? '',
      email: methods.email ?? session.user.otherMails[0] ?? '',
    };
  }

  async startPhone(session: ActiveSession, form: PhoneForm): Promise<StartResult> {
    const policy = await this.deps.policy.current();
    if (!(await this.isEnabled(session.user, 'mobilePhone'))) return { ok: false, problem: 'method_disabled' };
    const region = /^[A-Z]{2}$/.test(form.region) ? form.region : undefined;
    const normalized = normalizePhoneNumber(form.phone.slice(0, 64), region ? { defaultRegion: region } : {});
    if (!normalized.ok) return { ok: false, problem: 'phone_invalid' };
    const countryCode = normalized.value.replace(/^\+/, '').split(' ')[0] ?? '';
    if (policy.blockedCountryCodes.includes(countryCode)) return { ok: false, problem: 'phone_country_blocked' };
    return this.startVerification(session, newVerification('phone', form.channel, normalized.value));
  }

  async startEmail(session: ActiveSession, input: { email: string }): Promise<StartResult> {
    if (!(await this.isEnabled(session.user, 'email'))) return { ok: false, problem: 'method_disabled' };
    const email = input.email.trim();
    if (!isValidAlternateEmail(email)) return { ok: false, problem: 'email_invalid' };
    return this.startVerification(session, newVerification('email', 'email', email));
  }

  /** Checks a code; a match saves the value (with its audit events), five misses end the verification. */
  async verify(session: ActiveSession, flowId: string, presentedCode: string): Promise<VerifyResult> {
    const loaded = await this.loadFlow(session, flowId);
    if (loaded?.state.status !== 'pending') return { outcome: 'ended' };
    const now = this.deps.clock();
    const presented = presentedCode.replace(/\s+/g, '');
    const destinationKey = this.deps.secrets.mac('destination', loaded.state.destination);
    const presentedHash = this.deps.secrets.mac('code', flowId, destinationKey, presented);
    const code = await this.deps.flows.activeCode(flowId, now.toISOString());
    let valid = false;
    if (code && /^\d{8}$/.test(presented) && code.destinationKey === destinationKey) {
      valid =
        this.deps.secrets.same(presentedHash, code.codeHash) &&
        (await this.deps.flows.consumeCode(code.id, now.toISOString()));
    }
    const next = checkCode(loaded.state, valid);
    const saved = await this.deps.flows.save({
      ...loaded.stored,
      revision: loaded.stored.revision + 1,
      state: next.state.status,
      data: JSON.stringify(next.state),
      updatedAt: now.toISOString(),
    });
    if (!saved) return { outcome: 'ended' };
    if (next.outcome === 'ended') return { outcome: 'ended' };
    if (next.outcome === 'invalid') return { outcome: 'invalid', pending: pendingOf(flowId, next.state) };
    await this.save(session, next.state);
    return { outcome: 'saved', method: next.state.method };
  }

  async deleteMethod(session: ActiveSession, method: 'phone' | 'email'): Promise<void> {
    const { user } = session;
    const methods = await this.deps.methods.load(user.id);
    if (method === 'phone') {
      const before = methods.phones.mobile;
      if (!before) return;
      await this.deps.methods.deletePhone(
        user.id,
        'mobile',
        this.audit(session, methodsService, 'User deleted security info', 'Delete', [change('mobile', before, null)]),
      );
    } else {
      if (!methods.email) return;
      await this.deps.methods.deleteEmail(
        user.id,
        this.audit(session, methodsService, 'User deleted security info', 'Delete', [
          change('email', methods.email, null),
        ]),
      );
    }
  }

  /** The questions a user may pick from: the predefined ones, then the tenant's custom ones. */
  async questionChoices(): Promise<{ readonly required: number; readonly choices: { id: string; text: string }[] }> {
    const [policy, custom] = await Promise.all([this.deps.policy.current(), this.deps.policy.customQuestions()]);
    return {
      required: policy.numberOfQuestionsToRegister,
      choices: [...Object.entries(predefinedSecurityQuestions).map(([id, text]) => ({ id, text })), ...custom],
    };
  }

  /** Exactly the policy's number of distinct questions with distinct 3-40 character answers; problems per field. */
  async registerQuestions(
    session: ActiveSession,
    answers: readonly SecurityQuestionAnswer[],
  ): Promise<QuestionsResult> {
    if (!(await this.isEnabled(session.user, 'securityQuestions'))) {
      return {
        ok: false,
        fields: answers.map((entry) => ({ questionId: entry.questionId, problem: null, field: null })),
      };
    }
    const { required, choices } = await this.questionChoices();
    const known = new Set(choices.map((choice) => choice.id));
    const seenQuestions = new Set<string>();
    const seenAnswers = new Set<string>();
    const fields: QuestionField[] = [];
    for (let index = 0; index < required; index++) {
      const entry = answers[index] ?? { questionId: '', answer: '' };
      const length = [...entry.answer.trim()].length;
      const normalized = normalizeSecurityAnswer(entry.answer);
      let field: QuestionField = { questionId: entry.questionId, problem: null, field: null };
      if (!known.has(entry.questionId)) field = { ...field, problem: 'question_required', field: 'question' };
      else if (seenQuestions.has(entry.questionId))
        field = { ...field, problem: 'question_repeated', field: 'question' };
      else if (length < answerLength.min || length > answerLength.max)
        field = { ...field, problem: 'answer_length', field: 'answer' };
      else if (seenAnswers.has(normalized)) field = { ...field, problem: 'answer_repeated', field: 'answer' };
      seenQuestions.add(entry.questionId);
      if (length > 0) seenAnswers.add(normalized);
      fields.push(field);
    }
    if (fields.some((field) => field.problem !== null)) return { ok: false, fields };
    const before = await this.readiness(session.user);
    const context: RequestContext = {
      principal: {
        kind: 'user',
        userId: session.user.id,
        userPrincipalName: session.user.userPrincipalName,
        scopes: new Set(),
        roles: new Set(),
      },
      correlationId: this.deps.newId(),
      ipAddress: session.ipAddress,
    };
    await this.deps.questions.register(context, session.user.id, answers.slice(0, required));
    await this.afterSave(session, before);
    return { ok: true };
  }

  // --- plumbing ----------------------------------------------------------------------------------------------

  /** The CSRF token of a session: an HMAC of the cookie value, so nothing but its hash is stored. */
  private csrfToken(token: string): string {
    return this.deps.secrets.mac('session-csrf', token);
  }

  private async readiness(user: DirectoryUser): Promise<SsprReadiness> {
    const [methods, roles, policy] = await Promise.all([
      this.deps.methods.load(user.id),
      this.deps.roles.rolesOf(user.id),
      this.deps.policy.current(),
    ]);
    return evaluateSsprReadiness({ user, methods, tenantPolicy: policy, isAdministrator: roles.length > 0 });
  }

  private async isEnabled(
    user: DirectoryUser,
    method: 'email' | 'mobilePhone' | 'securityQuestions',
  ): Promise<boolean> {
    const [readiness, policy] = await Promise.all([this.readiness(user), this.deps.policy.current()]);
    return enabledInEffectivePolicy(readiness, policy, method);
  }

  private async startVerification(session: ActiveSession, state: VerificationState): Promise<StartResult> {
    const now = this.deps.clock();
    const destinationKey = this.deps.secrets.mac('destination', state.destination);
    const counts = await this.deps.limits.recordSend(
      { destinationKey, ipAddress: session.ipAddress, channel: state.channel, at: now },
      new Date(now.getTime() - ssprLimits.sendWindowMs),
    );
    if (counts.toDestination > ssprLimits.sendsPerDestination || counts.fromAddress > ssprLimits.sendsPerAddress) {
      return { ok: false, problem: 'send_limited' };
    }
    const flowId = FlowSecrets.token();
    await this.deps.flows.insert({
      id: flowId,
      kind: 'registration',
      schemaVersion: registrationFlowSchemaVersion,
      revision: 0,
      state: state.status,
      userId: session.user.id,
      data: JSON.stringify(state),
      // Bound to the session: another session (or none) cannot use the flow.
      csrfHash: FlowSecrets.sha256(session.csrfToken),
      bindingHash: session.idHash,
      ipAddress: session.ipAddress,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + registrationFlowLifetimeMs).toISOString(),
    });
    const code = FlowSecrets.code();
    const stored: StoredCode = {
      id: this.deps.newId(),
      flowId,
      channel: state.channel,
      destinationKey,
      codeHash: this.deps.secrets.mac('code', flowId, destinationKey, code),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + registrationCodeLifetimeMs).toISOString(),
      deliveryStatus: 'pending',
    };
    await this.deps.flows.replaceCode(stored);
    const outcome = await this.deps.delivery.sendCode({
      channel: state.channel,
      to: state.destination,
      code,
      purpose: 'securityInfoRegistration',
      language: session.language,
    });
    await this.deps.flows.setDeliveryStatus(stored.id, outcome.status);
    if (outcome.status === 'blocked') return { ok: false, problem: 'phone_country_blocked' };
    if (outcome.status === 'failed') return { ok: false, problem: 'delivery_failed' };
    return { ok: true, pending: pendingOf(flowId, state) };
  }

  private async loadFlow(
    session: ActiveSession,
    flowId: string,
  ): Promise<{ stored: StoredFlow; state: VerificationState } | null> {
    if (!/^[\w-]{10,64}$/.test(flowId)) return null;
    const stored = await this.deps.flows.find(flowId);
    if (
      stored?.kind !== 'registration' ||
      stored.userId !== session.user.id ||
      stored.schemaVersion !== registrationFlowSchemaVersion ||
      !this.deps.secrets.same(stored.bindingHash, session.idHash) ||
      this.deps.clock().getTime() >= Date.parse(stored.expiresAt)
    ) {
      return null;
    }
    return { stored, state: JSON.parse(stored.data) as VerificationState };
  }

  private async save(session: ActiveSession, state: VerificationState): Promise<void> {
    const { user } = session;
    const before = await this.readiness(user);
    const methods = await this.deps.methods.load(user.id);
    if (state.method === 'phone') {
      const previous = methods.phones.mobile ?? null;
      await this.deps.methods.putPhone(
        user.id,
        'mobile',
        state.destination,
        previous ? 'update' : 'add',
        this.audit(
          session,
          methodsService,
          previous ? 'User updated security info' : 'User registered security info',
          previous ? 'Update' : 'Add',
          [change('mobile', previous, state.destination)],
        ),
      );
    } else {
      const previous = methods.email;
      await this.deps.methods.putEmail(
        user.id,
        state.destination,
        previous ? 'update' : 'add',
        this.audit(
          session,
          methodsService,
          previous ? 'User updated security info' : 'User registered security info',
          previous ? 'Update' : 'Add',
          [change('email', previous, state.destination)],
        ),
      );
    }
    await this.afterSave(session, before);
  }

  /** "User registered all required security info" the moment the user becomes registered enough. */
  private async afterSave(session: ActiveSession, before: SsprReadiness): Promise<void> {
    const after = await this.readiness(session.user);
    if (before.isSsprRegistered || !after.isSsprRegistered) return;
    const now = this.deps.clock();
    await this.deps.sessions.recordRegistration(
      session.user.id,
      { registeredAt: now.toISOString() },
      this.audit(session, selfService, 'User registered all required security info', 'Update', []),
      now,
    );
  }

  private audit(
    session: ActiveSession,
    service: typeof methodsService | typeof selfService,
    activity: string,
    operationType: AuditEventDraft['operationType'],
    modified: { displayName: string; oldValue: string | null; newValue: string | null }[],
  ): AuditEventDraft {
    const { user } = session;
    return {
      activityDisplayName: activity,
      category: 'UserManagement',
      loggedByService: service,
      operationType,
      result: 'success',
      resultReason: '',
      initiatedBy: { user: { id: user.id, userPrincipalName: user.userPrincipalName, ipAddress: session.ipAddress } },
      targetResources: [userTarget(user, modified)],
      correlationId: this.deps.newId(),
    };
  }
}

function pendingOf(flowId: string, state: VerificationState): PendingVerification {
  return {
    flowId,
    method: state.method,
    channel: state.channel,
    masked: state.method === 'email' ? maskEmailAddress(state.destination) : maskPhoneNumber(state.destination),
  };
}

/** Old and new values, masked: the audit log says what changed without spelling out contact data. */
function change(displayName: string, before: string | null, after: string | null) {
  const mask = (value: string) => (displayName === 'email' ? maskEmailAddress(value) : maskPhoneNumber(value));
  return {
    displayName,
    oldValue: before === null ? null : JSON.stringify(mask(before)),
    newValue: after === null ? null : JSON.stringify(mask(after)),
  };
}

/** Whether the policy that applies to the user (administrators get the fixed one) offers the method at all. */
function enabledInEffectivePolicy(readiness: SsprReadiness, tenantPolicy: SsprPolicy, method: SsprMethod): boolean {
  const policy = readiness.policyApplied === 'administrator' ? administratorPolicy(tenantPolicy) : tenantPolicy;
  return enabledMethods(policy).includes(method);
}
