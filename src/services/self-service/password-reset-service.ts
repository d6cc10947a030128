import { randomInt } from 'node:crypto';
import type { AuditEventDraft } from '../../domain/audit.js';
import { userTarget } from '../../domain/audit.js';
import {
  type AuthenticationMethodSet,
  evaluateSsprReadiness,
  type MethodReadiness,
  type SsprReadiness,
} from '../../domain/authentication-methods.js';
import { maskEmailAddress } from '../../domain/email-address.js';
import {
  OnPremisesPasswordRefused,
  type OnPremisesRefusalReason,
  OnPremisesUnavailable,
} from '../../domain/on-premises-password.js';
import {
  findPasswordProblems,
  type PasswordProblem,
  tenantNameParts,
  userNameParts,
} from '../../domain/password-policy.js';
import { dialableNumber, maskPhoneNumber } from '../../domain/phone-number.js';
import {
  type CodeChannel,
  isResetFlowExpired,
  newResetFlow,
  type ResetEffect,
  type ResetEvent,
  type ResetFlow,
  type ResetProblem,
  type ResetStep,
  resetFlowSchemaVersion,
  transition,
  verificationCodeLifetimeMs,
} from '../../domain/reset-flow.js';
import { predefinedSecurityQuestions, type SecurityQuestionAnswer } from '../../domain/security-questions.js';
import type { StoredCode, StoredFlow } from '../../domain/self-service-records.js';
import { administratorPolicy, enabledMethods, type SsprMethod, type SsprPolicy } from '../../domain/sspr-policy.js';
import type { DirectoryUser, UserRecordChanges } from '../../domain/user.js';
import type { CodeDelivery } from '../delivery/code-delivery.js';
import type { OnPremisesDirectory } from '../sync/on-premises-directory.js';
import type { UserLookup } from '../users/find-user.js';
import type { PasswordHasher } from '../users/user-service.js';
import { FlowSecrets, subjectOf } from './flow-secrets.js';
import { ssprLimits } from './sspr-limits.js';

export interface FlowStore {
  insert(flow: StoredFlow): Promise<void>;
  find(id: string): Promise<StoredFlow | undefined>;
  save(flow: StoredFlow, audits?: readonly AuditEventDraft[]): Promise<boolean>;
  replaceCode(code: StoredCode): Promise<void>;
  setDeliveryStatus(codeId: string, status: string): Promise<void>;
  activeCode(flowId: string, now: string): Promise<StoredCode | undefined>;
  consumeCode(codeId: string, now: string): Promise<boolean>;
  /** Every unconsumed code of the flow stops working (the user went back to the method choice). */
  invalidateCodes(flowId: string, now: string): Promise<void>;
}

export interface LockoutStore {
  recordAttempt(subjectKey: string, kind: string, at: Date, since: Date): Promise<number>;
  /** Takes back one attempt recorded at `at` (a verification counted before it was checked, then passed). */
  withdrawAttempt(subjectKey: string, kind: string, at: Date): Promise<void>;
  block(
    block: { subjectKey: string; userId: string | null; until: Date; reason: string; at: Date },
    audit: AuditEventDraft | null,
  ): Promise<void>;
  blockedUntil(subjectKey: string, now: Date): Promise<Date | null>;
  clear(subjectKey: string): Promise<void>;
  recordSend(
    send: { destinationKey: string; ipAddress: string | null; channel: string; at: Date },
    since: Date,
  ): Promise<{ toDestination: number; fromAddress: number }>;
}

export interface PasswordResetDependencies {
  readonly flows: FlowStore;
  readonly lockouts: LockoutStore;
  readonly users: UserLookup & {
    update(id: string, changes: UserRecordChanges, audit: AuditEventDraft): Promise<void>;
  };
  readonly methods: { load(userId: string): Promise<AuthenticationMethodSet> };
  readonly roles: { rolesOf(userId: string): Promise<string[]>; administratorIds(): Promise<Set<string>> };
  readonly policy: {
    current(): Promise<SsprPolicy>;
    customQuestions(): Promise<{ id: string; text: string }[]>;
  };
  readonly questions: {
    draw(userId: string, count: number): Promise<string[]>;
    verify(userId: string, answers: readonly SecurityQuestionAnswer[]): Promise<boolean>;
  };
  readonly delivery: CodeDelivery;
  /** After a reset, every signed-in session and refresh token of the user stops working. */
  readonly sessions: { revokeAllForUser(userId: string): Promise<void> };
  readonly passwords: PasswordHasher;
  /** Password writeback for synced users; null: their resets are refused (`writeback_unavailable`). */
  readonly onPremises: Pick<OnPremisesDirectory, 'setPassword' | 'writebackEnabled'> | null;
  readonly captcha: { create(): { answer: string; svg: string }; normalize(input: string): string } | null;
  readonly secrets: FlowSecrets;
  readonly tenant: () => { displayName: string; defaultDomain: string };
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Waits `ms`; pretend sends wait as long as real ones take (injectable for tests). */
  readonly sleep: (ms: number) => Promise<void>;
}

/** Who is asking: the flow id from the URL, the browser binding from the cookie, the CSRF token of a POST. */
export interface FlowHandle {
  readonly flowId: string;
  readonly binding: string;
  readonly ipAddress: string | null;
  readonly language: string;
}

export interface MethodChoice {
  readonly method: SsprMethod;
  /** Masked number or address; null for security questions. */
  readonly masked: string | null;
}

