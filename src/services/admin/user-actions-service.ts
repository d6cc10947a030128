import { type AuditEventDraft, auditDraft, type RequestContext, userTarget } from '../../domain/audit.js';
import {
  type AuthorizationTarget,
  authorizeMethodRead,
  authorizeMethodWrite,
  authorizePasswordReset,
} from '../../domain/authorization.js';
import type { DirectoryUser } from '../../domain/user.js';
import { type FlowSecrets, subjectOf } from '../self-service/flow-secrets.js';
import { findUserOrFail, type UserLookup } from '../users/find-user.js';

export interface UserActionsDependencies {
  readonly users: UserLookup;
  readonly roles: { rolesOf(userId: string): Promise<string[]> };
  readonly registrations: {
    recordRegistration(
      userId: string,
      changes: { registeredAt?: string | null; confirmedAt?: string | null; skippedAt?: string | null },
      audit?: AuditEventDraft | null,
      at?: Date,
    ): Promise<void>;
  };
  readonly sessions: { revokeAllForUser(userId: string, audit: AuditEventDraft | null, at: Date): Promise<void> };
  readonly lockouts: {
    userBlockedUntil(userId: string, subjectKey: string, now: Date): Promise<Date | null>;
    unblockUser(userId: string, subjectKey: string, audit: AuditEventDraft, at: Date): Promise<void>;
  };
  readonly secrets: FlowSecrets;
  readonly clock: () => Date;
}

/**
 * What an administrator does to a user beside their methods (the Authentication methods page): require
 * re-registration, revoke sessions, see and lift an SSPR block. Same principals and role rules as the API, each
 * change audited in its transaction.
 *
 * - Require re-register and revoke sessions: the method-write rule (privileged roles for any user, Authentication
 *   Administrator for users without a role).
 * - Unblock: the admin-password-reset rule (also Helpdesk and Password Administrators, for users without a role).
 */
export class UserActionsService {
  constructor(private readonly deps: UserActionsDependencies) {}

  /** Until when the user is blocked from SSPR (too many failed attempts), or null; readers of methods may see it. */
  async ssprBlock(context: RequestContext, userRef: string): Promise<Date | null> {
    const user = await findUserOrFail(this.deps.users, userRef);
    authorizeMethodRead(context.principal, await this.target(user));
    return this.deps.lockouts.userBlockedUntil(
      user.id,
      subjectOf(this.deps.secrets, user.userPrincipalName),
      this.deps.clock(),
    );
  }

  async unblockSspr(context: RequestContext, userRef: string): Promise<void> {
    const user = await findUserOrFail(this.deps.users, userRef);
    authorizePasswordReset(context.principal, await this.target(user));
    await this.deps.lockouts.unblockUser(
      user.id,
      subjectOf(this.deps.secrets, user.userPrincipalName),
      auditDraft(context, {
        activity: 'Unblock user from self-service password reset',
        category: 'UserManagement',
        service: 'Self-service Password Management',
        operationType: 'Update',
        targets: [userTarget(user)],
      }),
      this.deps.clock(),
    );
  }

  /**
   * The user must register (and confirm) their security info again: their registration record is cleared, so My
   * Security Info shows "More information required" at their next sign-in (when the policy requires registration
   * on sign-in). Their methods stay usable until they change them.
   */
  async requireReregistration(context: RequestContext, userRef: string): Promise<void> {
    const user = await findUserOrFail(this.deps.users, userRef);
    authorizeMethodWrite(context.principal, await this.target(user), 'update');
    const now = this.deps.clock();
    await this.deps.registrations.recordRegistration(
      user.id,
      { registeredAt: null, confirmedAt: null, skippedAt: null },
      auditDraft(context, {
        activity: 'Admin required re-registration of security info',
        category: 'UserManagement',
        service: 'Authentication Methods',
        operationType: 'Update',
        targets: [userTarget(user)],
      }),
      now,
    );
  }

  /** Every web session (My Security Info, admin portal) and refresh token of the user ends. */
  async revokeSessions(context: RequestContext, userRef: string): Promise<void> {
    const user = await findUserOrFail(this.deps.users, userRef);
    authorizeMethodWrite(context.principal, await this.target(user), 'update');
    await this.deps.sessions.revokeAllForUser(
      user.id,
      auditDraft(context, {
        activity: 'Invalidate all refresh tokens for user',
        category: 'UserManagement',
        service: 'Core Directory',
        operationType: 'Update',
        targets: [userTarget(user)],
      }),
      this.deps.clock(),
    );
  }

  private async target(user: DirectoryUser): Promise<AuthorizationTarget> {
    return { id: user.id, isAdministrator: (await this.deps.roles.rolesOf(user.id)).length > 0 };
  }
}
