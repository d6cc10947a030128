import type { Command } from 'commander';
import type { UserRegistrationDetails } from '../../domain/registration-report.js';
import { maxPageSize } from '../../domain/user-query.js';
import { parseRegistrationFilter } from '../../http/graph/odata/conjunction-filter.js';
import { type CliIo, operatorContext, outputOption, withContainer, withStoreOptions } from '../command-context.js';
import { formatOutput } from '../output.js';

const userColumns = [
  'userPrincipalName',
  'isAdmin',
  'isSsprEnabled',
  'isSsprRegistered',
  'isSsprCapable',
  'methodsRegistered',
] as const;

/** `sspr report summary|users`: who can reset a password right now (SPEC section 10). */
export function registerReportCommands(program: Command, io: CliIo): void {
  const report = program.command('report').description('SSPR registration and readiness reports');

  withStoreOptions(report.command('summary').description('tenant totals: who can reset now, by method, and why not'))
    .addOption(outputOption(['table', 'json'], 'table'))
    .action(async (flags) => {
      await withContainer(flags, io, async (container) => {
        const summary = await container.reports.readinessSummary(operatorContext());
        if (flags.output === 'json') {
          io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
          return;
        }
        const row: Record<string, unknown> = {
          totalUsers: summary.totalUsers,
          capableNow: summary.capableNow,
          registered: summary.registered,
          prePopulatedOnly: summary.prePopulatedOnly,
          admins: summary.admins,
          ...Object.fromEntries(Object.entries(summary.byMethod).map(([method, n]) => [`usable.${method}`, n])),
          ...Object.fromEntries(Object.entries(summary.unusable).map(([reason, n]) => [`unusable.${reason}`, n])),
        };
        io.stdout(`${formatOutput('table', [row], Object.keys(row), true)}\n`);
      });
    });

  withStoreOptions(report.command('users').description('per-user registration details (userRegistrationDetails)'))
    .option('--filter <odata>', 'OData filter, e.g. "isSsprCapable eq false"')
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      const filter = flags.filter === undefined ? undefined : parseRegistrationFilter(flags.filter);
      await withContainer(flags, io, async (container) => {
        const context = operatorContext();
        const rows: UserRegistrationDetails[] = [];
        let afterId: string | undefined;
        for (;;) {
          const page = await container.reports.userRegistrationDetails(context, {
            top: maxPageSize,
            ...(filter && { filter }),
            ...(afterId !== undefined && { afterId }),
          });
          rows.push(...page.value);
          if (page.nextAfterId === undefined) break;
          afterId = page.nextAfterId;
        }
        const text =
          flags.output === 'json'
            ? JSON.stringify(rows, null, 2)
            : formatOutput(flags.output, rows as unknown as Record<string, unknown>[], userColumns);
        io.stdout(`${text}\n`);
      });
    });
}
