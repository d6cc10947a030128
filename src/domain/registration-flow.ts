/**
 * The verification sub-flow of security info registration (SPEC section 6): a phone number or an email address
 * the user typed is saved only once a code sent to it comes back. Pure: the service loads the state from the
 * flow row, applies `checkCode`, saves the result and performs the outcome.
 */
export const registrationFlowSchemaVersion = 1;

/** A verification lives 15 minutes; each code 5 minutes; five wrong codes end it. */
export const registrationFlowLifetimeMs = 15 * 60_000;
export const registrationCodeLifetimeMs = 5 * 60_000;
export const maxRegistrationCodeFailures = 5;

export type RegistrationMethod = 'phone' | 'email';
export type RegistrationChannel = 'sms' | 'voice' | 'email';

export interface VerificationState {
  readonly method: RegistrationMethod;
  readonly channel: RegistrationChannel;
  /** The value being verified: a phone number in the SSPR format, or an email address. */
  readonly destination: string;
  readonly failures: number;
  /** `verified` once a code matched (the value is then saved); `ended` after too many wrong codes. */
  readonly status: 'pending' | 'verified' | 'ended';
}

export type CodeOutcome = 'verified' | 'invalid' | 'ended';

export function newVerification(
  method: RegistrationMethod,
  channel: RegistrationChannel,
  destination: string,
): VerificationState {
  return { method, channel: method === 'email' ? 'email' : channel, destination, failures: 0, status: 'pending' };
}

/** The next state after a code was checked; a finished verification never verifies again. */
export function checkCode(
  state: VerificationState,
  valid: boolean,
): { readonly state: VerificationState; readonly outcome: CodeOutcome } {
  if (state.status !== 'pending') return { state, outcome: 'ended' };
  if (valid) return { state: { ...state, status: 'verified' }, outcome: 'verified' };
  const failures = state.failures + 1;
  if (failures >= maxRegistrationCodeFailures)
    return { state: { ...state, failures, status: 'ended' }, outcome: 'ended' };
  return { state: { ...state, failures }, outcome: 'invalid' };
}

/**
 * Whether sign-in must interrupt with "More information required": the policy asks for registration on sign-in
 * and the user is not registered enough, or the reconfirm interval (0 = never) has passed since they last
 * confirmed (or, never having confirmed, registered). A skip or a confirmation during this session lets them in.
 */
export function registrationDue(input: {
  readonly requiredOnSignIn: boolean;
  readonly reconfirmIntervalInDays: number;
  readonly isSsprRegistered: boolean;
  readonly confirmedAt: Date | null;
  readonly skippedAt: Date | null;
  readonly sessionStartedAt: Date;
  readonly now: Date;
}): boolean {
  if (!input.requiredOnSignIn) return false;
  const settledThisSession = (at: Date | null) => at !== null && at.getTime() >= input.sessionStartedAt.getTime();
  if (settledThisSession(input.skippedAt) || settledThisSession(input.confirmedAt)) return false;
  if (!input.isSsprRegistered) return true;
  if (input.reconfirmIntervalInDays <= 0) return false;
  if (input.confirmedAt === null) return true;
  return input.now.getTime() - input.confirmedAt.getTime() >= input.reconfirmIntervalInDays * 86_400_000;
}
