import { randomUUID } from 'node:crypto';
import { type AuditEventDraft, auditInitiator, type RequestContext } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import { directoryRoles, hasPermission, holdsAnyRole, type Principal } from '../../domain/permissions.js';
import {
  maxCustomSecurityQuestions,
  predefinedSecurityQuestions,
  validateCustomQuestionText,
} from '../../domain/security-questions.js';
import { changeSsprPolicy, type PolicyVersion, type SsprPolicy } from '../../domain/sspr-policy.js';

export interface SecurityQuestion {
  readonly id: string;
  readonly text: string;
  readonly custom: boolean;
}

export interface PolicyStore {
  current(): Promise<SsprPolicy>;
  customQuestions(): Promise<{ id: string; text: string; createdDateTime: string }[]>;
  addCustomQuestion(question: { id: string; text: string }, limit: number, audit: AuditEventDraft): Promise<boolean>;
  removeCustomQuestion(id: string, audit: AuditEventDraft): Promise<boolean>;
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
  const granted =
    hasPermission(principal, 'Policy.ReadWrite.AuthenticationMethod') || hasPermission(principal, 'Directory.Read.All');
  // Signed-in callers need the scope and one of the reader roles.
  return principal.kind === 'application' ? granted : granted && holdsAnyRole(principal, readerRoles);
}

function canWrite(principal: Principal): boolean {
  if (principal.kind === 'operator') return true;
  if (!hasPermission(principal, 'Policy.ReadWrite.AuthenticationMethod')) return false;
  return principal.kind === 'application' || holdsAnyRole(principal, [directoryRoles.globalAdministrator]);
}

/** The tenant's password reset policy (no Graph API exists; this is OpenSSPR's admin endpoint and CLI). */
export class SsprPolicyService {
  constructor(private readonly deps: { readonly policies: PolicyStore; readonly newId?: () => string }) {}

  async get(context: RequestContext): Promise<SsprPolicy> {
    if (!canRead(context.principal)) throw new DomainError('permission_denied');
    return this.deps.policies.current();
  }

  /** Whether the caller may change the policy (the portal shows the form read-only otherwise). */
  canChange(context: RequestContext): boolean {
    return canWrite(context.principal);
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

  /** The 35 predefined questions and the tenant's custom ones (texts only: answers never leave the store). */
  async securityQuestions(context: RequestContext): Promise<SecurityQuestion[]> {
    if (!canRead(context.principal)) throw new DomainError('permission_denied');
    const custom = await this.deps.policies.customQuestions();
    return [
      ...Object.entries(predefinedSecurityQuestions).map(([id, text]) => ({ id, text, custom: false })),
      ...custom.map((question) => ({ id: question.id, text: question.text, custom: true })),
    ];
  }

  async addCustomQuestion(context: RequestContext, text: unknown): Promise<SecurityQuestion> {
    if (!canWrite(context.principal)) throw new DomainError('permission_denied');
    if (typeof text !== 'string') throw new DomainError('property_required', { property: 'text' });
    const question = { id: (this.deps.newId ?? randomUUID)(), text: validateCustomQuestionText(text) };
    const added = await this.deps.policies.addCustomQuestion(
      question,
      maxCustomSecurityQuestions,
      this.questionAudit(context, 'Add custom security question', 'Add', question),
    );
    if (!added)
      throw new DomainError(
        'invalid_request',
        {},
        `A tenant can have at most ${maxCustomSecurityQuestions} custom security questions.`,
      );
    return { ...question, custom: true };
  }

  async removeCustomQuestion(context: RequestContext, id: string): Promise<void> {
    if (!canWrite(context.principal)) throw new DomainError('permission_denied');
    const removed = await this.deps.policies.removeCustomQuestion(
      id,
      this.questionAudit(context, 'Delete custom security question', 'Delete', { id, text: '' }),
    );
    if (!removed) throw new DomainError('resource_not_found', { resource: id });
  }

  private questionAudit(
    context: RequestContext,
    activity: string,
    operationType: AuditEventDraft['operationType'],
    question: { id: string; text: string },
  ): AuditEventDraft {
    return {
      activityDisplayName: activity,
      category: 'Policy',
      loggedByService: 'Self-service Password Management',
      operationType,
      result: 'success',
      resultReason: '',
      initiatedBy: auditInitiator(context),
      correlationId: context.correlationId,
      targetResources: [
        {
          id: question.id,
          displayName: 'Custom security question',
          type: 'Policy',
          modifiedProperties: question.text
            ? [{ displayName: 'text', oldValue: null, newValue: JSON.stringify(question.text) }]
            : [],
        },
      ],
    };
  }
}
