import { isValidAlternateEmail } from './email-address.js';
import { DomainError } from './errors.js';
import { maxMobilePhoneLength } from './phone-number.js';

/** A directory user as every surface sees it (never with its password hash). */
export interface DirectoryUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string | null;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly mail: string | null;
  readonly mailNickname: string | null;
  readonly jobTitle: string | null;
  readonly officeLocation: string | null;
  readonly preferredLanguage: string | null;
  readonly accountEnabled: boolean;
  readonly mobilePhone: string | null;
  readonly businessPhones: readonly string[];
  readonly otherMails: readonly string[];
  readonly createdDateTime: string;
  readonly onPremisesSyncEnabled: boolean | null;
  readonly onPremisesImmutableId: string | null;
  readonly onPremisesLastSyncDateTime: string | null;
  readonly onPremisesDistinguishedName: string | null;
  readonly onPremisesSamAccountName: string | null;
  readonly onPremisesUserPrincipalName: string | null;
  readonly onPremisesDomainName: string | null;
  readonly onPremisesSecurityIdentifier: string | null;
}

export type UserProperty = keyof DirectoryUser;

/** How Graph names a user in a path: by object id or by user principal name. */
export type UserReference = { readonly id: string } | { readonly userPrincipalName: string };

/** Some of a user's properties (a `$select`), always with its id; the others are absent, never made up. */
export type SelectedUser = Pick<DirectoryUser, 'id'> & Partial<DirectoryUser>;

/** Graph v1.0's default property set (returned when no `$select` is given). */
export const defaultUserProperties = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const satisfies readonly UserProperty[];

/** Every property we return, in Graph's order (beta returns all of them without `$select`). */
export const allUserProperties = [
  'id',
  'accountEnabled',
  'businessPhones',
  'createdDateTime',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mailNickname',
  'mobilePhone',
  'officeLocation',
  'onPremisesDistinguishedName',
  'onPremisesDomainName',
  'onPremisesImmutableId',
  'onPremisesLastSyncDateTime',
  'onPremisesSamAccountName',
  'onPremisesSecurityIdentifier',
  'onPremisesSyncEnabled',
  'onPremisesUserPrincipalName',
  'otherMails',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
] as const satisfies readonly UserProperty[];

/** Properties that are known to Graph but can never be written through the API. */
const readOnlyProperties: ReadonlySet<string> = new Set([
  'id',
  'createdDateTime',
  'onPremisesSyncEnabled',
  'onPremisesImmutableId',
  'onPremisesLastSyncDateTime',
  'onPremisesDistinguishedName',
  'onPremisesSamAccountName',
  'onPremisesUserPrincipalName',
  'onPremisesDomainName',
  'onPremisesSecurityIdentifier',
]);

export interface PasswordProfile {
  readonly password?: string;
  readonly forceChangePasswordNextSignIn: boolean;
}

/** A validated set of changes; absent keys are left alone, `null` clears. */
export interface UserChanges {
  userPrincipalName?: string;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
  mail?: string | null;
  mailNickname?: string | null;
  jobTitle?: string | null;
  officeLocation?: string | null;
  preferredLanguage?: string | null;
  accountEnabled?: boolean;
  mobilePhone?: string | null;
  businessPhones?: readonly string[];
  otherMails?: readonly string[];
  passwordProfile?: PasswordProfile;
}

export type WritableUserProperty = keyof UserChanges;

/** What the store keeps beyond the public user: the password, only as a hash. */
export interface UserCredentialFields {
  readonly passwordHash?: string | null;
  readonly passwordChangedAt?: string | null;
  readonly forceChangePassword?: boolean;
}

export type NewUserRecord = DirectoryUser & UserCredentialFields;
export type UserRecordChanges = Omit<UserChanges, 'passwordProfile'> &
  UserCredentialFields & {
    readonly updatedAt: string;
    /** Set when a cloud write changes a synced user's mobile phone: later syncs leave it alone (SPEC section 2). */
    readonly mobilePhoneCloudOverride?: boolean;
  };

type Validator = (value: unknown, property: string) => unknown;

const nullableString =
  (maxLength: number): Validator =>
  (value, property) => {
    if (value === null) return null;
    if (typeof value !== 'string' || value.length > maxLength) throw invalidValue(property);
    return value;
  };

const stringCollection =
  (maxItems: number, maxLength: number, check?: (item: string) => boolean): Validator =>
  (value, property) => {
    if (value === null) return [];
    if (!Array.isArray(value)) throw invalidValue(property);
    if (value.length > maxItems) throw invalidValue(property, collectionLimitMessage(property, maxItems));
    for (const item of value) {
      if (typeof item !== 'string' || item.length === 0 || item.length > maxLength) throw invalidValue(property);
      if (check && !check(item)) throw invalidValue(property);
    }
    return value as string[];
  };

