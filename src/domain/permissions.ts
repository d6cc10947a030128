import { DomainError } from './errors.js';

/** Application permissions (app roles) this server understands, with Graph's names. */
export const knownPermissions = [
  'User.Read.All',
  'User.ReadWrite.All',
  'UserAuthenticationMethod.Read.All',
  'UserAuthenticationMethod.ReadWrite.All',
  'AuditLog.Read.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'Policy.ReadWrite.AuthenticationMethod',
] as const;

export type Permission = (typeof knownPermissions)[number];

export function isKnownPermission(value: string): value is Permission {
  return (knownPermissions as readonly string[]).includes(value);
}

/** Directory role template ids, as in Entra. */
export const directoryRoles = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  privilegedAuthenticationAdministrator: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
  authenticationAdministrator: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
  passwordAdministrator: '966707d0-3269-4727-9be2-8c3a10f19b9d',
  helpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
} as const;

/** Who is asking. Every use case takes one and checks it before doing anything. */
export type Principal =
  | { readonly kind: 'application'; readonly appId: string; readonly permissions: ReadonlySet<string> }
  /** A signed-in user (delegated token): rights are the token's scopes intersected with the user's roles. */
  | {
      readonly kind: 'user';
      readonly userId: string;
      readonly userPrincipalName: string;
      readonly scopes: ReadonlySet<string>;
      /** Directory role template ids the user holds (the token's `wids`). */
      readonly roles: ReadonlySet<string>;
    }
  /** The local operator running `sspr` against the store directly: full rights, audited as such. */
  | { readonly kind: 'operator'; readonly name: string };

export const administratorRoleIds: ReadonlySet<string> = new Set(Object.values(directoryRoles));

export function holdsAnyRole(principal: Principal, roles: readonly string[]): boolean {
  return principal.kind === 'user' && roles.some((role) => principal.roles.has(role));
}

/** Stronger permissions that include a weaker one (Graph's documented hierarchy). */
const impliedBy: Readonly<Record<Permission, readonly Permission[]>> = {
  'User.Read.All': ['User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  'User.ReadWrite.All': ['Directory.ReadWrite.All'],
  'UserAuthenticationMethod.Read.All': ['UserAuthenticationMethod.ReadWrite.All'],
  'UserAuthenticationMethod.ReadWrite.All': [],
  'AuditLog.Read.All': [],
  'Directory.Read.All': ['Directory.ReadWrite.All'],
  'Directory.ReadWrite.All': [],
  'Policy.ReadWrite.AuthenticationMethod': [],
};

/** Whether the app permission or delegated scope is granted (not whether the user's role allows the act). */
export function hasPermission(principal: Principal, permission: Permission): boolean {
  if (principal.kind === 'operator') return true;
  const granted = principal.kind === 'application' ? principal.permissions : principal.scopes;
  if (granted.has(permission)) return true;
  return impliedBy[permission].some((stronger) => granted.has(stronger));
}

export function requirePermission(principal: Principal, permission: Permission): void {
  if (!hasPermission(principal, permission)) throw new DomainError('permission_denied', { permission });
}

export interface RoleAssignment {
  readonly id: string;
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly roleTemplateId: string;
  readonly createdDateTime: string;
}
