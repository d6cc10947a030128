import type { SsprMethod } from './sspr-policy.js';

/**
 * The self-service password reset flow (SPEC section 7) as a pure state machine: the service loads the
 * persisted flow, turns the request into an event, calls `transition`, performs the returned effects and saves
 * the flow. The diagram is in `reset-flow.md` beside this file.
 *
 * A flow for an unknown, disabled or incapable user is a *pretend* flow (`userId: null`): it walks the same
 * steps, with the same pages, but sends nothing and can never pass a verification step.
 */
export const resetFlowSchemaVersion = 1;

/** One reset session lives 15 minutes; a code 5 minutes (SPEC section 7). */
export const resetFlowLifetimeMs = 15 * 60_000;
export const verificationCodeLifetimeMs = 5 * 60_000;

export type CodeChannel = 'email' | 'sms' | 'voice';

export type ResetStep =
  | { readonly name: 'identify' }
  | { readonly name: 'chooseMethod' }
  /** Before an SMS or a call, the user types the full number, which must match. */
  | { readonly name: 'confirmPhone'; readonly method: 'mobilePhone' | 'officePhone'; readonly channel: 'sms' | 'voice' }
  | {
      readonly name: 'enterCode';
      readonly method: 'email' | 'mobilePhone' | 'officePhone';
      readonly channel: CodeChannel;
      /** Delivery failed: the page offers another method. */
      readonly deliveryFailed: boolean;
    }
  | { readonly name: 'answerQuestions'; readonly questionIds: readonly string[] }
  | { readonly name: 'newPassword' }
  | { readonly name: 'done' };

export type ResetStepName = ResetStep['name'];

