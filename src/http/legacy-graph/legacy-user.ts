import { DomainError, isDomainError } from '../../domain/errors.js';
import { type DirectoryUser, parseUserChanges, type UserChanges } from '../../domain/user.js';

/** `odata.type` of a user in Azure AD Graph 1.6. */
export const legacyUserType = 'Microsoft.DirectoryServices.User';

/**
 * A user in Azure AD Graph 1.6's shape (SPEC section 2's last column; Microsoft's "property differences" page):
 * `objectId`, `mobile`, `telephoneNumber` (one string), `physicalDeliveryOfficeName`, `dirSyncEnabled` (null for
 * cloud users, true for synced ones), `immutableId`, `lastDirSyncTime`.
 */
export function toLegacyUser(user: DirectoryUser): Record<string, unknown> {
  return {
    'odata.type': legacyUserType,
    objectType: 'User',
    objectId: user.id,
    deletionTimestamp: null,
    accountEnabled: user.accountEnabled,
    createdDateTime: user.createdDateTime,
    dirSyncEnabled: user.onPremisesSyncEnabled,
    displayName: user.displayName,
    givenName: user.givenName,
    immutableId: user.onPremisesImmutableId,
    jobTitle: user.jobTitle,
    lastDirSyncTime: user.onPremisesLastSyncDateTime,
    mail: user.mail,
    mailNickname: user.mailNickname,
    mobile: user.mobilePhone,
    onPremisesDistinguishedName: user.onPremisesDistinguishedName,
    onPremisesSecurityIdentifier: user.onPremisesSecurityIdentifier,
    otherMails: [...user.otherMails],
    physicalDeliveryOfficeName: user.officeLocation,
    preferredLanguage: user.preferredLanguage,
    surname: user.surname,
    telephoneNumber: user.businessPhones[0] ?? null,
    userPrincipalName: user.userPrincipalName,
    userType: 'Member',
  };
}

/** Legacy name → Graph name, for the writable properties that differ or are the same. */
const writable: Readonly<Record<string, string>> = {
  accountEnabled: 'accountEnabled',
  displayName: 'displayName',
  givenName: 'givenName',
  surname: 'surname',
  jobTitle: 'jobTitle',
  mail: 'mail',
  mailNickname: 'mailNickname',
  mobile: 'mobilePhone',
  otherMails: 'otherMails',
  physicalDeliveryOfficeName: 'officeLocation',
  preferredLanguage: 'preferredLanguage',
  telephoneNumber: 'businessPhones',
  userPrincipalName: 'userPrincipalName',
  passwordProfile: 'passwordProfile',
};
const legacyNameOf = new Map(Object.entries(writable).map(([legacy, graph]) => [graph, legacy]));

/** Known to Azure AD Graph, never writable here. */
const readOnly: ReadonlySet<string> = new Set([
  'objectId',
  'objectType',
  'deletionTimestamp',
  'createdDateTime',
  'dirSyncEnabled',
  'immutableId',
  'lastDirSyncTime',
  'onPremisesDistinguishedName',
  'onPremisesSecurityIdentifier',
  'userType',
]);

/**
 * A PATCH body in legacy names (`mobile`, `telephoneNumber`, `otherMails`, `physicalDeliveryOfficeName`...)
 * → the domain's user changes, with the same validation as Graph's PATCH. Errors name the legacy property.
 */
export function parseLegacyUserChanges(body: unknown): UserChanges {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('invalid_request', {}, 'The request body must be a JSON object.');
  }
  const graphBody: Record<string, unknown> = {};
  for (const [property, value] of Object.entries(body)) {
    if (property.startsWith('odata.')) continue;
    const graphName = writable[property];
    if (graphName === undefined) {
      if (readOnly.has(property)) throw new DomainError('read_only_property', { property });
      throw new DomainError(
        'unknown_property',
        { property },
        `The property '${property}' does not exist on type '${legacyUserType}'. Make sure to only use property names that are defined by the type.`,
      );
    }
    graphBody[graphName] = convert(property, value);
  }
  try {
    return parseUserChanges(graphBody, 'update');
  } catch (error) {
    // Graph's validation speaks Graph names: say the name the caller sent.
    if (isDomainError(error) && typeof error.params.property === 'string') {
      const legacy = legacyNameOf.get(error.params.property) ?? error.params.property;
      throw new DomainError(error.code, { ...error.params, property: legacy });
    }
    throw error;
  }
}

function convert(property: string, value: unknown): unknown {
  if (property === 'telephoneNumber') {
    // One string in Azure AD Graph; Graph's collection of at most one. null or "" clears it.
    if (value === null || value === '') return [];
    if (typeof value !== 'string') throw new DomainError('invalid_property_value', { property });
    return [value];
  }
  if (property === 'passwordProfile' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { forceChangePasswordNextLogin, ...rest } = value as Record<string, unknown>;
    return {
      ...rest,
      ...(forceChangePasswordNextLogin !== undefined && {
        forceChangePasswordNextSignIn: forceChangePasswordNextLogin,
      }),
    };
  }
  return value;
}

/** Legacy property names in a `$filter`, lower-cased, → the Graph names the filter parser knows. */
const filterNames: ReadonlyMap<string, string> = new Map([
  ['objectid', 'id'],
  ['mobile', 'mobilePhone'],
  ['physicaldeliveryofficename', 'officeLocation'],
  ['dirsyncenabled', 'onPremisesSyncEnabled'],
  ['immutableid', 'onPremisesImmutableId'],
]);

/**
 * Rewrites an Azure AD Graph `$filter` (OData v3, as `Get-AzureADUser -Filter` sends it) into Graph's names:
 * identifiers outside string literals only. The rest of the grammar (`eq`, `startswith`, `any`, `and`/`or`) is
 * the same.
 */
const identifier = /[A-Za-z_][A-Za-z0-9_]*/y;

export function legacyFilterToGraph(text: string): string {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (char === "'") {
      // A string literal, '' escaping a quote: copied as is.
      let end = index + 1;
      while (end < text.length) {
        if (text[end] === "'") {
          if (text[end + 1] === "'") end += 2;
          else break;
        } else end += 1;
      }
      out += text.slice(index, end + 1);
      index = end + 1;
      continue;
    }
    identifier.lastIndex = index;
    const word = identifier.exec(text)?.[0];
    if (word) {
      out += filterNames.get(word.toLowerCase()) ?? word;
      index += word.length;
      continue;
    }
    out += char;
    index += 1;
  }
  return out;
}