export type ResetPageProblem =
  | ResetProblem
  | 'captcha_invalid'
  | 'user_name_required'
  | 'send_limited'
  | 'passwords_differ'
  | 'writeback_unavailable'
  | OnPremisesProblem
  | `password_${PasswordProblem}`;

/** The on-premises directory's own policy refused the new password (writeback of a synced user). */
export type OnPremisesProblem =
  | 'onpremises_too_short'
  | 'onpremises_history'
  | 'onpremises_complexity'
  | 'onpremises_policy';

const onPremisesProblems: Record<OnPremisesRefusalReason, OnPremisesProblem> = {
  too_short: 'onpremises_too_short',
  in_history: 'onpremises_history',
  too_simple: 'onpremises_complexity',
  policy: 'onpremises_policy',
  other: 'onpremises_policy',
};

export interface ResetView {
  readonly flowId: string;
  readonly csrfToken: string;
  readonly step: ResetStep['name'] | 'blocked' | 'expired';
  readonly problems: readonly ResetPageProblem[];
  readonly userName: string | null;
  readonly captchaSvg: string | null;
  readonly methods: readonly MethodChoice[];
  /** confirmPhone / enterCode: the method in use and where the code goes, masked. */
  readonly current: { readonly method: SsprMethod; readonly channel: CodeChannel; readonly masked: string } | null;
  readonly deliveryFailed: boolean;
  readonly questions: readonly { readonly id: string; readonly text: string }[];
  readonly gatesPassed: number;
  readonly gatesRequired: 1 | 2;
  readonly helpdesk: string | null;
  /** Set when the browser binding was replaced (at identify): the route sends it as the new cookie. */
  readonly newBinding?: string;
}

/** What the flow keeps beyond the domain flow. */
interface FlowExtras {
  readonly subjectKey: string | null;
  readonly captchaHash: string | null;
  readonly captchaSvg: string | null;
}

interface LoadedFlow {
  readonly stored: StoredFlow;
  readonly flow: ResetFlow;
  readonly extras: FlowExtras;
  /** The policy and the flow's user as this request sees them, read once per request (see `snapshotOf`). */
  readonly snapshot: () => Promise<Snapshot>;
}

interface Snapshot {
  readonly policy: SsprPolicy;
  /** Null for a pretend flow (and if the user was deleted meanwhile). */
  readonly user: DirectoryUser | null;
  readonly methods: AuthenticationMethodSet | null;
  readonly isAdministrator: boolean;
  readonly readiness: SsprReadiness | null;
}

/** Thrown when the flow id, binding or CSRF token does not check out: the page starts over. */
export class FlowNotFound extends Error {
  constructor() {
    super('The reset session was not found or has expired.');
  }
}

const auditService = 'Self-service Password Management' as const;

/**
 * The password reset flow of SPEC section 7. Every request: load the flow (bound to the browser, CSRF-checked),
 * turn the input into an event (doing the checks that need I/O), `transition`, perform the effects, save the
 * flow with its audit events (optimistic revision check). Unknown, disabled, blocked and incapable users get a
 * pretend flow that walks the same pages and never sends or verifies anything.
 */
export class PasswordResetService {
  /** Recent real send durations per channel, for pretend sends to take as long. */
  private readonly sendDurations: Record<CodeChannel, number[]> = { email: [], sms: [], voice: [] };

  constructor(private readonly deps: PasswordResetDependencies) {}

  async start(ipAddress: string | null): Promise<{ flowId: string; binding: string }> {
    const now = this.deps.clock();
    const flow = newResetFlow(FlowSecrets.token(), now);
    const binding = FlowSecrets.token();
    const challenge = this.deps.captcha?.create() ?? null;
    const extras: FlowExtras = {
      subjectKey: null,
      captchaHash: challenge ? this.deps.secrets.mac('captcha', flow.id, challenge.answer) : null,
      captchaSvg: challenge?.svg ?? null,
    };
    await this.deps.flows.insert({
      ...this.serialize(flow, extras),
      kind: 'reset',
      csrfHash: FlowSecrets.sha256(this.csrfToken(flow.id, binding)),
      bindingHash: FlowSecrets.sha256(binding),
      ipAddress,
      createdAt: now.toISOString(),
    });
    return { flowId: flow.id, binding };
  }

  /** The page for the flow's current step. */
  async view(handle: FlowHandle): Promise<ResetView> {
    const loaded = await this.load(handle);
    return this.render(loaded, handle, []);
  }

  async identify(handle: FlowHandle, csrf: string, input: { userName: string; captcha: string }): Promise<ResetView> {
    const loaded = await this.loadForPost(handle, csrf);
    const userName = input.userName.trim();
    if (loaded.flow.step.name !== 'identify') return this.render(loaded, handle, ['step_out_of_order']);
    if (userName === '' || userName.length > 256) return this.render(loaded, handle, ['user_name_required']);
    if (this.deps.captcha) {
      const presented = this.deps.secrets.mac('captcha', loaded.flow.id, this.deps.captcha.normalize(input.captcha));
      if (!loaded.extras.captchaHash || !this.deps.secrets.same(presented, loaded.extras.captchaHash)) {
        // A new challenge for every wrong answer: no guessing the same picture twice.
        const challenge = this.deps.captcha.create();
        const extras = {
          ...loaded.extras,
          captchaHash: this.deps.secrets.mac('captcha', loaded.flow.id, challenge.answer),
          captchaSvg: challenge.svg,
        };
        const saved = await this.persist(loaded, loaded.flow, extras, []);
        return this.render(saved, handle, ['captcha_invalid']);
      }
    }
    const subjectKey = subjectOf(this.deps.secrets, userName);
    const now = this.deps.clock();
    const { user, gatesRequired } = await this.resolveCapableUser(userName, subjectKey, now);
    const result = transition(
      loaded.flow,
      { type: 'identified', userName, userId: user?.id ?? null, gatesRequired },
      now,
    );
    const extras: FlowExtras = { subjectKey, captchaHash: null, captchaSvg: null };
    // A new browser binding (and so a new CSRF token) from here on: a binding planted before the user typed
    // their ID (session fixation) is worthless.
    const binding = FlowSecrets.token();
    const rebound: LoadedFlow = {
      ...loaded,
      stored: {
        ...loaded.stored,
        bindingHash: FlowSecrets.sha256(binding),
        csrfHash: FlowSecrets.sha256(this.csrfToken(loaded.flow.id, binding)),
      },
    };
    const view = await this.apply(rebound, result, extras, { ...handle, binding }, user);
    return { ...view, newBinding: binding };
  }

