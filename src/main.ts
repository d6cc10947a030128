import { CommanderError } from 'commander';
import { buildProgram } from './cli/program.js';
import { DomainError } from './domain/errors.js';

/** Entry point of `sspr`: one clear line and a non-zero exit code on any error. */
async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram({
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
  });
  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof DomainError) {
      process.stderr.write(`sspr: error: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`sspr: error: ${message}\n`);
    return 2;
  }
}

main(process.argv).then((code) => {
  // `serve` keeps running; every other command ends here.
  if (code !== 0) process.exit(code);
});
