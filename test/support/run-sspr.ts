import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { expect } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { DomainError } from '../../src/domain/errors.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without any SSPR_* variable of the machine running the tests. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SSPR_')));
  return { ...env, ...extra };
}

/** Runs `sspr ARGS` as its own process, the way an operator would. */
export function sspr(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', ...args],
      { cwd: root, env: cleanEnv(env), timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** A failed command: a non-zero exit code and exactly one line on stderr. */
export function expectOneLineError(run: Run, message: string | RegExp): void {
  expect(run.code, run.stderr).not.toBe(0);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n');
  expect(lines, run.stderr).toHaveLength(2);
  expect(lines[1]).toBe('');
  expect(lines[0]).toMatch(/^sspr: error: /);
  if (typeof message === 'string') expect(lines[0]).toContain(message);
  else expect(lines[0]).toMatch(message);
}

export interface InProcessRun extends Run {
  readonly code: number;
  /** What `src/main.ts` would print after `sspr: error: ` (and exit with `code`). */
  readonly error: Error | undefined;
}

/**
 * `sspr ARGS` in this process (a process costs seconds each), with its own environment (never process.env) and its
 * output captured; `code` is the exit code `src/main.ts` would give.
 */
export async function ssprInProcess(
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly stderrIsTTY?: boolean } = {},
): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const program = buildProgram({
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
    ...(options.stderrIsTTY === undefined ? {} : { stderrIsTTY: options.stderrIsTTY }),
  });
  try {
    await program.parseAsync(['node', 'sspr', ...args]);
    return { code: 0, stdout, stderr, error: undefined };
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    const code = error instanceof CommanderError ? error.exitCode : error instanceof DomainError ? 1 : 2;
    return { code, stdout, stderr, error };
  }
}
