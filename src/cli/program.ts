import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { redactedConfig } from '../config.js';
import { writeDevelopmentCertificates } from '../connectors/tls/dev-certificate.js';
import { createContainer } from '../container.js';
import { DomainError } from '../domain/errors.js';
import { buildServer } from '../http/server.js';
import { type CliIo, configFrom, list, operatorContext, withContainer, withStoreOptions } from './command-context.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerLoginCommands } from './commands/login.js';
import { registerOutboxCommands } from './commands/outbox.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerReportCommands } from './commands/report.js';
import { registerRoleCommands } from './commands/roles.js';
import { registerSyncCommands } from './commands/sync.js';
import { registerUserImportCommands } from './commands/user-import.js';
import { registerUserCommands } from './commands/users.js';

export type { CliIo } from './command-context.js';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535)
    throw new InvalidArgumentError('must be a port number 0-65535');
  return parsed;
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('sspr')
    .description('OpenSSPR: self-service password reset and authentication contact info, self-hosted')
    .exitOverride()
    // A usage error is one line like any other error ("sspr: error: unknown option '--x'"), no help dump.
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (text, write) => write(`sspr: ${text}`),
    });

  withStoreOptions(
    program.command('serve').description('run the web service (Graph-compatible API and identity endpoints)'),
  )
    .option('--host <host>', 'address to listen on (env SSPR_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port (env SSPR_PORT, default 8080)', positiveInteger)
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS (env SSPR_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key (env SSPR_TLS_KEY)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env SSPR_LOG_LEVEL)')
    .action(async (flags) => {
      const config = configFrom(flags, io);
      if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) {
        throw new DomainError('invalid_configuration', { detail: '--tls-cert and --tls-key go together' });
      }
      const container = await createContainer(config);
      container.startAuditRetention();
      container.startDirectorySync();
      const https =
        config.tlsCert && config.tlsKey
          ? { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) }
          : undefined;
      const app = await buildServer(container, https ? { https } : {});
      const address = await app.listen({ host: config.host, port: config.port });
      const url = new URL(address);
      container.logger.info({ url: url.origin, tenantId: container.tenant.tenantId }, `listening on ${url.origin}`);
      const stop = async (signal: string) => {
        container.logger.info({ signal }, 'shutting down');
        await app.close();
        await container.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });

  withStoreOptions(
    program.command('migrate').description('apply pending database migrations (serve does it too)'),
  ).action(async (flags) => {
    await withContainer(flags, io, async (container) => {
      io.stdout(`database is up to date (${container.database.dialect})\n`);
    });
  });

  const configCommand = program.command('config').description('configuration');
  withStoreOptions(configCommand.command('show').description('print the effective configuration, secrets redacted'))
    .option('--host <host>')
    .option('--port <port>', 'port', positiveInteger)
    .option('--tls-cert <file>')
    .option('--tls-key <file>')
    .option('--log-level <level>')
    .action(async (flags) => {
      io.stdout(`${JSON.stringify(redactedConfig(configFrom(flags, io)), null, 2)}\n`);
    });

  program
    .command('dev-cert')
    .description('create a local development CA and a server certificate for localhost and 127.0.0.1')
    .requiredOption('--out <dir>', 'folder for ca.pem, cert.pem and key.pem')
    .option('--host <name...>', 'extra host names or IP addresses for the certificate')
    .action(async (flags: { out: string; host?: string[] }) => {
      const paths = await writeDevelopmentCertificates(flags.out, flags.host ? { hosts: flags.host } : {});
      io.stdout(
        `CA certificate:     ${paths.caPath}\nserver certificate: ${paths.certPath}\nserver key:         ${paths.keyPath}\n` +
          `Trust the CA in Node with NODE_EXTRA_CA_CERTS=${path.resolve(paths.caPath)}\n`,
      );
    });

  const app = program.command('app').description('app registrations (client credentials for scripts and SDKs)');
  withStoreOptions(app.command('create').description('register an app; prints its client id and secret once'))
    .requiredOption('--name <name>', 'display name')
    .option(
      '--permissions <list>',
      'application permissions, comma-separated (e.g. User.Read.All,User.ReadWrite.All)',
      list,
      [],
    )
    .option('--secret-days <days>', 'client secret lifetime in days (default 180)', (value) => Number(value))
    .option('--json', 'print {"tenantId","clientId","clientSecret"} as JSON')
    .action(async (flags) => {
      await withContainer(flags, io, async (container) => {
        const created = await container.apps.createApp(operatorContext(), {
          displayName: flags.name,
          permissions: flags.permissions,
          ...(flags.secretDays !== undefined && { secretLifetimeDays: flags.secretDays }),
        });
        const result = {
          tenantId: container.tenant.tenantId,
          clientId: created.app.appId,
          clientSecret: created.clientSecret,
        };
        if (flags.json) io.stdout(`${JSON.stringify(result)}\n`);
        else {
          io.stdout(
            `tenant id:     ${result.tenantId}\nclient id:     ${result.clientId}\nclient secret: ${result.clientSecret}\n` +
              `permissions:   ${created.app.permissions.join(', ') || '(none)'}\n` +
              `The secret is shown only now; it expires ${created.secretExpiresDateTime}.\n`,
          );
        }
      });
    });

  const user = program.command('user').description('directory users and their contact info');
  registerUserImportCommands(user, io);
  registerUserCommands(user, io);

  registerLoginCommands(program, io);
  registerPolicyCommands(program, io);
  registerRoleCommands(program, io);
  registerAuditCommands(program, io);
  registerOutboxCommands(program, io);
  registerReportCommands(program, io);
  registerSyncCommands(program, io);
  return program;
}
