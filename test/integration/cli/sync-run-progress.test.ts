import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressBar } from '../../../src/cli/commands/sync.js';
import { buildProgram, type CliIo } from '../../../src/cli/program.js';
import { generateUsers, openLdapSyncFlags, type RunningSlapd, startSlapd } from '../../support/slapd.js';

/** `sspr ARGS` in this process, with stderr a terminal or not; what it wrote. */
async function sspr(args: string[], stderrIsTTY: boolean): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {},
    stderrIsTTY,
  };
  await buildProgram(io).parseAsync(['node', 'sspr', ...args]);
  return { stdout, stderr };
}

describe('sspr sync run progress', { timeout: 60_000 }, () => {
  let slapd: RunningSlapd;
  let dir: string;
  let store: string[];

  beforeAll(async () => {
    slapd = await startSlapd({ ldif: generateUsers({ count: 120, knownPasswordCount: 0 }).ldif });
    dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-sync-progress-'));
    store = ['--data-dir', dir, '--database-url', `sqlite:${path.join(dir, 'sspr.db')}`];
    writeFileSync(path.join(dir, 'bind-password'), slapd.writerPassword);
    await sspr(
      [
        'sync',
        'configure',
        ...store,
        ...openLdapSyncFlags(slapd, path.join(dir, 'bind-password')),
        '--page-size',
        '50',
      ],
      false,
    );
  });
  afterAll(async () => {
    await slapd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints one line per page when stderr is not a terminal, and the summary table on stdout', async () => {
    const run = await sspr(['sync', 'run', '--full', ...store], false);
    expect(run.stderr.split('\n')).toEqual([
      expect.stringMatching(/^page 1: read 50, added \d+, /),
      expect.stringMatching(/^page 2: read 100, /),
      expect.stringMatching(/^page 3: read 120, /),
      '',
    ]);
    expect(run.stderr).not.toContain('\r');
    expect(run.stdout).toMatch(/runId.*kind.*status.*read.*added/s);
    expect(run.stdout).toMatch(/full.*succeeded.*120/s);
  });

  it('redraws one progress line with a bar on a terminal, then prints the summary', async () => {
    const run = await sspr(['sync', 'run', '--full', ...store], true);
    // The previous full run read 120 entries: the bar's estimate.
    const frames = run.stderr.split('\r\x1b[2K').filter(Boolean);
    expect(frames).toHaveLength(3);
    expect(frames[0]).toBe(`${progressBar(50, 120)}${frames[0]?.slice(progressBar(50, 120).length)}`);
    expect(frames[0]).toMatch(/^\[#{10}\.{14}\] {2}42% page 1: read 50, /);
    expect(frames[2]).toMatch(/^\[#{24}\] 100% page 3: read 120, .*\n$/);
    expect(run.stderr.endsWith('\n')).toBe(true);
    expect(run.stderr.match(/\n/g)).toHaveLength(1);
    expect(run.stdout).toMatch(/full.*succeeded.*120/s);
  });

  it('shows the counters without a bar for a delta run (no estimate)', async () => {
    const run = await sspr(['sync', 'run', ...store], true);
    // The changed entries, then the previous run's objects in error, read again: a frame per page, no bar.
    const frames = run.stderr.split('\r\x1b[2K');
    expect(frames[0]).toBe('');
    for (const frame of frames.slice(1)) expect(frame).toMatch(/^page \d+: read \d+, [^\r\n]*\n?$/);
    expect(run.stderr.endsWith('\n')).toBe(true);
    expect(run.stderr).not.toContain('#');
    expect(run.stdout).toMatch(/delta.*succeeded/s);
  });
});
