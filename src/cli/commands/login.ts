import type { Command } from 'commander';
import {
  defaultPublicClientId,
  freshSession,
  loadSession,
  removeSession,
  saveSession,
  sessionFile,
  signInWithDeviceCode,
} from '../../connectors/remote/device-code-sign-in.js';
import { DomainError } from '../../domain/errors.js';
import type { CliIo } from '../command-context.js';

const defaultScopes = 'https://graph.microsoft.com/.default openid profile offline_access';

/** `sspr login|logout|whoami`: a signed-in session against a remote OpenSSPR server (device code flow). */
export function registerLoginCommands(program: Command, io: CliIo): void {
  program
    .command('login')
    .description('sign in to a remote OpenSSPR server with the device code flow')
    .requiredOption('--server <url>', 'base URL of the server, e.g. https://sspr.example.com')
    .option('--tenant <tenant>', 'tenant id or domain', 'organizations')
    .option('--client-id <id>', 'public client id', defaultPublicClientId)
    .option('--scope <scopes>', 'space-separated scopes', defaultScopes)
    .action(async (flags: { server: string; tenant: string; clientId: string; scope: string }) => {
      let server: URL;
      try {
        server = new URL(flags.server);
      } catch {
        throw new DomainError('invalid_request', {}, `--server must be a URL, got '${flags.server}'`);
      }
      const session = await signInWithDeviceCode({
        server: server.origin,
        tenant: flags.tenant,
        clientId: flags.clientId,
        scope: flags.scope,
        prompt: (message) => io.stderr(`${message}\n`),
      });
      const file = sessionFile(io.env);
      await saveSession(file, session);
      io.stdout(
        `signed in to ${session.server} as ${session.userPrincipalName ?? 'unknown user'}; session saved in ${file}\n`,
      );
    });

  program
    .command('logout')
    .description('forget the saved session')
    .action(async () => {
      const removed = await removeSession(sessionFile(io.env));
      io.stdout(removed ? 'signed out\n' : 'no session was saved\n');
    });

  program
    .command('whoami')
    .description('show the signed-in user of the saved session (GET /v1.0/me on the server)')
    .action(async () => {
      const file = sessionFile(io.env);
      const saved = await loadSession(file);
      if (!saved) throw new DomainError('invalid_request', {}, 'not signed in: run `sspr login --server URL`');
      const session = await freshSession(saved);
      if (session !== saved) await saveSession(file, session);
      const response = await fetch(`${session.server}/v1.0/me?$select=displayName,userPrincipalName,id`, {
        headers: { authorization: `Bearer ${session.accessToken}` },
      });
      const body = (await response.json()) as Record<string, unknown> & { error?: { message?: string } };
      if (!response.ok)
        throw new DomainError(
          'invalid_request',
          {},
          `the server answered ${response.status}: ${body.error?.message ?? 'no message'}`,
        );
      io.stdout(`${body.userPrincipalName} (${body.displayName}, ${body.id}) on ${session.server}\n`);
    });
}
