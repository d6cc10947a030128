import type { Command } from 'commander';
import { DomainError } from '../../domain/errors.js';
import { type CliIo, operatorContext, outputOption, withContainer, withStoreOptions } from '../command-context.js';
import { formatOutput } from '../output.js';

/** `sspr policy show|set|history`: the tenant's password reset policy (SPEC section 5). */
export function registerPolicyCommands(program: Command, io: CliIo): void {
  const policy = program.command('policy').description('the self-service password reset policy');

  withStoreOptions(policy.command('show').description('print the policy in force'))
    .addOption(outputOption(['table', 'json'], 'table'))
    .action(async (flags) => {
      await withContainer(flags, io, async (container) => {
        const current = await container.policies.get(operatorContext());
        const row = current as unknown as Record<string, unknown>;
        io.stdout(`${formatOutput(flags.output, [row], Object.keys(row), true)}\n`);
      });
    });

  withStoreOptions(
    policy.command('set').description('change fields, e.g. `sspr policy set numberOfAuthenticationMethodsRequired=2`'),
  )
    .argument(
      '<assignments...>',
      'field=value pairs; values are JSON (true, 2, "text", ["44","7"], e.g. customBannedPasswords=["contoso"]) or plain text',
    )
    .action(async (assignments: string[], flags) => {
      const changes: Record<string, unknown> = {};
      for (const assignment of assignments) {
        const equals = assignment.indexOf('=');
        if (equals <= 0) throw new DomainError('invalid_request', {}, `expected field=value, got '${assignment}'`);
        const raw = assignment.slice(equals + 1);
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch {
          value = raw;
        }
        changes[assignment.slice(0, equals)] = value;
      }
      await withContainer(flags, io, async (container) => {
        await container.policies.change(operatorContext(), changes);
        io.stdout(`policy updated: ${Object.keys(changes).join(', ')}\n`);
      });
    });

  withStoreOptions(policy.command('history').description('list earlier versions of the policy'))
    .addOption(outputOption(['table', 'json'], 'table'))
    .action(async (flags) => {
      await withContainer(flags, io, async (container) => {
        const versions = await container.policies.history(operatorContext());
        const rows = versions.map((version) => ({
          version: version.version,
          changedDateTime: version.changedDateTime,
          changedBy: version.changedBy,
          policy: version.policy,
        }));
        io.stdout(
          `${flags.output === 'json' ? JSON.stringify(rows, null, 2) : formatOutput('table', rows, ['version', 'changedDateTime', 'changedBy'])}\n`,
        );
      });
    });
}
