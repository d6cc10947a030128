import type { Command } from 'commander';
import type { DirectoryAudit } from '../../domain/audit-query.js';
import { DomainError } from '../../domain/errors.js';
import { maxPageSize } from '../../domain/user-query.js';
import { parseAuditFilter } from '../../http/graph/odata/conjunction-filter.js';
import { type CliIo, operatorContext, outputOption, withContainer, withStoreOptions } from '../command-context.js';
import { formatOutput } from '../output.js';

const columns = [
  'activityDateTime',
  'loggedByService',
  'activityDisplayName',
  'result',
  'initiatedBy',
  'target',
  'correlationId',
];

/** One flat row per event for table and CSV output; JSON keeps Graph's whole `directoryAudit`. */
function auditRow(event: DirectoryAudit): Record<string, unknown> {
  const initiator = event.initiatedBy.user?.userPrincipalName ?? event.initiatedBy.app?.appId ?? '';
  return {
    activityDateTime: event.activityDateTime,
    loggedByService: event.loggedByService,
    activityDisplayName: event.activityDisplayName,
    result: event.result,
    initiatedBy: initiator,
    target: event.targetResources.map((target) => target.userPrincipalName ?? target.displayName ?? target.id),
    correlationId: event.correlationId,
  };
}

/** `sspr audit list`: the directory audit log, newest first (like Get-MgAuditLogDirectoryAudit). */
export function registerAuditCommands(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('the audit log');
  withStoreOptions(audit.command('list').description('list audit events, newest first'))
    .option(
      '--filter <odata>',
      'OData filter, e.g. "activityDateTime ge 2024-01-01T00:00:00Z and result eq \'failure\'"',
    )
    .option('--top <n>', 'stop after n events (default 100)', (value) => Number(value))
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      const filter = flags.filter === undefined ? undefined : parseAuditFilter(flags.filter);
      const limit: number = flags.top ?? 100;
      if (!Number.isInteger(limit) || limit < 1)
        throw new DomainError('invalid_request', {}, '--top must be a positive whole number');
      await withContainer(flags, io, async (container) => {
        const context = operatorContext();
        const events: DirectoryAudit[] = [];
        let beforeSeq: number | undefined;
        for (;;) {
          const page = await container.auditLog.list(context, {
            top: Math.min(maxPageSize, limit - events.length),
            ...(filter && { filter }),
            ...(beforeSeq !== undefined && { beforeSeq }),
          });
          events.push(...page.events);
          if (page.nextBeforeSeq === undefined || events.length >= limit) break;
          beforeSeq = page.nextBeforeSeq;
        }
        const text =
          flags.output === 'json'
            ? JSON.stringify(events, null, 2)
            : formatOutput(flags.output, events.map(auditRow), columns);
        io.stdout(`${text}\n`);
      });
    });
}
