import {
  type AuditEventDraft,
  auditDraft,
  modifiedProperties,
  type RequestContext,
  userTarget,
} from '../../domain/audit.js';
import { type AuthorizationTarget, authorizeUserWrite } from '../../domain/authorization.js';
import { DomainError } from '../../domain/errors.js';
import {
  assertPasswordAllowed,
  type PasswordPolicyContext,
  tenantNameParts,
  userNameParts,
} from '../../domain/password-policy.js';
import { requirePermission } from '../../domain/permissions.js';
import {
  assertCloudMayChange,
  type DirectoryUser,
  type NewUserRecord,
  newCloudUser,
  type SelectedUser,
  type UserChanges,
  type UserProperty,
  type UserRecordChanges,
  userPrincipalNameDomain,
} from '../../domain/user.js';
import type { UserFilter, UserListQuery, UserPageCursor, UserSearchTerm } from '../../domain/user-query.js';
import { findSelectedUserOrFail, findUserOrFail, type SelectedUserLookup } from './find-user.js';

export interface UserRepository extends SelectedUserLookup {
  findById(id: string): Promise<DirectoryUser | undefined>;
  findByUserPrincipalName(userPrincipalName: string): Promise<DirectoryUser | undefined>;
  /** Returns up to `query.top + 1` users so the caller can tell whether another page exists. */
  list(query: UserListQuery): Promise<DirectoryUser[]>;
  count(query: { readonly filter?: UserFilter; readonly search?: readonly UserSearchTerm[] }): Promise<number>;
  /** Inserts the user and its audit event atomically; `duplicate_value` when the UPN is taken. */
  insert(user: NewUserRecord, audit: AuditEventDraft): Promise<void>;
  update(id: string, changes: UserRecordChanges, audit: AuditEventDraft): Promise<void>;
  remove(id: string, audit: AuditEventDraft): Promise<boolean>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
}

export interface UserServiceDependencies {
  readonly users: UserRepository;
  /** Directory roles of a user: changing an administrator's sensitive properties needs a privileged caller. */
  readonly roles: { rolesOf(userId: string): Promise<string[]> };
  readonly passwords: PasswordHasher;
  readonly verifiedDomains: () => readonly string[];
  /** The tenant's display name: its parts are banned in passwords, as the domains' are. */
  readonly tenantDisplayName?: () => string;
  /** The SSPR policy's `customBannedPasswords`: every way of setting a password applies them. */
  readonly customBannedPasswords?: () => Promise<readonly string[]>;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export interface UserPage {
  readonly users: readonly DirectoryUser[];
  /** Where the next page starts, when there is one. */
  readonly next?: UserPageCursor;
}

/** Directory user use cases shared by the Graph API, the CLI and (later) the portal. */
export class UserService {
  constructor(private readonly deps: UserServiceDependencies) {}

  async getUser(context: RequestContext, idOrUserPrincipalName: string): Promise<DirectoryUser> {
    requirePermission(context.principal, 'User.Read.All');
    return this.findOrFail(idOrUserPrincipalName);
  }

  /** `GET /users/{id}` with the properties its answer shows: only their columns are read. */
  async getUserProperties(
    context: RequestContext,
    idOrUserPrincipalName: string,
    properties: readonly UserProperty[],
  ): Promise<SelectedUser> {
    requirePermission(context.principal, 'User.Read.All');
    return findSelectedUserOrFail(this.deps.users, idOrUserPrincipalName, properties);
  }

  /** `GET /me`: the signed-in user reads their own profile with User.Read (or anything implying User.Read.All). */
  async getSignedInUser(context: RequestContext): Promise<DirectoryUser> {
    const principal = context.principal;
    if (principal.kind !== 'user') {
      throw new DomainError('invalid_request', {}, '/me request is only valid with delegated authentication flow.');
    }
    if (!principal.scopes.has('User.Read')) requirePermission(principal, 'User.Read.All');
    return this.findOrFail(principal.userId);
  }

  async listUsers(context: RequestContext, query: UserListQuery): Promise<UserPage> {
    requirePermission(context.principal, 'User.Read.All');
    const rows = await this.deps.users.list(query);
    if (rows.length <= query.top) return { users: rows };
    const users = rows.slice(0, query.top);
    const last = users[users.length - 1] as DirectoryUser;
    const sortValue =
      query.orderBy?.property === 'displayName'
        ? last.displayName
        : query.orderBy
          ? last.userPrincipalName.toLowerCase()
          : null;
    return { users, next: { sortValue, id: last.id } };
  }

  async countUsers(
    context: RequestContext,
    query: { readonly filter?: UserFilter; readonly search?: readonly UserSearchTerm[] },
  ): Promise<number> {
    requirePermission(context.principal, 'User.Read.All');
    return this.deps.users.count(query);
  }