  async chooseMethod(
    handle: FlowHandle,
    csrf: string,
    input: { method: string; channel: string | null },
  ): Promise<ResetView> {
    const loaded = await this.loadForPost(handle, csrf);
    if (await this.isBlocked(loaded)) return this.blocked(loaded, handle);
    const offered = await this.offeredMethods(loaded);
    const choice = offered.find((entry) => entry.method === input.method);
    if (!choice || loaded.flow.gatesPassed.includes(choice.method)) {
      return this.render(loaded, handle, ['method_unavailable']);
    }
    let questionIds: string[] = [];
    if (choice.method === 'securityQuestions') questionIds = await this.drawQuestions(loaded);
    const channel: CodeChannel | null = input.channel === 'voice' ? 'voice' : input.channel === 'sms' ? 'sms' : null;
    const event: ResetEvent = { type: 'methodChosen', method: choice.method, channel, questionIds };
    return this.apply(loaded, transition(loaded.flow, event, this.deps.clock()), loaded.extras, handle);
  }

  async confirmPhone(handle: FlowHandle, csrf: string, input: { phoneNumber: string }): Promise<ResetView> {
    const loaded = await this.loadForPost(handle, csrf);
    if (await this.isBlocked(loaded)) return this.blocked(loaded, handle);
    const step = loaded.flow.step;
    if (step.name !== 'confirmPhone') return this.render(loaded, handle, ['step_out_of_order']);
    const destination = await this.destinationOf(loaded, step.method);
    const matches = destination !== null && phoneMatches(input.phoneNumber, destination);
    return this.apply(
      loaded,
      transition(loaded.flow, { type: 'phoneConfirmed', matches }, this.deps.clock()),
      loaded.extras,
      handle,
    );
  }

  async verifyCode(handle: FlowHandle, csrf: string, input: { code: string }): Promise<ResetView> {
    const loaded = await this.loadForPost(handle, csrf);
    if (await this.isBlocked(loaded)) return this.blocked(loaded, handle);
    const step = loaded.flow.step;
    if (step.name !== 'enterCode') return this.render(loaded, handle, ['step_out_of_order']);
    const now = this.deps.clock();
    const attempt = await this.countVerification(loaded, now);
    if (attempt.refused) return this.blocked(loaded, handle);
    const presented = input.code.replace(/\s+/g, '');
    let valid = false;
    const code = await this.deps.flows.activeCode(loaded.flow.id, now.toISOString());
    const destination = await this.destinationOf(loaded, step.method);
    // The same HMAC work whether or not a code exists (pretend flows have none).
    const expectedKey = this.codeBindingKey(step.method, destination);
    const presentedHash = this.deps.secrets.mac('code', loaded.flow.id, expectedKey, presented);
    if (code && destination !== null && /^\d{6,8}$/.test(presented) && code.destinationKey === expectedKey) {
      valid =
        this.deps.secrets.same(presentedHash, code.codeHash) &&
        (await this.deps.flows.consumeCode(code.id, now.toISOString()));
    }
    if (valid) await attempt.withdraw();
    const result = transition(loaded.flow, { type: 'codeChecked', valid }, now);
    return this.apply(loaded, result, loaded.extras, handle, undefined, attempt.count);
  }

  async resendCode(handle: FlowHandle, csrf: string): Promise<ResetView> {
    const loaded = await this.loadForPost(handle, csrf);
    if (await this.isBlocked(loaded)) return this.blocked(loaded, handle);
    const step = loaded.flow.step;
    if (step.name !== 'enterCode') return this.render(loaded, handle, ['step_out_of_order']);
    const effects: ResetEffect[] = [{ type: 'sendCode', method: step.method, channel: step.channel }];
    return this.apply(loaded, { flow: loaded.flow, effects, problem: null }, loaded.extras, handle);
  }

  async answerQuestions(
    handle: FlowHandle,
    csrf: string,
    input: { answers: readonly SecurityQuestionAnswer[] },
  ): Promise<ResetView> {
    const loaded = await this.loadForPost(handle, csrf);
    if (await this.isBlocked(loaded)) return this.blocked(loaded, handle);
    const step = loaded.flow.step;
    if (step.name !== 'answerQuestions') return this.render(loaded, handle, ['step_out_of_order']);
    // Only the drawn questions count, each once; a pretend flow verifies against no answers (same argon2 work).
    const answers = step.questionIds.map((questionId) => ({
      questionId,
      answer: input.answers.find((entry) => entry.questionId === questionId)?.answer ?? '',
    }));
    const now = this.deps.clock();
    const attempt = await this.countVerification(loaded, now);
    if (attempt.refused) return this.blocked(loaded, handle);
    const usable = (await this.questionsUsable(loaded)) && loaded.flow.userId !== null;
    const valid = (await this.deps.questions.verify(loaded.flow.userId ?? 'no-such-user', answers)) && usable;
    if (valid) await attempt.withdraw();
    const nextQuestionIds = valid ? [] : await this.drawQuestions(loaded);
    const event: ResetEvent = { type: 'answersChecked', valid, nextQuestionIds };
    return this.apply(loaded, transition(loaded.flow, event, now), loaded.extras, handle, undefined, attempt.count);
  }