export interface ResetFlow {
  readonly id: string;
  readonly schemaVersion: number;
  /** Bumped by every save; a save from a stale copy is refused by the store. */
  readonly revision: number;
  /** Null for a pretend flow, and until the user is identified. */
  readonly userId: string | null;
  /** The user ID as typed at the identify step (shown back on later pages). */
  readonly enteredUserName: string | null;
  readonly step: ResetStep;
  /** Methods verified so far, in order; a second gate must be a different method. */
  readonly gatesPassed: readonly SsprMethod[];
  readonly gatesRequired: 1 | 2;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export type ResetEvent =
  /** The CAPTCHA passed; `userId` is null when the user cannot reset (unknown, disabled, not capable, blocked). */
  | {
      readonly type: 'identified';
      readonly userName: string;
      readonly userId: string | null;
      readonly gatesRequired: 1 | 2;
    }
  | {
      readonly type: 'methodChosen';
      readonly method: SsprMethod;
      readonly channel: CodeChannel | null;
      readonly questionIds?: readonly string[];
    }
  | { readonly type: 'phoneConfirmed'; readonly matches: boolean }
  | { readonly type: 'codeSent'; readonly delivered: boolean }
  | { readonly type: 'codeChecked'; readonly valid: boolean }
  | { readonly type: 'answersChecked'; readonly valid: boolean; readonly nextQuestionIds: readonly string[] }
  | { readonly type: 'passwordChanged' }
  | { readonly type: 'back' };

export type ResetEffect =
  | {
      readonly type: 'sendCode';
      readonly method: 'email' | 'mobilePhone' | 'officePhone';
      readonly channel: CodeChannel;
    }
  /** A failed verification (code or answers): counts towards the 5-per-hour lockout. */
  | { readonly type: 'recordVerificationFailure' }
  /** A failed identity check (the typed phone number did not match): counts towards the 5-per-day lockout. */
  | { readonly type: 'recordIdentityFailure' }
  | { readonly type: 'progress'; readonly activity: string }
  | { readonly type: 'completed' };

export interface Transition {
  readonly flow: ResetFlow;
  readonly effects: readonly ResetEffect[];
  /** A message key for the page when the event was refused or failed (wrong code, number mismatch...). */
  readonly problem: ResetProblem | null;
}

export type ResetProblem =
  | 'phone_mismatch'
  | 'code_invalid'
  | 'answers_invalid'
  | 'method_unavailable'
  | 'step_out_of_order'
  | 'flow_expired';

export function newResetFlow(id: string, now: Date): ResetFlow {
  return {
    id,
    schemaVersion: resetFlowSchemaVersion,
    revision: 0,
    userId: null,
    enteredUserName: null,
    step: { name: 'identify' },
    gatesPassed: [],
    gatesRequired: 1,
    createdAt: now,
    expiresAt: new Date(now.getTime() + resetFlowLifetimeMs),
  };
}

export function isResetFlowExpired(flow: ResetFlow, now: Date): boolean {
  return now.getTime() >= flow.expiresAt.getTime() || flow.schemaVersion !== resetFlowSchemaVersion;
}

/** The next flow and what the service must do; the flow is never changed in place. */
export function transition(flow: ResetFlow, event: ResetEvent, now: Date): Transition {
  if (isResetFlowExpired(flow, now)) return refuse(flow, 'flow_expired');
  const step = flow.step;
  const at = (next: ResetStep, effects: ResetEffect[] = [], changes: Partial<ResetFlow> = {}): Transition => ({
    flow: { ...flow, ...changes, step: next },
    effects,
    problem: null,
  });

  switch (event.type) {
    case 'identified':
      if (step.name !== 'identify') return refuse(flow, 'step_out_of_order');
      return at({ name: 'chooseMethod' }, [{ type: 'progress', activity: 'User submitted their user ID' }], {
        userId: event.userId,
        enteredUserName: event.userName,
        gatesRequired: event.gatesRequired,
      });

    case 'methodChosen': {
      if (step.name !== 'chooseMethod') return refuse(flow, 'step_out_of_order');
      if (flow.gatesPassed.includes(event.method)) return refuse(flow, 'method_unavailable');
      const progress: ResetEffect = { type: 'progress', activity: `User chose ${event.method}` };
      if (event.method === 'securityQuestions') {
        return at({ name: 'answerQuestions', questionIds: event.questionIds ?? [] }, [progress]);
      }
      if (event.method === 'email') {
        return at({ name: 'enterCode', method: 'email', channel: 'email', deliveryFailed: false }, [
          progress,
          { type: 'sendCode', method: 'email', channel: 'email' },
        ]);
      }
      const channel = event.channel === 'voice' || event.method === 'officePhone' ? 'voice' : 'sms';
      return at({ name: 'confirmPhone', method: event.method, channel }, [progress]);
    }

    case 'phoneConfirmed':
      if (step.name !== 'confirmPhone') return refuse(flow, 'step_out_of_order');
      if (!event.matches) {
        return { flow, effects: [{ type: 'recordIdentityFailure' }], problem: 'phone_mismatch' };
      }
      return at({ name: 'enterCode', method: step.method, channel: step.channel, deliveryFailed: false }, [
        { type: 'sendCode', method: step.method, channel: step.channel },
      ]);

    case 'codeSent':
      if (step.name !== 'enterCode') return refuse(flow, 'step_out_of_order');
      return at({ ...step, deliveryFailed: !event.delivered });

    case 'codeChecked':
      if (step.name !== 'enterCode') return refuse(flow, 'step_out_of_order');
      if (!event.valid) return { flow, effects: [{ type: 'recordVerificationFailure' }], problem: 'code_invalid' };
      return passGate(flow, step.method);

    case 'answersChecked':
      if (step.name !== 'answerQuestions') return refuse(flow, 'step_out_of_order');
      if (!event.valid) {
        // A new draw after wrong answers (SPEC section 5).
        return {
          flow: { ...flow, step: { name: 'answerQuestions', questionIds: event.nextQuestionIds } },
          effects: [{ type: 'recordVerificationFailure' }],
          problem: 'answers_invalid',
        };
      }
      return passGate(flow, 'securityQuestions');

    case 'passwordChanged':
      if (step.name !== 'newPassword') return refuse(flow, 'step_out_of_order');
      return at({ name: 'done' }, [{ type: 'completed' }]);

    case 'back':
      if (step.name === 'confirmPhone' || step.name === 'enterCode' || step.name === 'answerQuestions') {
        return at({ name: 'chooseMethod' });
      }
      return refuse(flow, 'step_out_of_order');
  }
}

function passGate(flow: ResetFlow, method: SsprMethod): Transition {
  const gatesPassed = [...flow.gatesPassed, method];
  const progress: ResetEffect = { type: 'progress', activity: `User verified ${method}` };
  if (flow.userId === null) {
    // A pretend flow can never pass a gate; the caller never reports success for one, this is the backstop.
    return { flow, effects: [{ type: 'recordVerificationFailure' }], problem: 'code_invalid' };
  }
  const next: ResetStep = gatesPassed.length >= flow.gatesRequired ? { name: 'newPassword' } : { name: 'chooseMethod' };
  return { flow: { ...flow, gatesPassed, step: next }, effects: [progress], problem: null };
}

function refuse(flow: ResetFlow, problem: ResetProblem): Transition {
  return { flow, effects: [], problem };
}
