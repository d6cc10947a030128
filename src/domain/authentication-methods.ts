import { isValidAlternateEmail } from './email-address.js';
import { normalizePhoneNumber, parseSsprPhoneNumber } from './phone-number.js';
import { administratorPolicy, type SsprMethod, type SsprPolicy } from './sspr-policy.js';
import type { DirectoryUser } from './user.js';

/** Authentication phone types, with the fixed method ids Graph uses for them. */
export const phoneMethodIds = {
  mobile: '3179e48a-750b-4051-897c-87b9720928f7',
  alternateMobile: 'b6332ec1-7057-4abe-9331-3d72feddfe41',
  office: 'e37fc753-ff3b-4958-9484-eaa9425c82bc',
} as const;
export type PhoneType = keyof typeof phoneMethodIds;
export const phoneTypes = ['mobile', 'alternateMobile', 'office'] as const satisfies readonly PhoneType[];

export const emailMethodId = '3ddfcfc8-9383-446f-83cc-3ab9be4be18f';
export const passwordMethodId = '28c10230-6103-485e-b985-444c60001490';

export function phoneTypeOfMethodId(id: string): PhoneType | undefined {
  return phoneTypes.find((type) => phoneMethodIds[type] === id.toLowerCase());
}

/** The authentication layer of a user (SPEC section 4): set at registration or by an admin. */
export interface AuthenticationMethodSet {
  readonly phones: Readonly<Partial<Record<PhoneType, string>>>;
  readonly email: string | null;
  /** How many security questions are registered; their answers exist only as hashes, elsewhere. */
  readonly securityQuestionCount: number;
}

export const noAuthenticationMethods: AuthenticationMethodSet = { phones: {}, email: null, securityQuestionCount: 0 };

/** Where a reset contact came from: the authentication layer, or the profile field it falls back to. */
export type ContactSource =
  | 'authenticationPhone'
  | 'authenticationEmail'
  | 'profileMobilePhone'
  | 'profileBusinessPhones'
  | 'profileOtherMails'
  | 'securityQuestions';

export interface ResetContact {
  readonly method: SsprMethod;
  readonly source: ContactSource | null;
  /** The phone number or address; null for security questions and absent data. */
  readonly value: string | null;
}

/**
 * What the reset flow uses for each method (SPEC section 4), the one place these fallbacks live:
 * Mobile phone = authentication mobile phone, else the profile `mobilePhone`;
 * Email = authentication email, else the first `otherMails` address;
 * Office phone = authentication office phone, else `businessPhones`.
 */
export function resetContacts(
  user: Pick<DirectoryUser, 'mobilePhone' | 'businessPhones' | 'otherMails'>,
  methods: AuthenticationMethodSet,
): Record<SsprMethod, ResetContact> {
  const pick = (
    method: SsprMethod,
    primary: [ContactSource, string | null | undefined],
    fallback: [ContactSource, string | null | undefined],
  ): ResetContact => {
    if (primary[1]) return { method, source: primary[0], value: primary[1] };
    if (fallback[1]) return { method, source: fallback[0], value: fallback[1] };
    return { method, source: null, value: null };
  };
  return {
    email: pick('email', ['authenticationEmail', methods.email], ['profileOtherMails', user.otherMails[0]]),
    mobilePhone: pick(
      'mobilePhone',
      ['authenticationPhone', methods.phones.mobile],
      ['profileMobilePhone', user.mobilePhone],
    ),
    officePhone: pick(
      'officePhone',
      ['authenticationPhone', methods.phones.office],
      ['profileBusinessPhones', user.businessPhones[0]],
    ),
    securityQuestions: {
      method: 'securityQuestions',
      source: methods.securityQuestionCount > 0 ? 'securityQuestions' : null,
      value: null,
    },
  };
}

export type UnusableReason =
  | 'not_set'
  | 'not_in_sspr_format'
  | 'invalid_email_address'
  | 'country_code_blocked'
  | 'not_enabled_in_policy'
  | 'too_few_security_questions';

export interface MethodReadiness extends ResetContact {
  readonly present: boolean;
  readonly usable: boolean;
  readonly reason: UnusableReason | null;
  /** For a phone outside the SSPR format: the normalised form, when one can be computed. */
  readonly suggestion: string | null;
}

export interface SsprReadiness {
  readonly policyApplied: 'user' | 'administrator';
  readonly numberOfMethodsRequired: 1 | 2;
  /** The policy covers this user (administrators always are). */
  readonly isSsprEnabled: boolean;
  /** Enough methods registered in the authentication layer (not only pre-populated profile data). */
  readonly isSsprRegistered: boolean;
  /** Enabled, account enabled, and enough usable methods to reset right now. */
  readonly isSsprCapable: boolean;
  readonly methods: readonly MethodReadiness[];
  /** Graph's `methodsRegistered` names for the authentication layer. */
  readonly methodsRegistered: readonly string[];
}