  async setPassword(
    handle: FlowHandle,
    csrf: string,
    input: { newPassword: string; confirmPassword: string },
  ): Promise<ResetView> {
    const loaded = await this.loadForPost(handle, csrf);
    if (loaded.flow.step.name !== 'newPassword' || !loaded.flow.userId) {
      return this.render(loaded, handle, ['step_out_of_order']);
    }
    const { user, policy, readiness } = await loaded.snapshot();
    if (!user) throw new FlowNotFound();
    // The account may have been disabled, lost its methods or been blocked since the gates were passed.
    if (!user.accountEnabled || !readiness?.isSsprCapable || (await this.isBlocked(loaded))) {
      return this.blocked(loaded, handle);
    }
    if (input.newPassword !== input.confirmPassword) return this.render(loaded, handle, ['passwords_differ']);
    const tenant = this.deps.tenant();
    const problems = findPasswordProblems(input.newPassword, {
      userNameParts: userNameParts(user),
      tenantNameParts: tenantNameParts(tenant.displayName, tenant.defaultDomain),
      customBannedPasswords: policy.customBannedPasswords,
    });
    if (problems.length > 0) {
      return this.render(
        loaded,
        handle,
        problems.map((problem) => `password_${problem}` as const),
      );
    }
    const writeback = user.onPremisesSyncEnabled ? this.deps.onPremises : null;
    if (user.onPremisesSyncEnabled) {
      // Writeback needs the tenant policy's switch and the sync settings' one; otherwise nothing is changed.
      const enabled = policy.writebackEnabled && (await writeback?.writebackEnabled().catch(() => false));
      if (!enabled) return this.render(loaded, handle, ['writeback_unavailable']);
    }
    const now = this.deps.clock();
    const result = transition(loaded.flow, { type: 'passwordChanged' }, now);
    if (result.problem) return this.render(loaded, handle, [result.problem]);
    // The flow moves to `done` first: a second submission of the same form loses the revision race.
    const saved = await this.persist(loaded, result.flow, loaded.extras, []);
    if (writeback) {
      // Synchronously, before anything changes in the cloud: the directory's policy has the last word.
      try {
        await writeback.setPassword(user, input.newPassword);
      } catch (error) {
        const problem: ResetPageProblem | null =
          error instanceof OnPremisesPasswordRefused
            ? onPremisesProblems[error.reason]
            : error instanceof OnPremisesUnavailable
              ? 'writeback_unavailable'
              : null;
        const reason =
          error instanceof OnPremisesPasswordRefused
            ? `The on-premises directory refused the password (${error.reason})`
            : 'Password writeback failed: the on-premises directory is unavailable';
        // Back to the new-password step (the flow's only change), so the user can try another password.
        const restored = await this.persist(saved, loaded.flow, loaded.extras, [
          this.audit(handle, user, 'Reset password (self-service)', 'Update', reason, 'failure'),
        ]);
        if (!problem) throw error;
        return this.render(restored, handle, [problem]);
      }
    }
    await this.deps.users.update(
      user.id,
      writeback
        ? {
            // No cloud hash for a synced user: sign-in checks the directory, and a copy here would go stale at
            // the next on-premises change (and let an old password in if pass-through were ever turned off).
            passwordHash: null,
            passwordChangedAt: now.toISOString(),
            forceChangePassword: false,
            updatedAt: now.toISOString(),
          }
        : {
            passwordHash: await this.deps.passwords.hash(input.newPassword),
            passwordChangedAt: now.toISOString(),
            forceChangePassword: false,
            updatedAt: now.toISOString(),
          },
      this.audit(
        handle,
        user,
        'Reset password (self-service)',
        'Update',
        writeback
          ? 'User reset their password; written back to the on-premises directory'
          : 'User reset their password',
      ),
    );
    await this.deps.sessions.revokeAllForUser(user.id);
    if (saved.extras.subjectKey) await this.deps.lockouts.clear(saved.extras.subjectKey);
    await this.notify(await saved.snapshot(), now, handle.language);
    return this.render(saved, handle, []);
  }

  async back(handle: FlowHandle, csrf: string): Promise<ResetView> {
    const loaded = await this.loadForPost(handle, csrf);
    await this.deps.flows.invalidateCodes(loaded.flow.id, this.deps.clock().toISOString());
    return this.apply(loaded, transition(loaded.flow, { type: 'back' }, this.deps.clock()), loaded.extras, handle);
  }

  /** The CSRF token of a flow: derived from the flow id and the browser binding, so nothing extra is stored. */
  csrfToken(flowId: string, binding: string): string {
    return this.deps.secrets.mac('csrf', flowId, binding);
  }

  // --- steps' plumbing -------------------------------------------------------------------------------------

