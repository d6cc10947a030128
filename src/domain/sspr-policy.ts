import { DomainError } from './errors.js';

/** The tenant's self-service password reset policy (SPEC section 5), with the portal's field names. */
export interface SsprPolicy {
  readonly enablementType: 'none' | 'selected' | 'all';
  /** With `selected`: the group whose members may reset. */
  readonly selectedGroupId: string | null;
  readonly numberOfAuthenticationMethodsRequired: 1 | 2;
  readonly emailOptionEnabled: boolean;
  readonly mobilePhoneOptionEnabled: boolean;
  readonly officePhoneOptionEnabled: boolean;
  readonly securityQuestionsOptionEnabled: boolean;
  readonly numberOfQuestionsToRegister: number;
  readonly numberOfQuestionsToReset: number;
  readonly registrationRequiredOnSignIn: boolean;
  readonly registrationReconfirmIntervalInDays: number;
  readonly notifyUsersOnPasswordReset: boolean;
  readonly notifyOnAdminPasswordReset: boolean;
  readonly customHelpdeskEmailOrUrl: string | null;
  readonly writebackEnabled: boolean;
  readonly allowUnlockWithoutReset: boolean;
  /** Country calling codes (digits, no `+`) to which no SMS or call is ever sent. */
  readonly blockedCountryCodes: readonly string[];
  /**
   * The tenant's custom banned passwords (Entra's "custom banned password list"): terms scored by the
   * banned-password check like the global list. Up to 1000 terms of 4-16 characters, stored lowercase
   * and deduplicated.
   */
  readonly customBannedPasswords: readonly string[];
}

export const maxCustomBannedPasswords = 1000;
export const minCustomBannedPasswordLength = 4;
export const maxCustomBannedPasswordLength = 16;

/** One entry of the policy's change history. */
export interface PolicyVersion {
  readonly version: number;
  readonly policy: SsprPolicy;
  readonly changedDateTime: string;
  readonly changedBy: string;
}

export const defaultSsprPolicy: SsprPolicy = {
  enablementType: 'all',
  selectedGroupId: null,
  numberOfAuthenticationMethodsRequired: 1,
  emailOptionEnabled: true,
  mobilePhoneOptionEnabled: true,
  officePhoneOptionEnabled: false,
  securityQuestionsOptionEnabled: false,
  numberOfQuestionsToRegister: 3,
  numberOfQuestionsToReset: 3,
  registrationRequiredOnSignIn: true,
  registrationReconfirmIntervalInDays: 180,
  notifyUsersOnPasswordReset: true,
  notifyOnAdminPasswordReset: true,
  customHelpdeskEmailOrUrl: null,
  writebackEnabled: true,
  allowUnlockWithoutReset: false,
  blockedCountryCodes: [],
  customBannedPasswords: [],
};

/** SSPR methods as the policy and the reset flow name them. */
export type SsprMethod = 'email' | 'mobilePhone' | 'officePhone' | 'securityQuestions';

/** Methods the policy enables, in the order the reset page offers them. */
export function enabledMethods(policy: SsprPolicy): SsprMethod[] {
  const methods: SsprMethod[] = [];
  if (policy.emailOptionEnabled) methods.push('email');
  if (policy.mobilePhoneOptionEnabled) methods.push('mobilePhone');
  if (policy.officePhoneOptionEnabled) methods.push('officePhone');
  if (policy.securityQuestionsOptionEnabled) methods.push('securityQuestions');
  return methods;
}

/**
 * The fixed policy for anyone holding an administrator role: two gates, never security questions,
 * and it cannot be relaxed (SPEC section 5).
 */
export function administratorPolicy(tenantPolicy: SsprPolicy): SsprPolicy {
  return {
    ...tenantPolicy,
    enablementType: 'all',
    selectedGroupId: null,
    numberOfAuthenticationMethodsRequired: 2,
    emailOptionEnabled: true,
    mobilePhoneOptionEnabled: true,
    officePhoneOptionEnabled: true,
    securityQuestionsOptionEnabled: false,
  };
}

type PolicyField = keyof SsprPolicy;

const booleanFields: readonly PolicyField[] = [
  'emailOptionEnabled',
  'mobilePhoneOptionEnabled',
  'officePhoneOptionEnabled',
  'securityQuestionsOptionEnabled',
  'registrationRequiredOnSignIn',
  'notifyUsersOnPasswordReset',
  'notifyOnAdminPasswordReset',
  'writebackEnabled',
  'allowUnlockWithoutReset',
];