const validators: Record<WritableUserProperty, Validator> = {
  userPrincipalName: (value, property) => {
    if (typeof value !== 'string' || !isValidUserPrincipalName(value)) throw invalidValue(property);
    return value;
  },
  displayName: (value, property) => {
    // Graph requires a display name on every user; it can be changed but not cleared.
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > 256) throw invalidValue(property);
    return value;
  },
  givenName: nullableString(64),
  surname: nullableString(64),
  mail: (value, property) => {
    if (value === null) return null;
    if (typeof value !== 'string' || !isValidAlternateEmail(value)) throw invalidValue(property);
    return value;
  },
  mailNickname: (value, property) => {
    if (value === null) return null;
    if (typeof value !== 'string' || !/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]{1,64}$/.test(value))
      throw invalidValue(property);
    return value;
  },
  jobTitle: nullableString(128),
  officeLocation: nullableString(128),
  preferredLanguage: (value, property) => {
    if (value === null) return null;
    if (typeof value !== 'string' || !/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(value)) throw invalidValue(property);
    return value;
  },
  accountEnabled: (value, property) => {
    if (typeof value !== 'boolean') throw invalidValue(property);
    return value;
  },
  mobilePhone: nullableString(maxMobilePhoneLength),
  businessPhones: stringCollection(1, maxMobilePhoneLength),
  otherMails: stringCollection(30, 254, isValidAlternateEmail),
  passwordProfile: (value, property) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidValue(property);
    const { password, forceChangePasswordNextSignIn, ...rest } = value as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw new DomainError('unknown_property', { property: unknown });
    if (password !== undefined && (typeof password !== 'string' || password.length === 0)) throw invalidValue(property);
    if (forceChangePasswordNextSignIn !== undefined && typeof forceChangePasswordNextSignIn !== 'boolean') {
      throw invalidValue(property);
    }
    return {
      ...(password === undefined ? {} : { password }),
      forceChangePasswordNextSignIn: forceChangePasswordNextSignIn ?? true,
    } satisfies PasswordProfile;
  },
};

/** Properties Graph requires when creating a user. */
const requiredOnCreate: readonly WritableUserProperty[] = [
  'accountEnabled',
  'displayName',
  'mailNickname',
  'passwordProfile',
  'userPrincipalName',
];

/**
 * Validates a JSON body for creating (`create`) or updating (`update`) a user.
 * Unknown and read-only properties are refused, values are checked against Graph's types and limits.
 * Phone values are free text here (SPEC section 2): the SSPR format decides usability, not storage.
 */
export function parseUserChanges(body: unknown, mode: 'create' | 'update'): UserChanges {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('invalid_request', {}, 'The request body must be a JSON object.');
  }
  const changes: Record<string, unknown> = {};
  for (const [property, value] of Object.entries(body)) {
    if (property.startsWith('@odata.')) continue;
    const validator = validators[property as WritableUserProperty] as Validator | undefined;
    if (!validator) {
      if (readOnlyProperties.has(property)) throw new DomainError('read_only_property', { property });
      throw new DomainError('unknown_property', { property });
    }
    changes[property] = validator(value, property);
  }
  if (mode === 'create') {
    for (const property of requiredOnCreate) {
      if (changes[property] === undefined || changes[property] === null) {
        throw new DomainError('property_required', { property });
      }
    }
    if ((changes.passwordProfile as PasswordProfile).password === undefined) {
      throw new DomainError('property_required', { property: 'passwordProfile.password' });
    }
  }
  return changes as UserChanges;
}

/** Properties mastered on-premises for a synced user: a cloud write is refused (SPEC section 2). */
const cloudWritableForSyncedUsers: ReadonlySet<WritableUserProperty> = new Set(['mobilePhone', 'otherMails']);

export function assertCloudMayChange(user: Pick<DirectoryUser, 'onPremisesSyncEnabled'>, changes: UserChanges): void {
  if (!user.onPremisesSyncEnabled) return;
  for (const property of Object.keys(changes) as WritableUserProperty[]) {
    if (!cloudWritableForSyncedUsers.has(property)) throw new DomainError('on_premises_mastered', { property });
  }
}

const upnPattern = /^[A-Za-z0-9'._\-!#^~&+]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** Entra's rule: ASCII local part without leading/trailing/double dots, and a domain. */
export function isValidUserPrincipalName(value: string): boolean {
  if (value.length > 113 || !upnPattern.test(value)) return false;
  const local = value.slice(0, value.indexOf('@'));
  return !local.startsWith('.') && !local.endsWith('.') && !local.includes('..');
}

export function userPrincipalNameDomain(upn: string): string {
  return upn.slice(upn.lastIndexOf('@') + 1).toLowerCase();
}

function invalidValue(property: string, message?: string): DomainError {
  return new DomainError('invalid_property_value', { property }, message);
}

function collectionLimitMessage(property: string, maxItems: number): string {
  return maxItems === 1
    ? `Invalid value specified for property '${property}' of resource 'User': at most one value is allowed.`
    : `Invalid value specified for property '${property}' of resource 'User': at most ${maxItems} values are allowed.`;
}

/**
 * A new cloud user (not synced): the given profile, Graph's defaults for the rest, no on-premises data.
 * The one place a complete `DirectoryUser` is assembled for creation.
 */
export function newCloudUser(
  identity: { readonly id: string; readonly userPrincipalName: string; readonly createdDateTime: string },
  profile: Omit<UserChanges, 'userPrincipalName' | 'passwordProfile'>,
): DirectoryUser {
  return {
    ...identity,
    displayName: profile.displayName ?? null,
    givenName: profile.givenName ?? null,
    surname: profile.surname ?? null,
    mail: profile.mail ?? null,
    mailNickname: profile.mailNickname ?? null,
    jobTitle: profile.jobTitle ?? null,
    officeLocation: profile.officeLocation ?? null,
    preferredLanguage: profile.preferredLanguage ?? null,
    accountEnabled: profile.accountEnabled ?? true,
    mobilePhone: profile.mobilePhone ?? null,
    businessPhones: profile.businessPhones ?? [],
    otherMails: profile.otherMails ?? [],
    onPremisesSyncEnabled: null,
    onPremisesImmutableId: null,
    onPremisesLastSyncDateTime: null,
    onPremisesDistinguishedName: null,
    onPremisesSamAccountName: null,
    onPremisesUserPrincipalName: null,
    onPremisesDomainName: null,
    onPremisesSecurityIdentifier: null,
  };
}
