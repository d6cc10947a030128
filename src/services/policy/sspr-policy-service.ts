import { type AuditEventDraft, auditInitiator, type RequestContext } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import { directoryRoles, hasPermission, holdsAnyRole, type Principal } from '../../domain/permissions.js';
import { changeSsprPolicy, type PolicyVersion, type SsprPolicy } from '../../domain/sspr-policy.js';

export interface PolicyStore {
  current(): Promise<SsprPolicy>;
  save(policy: SsprPolicy, changedBy: string, audit: AuditEventDraft): Promise<void>;
  history(limit?: number): Promise<PolicyVersion[]>;
}

const readerRoles = [
  directoryRoles.globalAdministrator,
  directoryRoles.globalReader,
  directoryRoles.authenticationAdministrator,
  directoryRoles.privilegedAuthenticationAdministrator,
];

function canRead(principal: Principal): boolean {
  if (principal.kind === 'operator') return true;
  if (principal.kind === 'application')
    return (
      hasPermission(principal, 'Policy.ReadWrite.AuthenticationMethod') ||
      hasPermission(principal, 'Directory.Read.All')
    );
  return holdsAnyRole(principal, readerRoles);
}

function canWrite(principal: Principal): boolean {
  if (principal.kind === 'operator') return true;
  if (!hasPermission(principal, 'Policy.ReadWrite.AuthenticationMethod')) return false;
  return principal.kind === 'application' || holdsAnyRole(principal, [directoryRoles.globalAdministrator]);
}

/** The tenant's password reset policy (no Graph API exists; this is OpenSSPR's admin endpoint and CLI). */
export class SsprPolicyService {
  constructor(private readonly deps: { readonly policies: PolicyStore }) {}

  async get(context: RequestContext): Promise<SsprPolicy> {
    if (!canRead(context.principal)) throw new DomainError('permission_denied');
    return this.deps.policies.current();
  }

  async history(context: RequestContext): Promise<PolicyVersion[]> {
    if (!canRead(context.principal)) throw new DomainError('permission_denied');
    return this.deps.policies.history();
  }

  /** Applies a partial change, validated as a whole; returns the policy now in force. */
  async change(context: RequestContext, changes: unknown): Promise<SsprPolicy> {
    if (!canWrite(context.principal)) throw new DomainError('permission_denied');
    const before = await this.deps.policies.current();
    const after = changeSsprPolicy(before, changes);
    const modified = (Object.keys(after) as (keyof SsprPolicy)[])
      .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      .map((key) => ({
        displayName: key,
        oldValue: JSON.stringify(before[key]),
        newValue: JSON.stringify(after[key]),
      }));
    if (modified.length === 0) return before;
    const initiator = auditInitiator(context);
    await this.deps.policies.save(after, initiator.user?.userPrincipalName ?? initiator.app?.appId ?? 'unknown', {
      activityDisplayName: 'Update password reset policy',
      category: 'Policy',
      loggedByService: 'Self-service Password Management',
      operationType: 'Update',
      result: 'success',
      resultReason: '',
      initiatedBy: initiator,
      correlationId: context.correlationId,
      targetResources: [
        { id: 'sspr-policy', displayName: 'Password reset policy', type: 'Policy', modifiedProperties: modified },
      ],
    });
    return after;
  }
}