function invalid(field: string, why: string): DomainError {
  return new DomainError('invalid_property_value', { property: field }, `Invalid value for '${field}': ${why}.`);
}

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * Applies a partial change to a policy and validates the result as a whole
 * (ranges, questions to register ≥ questions to reset, enough enabled methods for the number required).
 */
export function changeSsprPolicy(current: SsprPolicy, changes: unknown): SsprPolicy {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    throw new DomainError('invalid_request', {}, 'The request body must be a JSON object.');
  }
  const next: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(changes)) {
    if (!(field in defaultSsprPolicy))
      throw new DomainError(
        'unknown_property',
        { property: field },
        `Property '${field}' does not exist on the password reset policy.`,
      );
    if (booleanFields.includes(field as PolicyField)) {
      if (typeof value !== 'boolean') throw invalid(field, 'expected true or false');
      next[field] = value;
      continue;
    }
    switch (field as PolicyField) {
      case 'enablementType':
        if (value !== 'none' && value !== 'selected' && value !== 'all')
          throw invalid(field, "expected 'none', 'selected' or 'all'");
        next[field] = value;
        break;
      case 'selectedGroupId':
        if (value !== null && (typeof value !== 'string' || !/^[0-9a-f-]{36}$/i.test(value)))
          throw invalid(field, 'expected a group id or null');
        next[field] = value;
        break;
      case 'numberOfAuthenticationMethodsRequired':
        next[field] = integerIn(value, field, 1, 2);
        break;
      case 'numberOfQuestionsToRegister':
      case 'numberOfQuestionsToReset':
        next[field] = integerIn(value, field, 3, 5);
        break;
      case 'registrationReconfirmIntervalInDays':
        next[field] = integerIn(value, field, 0, 730);
        break;
      case 'customHelpdeskEmailOrUrl':
        if (value !== null && (typeof value !== 'string' || value.length > 512 || !isEmailOrHttpUrl(value))) {
          throw invalid(field, 'expected an email address, an https:// or http:// URL, or null');
        }
        next[field] = value;
        break;
      case 'blockedCountryCodes':
        if (
          !Array.isArray(value) ||
          !value.every((code) => typeof code === 'string' && /^[1-9][0-9]{0,2}$/.test(code))
        ) {
          throw invalid(field, "expected a list of country calling codes such as ['44', '7']");
        }
        next[field] = [...new Set(value as string[])];
        break;
      case 'customBannedPasswords':
        next[field] = customBannedPasswords(value, field);
        break;
      default:
        throw new DomainError('unknown_property', { property: field });
    }
  }
  const policy = next as unknown as SsprPolicy;
  if (policy.numberOfQuestionsToRegister < policy.numberOfQuestionsToReset) {
    throw invalid('numberOfQuestionsToRegister', 'must be at least numberOfQuestionsToReset');
  }
  // Entra's 'selected' names a group; OpenSSPR keeps no groups yet, so no user could ever be a member. Refused,
  // rather than stored and silently turning self-service off for everyone but administrators.
  if (policy.enablementType === 'selected') {
    throw invalid(
      'enablementType',
      "'selected' (one group) is not available: OpenSSPR has no groups yet. Use 'all' or 'none'; the directory sync scope decides which users exist",
    );
  }
  if (enabledMethods(policy).length < policy.numberOfAuthenticationMethodsRequired) {
    throw invalid('numberOfAuthenticationMethodsRequired', 'more methods are required than the policy enables');
  }
  return policy;
}

function customBannedPasswords(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((term) => typeof term === 'string')) {
    throw invalid(field, "expected a list of terms such as ['contoso', 'fabrikam']");
  }
  const terms = (value as string[]).map((term) => term.trim().toLowerCase());
  const wrong = terms.findIndex((term) => {
    const length = [...term].length;
    return length < minCustomBannedPasswordLength || length > maxCustomBannedPasswordLength;
  });
  if (wrong >= 0) {
    throw invalid(
      field,
      `each term must have ${minCustomBannedPasswordLength} to ${maxCustomBannedPasswordLength} characters (entry ${wrong + 1} does not)`,
    );
  }
  const unique = [...new Set(terms)];
  if (unique.length > maxCustomBannedPasswords) {
    throw invalid(field, `at most ${maxCustomBannedPasswords} terms are allowed, got ${unique.length}`);
  }
  return unique;
}

function isEmailOrHttpUrl(value: string): boolean {
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return true;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