  async createUser(context: RequestContext, changes: UserChanges): Promise<DirectoryUser> {
    requirePermission(context.principal, 'User.ReadWrite.All');
    authorizeUserWrite(context.principal, null, Object.keys(changes));
    const upn = changes.userPrincipalName;
    const password = changes.passwordProfile?.password;
    if (upn === undefined || password === undefined)
      throw new DomainError('property_required', {
        property: upn === undefined ? 'userPrincipalName' : 'passwordProfile',
      });
    this.assertVerifiedDomain(upn);
    assertPasswordAllowed(
      password,
      await this.passwordPolicyContext({
        userPrincipalName: upn,
        displayName: changes.displayName ?? null,
        givenName: changes.givenName ?? null,
        surname: changes.surname ?? null,
      }),
    );
    const now = this.deps.clock().toISOString();
    const { passwordProfile, ...profile } = changes;
    const { userPrincipalName: _upn, ...rest } = profile;
    const user = newCloudUser({ id: this.deps.newId(), userPrincipalName: upn, createdDateTime: now }, rest);
    await this.deps.users.insert(
      {
        ...user,
        passwordHash: await this.deps.passwords.hash(password),
        passwordChangedAt: now,
        forceChangePassword: passwordProfile?.forceChangePasswordNextSignIn ?? true,
      },
      auditDraft(context, {
        activity: 'Add user',
        category: 'UserManagement',
        service: 'Core Directory',
        operationType: 'Add',
        targets: [userTarget(user, modifiedProperties(null, changes))],
      }),
    );
    return user;
  }

  async updateUser(context: RequestContext, idOrUserPrincipalName: string, changes: UserChanges): Promise<void> {
    requirePermission(context.principal, 'User.ReadWrite.All');
    const user = await this.findOrFail(idOrUserPrincipalName);
    authorizeUserWrite(context.principal, await this.authorizationTarget(user), Object.keys(changes));
    assertCloudMayChange(user, changes);
    if (changes.userPrincipalName !== undefined) this.assertVerifiedDomain(changes.userPrincipalName);
    const now = this.deps.clock().toISOString();
    const { passwordProfile, ...profile } = changes;
    const record: { -readonly [K in keyof UserRecordChanges]: UserRecordChanges[K] } = { ...profile, updatedAt: now };
    if (passwordProfile?.password !== undefined) {
      assertPasswordAllowed(passwordProfile.password, await this.passwordPolicyContext({ ...user, ...profile }));
      record.passwordHash = await this.deps.passwords.hash(passwordProfile.password);
      record.passwordChangedAt = now;
    }
    if (passwordProfile) record.forceChangePassword = passwordProfile.forceChangePasswordNextSignIn;
    // A cloud-set mobile phone of a synced user becomes a cloud override that syncs leave alone (SPEC section 2).
    if (user.onPremisesSyncEnabled && changes.mobilePhone !== undefined && changes.mobilePhone !== user.mobilePhone) {
      record.mobilePhoneCloudOverride = true;
    }
    await this.deps.users.update(
      user.id,
      record,
      auditDraft(context, {
        activity: 'Update user',
        category: 'UserManagement',
        service: 'Core Directory',
        operationType: 'Update',
        targets: [userTarget(user, modifiedProperties(user, changes))],
      }),
    );
  }

  async deleteUser(context: RequestContext, idOrUserPrincipalName: string): Promise<void> {
    requirePermission(context.principal, 'User.ReadWrite.All');
    const user = await this.findOrFail(idOrUserPrincipalName);
    // Deleting an account ends every sign-in, as disabling it does: treated as that sensitive change.
    authorizeUserWrite(context.principal, await this.authorizationTarget(user), ['accountEnabled']);
    await this.deps.users.remove(
      user.id,
      auditDraft(context, {
        activity: 'Delete user',
        category: 'UserManagement',
        service: 'Core Directory',
        operationType: 'Delete',
        targets: [userTarget(user)],
      }),
    );
  }

  private async authorizationTarget(user: DirectoryUser): Promise<AuthorizationTarget> {
    return { id: user.id, isAdministrator: (await this.deps.roles.rolesOf(user.id)).length > 0 };
  }

  private findOrFail(idOrUserPrincipalName: string): Promise<DirectoryUser> {
    return findUserOrFail(this.deps.users, idOrUserPrincipalName);
  }

  /**
   * The user's name parts and the tenant's (from its verified domains; the service is not given the
   * tenant's display name) for the password policy.
   */
  /** The same rules as the self-service reset (SPEC section 7): user and tenant name parts, the custom banned list. */
  private async passwordPolicyContext(user: Parameters<typeof userNameParts>[0]): Promise<PasswordPolicyContext> {
    const tenantParts = this.deps
      .verifiedDomains()
      .flatMap((domain) => tenantNameParts(this.deps.tenantDisplayName?.() ?? '', domain));
    return {
      userNameParts: userNameParts(user),
      tenantNameParts: [...new Set(tenantParts)],
      customBannedPasswords: (await this.deps.customBannedPasswords?.()) ?? [],
    };
  }

  private assertVerifiedDomain(upn: string): void {
    const domain = userPrincipalNameDomain(upn);
    if (!this.deps.verifiedDomains().some((verified) => verified.toLowerCase() === domain)) {
      throw new DomainError(
        'invalid_property_value',
        { property: 'userPrincipalName' },
        'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
      );
    }
  }
}
