import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function sspr(args: readonly string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SSPR_')));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', ...args],
      { cwd: root, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

const work = mkdtempSync(path.join(os.tmpdir(), 'sspr-cli-audit-'));
const store = ['--data-dir', path.join(work, 'data')];
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('sspr audit list and sspr report', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    const created = await sspr([
      'user',
      'create',
      '--user-principal-name',
      'bob@example.com',
      '--display-name',
      'Bob',
      '--password',
      'Correct-Horse-Battery-9',
      '--mobile-phone',
      '+1 4255550100',
      ...store,
    ]);
    expect(created.code, created.stderr).toBe(0);
  });

  it('lists audit events newest first as JSON, table and CSV, with a filter', async () => {
    const json = await sspr(['audit', 'list', '--output', 'json', ...store]);
    expect(json.code, json.stderr).toBe(0);
    const events = JSON.parse(json.stdout) as {
      activityDisplayName: string;
      targetResources: { userPrincipalName: string }[];
    }[];
    expect(events[0]?.activityDisplayName).toBe('Add user');
    expect(events[0]?.targetResources[0]?.userPrincipalName).toBe('bob@example.com');
    expect(json.stdout).not.toContain('Correct-Horse-Battery-9');
    expect(json.stdout).not.toContain('$argon2');

    const csv = await sspr([
      'audit',
      'list',
      '--filter',
      "activityDisplayName eq 'Add user' and loggedByService eq 'Core Directory'",
      '--top',
      '1',
      '--output',
      'csv',
      ...store,
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'activityDateTime,loggedByService,activityDisplayName,result,initiatedBy,target,correlationId',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('Core Directory,Add user,success,operator:');
    expect(lines[1]).toContain('bob@example.com');

    const table = await sspr(['audit', 'list', ...store]);
    expect(table.stdout.split('\n')[0]).toMatch(/^activityDateTime\s+loggedByService\s+activityDisplayName/);
  });

  it('refuses an unsupported filter with one line on stderr', async () => {
    const run = await sspr(['audit', 'list', '--filter', "result ne 'success'", ...store]);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^sspr: error: .*Unsupported or invalid query filter clause/);
  });

  it('prints the readiness summary and per-user details', async () => {
    const summary = await sspr(['report', 'summary', '--output', 'json', ...store]);
    expect(summary.code, summary.stderr).toBe(0);
    expect(JSON.parse(summary.stdout)).toEqual({
      totalUsers: 2,
      capableNow: 1,
      registered: 0,
      prePopulatedOnly: 1,
      byMethod: { email: 0, mobilePhone: 1, officePhone: 0, securityQuestions: 0 },
      unusable: {},
      admins: 1,
    });
    const table = await sspr(['report', 'summary', ...store]);
    expect(table.stdout).toMatch(/^totalUsers\s+: 2$/m);

    const users = await sspr(['report', 'users', '--filter', 'isSsprCapable eq true', '--output', 'csv', ...store]);
    expect(users.code, users.stderr).toBe(0);
    expect(users.stdout.trim().split('\n')).toEqual([
      'userPrincipalName,isAdmin,isSsprEnabled,isSsprRegistered,isSsprCapable,methodsRegistered',
      'bob@example.com,false,true,false,true,',
    ]);
  });
});
