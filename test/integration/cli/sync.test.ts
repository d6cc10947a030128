import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sspr, ssprInProcess } from '../../support/run-sspr.js';
import { generateUsers, type RunningSlapd, startSlapd } from '../../support/slapd.js';

const run = (args: readonly string[]) => ssprInProcess(args);

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-cli-sync-'));
const store = ['--data-dir', dataDir];
const passwordFile = path.join(dataDir, 'bind-password');
let slapd: RunningSlapd;

beforeAll(async () => {
  slapd = await startSlapd({ ldif: generateUsers({ count: 260 }).ldif });
  writeFileSync(passwordFile, `${slapd.writerPassword}\n`, { mode: 0o600 });
});
afterAll(async () => {
  await slapd?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('sspr sync', { timeout: 60_000 }, () => {
  it('says so when sync is not configured', async () => {
    const status = await run(['sync', 'status', ...store]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('directory sync is not configured');
    const refused = await run(['sync', 'run', ...store]);
    expect(refused.code).toBe(1);
    expect(String(refused.error)).toContain('sspr sync configure');
  });

  it('configures from a password file, never showing the password', async () => {
    expect((await run(['sync', 'configure', '--bind-password', 'x', ...store])).code).not.toBe(0);
    const configured = await run([
      'sync',
      'configure',
      '--flavor',
      'openldap',
      '--url',
      `${slapd.url},ldap://127.0.0.1:1/`,
      '--bind-dn',
      slapd.writerDn,
      '--bind-password-file',
      passwordFile,
      '--base-dn',
      `ou=people,${slapd.baseDn}`,
      '--page-size',
      '100',
      '--interval-minutes',
      '15',
      ...store,
    ]);
    expect(configured.code, configured.stderr).toBe(0);
    expect(configured.stdout).toMatch(/intervalMinutes\s+: 15/);
    expect(configured.stdout).toMatch(/bindPasswordSet\s+: true/);
    expect(configured.stdout).not.toContain(slapd.writerPassword);

    const test = await run(['sync', 'test', ...store]);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stdout).toContain('entries in scope: 260');
    expect(test.stdout).toMatch(/target\s+value\s+warning/);
    expect(test.stdout).toMatch(/businessPhones/);
  });

  it('runs a dry run, a full run, and shows status and errors', async () => {
    const dry = await run(['sync', 'run', '--full', '--dry-run', ...store]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('page 3: read 260');
    expect(dry.stdout).toMatch(/read\s+added\s+updated\s+deleted\s+unchanged\s+errors\s+warnings/);
    expect(dry.stdout).toMatch(/full\s+true\s+succeeded\s+260\s+25\d/);

    const full = await run(['sync', 'run', '--full', '--output', 'json', ...store]);
    expect(full.code, full.stderr).toBe(0);
    const summary = JSON.parse(full.stdout);
    expect(summary).toMatchObject({ kind: 'full', dryRun: false, status: 'succeeded', counts: { read: 260 } });
    expect(summary.counts.errors).toBeGreaterThan(0);

    const status = await run(['sync', 'status', '--output', 'json', ...store]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).not.toContain(slapd.writerPassword);
    const shown = JSON.parse(status.stdout);
    expect(shown.settings).toMatchObject({ flavor: 'openldap', intervalMinutes: 15, bindPasswordSet: true });
    expect(shown.settings).not.toHaveProperty('bindPassword');
    expect(shown.runs.map((run: { dryRun: boolean }) => run.dryRun)).toEqual([false, true]);

    const errors = await run(['sync', 'errors', ...store]);
    expect(errors.code, errors.stderr).toBe(0);
    expect(errors.stdout).toMatch(/^type\s+dn\s+attribute\s+message/);
    expect(errors.stdout).toMatch(/IdentityDataValidationFailed\s+uid=user00249,ou=people/);
    expect(errors.stdout).toMatch(/Warning\s+uid=user\d{5}/);

    const csv = await run(['sync', 'errors', '--run', summary.runId, '--output', 'csv', ...store]);
    expect(csv.stdout.split('\n')[0]).toBe('type,dn,attribute,message');
  });

  it('exits non-zero when the run fails', async () => {
    writeFileSync(passwordFile, 'wrong-password\n');
    expect((await run(['sync', 'configure', '--bind-password-file', passwordFile, ...store])).code).toBe(0);
    // The one real process: the exit code and stderr line an operator sees.
    const failed = await sspr(['sync', 'run', ...store]);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout).toMatch(/delta\s+false\s+failed/);
    expect(failed.stderr).toMatch(/sspr: error: directory sync run .* failed/);
    expect(failed.stderr).not.toContain('wrong-password');
  });
});