export interface ReadinessInput {
  readonly user: Pick<DirectoryUser, 'mobilePhone' | 'businessPhones' | 'otherMails' | 'accountEnabled'>;
  readonly methods: AuthenticationMethodSet;
  readonly tenantPolicy: SsprPolicy;
  readonly isAdministrator: boolean;
  /** For `enablementType: 'selected'`: whether the user is in the selected group. */
  readonly inSelectedGroup?: boolean;
  /** Region used to suggest a normalised form for numbers written without a country code. */
  readonly defaultRegion?: string;
}

/**
 * Which SSPR methods are usable now, which are present but unusable and why, and whether the user is
 * enabled, registered and capable. Every surface (reset flow, admin page, report) calls this.
 */
export function evaluateSsprReadiness(input: ReadinessInput): SsprReadiness {
  const policy = input.isAdministrator ? administratorPolicy(input.tenantPolicy) : input.tenantPolicy;
  const contacts = resetContacts(input.user, input.methods);
  const enabled: Record<SsprMethod, boolean> = {
    email: policy.emailOptionEnabled,
    mobilePhone: policy.mobilePhoneOptionEnabled,
    officePhone: policy.officePhoneOptionEnabled,
    securityQuestions: policy.securityQuestionsOptionEnabled,
  };
  const methods = (Object.keys(contacts) as SsprMethod[]).map((method) =>
    evaluateMethod(contacts[method], enabled[method], policy, input),
  );
  const required = policy.numberOfAuthenticationMethodsRequired;
  const isSsprEnabled =
    input.isAdministrator ||
    policy.enablementType === 'all' ||
    (policy.enablementType === 'selected' && input.inSelectedGroup === true);
  const usableCount = methods.filter((method) => method.usable).length;
  const registeredUsable = methods.filter(
    (method) =>
      method.usable &&
      (method.source === 'authenticationPhone' ||
        method.source === 'authenticationEmail' ||
        method.source === 'securityQuestions'),
  ).length;
  return {
    policyApplied: input.isAdministrator ? 'administrator' : 'user',
    numberOfMethodsRequired: required,
    isSsprEnabled,
    isSsprRegistered: registeredUsable >= required,
    isSsprCapable: isSsprEnabled && input.user.accountEnabled && usableCount >= required,
    methods,
    methodsRegistered: registeredMethodNames(input.methods),
  };
}

function evaluateMethod(
  contact: ResetContact,
  enabledInPolicy: boolean,
  policy: SsprPolicy,
  input: ReadinessInput,
): MethodReadiness {
  const unusable = (reason: UnusableReason, present: boolean, suggestion: string | null = null): MethodReadiness => ({
    ...contact,
    present,
    usable: false,
    reason,
    suggestion,
  });
  if (contact.method === 'securityQuestions') {
    const count = input.methods.securityQuestionCount;
    if (count === 0) return unusable('not_set', false);
    if (!enabledInPolicy) return unusable('not_enabled_in_policy', true);
    if (count < policy.numberOfQuestionsToReset) return unusable('too_few_security_questions', true);
    return { ...contact, present: true, usable: true, reason: null, suggestion: null };
  }
  if (contact.value === null) return unusable('not_set', false);
  if (contact.method === 'email') {
    if (!isValidAlternateEmail(contact.value)) return unusable('invalid_email_address', true);
  } else {
    const parsed = parseSsprPhoneNumber(contact.value);
    if (!parsed) {
      const normalised = normalizePhoneNumber(
        contact.value,
        input.defaultRegion ? { defaultRegion: input.defaultRegion } : {},
      );
      return unusable('not_in_sspr_format', true, normalised.ok ? normalised.value : null);
    }
    if (policy.blockedCountryCodes.includes(parsed.countryCode)) return unusable('country_code_blocked', true);
  }
  if (!enabledInPolicy) return unusable('not_enabled_in_policy', true);
  return { ...contact, present: true, usable: true, reason: null, suggestion: null };
}

function registeredMethodNames(methods: AuthenticationMethodSet): string[] {
  const names: string[] = [];
  if (methods.phones.mobile) names.push('mobilePhone');
  if (methods.phones.alternateMobile) names.push('alternateMobilePhone');
  if (methods.phones.office) names.push('officePhone');
  if (methods.email) names.push('email');
  if (methods.securityQuestionCount > 0) names.push('securityQuestion');
  return names;
}
