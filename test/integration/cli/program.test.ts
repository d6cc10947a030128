import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { DomainError } from '../../../src/domain/errors.js';

/** `sspr` in-process with its output captured and an environment of its own (never process.env). */
async function run(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const program = buildProgram({
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
  });
  let error: unknown;
  try {
    await program.parseAsync(['node', 'sspr', ...args]);
  } catch (caught) {
    error = caught;
  }
  return { stdout, stderr, error };
}

const work = mkdtempSync(path.join(os.tmpdir(), 'sspr-program-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('buildProgram', () => {
  it('reads SSPR_* variables from the io environment it is given', async () => {
    const result = await run(['config', 'show'], { SSPR_PORT: '4444', SSPR_TENANT_DOMAIN: 'contoso.com' });
    expect(result.error).toBeUndefined();
    expect(JSON.parse(result.stdout)).toMatchObject({ port: 4444, tenantDomain: 'contoso.com' });
  });

  it('applies defaults < file < env < flags for config show', async () => {
    const file = path.join(work, 'config.json');
    writeFileSync(file, JSON.stringify({ port: 1111, host: '0.0.0.0', logLevel: 'debug', dataDir: '/from/file' }));
    const result = await run(['config', 'show', '--config', file, '--port', '3333', '--data-dir', '/from/flag'], {
      SSPR_PORT: '2222',
      SSPR_LOG_LEVEL: 'warn',
      SSPR_DATA_DIR: '/from/env',
    });
    expect(result.error).toBeUndefined();
    expect(JSON.parse(result.stdout)).toMatchObject({
      port: 3333,
      host: '0.0.0.0',
      logLevel: 'warn',
      dataDir: '/from/flag',
      tenantDomain: 'example.com',
    });
  });

  it('throws invalid_configuration for an unknown key in the config file', async () => {
    const file = path.join(work, 'unknown-key.json');
    writeFileSync(file, JSON.stringify({ prot: 8080 }));
    const result = await run(['config', 'show', '--config', file]);
    expect(result.error).toBeInstanceOf(DomainError);
    expect((result.error as DomainError).code).toBe('invalid_configuration');
    expect((result.error as DomainError).message).toContain('prot');
  });

  it('writes a usage error as one "sspr: error:" line to the io stderr', async () => {
    const result = await run(['user', 'list', '--output', 'xml']);
    expect(result.error).toBeInstanceOf(CommanderError);
    expect((result.error as CommanderError).exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/^sspr: error: option '-o, --output <format>' argument 'xml' is invalid\..*\n$/);
    expect(result.stdout).toBe('');
  });

  it('writes help to the io stdout', async () => {
    const result = await run(['user', 'list', '--help']);
    expect(result.error).toBeInstanceOf(CommanderError);
    expect((result.error as CommanderError).exitCode).toBe(0);
    expect(result.stdout).toContain('--filter <odata>');
    expect(result.stdout).toContain('table');
    expect(result.stdout).toContain('csv');
  });
});
