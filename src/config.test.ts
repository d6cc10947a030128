import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentVariableName, loadConfig, redactedConfig, resolveDatabaseUrl } from './config.js';
import { DomainError } from './domain/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function configFile(content: unknown): string {
  const file = path.join(dir, `config-${++fileCount}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The DomainError loadConfig throws, so its code and message can be checked together. */
function configError(load: () => unknown): DomainError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected loadConfig to throw');
}

const masterKey = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig precedence', () => {
  it('uses the defaults when nothing is given', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      dataDir: './data',
      host: '127.0.0.1',
      port: 8080,
      tenantDomain: 'example.com',
      logLevel: 'info',
      accessTokenLifetimeSeconds: 3599,
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.masterKey).toBeUndefined();
    expect(resolveDatabaseUrl(config)).toBe(`sqlite:${path.join('./data', 'sspr.db')}`);
  });

  it('lets the config file override the defaults', () => {
    const file = configFile({ port: 1111, host: '0.0.0.0', tenantDomain: 'file.example', logLevel: 'debug' });
    expect(loadConfig({ configFile: file, env: {} })).toMatchObject({
      port: 1111,
      host: '0.0.0.0',
      tenantDomain: 'file.example',
      logLevel: 'debug',
      dataDir: './data',
    });
  });

  it('lets SSPR_* environment variables override the file', () => {
    const file = configFile({ port: 1111, host: '0.0.0.0', tenantDomain: 'file.example', logLevel: 'debug' });
    const config = loadConfig({
      configFile: file,
      env: { SSPR_PORT: '2222', SSPR_TENANT_DOMAIN: 'env.example', SSPR_LOG_LEVEL: 'warn' },
    });
    expect(config).toMatchObject({ port: 2222, tenantDomain: 'env.example', logLevel: 'warn', host: '0.0.0.0' });
  });

  it('lets flags override the environment', () => {
    const file = configFile({ port: 1111, host: '0.0.0.0', dataDir: '/file/data' });
    const config = loadConfig({
      configFile: file,
      env: { SSPR_PORT: '2222', SSPR_HOST: '10.0.0.1', SSPR_DATA_DIR: '/env/data' },
      flags: { port: 3333, dataDir: '/flag/data', host: undefined },
    });
    expect(config).toMatchObject({ port: 3333, dataDir: '/flag/data', host: '10.0.0.1' });
  });

  it('reads the config file named by SSPR_CONFIG when no file is given', () => {
    const file = configFile({ tenantDisplayName: 'From SSPR_CONFIG' });
    expect(loadConfig({ env: { SSPR_CONFIG: file } }).tenantDisplayName).toBe('From SSPR_CONFIG');
  });

  it('ignores empty environment variables', () => {
    expect(loadConfig({ env: { SSPR_PORT: '', SSPR_HOST: '' } })).toMatchObject({ port: 8080, host: '127.0.0.1' });
  });

  it('coerces numeric environment variables', () => {
    expect(loadConfig({ env: { SSPR_ACCESS_TOKEN_LIFETIME_SECONDS: '600' } }).accessTokenLifetimeSeconds).toBe(600);
  });
});

describe('environmentVariableName', () => {
  it.each([
    ['tenantDomain', 'SSPR_TENANT_DOMAIN'],
    ['dataDir', 'SSPR_DATA_DIR'],
    ['databaseUrl', 'SSPR_DATABASE_URL'],
    ['port', 'SSPR_PORT'],
    ['masterKey', 'SSPR_MASTER_KEY'],
    ['accessTokenLifetimeSeconds', 'SSPR_ACCESS_TOKEN_LIFETIME_SECONDS'],
  ])('%s -> %s', (key, name) => {
    expect(environmentVariableName(key)).toBe(name);
  });
});

describe('invalid configuration', () => {
  it('rejects a port above 65535, naming the key', () => {
    const error = configError(() => loadConfig({ env: {}, flags: { port: 70000 } }));
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toMatch(/^Invalid configuration: /);
    expect(error.message).toContain('port');
  });

  it('rejects a port from the environment that is not a number', () => {
    const error = configError(() => loadConfig({ env: { SSPR_PORT: 'eighty' } }));
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toContain('port');
  });

  it.each([
    ['an empty string', ''],
    ['null', null],
    ['true', true],
    ['hexadecimal text', '0x50'],
  ])('rejects a port given as %s in the config file instead of reading it as 0 or 1', (_label, port) => {
    const file = configFile({ port });
    const error = configError(() => loadConfig({ configFile: file, env: {} }));
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toContain('port');
  });

  it('rejects a tenant domain that is not a DNS name', () => {
    const error = configError(() => loadConfig({ env: { SSPR_TENANT_DOMAIN: 'not a domain' } }));
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toContain('tenantDomain');
    expect(error.message).toContain('must be a DNS domain name');
  });

  it('rejects an unknown log level', () => {
    const error = configError(() => loadConfig({ env: {}, flags: { logLevel: 'loud' } }));
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toContain('logLevel');
  });

  it('rejects an unknown key in the config file, naming it', () => {
    const file = configFile({ port: 1234, colour: 'blue' });
    const error = configError(() => loadConfig({ configFile: file, env: {} }));
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toContain('colour');
  });

  it('rejects a config file that does not exist, naming the file', () => {
    const file = path.join(dir, 'missing.json');
    const error = configError(() => loadConfig({ configFile: file, env: {} }));
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toContain(file);
  });

  it('rejects a config file that cannot be read', () => {
    // A directory cannot be read as a file, even by root (a 0000 file would be readable by root).
    const folder = path.join(dir, 'a-folder.json');
    mkdirSync(folder);
    const error = configError(() => loadConfig({ configFile: folder, env: {} }));
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toContain(folder);
  });

  it('rejects a config file that is not JSON', () => {
    const file = configFile('port = 8080\n');
    const error = configError(() => loadConfig({ configFile: file, env: {} }));
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toContain(file);
    expect(error.message).toContain('not a JSON object');
  });

  it('rejects a config file holding JSON that is not an object', () => {
    const file = configFile('[1, 2]');
    const error = configError(() => loadConfig({ configFile: file, env: {} }));
    expect(error.code).toBe('invalid_configuration');
    expect(error.message).toContain('not a JSON object');
  });

  it('names every invalid key at once', () => {
    const error = configError(() => loadConfig({ env: { SSPR_PORT: '-1', SSPR_TENANT_DOMAIN: 'nodots' } }));
    expect(error.message).toContain('port');
    expect(error.message).toContain('tenantDomain');
  });
});

describe('redactedConfig', () => {
  it('hides the master key and shows the rest', () => {
    const shown = redactedConfig(
      loadConfig({ env: { SSPR_MASTER_KEY: masterKey, SSPR_TENANT_DOMAIN: 'contoso.com' }, flags: { port: 9000 } }),
    );
    expect(shown.masterKey).toBe('****');
    expect(JSON.stringify(shown)).not.toContain(masterKey);
    expect(shown).toMatchObject({ port: 9000, tenantDomain: 'contoso.com', host: '127.0.0.1', dataDir: './data' });
  });

  it('hides only the password of a PostgreSQL URL', () => {
    const shown = redactedConfig(
      loadConfig({ env: { SSPR_DATABASE_URL: 'postgres://sspr:s3cr3t-pa55@db.internal:5432/sspr?sslmode=require' } }),
    );
    expect(shown.databaseUrl).toBe('postgres://sspr:****@db.internal:5432/sspr?sslmode=require');
    expect(JSON.stringify(shown)).not.toContain('s3cr3t-pa55');
  });

  it('leaves a PostgreSQL URL without a password as it is', () => {
    const shown = redactedConfig(loadConfig({ env: { SSPR_DATABASE_URL: 'postgres://sspr@db.internal/sspr' } }));
    expect(shown.databaseUrl).toBe('postgres://sspr@db.internal/sspr');
  });

  it('hides only the password of a Redis URL, however it is given', () => {
    const shown = redactedConfig(
      loadConfig({ env: { SSPR_THROTTLE_REDIS_URL: 'redis://:s3cr3t-pa55@cache.internal:6379/2' } }),
    );
    expect(shown.throttleRedisUrl).toBe('redis://:****@cache.internal:6379/2');
    const withUser = redactedConfig(
      loadConfig({ env: { SSPR_THROTTLE_REDIS_URL: 'rediss://sspr:s3cr3t-pa55@cache.internal:6380/0' } }),
    );
    expect(withUser.throttleRedisUrl).toBe('rediss://sspr:****@cache.internal:6380/0');
    const inQuery = redactedConfig(
      loadConfig({ env: { SSPR_THROTTLE_REDIS_URL: 'redis://cache.internal:6379/0?password=s3cr3t-pa55' } }),
    );
    expect(inQuery.throttleRedisUrl).toBe('redis://cache.internal:6379/0?password=****');
    expect(JSON.stringify([shown, withUser, inQuery])).not.toContain('s3cr3t-pa55');
  });

  it('accepts only redis:// and rediss:// URLs for the throttling store', () => {
    expect(() => loadConfig({ env: { SSPR_THROTTLE_REDIS_URL: 'http://cache.internal:6379' } })).toThrow(
      /throttleRedisUrl/,
    );
    expect(loadConfig({ env: {} })).toMatchObject({ throttleRedisKeyPrefix: 'sspr:throttle:' });
  });

  it('shows the default SQLite URL derived from the data folder', () => {
    const shown = redactedConfig(loadConfig({ env: {}, flags: { dataDir: '/var/lib/sspr' } }));
    expect(shown.databaseUrl).toBe('sqlite:/var/lib/sspr/sspr.db');
    expect(shown).not.toHaveProperty('masterKey');
  });
});
