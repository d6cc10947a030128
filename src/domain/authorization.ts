import { DomainError } from './errors.js';
import { directoryRoles, hasPermission, holdsAnyRole, type Principal } from './permissions.js';

/** The user a request acts on, as far as authorization cares. */
export interface AuthorizationTarget {
  readonly id: string;
  /** Holds any directory role: sensitive data then needs a privileged role (SPEC section 9). */
  readonly isAdministrator: boolean;
}

export type MethodReadAccess = 'full' | 'masked';

const denied = () => new DomainError('permission_denied');
const isSelf = (principal: Principal, target: AuthorizationTarget) =>
  principal.kind === 'user' && principal.userId === target.id;

const privileged = [directoryRoles.globalAdministrator, directoryRoles.privilegedAuthenticationAdministrator];

/**
 * Reading someone's authentication methods (SPEC section 4). Apps need
 * UserAuthenticationMethod.Read.All; signed-in users read their own with UserAuthenticationMethod.Read,
 * others' with .Read.All plus Global Reader, Authentication Administrator, Privileged Authentication
 * Administrator or Global Administrator. An Authentication Administrator sees masked phone numbers.
 */
export function authorizeMethodRead(principal: Principal, target: AuthorizationTarget): MethodReadAccess {
  if (principal.kind === 'operator') return 'full';
  if (principal.kind === 'application') {
    if (!hasPermission(principal, 'UserAuthenticationMethod.Read.All')) throw denied();
    return 'full';
  }
  if (isSelf(principal, target)) {
    const selfScopes = ['UserAuthenticationMethod.Read', 'UserAuthenticationMethod.ReadWrite'];
    if (
      selfScopes.some((scope) => principal.scopes.has(scope)) ||
      hasPermission(principal, 'UserAuthenticationMethod.Read.All')
    ) {
      return 'full';
    }
    throw denied();
  }
  if (!hasPermission(principal, 'UserAuthenticationMethod.Read.All')) throw denied();
  if (holdsAnyRole(principal, [...privileged, directoryRoles.globalReader])) return 'full';
  if (holdsAnyRole(principal, [directoryRoles.authenticationAdministrator])) return 'masked';
  throw denied();
}

/**
 * Adding, changing or deleting someone's methods. Users may not add or change their own phone or email
 * through the API (registration verifies them by code); they may delete their own.
 */
export function authorizeMethodWrite(
  principal: Principal,
  target: AuthorizationTarget,
  operation: 'add' | 'update' | 'delete',
): void {
  if (principal.kind === 'operator') return;
  if (principal.kind === 'application') {
    if (!hasPermission(principal, 'UserAuthenticationMethod.ReadWrite.All')) throw denied();
    return;
  }
  if (isSelf(principal, target)) {
    if (operation === 'delete' && principal.scopes.has('UserAuthenticationMethod.ReadWrite')) return;
    throw denied();
  }
  if (!hasPermission(principal, 'UserAuthenticationMethod.ReadWrite.All')) throw denied();
  if (holdsAnyRole(principal, privileged)) return;
  if (!target.isAdministrator && holdsAnyRole(principal, [directoryRoles.authenticationAdministrator])) return;
  throw denied();
}

/** Admin password reset: never on oneself; admin targets only by a privileged role. */
export function authorizePasswordReset(principal: Principal, target: AuthorizationTarget): void {
  if (principal.kind === 'operator') return;
  if (isSelf(principal, target)) throw denied();
  if (principal.kind === 'application') {
    if (!hasPermission(principal, 'UserAuthenticationMethod.ReadWrite.All')) throw denied();
    return;
  }
  if (!hasPermission(principal, 'UserAuthenticationMethod.ReadWrite.All')) throw denied();
  if (holdsAnyRole(principal, privileged)) return;
  const helpdeskRoles = [
    directoryRoles.authenticationAdministrator,
    directoryRoles.helpdeskAdministrator,
    directoryRoles.passwordAdministrator,
  ];
  if (!target.isAdministrator && holdsAnyRole(principal, helpdeskRoles)) return;
  throw denied();
}

/** Graph users API: reading needs User.Read.All (app permission or delegated scope). */
export function authorizeUserRead(principal: Principal): void {
  if (!hasPermission(principal, 'User.Read.All')) throw denied();
}

/** Contact and profile properties whose change on an administrator needs a privileged role. */
const sensitiveProperties: ReadonlySet<string> = new Set([
  'businessPhones',
  'mobilePhone',
  'otherMails',
  'accountEnabled',
  'passwordProfile',
]);

/**
 * Graph users API writes: apps need User.ReadWrite.All; signed-in users also need Global Administrator
 * or User Administrator, and changing sensitive properties of an administrator needs a privileged role.
 */
export function authorizeUserWrite(
  principal: Principal,
  target: AuthorizationTarget | null,
  changedProperties: readonly string[],
): void {
  if (!hasPermission(principal, 'User.ReadWrite.All')) throw denied();
  // Apps with User.ReadWrite.All and the local operator may write any user, as in Entra.
  if (principal.kind !== 'user') return;
  if (!holdsAnyRole(principal, [directoryRoles.globalAdministrator, directoryRoles.userAdministrator, ...privileged]))
    throw denied();
  if (
    target?.isAdministrator &&
    changedProperties.some((p) => sensitiveProperties.has(p)) &&
    !holdsAnyRole(principal, privileged)
  ) {
    throw denied();
  }
}