  private async load(handle: FlowHandle): Promise<LoadedFlow> {
    const stored = await this.deps.flows.find(handle.flowId);
    if (stored?.kind !== 'reset') throw new FlowNotFound();
    if (!this.deps.secrets.same(FlowSecrets.sha256(handle.binding), stored.bindingHash)) throw new FlowNotFound();
    const data = JSON.parse(stored.data) as Omit<ResetFlow, 'createdAt' | 'expiresAt'> & FlowExtras;
    const flow: ResetFlow = {
      id: stored.id,
      schemaVersion: stored.schemaVersion,
      revision: stored.revision,
      userId: stored.userId,
      enteredUserName: data.enteredUserName,
      step: data.step,
      gatesPassed: data.gatesPassed,
      gatesRequired: data.gatesRequired,
      createdAt: new Date(stored.createdAt),
      expiresAt: new Date(stored.expiresAt),
    };
    const extras: FlowExtras = {
      subjectKey: data.subjectKey,
      captchaHash: data.captchaHash,
      captchaSvg: data.captchaSvg,
    };
    return { stored, flow, extras, snapshot: this.snapshotOf(flow.userId) };
  }

  /** A memoised read of the policy and the user's data: one set of queries per request, however many steps ask. */
  private snapshotOf(userId: string | null): () => Promise<Snapshot> {
    let snapshot: Promise<Snapshot> | undefined;
    const read = async (): Promise<Snapshot> => {
      const [policy, user] = await Promise.all([
        this.deps.policy.current(),
        userId ? this.deps.users.findById(userId) : Promise.resolve(undefined),
      ]);
      if (!user) return { policy, user: null, methods: null, isAdministrator: false, readiness: null };
      const [methods, roles] = await Promise.all([this.deps.methods.load(user.id), this.deps.roles.rolesOf(user.id)]);
      const isAdministrator = roles.length > 0;
      const readiness = evaluateSsprReadiness({ user, methods, tenantPolicy: policy, isAdministrator });
      return { policy, user, methods, isAdministrator, readiness };
    };
    return () => {
      snapshot ??= read();
      return snapshot;
    };
  }

  private async loadForPost(handle: FlowHandle, csrf: string): Promise<LoadedFlow> {
    const loaded = await this.load(handle);
    const expected = FlowSecrets.sha256(this.csrfToken(handle.flowId, handle.binding));
    if (
      !this.deps.secrets.same(FlowSecrets.sha256(csrf), expected) ||
      !this.deps.secrets.same(expected, loaded.stored.csrfHash)
    ) {
      throw new FlowNotFound();
    }
    if (isResetFlowExpired(loaded.flow, this.deps.clock())) throw new FlowNotFound();
    return loaded;
  }

  private serialize(
    flow: ResetFlow,
    extras: FlowExtras,
  ): Omit<StoredFlow, 'kind' | 'csrfHash' | 'bindingHash' | 'ipAddress' | 'createdAt'> {
    const data = {
      enteredUserName: flow.enteredUserName,
      step: flow.step,
      gatesPassed: flow.gatesPassed,
      gatesRequired: flow.gatesRequired,
      ...extras,
    };
    return {
      id: flow.id,
      schemaVersion: resetFlowSchemaVersion,
      revision: flow.revision,
      state: flow.step.name,
      userId: flow.userId,
      data: JSON.stringify(data),
      updatedAt: this.deps.clock().toISOString(),
      expiresAt: flow.expiresAt.toISOString(),
    };
  }

  private async persist(
    loaded: LoadedFlow,
    flow: ResetFlow,
    extras: FlowExtras,
    audits: readonly AuditEventDraft[],
  ): Promise<LoadedFlow> {
    const next = { ...flow, revision: loaded.flow.revision + 1 };
    const stored: StoredFlow = { ...loaded.stored, ...this.serialize(next, extras) };
    if (!(await this.deps.flows.save(stored, audits))) throw new FlowNotFound();
    const snapshot = next.userId === loaded.flow.userId ? loaded.snapshot : this.snapshotOf(next.userId);
    return { stored, flow: next, extras, snapshot };
  }

  /** Performs the transition's effects, then saves the flow with its audit events. */
  private async apply(
    loaded: LoadedFlow,
    result: { flow: ResetFlow; effects: readonly ResetEffect[]; problem: ResetProblem | null },
    extras: FlowExtras,
    handle: FlowHandle,
    identifiedUser?: DirectoryUser | null,
    /** The failure was already counted before the check (see `countVerification`): its count. */
    countedVerifications?: number,
  ): Promise<ResetView> {
    const problems: ResetPageProblem[] = result.problem ? [result.problem] : [];
    if (result.problem === 'flow_expired') throw new FlowNotFound();
    let flow = result.flow;
    const audits: AuditEventDraft[] = [];
    const current: LoadedFlow = {
      ...loaded,
      flow,
      extras,
      snapshot: flow.userId === loaded.flow.userId ? loaded.snapshot : this.snapshotOf(flow.userId),
    };
    const user = identifiedUser !== undefined ? identifiedUser : (await current.snapshot()).user;
    let blocked = false;
    for (const effect of result.effects) {
      switch (effect.type) {
        case 'progress':
          if (user)
            audits.push(
              this.audit(handle, user, 'Self-service password reset flow activity progress', 'Other', effect.activity),
            );
          break;
        case 'recordVerificationFailure':
          if (countedVerifications === undefined) {
            blocked = (await this.countFailure(current, user, 'verificationFailure', handle)) || blocked;
          } else if (countedVerifications >= ssprLimits.verificationFailures) {
            await this.block(current, user, 'Too many failed verification attempts', handle);
            blocked = true;
          }
          break;
        case 'recordIdentityFailure':
          blocked = (await this.countFailure(current, user, 'identityFailure', handle)) || blocked;
          break;
        case 'sendCode': {
          const outcome = await this.sendCode(current, effect, handle);
          if (outcome === 'limited') problems.push('send_limited');
          if (outcome === 'blocked') blocked = true;
          flow = transition(flow, { type: 'codeSent', delivered: outcome === 'sent' }, this.deps.clock()).flow;
          break;
        }
        case 'completed':
          break;
      }
    }
    const saved = await this.persist(loaded, flow, extras, audits);
    if (blocked) return this.blocked(saved, handle);
    return this.render(saved, handle, problems);
  }

