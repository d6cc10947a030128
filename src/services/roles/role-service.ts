import { type AuditEventDraft, auditDraft, type RequestContext, userTarget } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import { directoryRoles, hasPermission, holdsAnyRole, type RoleAssignment } from '../../domain/permissions.js';
import type { DirectoryUser } from '../../domain/user.js';
import { findUserOrFail, type UserLookup } from '../users/find-user.js';

export interface RoleStore {
  rolesOf(userId: string): Promise<string[]>;
  list(): Promise<RoleAssignment[]>;
  assign(userId: string, roleTemplateId: string, audit: AuditEventDraft): Promise<boolean>;
  remove(userId: string, roleTemplateId: string, audit: AuditEventDraft): Promise<boolean>;
  countHolders(roleTemplateId: string): Promise<number>;
}

/** Role names accepted by the CLI and API: Entra's display names, camelCase keys, or template ids. */
export const roleDisplayNames: Readonly<Record<keyof typeof directoryRoles, string>> = {
  globalAdministrator: 'Global Administrator',
  privilegedAuthenticationAdministrator: 'Privileged Authentication Administrator',
  authenticationAdministrator: 'Authentication Administrator',
  passwordAdministrator: 'Password Administrator',
  helpdeskAdministrator: 'Helpdesk Administrator',
  userAdministrator: 'User Administrator',
  globalReader: 'Global Reader',
};

export function resolveRole(name: string): string {
  const wanted = name.replace(/[\s_-]/g, '').toLowerCase();
  for (const [key, id] of Object.entries(directoryRoles)) {
    const display = roleDisplayNames[key as keyof typeof directoryRoles];
    if (wanted === key.toLowerCase() || wanted === display.replace(/\s/g, '').toLowerCase() || wanted === id) return id;
  }
  const known = Object.values(roleDisplayNames).join(', ');
  throw new DomainError('invalid_request', {}, `Unknown role '${name}'. Known roles: ${known}.`);
}

export function roleName(templateId: string): string {
  const entry = Object.entries(directoryRoles).find(([, id]) => id === templateId);
  return entry ? roleDisplayNames[entry[0] as keyof typeof directoryRoles] : templateId;
}

/** Directory role assignments: only a Global Administrator (or privileged app, or the operator) changes them. */
export class RoleService {
  constructor(private readonly deps: { readonly roles: RoleStore; readonly users: UserLookup }) {}

  async list(context: RequestContext): Promise<RoleAssignment[]> {
    const { principal } = context;
    const allowed =
      principal.kind === 'operator' ||
      (principal.kind === 'application' && hasPermission(principal, 'Directory.Read.All')) ||
      holdsAnyRole(principal, [
        directoryRoles.globalAdministrator,
        directoryRoles.globalReader,
        directoryRoles.privilegedAuthenticationAdministrator,
      ]);
    if (!allowed) throw new DomainError('permission_denied');
    return this.deps.roles.list();
  }

  async rolesOf(userId: string): Promise<string[]> {
    return this.deps.roles.rolesOf(userId);
  }

  async assign(context: RequestContext, userRef: string, role: string): Promise<boolean> {
    this.assertManager(context);
    const user = await findUserOrFail(this.deps.users, userRef);
    const roleId = resolveRole(role);
    return this.deps.roles.assign(user.id, roleId, this.audit(context, 'Add member to role', 'Assign', user, roleId));
  }

  async remove(context: RequestContext, userRef: string, role: string): Promise<boolean> {
    this.assertManager(context);
    const user = await findUserOrFail(this.deps.users, userRef);
    const roleId = resolveRole(role);
    if (
      roleId === directoryRoles.globalAdministrator &&
      (await this.deps.roles.countHolders(roleId)) <= 1 &&
      (await this.deps.roles.rolesOf(user.id)).includes(roleId)
    ) {
      throw new DomainError(
        'invalid_request',
        {},
        'The last Global Administrator cannot be removed: assign the role to someone else first.',
      );
    }
    return this.deps.roles.remove(
      user.id,
      roleId,
      this.audit(context, 'Remove member from role', 'Unassign', user, roleId),
    );
  }

  private audit(
    context: RequestContext,
    activity: string,
    operationType: AuditEventDraft['operationType'],
    user: DirectoryUser,
    roleId: string,
  ): AuditEventDraft {
    const role = { displayName: 'Role.DisplayName', oldValue: null, newValue: JSON.stringify(roleName(roleId)) };
    return auditDraft(context, {
      activity,
      category: 'RoleManagement',
      service: 'Core Directory',
      operationType,
      targets: [userTarget(user, [role])],
    });
  }

  private assertManager(context: RequestContext): void {
    const { principal } = context;
    const allowed =
      principal.kind === 'operator' ||
      (principal.kind === 'application' && hasPermission(principal, 'Directory.ReadWrite.All')) ||
      holdsAnyRole(principal, [directoryRoles.globalAdministrator]);
    if (!allowed) throw new DomainError('permission_denied');
  }
}
