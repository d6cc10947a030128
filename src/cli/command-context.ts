import os from 'node:os';
import { type Command, Option } from 'commander';
import pino from 'pino';
import { type Config, loadConfig } from '../config.js';
import { type Container, createContainer } from '../container.js';
import type { RequestContext } from '../domain/audit.js';
import type { OutputFormat } from './output.js';

/** What every `sspr` command shares: its I/O, the store options, the container and the operator identity. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** stderr is a terminal: progress may redraw one line instead of printing one line per step. */
  readonly stderrIsTTY?: boolean;
}

export interface StoreFlags {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
}

export const outputOption = (choices: OutputFormat[], fallback: OutputFormat) =>
  new Option('-o, --output <format>', 'output format').choices(choices).default(fallback);

/** Every command that touches the store takes the same three options. */
export function withStoreOptions(command: Command): Command {
  return command
    .option('--config <file>', 'JSON config file (env SSPR_CONFIG)')
    .option('--data-dir <dir>', 'data folder (env SSPR_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'sqlite:PATH or postgres://... (env SSPR_DATABASE_URL)');
}

export function configFrom(flags: StoreFlags & Partial<Record<keyof Config, unknown>>, io: CliIo): Config {
  const { config: configFile, ...rest } = flags;
  const known: Partial<Record<keyof Config, unknown>> = {
    dataDir: rest.dataDir,
    databaseUrl: rest.databaseUrl,
    host: rest.host,
    port: rest.port,
    tlsCert: rest.tlsCert,
    tlsKey: rest.tlsKey,
    logLevel: rest.logLevel,
  };
  return loadConfig({ configFile, env: io.env, flags: known });
}

/** The CLI acts as the local operator: full rights, audited under the OS user name. */
export function operatorContext(): RequestContext {
  return {
    principal: { kind: 'operator', name: os.userInfo().username },
    correlationId: crypto.randomUUID(),
    ipAddress: null,
  };
}

export async function withContainer<T>(
  flags: StoreFlags,
  io: CliIo,
  run: (container: Container) => Promise<T>,
): Promise<T> {
  const config = configFrom(flags, io);
  // Logs go to stderr so stdout stays the answer; at info only the first start speaks (naming the password file).
  const container = await createContainer(config, {
    logger: pino({ level: config.logLevel }, pino.destination(2)),
    // One-shot commands: `serve` is where the development outbox warning belongs.
    announceDevelopmentOutbox: false,
  });
  try {
    return await run(container);
  } finally {
    await container.close();
  }
}

export const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