  /** A known, enabled, capable, unblocked user and their gate count; null (a pretend flow) otherwise. */
  private async resolveCapableUser(
    userName: string,
    subjectKey: string,
    now: Date,
  ): Promise<{ user: DirectoryUser | null; gatesRequired: 1 | 2 }> {
    const [user, policy, blockedUntil] = await Promise.all([
      this.deps.users.findByUserPrincipalName(userName),
      this.deps.policy.current(),
      this.deps.lockouts.blockedUntil(subjectKey, now),
    ]);
    if (!user) return { user: null, gatesRequired: policy.numberOfAuthenticationMethodsRequired };
    const [methods, roles] = await Promise.all([this.deps.methods.load(user.id), this.deps.roles.rolesOf(user.id)]);
    const readiness = evaluateSsprReadiness({ user, methods, tenantPolicy: policy, isAdministrator: roles.length > 0 });
    if (!readiness.isSsprCapable || blockedUntil) {
      return { user: null, gatesRequired: readiness.numberOfMethodsRequired };
    }
    return { user, gatesRequired: readiness.numberOfMethodsRequired };
  }

  /**
   * Every method the policy that applies offers, for known and unknown users alike: a method the user cannot use
   * is shown with a made-up mask and behaves like a pretend flow (nothing sent, nothing ever matches), so the
   * list tells nothing about which accounts exist or what they registered.
   */
  private async offeredMethods(loaded: LoadedFlow): Promise<MethodChoice[]> {
    const { policy, readiness } = await loaded.snapshot();
    const applied =
      readiness?.policyApplied === 'administrator' ||
      (readiness === null && loaded.flow.gatesRequired === 2 && policy.numberOfAuthenticationMethodsRequired === 1)
        ? administratorPolicy(policy)
        : policy;
    const pretend = this.pretendMasks(loaded);
    return enabledMethods(applied).map((method) => {
      const entry = readiness?.methods.find((candidate) => candidate.method === method && candidate.usable);
      return entry ? maskedChoice(entry) : { method, masked: pretend[method] };
    });
  }

  /** Masks for methods that do not exist, stable for a typed user ID and shaped like real ones. */
  private pretendMasks(loaded: LoadedFlow): Record<SsprMethod, string | null> {
    const seed = this.deps.secrets.mac('pretend', loaded.extras.subjectKey ?? loaded.flow.id);
    const byte = (index: number) => Number.parseInt(seed.slice(index * 2, index * 2 + 2), 16);
    const lastDigits = (index: number) => String(byte(index) % 100).padStart(2, '0');
    const phone = (index: number) => {
      const countryCode = 'X'.repeat([1, 1, 2, 2, 3][byte(index + 1) % 5] ?? 1);
      const national = 'X'.repeat([7, 8, 8, 8][byte(index + 2) % 4] ?? 8);
      return `+${countryCode} ${national}${lastDigits(index)}`;
    };
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const prefix = `${letters[byte(6) % 26]}${letters[byte(7) % 26]}`;
    const domains = ['outlook.com', 'gmail.com', 'yahoo.com', 'hotmail.com', 'icloud.com', 'gmx.net', 'live.com'];
    return {
      email: `${prefix}*****@${domains[byte(8) % domains.length]}`,
      mobilePhone: phone(9),
      officePhone: phone(12),
      securityQuestions: null,
    };
  }

  /** Whether the user really has enough security questions for the reset (not a pretend method). */
  private async questionsUsable(loaded: LoadedFlow): Promise<boolean> {
    const { readiness } = await loaded.snapshot();
    return readiness?.methods.some((method) => method.method === 'securityQuestions' && method.usable) ?? false;
  }

  /** What a code is bound to: the method and the number or address (nothing real for a pretend method). */
  private codeBindingKey(method: SsprMethod, destination: string | null): string {
    return this.deps.secrets.mac('code-destination', method, destination ?? '');
  }

  /**
   * Counts a verification as failed *before* checking it, so parallel guesses in several flows all see each
   * other; a passed check withdraws it. Refused once the limit is already reached.
   */
  private async countVerification(
    loaded: LoadedFlow,
    now: Date,
  ): Promise<{ refused: boolean; count: number | undefined; withdraw: () => Promise<void> }> {
    const subjectKey = loaded.extras.subjectKey;
    if (!subjectKey) return { refused: false, count: undefined, withdraw: async () => {} };
    const count = await this.deps.lockouts.recordAttempt(
      subjectKey,
      'verificationFailure',
      now,
      new Date(now.getTime() - ssprLimits.verificationWindowMs),
    );
    return {
      refused: count > ssprLimits.verificationFailures,
      count,
      withdraw: () => this.deps.lockouts.withdrawAttempt(subjectKey, 'verificationFailure', now),
    };
  }

