import type { DirectoryAudit } from '../../../domain/audit-query.js';

/**
 * One CSV cell (RFC 4180), safe to open in a spreadsheet: a value starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return is prefixed with `'` so it is never taken for a formula (CSV injection).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export const auditCsvHeader = [
  'Date (UTC)',
  'Service',
  'Category',
  'Activity',
  'Result',
  'Result reason',
  'Initiated by',
  'Initiator IP address',
  'Target',
  'Target ID',
  'Modified properties',
  'Correlation ID',
  'Event ID',
] as const;

export function initiatorName(event: DirectoryAudit): string {
  return event.initiatedBy.user?.userPrincipalName ?? event.initiatedBy.app?.appId ?? '';
}

export function targetNames(event: DirectoryAudit): string {
  return event.targetResources.map((target) => target.userPrincipalName ?? target.displayName ?? target.id).join('; ');
}

/**
 * One event as a CSV row. Events never hold secrets (the use cases record a changed secret as "[redacted]" or a key
 * description), so every field of the event can be exported.
 */
export function auditCsvRow(event: DirectoryAudit): string {
  return csvRow([
    event.activityDateTime,
    event.loggedByService,
    event.category,
    event.activityDisplayName,
    event.result,
    event.resultReason,
    initiatorName(event),
    event.initiatedBy.user?.ipAddress ?? '',
    targetNames(event),
    event.targetResources.map((target) => target.id).join('; '),
    event.targetResources
      .flatMap((target) =>
        target.modifiedProperties.map(
          (property) => `${property.displayName}: ${property.oldValue ?? ''} -> ${property.newValue ?? ''}`,
        ),
      )
      .join('; '),
    event.correlationId,
    event.id,
  ]);
}
