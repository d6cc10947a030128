import type { SsprReadiness, UnusableReason } from './authentication-methods.js';
import type { SsprMethod } from './sspr-policy.js';
import type { DirectoryUser } from './user.js';

/** Graph's `userRegistrationDetails` (SPEC section 10), computed from `evaluateSsprReadiness`. */
export interface UserRegistrationDetails {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly userDisplayName: string | null;
  readonly userType: 'member';
  readonly isAdmin: boolean;
  readonly isSsprRegistered: boolean;
  readonly isSsprEnabled: boolean;
  readonly isSsprCapable: boolean;
  readonly isMfaRegistered: false;
  readonly isMfaCapable: false;
  readonly isPasswordlessCapable: false;
  readonly methodsRegistered: readonly string[];
  readonly defaultMfaMethod: 'none';
  readonly lastUpdatedDateTime: string;
}

export type RegistrationFlag = 'isSsprRegistered' | 'isSsprCapable' | 'isSsprEnabled' | 'isAdmin';

/** Why a method that is present cannot be used (every `UnusableReason` but "not set"). */
export type UnusableDataReason = Exclude<UnusableReason, 'not_set'>;

export const unusableDataReasons = [
  'not_in_sspr_format',
  'invalid_email_address',
  'country_code_blocked',
  'not_enabled_in_policy',
  'too_few_security_questions',
] as const satisfies readonly UnusableDataReason[];

export type RegistrationFilterClause =
  | { readonly kind: 'flag'; readonly property: RegistrationFlag; readonly value: boolean }
  | { readonly kind: 'userPrincipalName'; readonly value: string }
  /** A method present but unusable, for this reason or (`any`) for any reason: the admin portal's filter. */
  | { readonly kind: 'unusableData'; readonly reason: UnusableDataReason | 'any' };

/** Clauses ANDed together. */
export type RegistrationFilter = readonly RegistrationFilterClause[];

export function registrationDetailsOf(
  user: Pick<DirectoryUser, 'id' | 'userPrincipalName' | 'displayName' | 'createdDateTime'>,
  readiness: SsprReadiness,
  isAdmin: boolean,
): UserRegistrationDetails {
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    userDisplayName: user.displayName,
    userType: 'member',
    isAdmin,
    isSsprRegistered: readiness.isSsprRegistered,
    isSsprEnabled: readiness.isSsprEnabled,
    isSsprCapable: readiness.isSsprCapable,
    isMfaRegistered: false,
    isMfaCapable: false,
    isPasswordlessCapable: false,
    methodsRegistered: readiness.methodsRegistered,
    defaultMfaMethod: 'none',
    lastUpdatedDateTime: user.createdDateTime,
  };
}

/** Whether a user passes every clause (the store also narrows by the UPN clause). */
export function matchesRegistrationFilter(
  details: UserRegistrationDetails,
  readiness: SsprReadiness,
  filter: RegistrationFilter,
): boolean {
  return filter.every((clause) => {
    if (clause.kind === 'flag') return details[clause.property] === clause.value;
    if (clause.kind === 'userPrincipalName') {
      return details.userPrincipalName.toLowerCase() === clause.value.toLowerCase();
    }
    return readiness.methods.some(
      (method) =>
        !method.usable &&
        method.reason !== null &&
        method.reason !== 'not_set' &&
        (clause.reason === 'any' || method.reason === clause.reason),
    );
  });
}

/** OpenSSPR's tenant summary: how many users can reset right now, and what stops the others. */
export interface SsprReadinessSummary {
  totalUsers: number;
  /** `isSsprCapable`: enabled, account enabled, enough usable methods now. */
  capableNow: number;
  /** `isSsprRegistered`: enough usable methods in the authentication layer. */
  registered: number;
  /** Capable now only thanks to pre-populated profile data (not registered). */
  prePopulatedOnly: number;
  /** Users for whom each method is usable now. */
  byMethod: Record<SsprMethod, number>;
  /**
   * Users with contact data present but unusable, by reason: a user counts once per reason however many of their
   * methods it concerns, so each figure is the length of the admin portal's users list filtered by that reason.
   */
  unusable: Partial<Record<Exclude<UnusableReason, 'not_set'>, number>>;
  /** Users holding any directory role (the administrator policy applies to them). */
  admins: number;
}

export function emptyReadinessSummary(): SsprReadinessSummary {
  return {
    totalUsers: 0,
    capableNow: 0,
    registered: 0,
    prePopulatedOnly: 0,
    byMethod: { email: 0, mobilePhone: 0, officePhone: 0, securityQuestions: 0 },
    unusable: {},
    admins: 0,
  };
}

/** Adds one user to a running summary (mutates it: the summary streams over every user). */
export function addToReadinessSummary(summary: SsprReadinessSummary, readiness: SsprReadiness, isAdmin: boolean): void {
  summary.totalUsers += 1;
  if (readiness.isSsprCapable) summary.capableNow += 1;
  if (readiness.isSsprRegistered) summary.registered += 1;
  if (readiness.isSsprCapable && !readiness.isSsprRegistered) summary.prePopulatedOnly += 1;
  if (isAdmin) summary.admins += 1;
  const reasons = new Set<UnusableDataReason>();
  for (const method of readiness.methods) {
    if (method.usable) summary.byMethod[method.method] += 1;
    else if (method.reason !== null && method.reason !== 'not_set') reasons.add(method.reason);
  }
  // Once per user and reason: two phones out of format are one user to fix.
  for (const reason of reasons) summary.unusable[reason] = (summary.unusable[reason] ?? 0) + 1;
}