  /** The real number or address behind a method, or null (pretend flows, removed data). */
  private async destinationOf(loaded: LoadedFlow, method: SsprMethod): Promise<string | null> {
    const { readiness } = await loaded.snapshot();
    const entry = readiness?.methods.find((candidate) => candidate.method === method && candidate.usable);
    return entry?.value ?? null;
  }

  private async drawQuestions(loaded: LoadedFlow): Promise<string[]> {
    const { policy } = await loaded.snapshot();
    const count = policy.numberOfQuestionsToReset;
    if (loaded.flow.userId && (await this.questionsUsable(loaded))) {
      return this.deps.questions.draw(loaded.flow.userId, count);
    }
    // Pretend: like a real user's, the draws come from one fixed set of questions (chosen by the typed user ID),
    // so repeated attempts cannot tell a made-up account from a registered one.
    const seed = this.deps.secrets.mac('pretend-questions', loaded.extras.subjectKey ?? loaded.flow.id);
    const registered = Object.keys(predefinedSecurityQuestions)
      .map((id) => ({ id, rank: this.deps.secrets.mac('rank', seed, id) }))
      .sort((a, b) => a.rank.localeCompare(b.rank))
      .slice(0, policy.numberOfQuestionsToRegister)
      .map((entry) => entry.id);
    for (let i = registered.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [registered[i], registered[j]] = [registered[j] as string, registered[i] as string];
    }
    return registered.slice(0, count);
  }

