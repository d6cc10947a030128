import type { Principal } from './permissions.js';

/** Graph's `directoryAudit` services and categories used by this product (SPEC section 10). */
export type AuditService = 'Core Directory' | 'Self-service Password Management' | 'Authentication Methods' | 'Sync';
export type AuditCategory =
  | 'UserManagement'
  | 'ApplicationManagement'
  | 'RoleManagement'
  | 'Policy'
  | 'DirectoryManagement';

export interface ModifiedProperty {
  readonly displayName: string;
  /** JSON text of the old and new values, as Graph shows them; secrets never appear (`"[redacted]"`). */
  readonly oldValue: string | null;
  readonly newValue: string | null;
}

export interface AuditTarget {
  readonly id: string;
  readonly displayName: string | null;
  readonly type: 'User' | 'Application' | 'Policy' | 'Role' | 'Directory';
  readonly userPrincipalName?: string;
  readonly modifiedProperties: readonly ModifiedProperty[];
}

export interface AuditInitiator {
  readonly app?: { readonly appId: string; readonly displayName: string | null };
  readonly user?: {
    readonly id: string | null;
    readonly userPrincipalName: string | null;
    readonly ipAddress: string | null;
  };
}

/** What a use case asks the store to record in the same transaction as its change. */
export interface AuditEventDraft {
  readonly activityDisplayName: string;
  readonly category: AuditCategory;
  readonly loggedByService: AuditService;
  readonly operationType: 'Add' | 'Update' | 'Delete' | 'Assign' | 'Unassign' | 'Other';
  readonly result: 'success' | 'failure';
  readonly resultReason: string;
  readonly initiatedBy: AuditInitiator;
  readonly targetResources: readonly AuditTarget[];
  readonly correlationId: string;
}

/** The request-scoped facts every audited use case needs. */
export interface RequestContext {
  readonly principal: Principal;
  readonly correlationId: string;
  readonly ipAddress: string | null;
}

const initiators = new WeakMap<RequestContext, AuditInitiator>();

/** Who made the change; one frozen object per request context (a bulk job audits thousands of changes with it). */
export function auditInitiator(context: RequestContext): AuditInitiator {
  let initiator = initiators.get(context);
  if (initiator === undefined) {
    initiator = deepFreeze(initiatorOf(context));
    initiators.set(context, initiator);
  }
  return initiator;
}

function initiatorOf(context: RequestContext): AuditInitiator {
  const { principal } = context;
  if (principal.kind === 'application') {
    return { app: { appId: principal.appId, displayName: null } };
  }
  if (principal.kind === 'user') {
    return {
      user: { id: principal.userId, userPrincipalName: principal.userPrincipalName, ipAddress: context.ipAddress },
    };
  }
  return { user: { id: null, userPrincipalName: `operator:${principal.name}`, ipAddress: context.ipAddress } };
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null) Object.freeze(inner);
  return Object.freeze(value);
}

const secretProperties: ReadonlySet<string> = new Set(['passwordProfile', 'password', 'clientSecret', 'secret']);

/** Old/new pairs for the properties a change touched; secrets are recorded as changed, never by value. */
export function modifiedProperties(before: object | null, changes: object): ModifiedProperty[] {
  const previous = before as Readonly<Record<string, unknown>> | null;
  return Object.entries(changes).map(([name, value]: [string, unknown]) => {
    if (secretProperties.has(name)) return { displayName: name, oldValue: null, newValue: '"[redacted]"' };
    const old = previous ? previous[name] : undefined;
    return {
      displayName: name,
      oldValue: old === undefined ? null : JSON.stringify(old),
      newValue: value === undefined ? null : JSON.stringify(value),
    };
  });
}

/** What varies between audited changes; the rest comes from the request context. */
export interface AuditChange {
  readonly activity: string;
  readonly category: AuditCategory;
  readonly service: AuditService;
  readonly operationType: AuditEventDraft['operationType'];
  readonly targets: readonly AuditTarget[];
  readonly resultReason?: string;
}

/** A successful change made by whoever the request context names. */
export function auditDraft(context: RequestContext, change: AuditChange): AuditEventDraft {
  return {
    activityDisplayName: change.activity,
    category: change.category,
    loggedByService: change.service,
    operationType: change.operationType,
    result: 'success',
    resultReason: change.resultReason ?? '',
    initiatedBy: auditInitiator(context),
    correlationId: context.correlationId,
    targetResources: change.targets,
  };
}

/** A user as an audit target. */
export function userTarget(
  user: { readonly id: string; readonly displayName: string | null; readonly userPrincipalName: string },
  modified: readonly ModifiedProperty[] = [],
): AuditTarget {
  return {
    id: user.id,
    displayName: user.displayName,
    type: 'User',
    userPrincipalName: user.userPrincipalName,
    modifiedProperties: modified,
  };
}
