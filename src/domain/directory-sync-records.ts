/** Records shared by the directory sync service's `SyncStore` port and its store implementation. */
import type { SyncErrorType } from './directory-mapping.js';

export type SyncRunKind = 'full' | 'delta';

/**
 * Entra Connect's status for a run that held back its deletions because they were more than the deletion threshold
 * (its creates and updates applied; no user deleted, no watermark written, so the next run finds them again).
 */
export const deletionThresholdExceeded = 'stopped-deletion-threshold-exceeded';

export type SyncRunStatus = 'running' | 'succeeded' | 'failed' | typeof deletionThresholdExceeded;

export interface SyncCounts {
  read: number;
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  errors: number;
  warnings: number;
}

export interface SyncIssue {
  readonly dn: string;
  readonly anchor: string | null;
  readonly userId: string | null;
  readonly type: SyncErrorType | 'Warning';
  readonly attribute: string | null;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** The columns a sync writes; absent keys are left alone. */
export interface SyncedUserChanges {
  userPrincipalName?: string;
  displayName?: string;
  givenName?: string | null;
  surname?: string | null;
  mail?: string | null;
  jobTitle?: string | null;
  officeLocation?: string | null;
  accountEnabled?: boolean;
  mobilePhone?: string | null;
  businessPhones?: readonly string[];
  otherMails?: readonly string[];
  onPremisesSyncEnabled?: true;
  onPremisesImmutableId?: string;
  onPremisesDistinguishedName?: string;
  onPremisesSamAccountName?: string | null;
  onPremisesUserPrincipalName?: string;
  mobilePhoneCloudOverride?: false;
  softDeletedAt?: null;
}

export interface SyncRunRecord {
  readonly id: string;
  readonly kind: SyncRunKind;
  readonly dryRun: boolean;
  readonly status: SyncRunStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly counts: SyncCounts;
  readonly watermark: string | null;
  readonly message: string | null;
  /** The mapping version the run used (null for runs recorded before it was kept). */
  readonly mappingsVersion?: number | null;
  /** A run stopped by the deletion threshold: the users it would have soft-deleted (null otherwise). */
  readonly pendingDeletions?: number | null;
  /** A run stopped by the deletion threshold: the threshold it exceeded (null otherwise). */
  readonly deletionThreshold?: number | null;
}