  /** Sends a new code (or pretends to, taking as long); 'limited' when a send limit refuses it. */
  private async sendCode(
    loaded: LoadedFlow,
    effect: { method: 'email' | 'mobilePhone' | 'officePhone'; channel: CodeChannel },
    handle: FlowHandle,
  ): Promise<'sent' | 'failed' | 'limited' | 'blocked'> {
    const now = this.deps.clock();
    const destination = await this.destinationOf(loaded, effect.method);
    const destinationKey = this.deps.secrets.mac(
      'destination',
      destination ?? loaded.extras.subjectKey ?? loaded.flow.id,
    );
    const counts = await this.deps.lockouts.recordSend(
      { destinationKey, ipAddress: handle.ipAddress, channel: effect.channel, at: now },
      new Date(now.getTime() - ssprLimits.sendWindowMs),
    );
    if (counts.toDestination > ssprLimits.sendsPerDestination || counts.fromAddress > ssprLimits.sendsPerAddress) {
      return 'limited';
    }
    if (effect.channel === 'email' && loaded.extras.subjectKey) {
      const emails = await this.deps.lockouts.recordAttempt(
        loaded.extras.subjectKey,
        'emailSent',
        now,
        new Date(now.getTime() - ssprLimits.emailWindowMs),
      );
      if (emails > ssprLimits.emailsPerWindow) {
        const { user } = await loaded.snapshot();
        await this.block(loaded, user, 'Too many emails sent', handle);
        return 'blocked';
      }
    }
    if (!destination) {
      await this.deps.sleep(this.typicalSendMs(effect.channel));
      return 'sent';
    }
    const code = FlowSecrets.code();
    const stored: StoredCode = {
      id: this.deps.newId(),
      flowId: loaded.flow.id,
      channel: effect.channel,
      destinationKey: this.codeBindingKey(effect.method, destination),
      codeHash: this.deps.secrets.mac('code', loaded.flow.id, this.codeBindingKey(effect.method, destination), code),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + verificationCodeLifetimeMs).toISOString(),
      deliveryStatus: 'pending',
    };
    await this.deps.flows.replaceCode(stored);
    const started = Date.now();
    const outcome = await this.deps.delivery.sendCode({
      channel: effect.channel,
      to: destination,
      code,
      purpose: 'passwordReset',
      language: handle.language,
    });
    this.rememberSendDuration(effect.channel, Date.now() - started);
    await this.deps.flows.setDeliveryStatus(stored.id, outcome.status);
    return outcome.status === 'sent' ? 'sent' : 'failed';
  }

  private typicalSendMs(channel: CodeChannel): number {
    const durations = this.sendDurations[channel];
    if (durations.length === 0) return 0;
    const sorted = [...durations].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  }

  private rememberSendDuration(channel: CodeChannel, ms: number): void {
    const durations = this.sendDurations[channel];
    durations.push(ms);
    if (durations.length > 50) durations.shift();
  }

  /** Counts a failure; true when it blocked the subject. */
  private async countFailure(
    loaded: LoadedFlow,
    user: DirectoryUser | null,
    kind: 'verificationFailure' | 'identityFailure',
    handle: FlowHandle,
  ): Promise<boolean> {
    const subjectKey = loaded.extras.subjectKey;
    if (!subjectKey) return false;
    const now = this.deps.clock();
    const window = kind === 'verificationFailure' ? ssprLimits.verificationWindowMs : ssprLimits.identityWindowMs;
    const limit = kind === 'verificationFailure' ? ssprLimits.verificationFailures : ssprLimits.identityFailures;
    const count = await this.deps.lockouts.recordAttempt(subjectKey, kind, now, new Date(now.getTime() - window));
    if (count < limit) return false;
    await this.block(
      loaded,
      user,
      kind === 'verificationFailure' ? 'Too many failed verification attempts' : 'Too many failed identity checks',
      handle,
    );
    return true;
  }

  private async block(
    loaded: LoadedFlow,
    user: DirectoryUser | null,
    reason: string,
    handle: FlowHandle,
  ): Promise<void> {
    const now = this.deps.clock();
    await this.deps.lockouts.block(
      {
        subjectKey: loaded.extras.subjectKey ?? loaded.flow.id,
        userId: user?.id ?? null,
        until: new Date(now.getTime() + ssprLimits.blockMs),
        reason,
        at: now,
      },
      user ? this.audit(handle, user, 'Blocked from self-service password reset', 'Other', reason, 'failure') : null,
    );
  }

  private async isBlocked(loaded: LoadedFlow): Promise<boolean> {
    if (!loaded.extras.subjectKey) return false;
    return (await this.deps.lockouts.blockedUntil(loaded.extras.subjectKey, this.deps.clock())) !== null;
  }

  private async blocked(loaded: LoadedFlow, handle: FlowHandle): Promise<ResetView> {
    const view = await this.render(loaded, handle, []);
    return { ...view, step: 'blocked', methods: [], current: null, questions: [] };
  }

  private async notify(snapshot: Snapshot, at: Date, language: string): Promise<void> {
    const { user, policy, methods } = snapshot;
    if (!user) return;
    if (policy.notifyUsersOnPasswordReset) {
      const to = [user.mail, methods?.email, ...user.otherMails].filter((value): value is string => !!value);
      await this.deps.delivery.notifyPasswordChanged({
        to,
        userPrincipalName: user.userPrincipalName,
        displayName: user.displayName,
        at,
        language,
        kind: 'self',
      });
    }
    if (snapshot.isAdministrator && policy.notifyOnAdminPasswordReset) {
      const adminIds = [...(await this.deps.roles.administratorIds())].filter((id) => id !== user.id);
      const admins = await Promise.all(adminIds.map((id) => this.deps.users.findById(id)));
      const to = admins.map((admin) => admin?.mail).filter((value): value is string => !!value);
      if (to.length > 0) {
        await this.deps.delivery.notifyPasswordChanged({
          to,
          userPrincipalName: user.userPrincipalName,
          displayName: user.displayName,
          at,
          language,
          kind: 'adminResetByUser',
        });
      }
    }
  }

  private audit(
    handle: FlowHandle,
    user: DirectoryUser,
    activity: string,
    operationType: AuditEventDraft['operationType'],
    reason: string,
    result: 'success' | 'failure' = 'success',
  ): AuditEventDraft {
    return {
      activityDisplayName: activity,
      category: 'UserManagement',
      loggedByService: auditService,
      operationType,
      result,
      resultReason: reason,
      initiatedBy: { user: { id: user.id, userPrincipalName: user.userPrincipalName, ipAddress: handle.ipAddress } },
      targetResources: [userTarget(user)],
      correlationId: handle.flowId,
    };
  }

  private async render(
    loaded: LoadedFlow,
    handle: FlowHandle,
    problems: readonly ResetPageProblem[],
  ): Promise<ResetView> {
    const { flow } = loaded;
    const { policy } = await loaded.snapshot();
    const step = flow.step;
    let methods: MethodChoice[] = [];
    let current: ResetView['current'] = null;
    let questions: { id: string; text: string }[] = [];
    if (step.name === 'chooseMethod') {
      methods = (await this.offeredMethods(loaded)).filter((choice) => !flow.gatesPassed.includes(choice.method));
    }
    if (step.name === 'confirmPhone' || step.name === 'enterCode') {
      const offered = await this.offeredMethods(loaded);
      const masked = offered.find((choice) => choice.method === step.method)?.masked ?? '';
      current = { method: step.method, channel: step.channel, masked };
    }
    if (step.name === 'answerQuestions') {
      const custom = await this.deps.policy.customQuestions();
      questions = step.questionIds.map((id) => ({
        id,
        text: predefinedSecurityQuestions[id] ?? custom.find((question) => question.id === id)?.text ?? id,
      }));
    }
    const effectivePolicy = flow.gatesRequired === 2 ? administratorPolicy(policy) : policy;
    return {
      flowId: flow.id,
      csrfToken: this.csrfToken(flow.id, handle.binding),
      step: step.name,
      problems,
      userName: flow.enteredUserName,
      captchaSvg: step.name === 'identify' ? loaded.extras.captchaSvg : null,
      methods,
      current,
      deliveryFailed: step.name === 'enterCode' && step.deliveryFailed,
      questions,
      gatesPassed: flow.gatesPassed.length,
      gatesRequired: flow.gatesRequired,
      helpdesk: effectivePolicy.customHelpdeskEmailOrUrl ?? null,
    };
  }
}

function maskedChoice(method: MethodReadiness): MethodChoice {
  if (method.method === 'securityQuestions' || method.value === null) return { method: method.method, masked: null };
  if (method.method === 'email') return { method: 'email', masked: maskEmailAddress(method.value) };
  return { method: method.method, masked: maskPhoneNumber(method.value) };
}

/**
 * The typed number matches when its digits equal the number to dial, with or without the country code
 * ("+1 425 555 0100", "14255550100" and "4255550100" all match +1 4255550100); the extension is ignored.
 */
export function phoneMatches(typed: string, destination: string): boolean {
  const dial = dialableNumber(destination);
  if (!dial) return false;
  const typedDigits = typed.split(/x|ext/i)[0]?.replace(/\D/g, '') ?? '';
  const dialDigits = dial.replace(/\D/g, '');
  const countryCode = destination.replace(/^\+/, '').split(' ')[0] ?? '';
  const national = dialDigits.slice(countryCode.length);
  return typedDigits.length >= 6 && (typedDigits === dialDigits || typedDigits === national);
}
