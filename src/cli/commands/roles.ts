import type { Command } from 'commander';
import { roleName } from '../../services/roles/role-service.js';
import { type CliIo, operatorContext, outputOption, withContainer, withStoreOptions } from '../command-context.js';
import { formatOutput } from '../output.js';

/** `sspr role assign|remove|list`: directory roles with Entra's names and template ids. */
export function registerRoleCommands(program: Command, io: CliIo): void {
  const role = program.command('role').description("directory roles (e.g. 'Authentication Administrator')");

  withStoreOptions(role.command('assign').description('give a user a directory role'))
    .argument('<user>', 'user principal name or id')
    .argument('<role>', "role name (e.g. 'Global Administrator', helpdeskAdministrator) or template id")
    .action(async (user: string, roleNameOrId: string, flags) => {
      await withContainer(flags, io, async (container) => {
        const changed = await container.roles.assign(operatorContext(), user, roleNameOrId);
        io.stdout(changed ? `assigned ${roleNameOrId} to ${user}\n` : `${user} already holds ${roleNameOrId}\n`);
      });
    });

  withStoreOptions(role.command('remove').description('take a directory role from a user'))
    .argument('<user>', 'user principal name or id')
    .argument('<role>', 'role name or template id')
    .action(async (user: string, roleNameOrId: string, flags) => {
      await withContainer(flags, io, async (container) => {
        const changed = await container.roles.remove(operatorContext(), user, roleNameOrId);
        io.stdout(changed ? `removed ${roleNameOrId} from ${user}\n` : `${user} did not hold ${roleNameOrId}\n`);
      });
    });

  withStoreOptions(role.command('list').description('list role assignments'))
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      await withContainer(flags, io, async (container) => {
        const rows = (await container.roles.list(operatorContext())).map((assignment) => ({
          userPrincipalName: assignment.userPrincipalName,
          role: roleName(assignment.roleTemplateId),
          roleTemplateId: assignment.roleTemplateId,
          createdDateTime: assignment.createdDateTime,
        }));
        io.stdout(
          `${formatOutput(flags.output, rows, ['userPrincipalName', 'role', 'roleTemplateId', 'createdDateTime'])}\n`,
        );
      });
    });
}
