import { DomainError } from './errors.js';
import { directoryRoles, hasPermission, holdsAnyRole, type Principal } from './permissions.js';

/**
 * The read side of the audit log: a parsed `$filter` over `directoryAudit` events, independent of
 * OData syntax and of SQL, and the event as Graph shows it.
 */

/** Text properties of an event that can be compared with `eq`. */
export type AuditTextProperty =
  | 'category'
  | 'activityDisplayName'
  | 'loggedByService'
  | 'result'
  | 'initiatedByUserPrincipalName'
  | 'targetResourceId'
  /** A target's user principal name (the portal's "target" filter with an `@`). */
  | 'targetUserPrincipalName';

export type AuditFilterClause =
  | { readonly kind: 'eq'; readonly property: AuditTextProperty; readonly value: string }
  /** `value` is an instant in `Date#toISOString()` form. */
  | { readonly kind: 'ge' | 'gt' | 'le' | 'lt'; readonly property: 'activityDateTime'; readonly value: string };

/** Clauses ANDed together (the only combination Graph supports on this resource). */
export type AuditFilter = readonly AuditFilterClause[];

export interface AuditListQuery {
  readonly filter?: AuditFilter;
  readonly top: number;
  /** Sequence number of the last event of the previous page (events come newest first). */
  readonly beforeSeq?: number;
}

/** Graph's `directoryAudit`. */
export interface DirectoryAudit {
  readonly id: string;
  readonly category: string;
  readonly correlationId: string;
  readonly result: string;
  readonly resultReason: string;
  readonly activityDisplayName: string;
  readonly activityDateTime: string;
  readonly loggedByService: string;
  readonly operationType: string;
  readonly initiatedBy: {
    readonly app: {
      readonly appId: string | null;
      readonly displayName: string | null;
      readonly servicePrincipalId: string | null;
      readonly servicePrincipalName: string | null;
    } | null;
    readonly user: {
      readonly id: string | null;
      readonly displayName: string | null;
      readonly userPrincipalName: string | null;
      readonly ipAddress: string | null;
    } | null;
  };
  readonly targetResources: readonly {
    readonly id: string;
    readonly displayName: string | null;
    readonly type: string;
    readonly userPrincipalName: string | null;
    readonly groupType: null;
    readonly modifiedProperties: readonly {
      readonly displayName: string;
      readonly oldValue: string | null;
      readonly newValue: string | null;
    }[];
  }[];
  readonly additionalDetails: readonly { readonly key: string; readonly value: string }[];
}

/** A stored event with its position in the log (for keyset paging). */
export interface StoredAuditEvent {
  readonly seq: number;
  readonly event: DirectoryAudit;
}

const auditReaderRoles = [
  directoryRoles.globalAdministrator,
  directoryRoles.globalReader,
  directoryRoles.privilegedAuthenticationAdministrator,
];

/**
 * `GET /auditLogs/directoryAudits`: apps need AuditLog.Read.All; signed-in users need the scope and
 * Global Administrator, Global Reader or Privileged Authentication Administrator.
 */
export function authorizeAuditLogRead(principal: Principal): void {
  if (principal.kind === 'operator') return;
  if (!hasPermission(principal, 'AuditLog.Read.All')) throw new DomainError('permission_denied');
  if (principal.kind === 'application') return;
  if (!holdsAnyRole(principal, auditReaderRoles)) throw new DomainError('permission_denied');
}

const reportReaderRoles = [
  directoryRoles.globalAdministrator,
  directoryRoles.globalReader,
  directoryRoles.authenticationAdministrator,
  directoryRoles.privilegedAuthenticationAdministrator,
];

/**
 * `GET /reports/authenticationMethods/...`: apps need AuditLog.Read.All (as in Graph); signed-in users
 * need the scope and Global Administrator, Global Reader or (Privileged) Authentication Administrator.
 */
export function authorizeRegistrationReportRead(principal: Principal): void {
  if (principal.kind === 'operator') return;
  if (!hasPermission(principal, 'AuditLog.Read.All')) throw new DomainError('permission_denied');
  if (principal.kind === 'application') return;
  if (!holdsAnyRole(principal, reportReaderRoles)) throw new DomainError('permission_denied');
}
