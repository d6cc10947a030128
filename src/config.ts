import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DomainError } from './domain/errors.js';

/**
 * The one configuration schema. Precedence, lowest first:
 * defaults < config file (JSON) < SSPR_* environment variables < command-line flags.
 * Every key's environment name is its SCREAMING_SNAKE form with the SSPR_ prefix
 * (tenantDomain -> SSPR_TENANT_DOMAIN).
 */
/**
 * A whole number, or its decimal digits as text (environment variables are strings). Unlike
 * `z.coerce.number()`, an empty string, `null` or `true` is an error rather than 0 or 1.
 */
const integer = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    z.number().int().min(min).max(max),
  );

export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./data'),
    /** `sqlite:PATH` (or a bare path) or `postgres://...`; default: `sqlite:<dataDir>/sspr.db`. */
    databaseUrl: z.string().min(1).optional(),
    host: z.string().min(1).default('127.0.0.1'),
    port: integer(0, 65535).default(8080),
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    /**
     * Proxies whose `X-Forwarded-For` is believed (Fastify's `trustProxy`: addresses or CIDRs, comma separated).
     * Behind a reverse proxy set it, or every client shares the proxy's address in send limits and audit events.
     */
    trustedProxies: z.string().min(1).optional(),
    /** The externally visible base URL when behind a proxy (used in issuer and discovery documents). */
    publicUrl: z.string().url().optional(),
    tenantDomain: z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'must be a DNS domain name')
      .default('example.com'),
    tenantDisplayName: z.string().min(1).max(256).default('OpenSSPR'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Key that encrypts server keys at rest (base64, 32 bytes). Default: a key file in the data folder. */
    masterKey: z.string().min(1).optional(),
    accessTokenLifetimeSeconds: integer(300, 86_400).default(3599),
    /** Audit events older than this many days are deleted at `serve` start and then daily. */
    auditRetentionDays: integer(1, 3650).default(30),
    /** Outgoing mail, for example `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://host:465`. */
    smtpUrl: z.string().url().optional(),
    mailFrom: z.string().min(3).default('OpenSSPR <no-reply@localhost>'),
    /** SMS and voice: a Twilio-compatible API, a signed webhook, or the development outbox. */
    smsProvider: z.enum(['twilio', 'webhook', 'outbox']).default('outbox'),
    twilioApiBaseUrl: z.string().url().default('https://api.twilio.com'),
    twilioAccountSid: z.string().min(1).optional(),
    twilioAuthToken: z.string().min(1).optional(),
    /** The sending number (E.164) for SMS and calls. */
    twilioFrom: z.string().min(1).optional(),
    webhookUrl: z.string().url().optional(),
    webhookSecret: z.string().min(16).optional(),
    /** `off` only for test set-ups: the reset page then asks for no CAPTCHA (logged as a warning). */
    captcha: z.enum(['on', 'off']).default('on'),
    /** Branding of the self-service pages: header colour (#rrggbb, dark enough for white text) and logo URL. */
    brandColor: z
      .string()
      .regex(/^#[0-9a-f]{6}$/i, 'must be a colour like #0067b8')
      .default('#0067b8'),
    brandLogoUrl: z.string().url().optional(),
    /**
     * Graph API throttling (docs/api.md "Throttling"): token buckets per application and per tenant, shaped like
     * Graph's identity limits. `off` serves every request unthrottled. Shared by all instances on Redis (when
     * `throttleRedisUrl` is set) or PostgreSQL.
     */
    throttle: z.enum(['on', 'off']).default('on'),
    /** Redis holding the throttling buckets, whatever the database (`redis://` or `rediss://`; its password is secret). */
    throttleRedisUrl: z
      .string()
      .url()
      .refine((value) => /^rediss?:\/\//i.test(value), 'must be a redis:// or rediss:// URL')
      .optional(),
    /** Put before every bucket key in Redis, so deployments sharing one Redis keep apart. */
    throttleRedisKeyPrefix: z.string().min(1).max(200).default('sspr:throttle:'),
    /** Resource units each application may spend per window (Graph: 3,500 to 8,000 per 10 seconds). */
    throttleAppResourceUnits: integer(1, 100_000_000).default(3500),
    throttleAppResourceUnitsWindowSeconds: integer(1, 86_400).default(10),
    /** Writes each application may make per window (Graph: 3,000 per 150 seconds, 20 a second). */
    throttleAppWrites: integer(1, 100_000_000).default(3000),
    throttleAppWritesWindowSeconds: integer(1, 86_400).default(150),
    /** Writes all applications of the tenant together may make per window (Graph: 18,000 per 5 minutes). */
    throttleTenantWrites: integer(1, 100_000_000).default(18_000),
    throttleTenantWritesWindowSeconds: integer(1, 86_400).default(300),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Keys whose values never appear in output. */
export const secretConfigKeys: ReadonlySet<keyof Config> = new Set([
  'masterKey',
  'databaseUrl',
  'smtpUrl',
  'twilioAuthToken',
  'webhookSecret',
  'throttleRedisUrl',
]);

const configKeys = Object.keys(configSchema.shape) as (keyof Config)[];

export function environmentVariableName(key: string): string {
  return `SSPR_${key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
}

export interface ConfigSources {
  /** Path of a JSON config file (`--config` or SSPR_CONFIG). */
  readonly configFile?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags; undefined entries are ignored. */
  readonly flags?: Partial<Record<keyof Config, unknown>>;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const configFile = sources.configFile ?? env.SSPR_CONFIG;
  const merged: Record<string, unknown> = {};
  if (configFile) Object.assign(merged, readConfigFile(configFile));
  for (const key of configKeys) {
    const value = env[environmentVariableName(key)];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) merged[key] = value;
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new DomainError('invalid_configuration', { detail });
  }
  return parsed.data;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DomainError('invalid_configuration', {
      detail: `cannot read config file ${file}: ${(error as Error).message}`,
    });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new DomainError('invalid_configuration', {
      detail: `config file ${file} is not a JSON object: ${(error as Error).message}`,
    });
  }
}

export function resolveDatabaseUrl(config: Config): string {
  return config.databaseUrl ?? `sqlite:${path.join(config.dataDir, 'sspr.db')}`;
}

/** The effective configuration with secrets redacted, for `sspr config show`. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const key of configKeys) {
    const value = key === 'databaseUrl' ? resolveDatabaseUrl(config) : config[key];
    if (value === undefined) continue;
    shown[key] = secretConfigKeys.has(key) ? redact(key, String(value)) : value;
  }
  return shown;
}

function redact(key: keyof Config, value: string): string {
  // A database, SMTP or Redis URL is useful to see; only its password is secret.
  if (key === 'databaseUrl' || key === 'smtpUrl' || key === 'throttleRedisUrl') {
    try {
      const url = new URL(value);
      if (url.password) url.password = '****';
      // Both clients also take the password as a query parameter.
      if (url.searchParams.has('password')) url.searchParams.set('password', '****');
      return url.protocol === 'sqlite:' ? value : url.toString();
    } catch {
      return value;
    }
  }
  return '****';
}
