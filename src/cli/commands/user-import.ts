import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Command, CommanderError, Option } from 'commander';
import { csvLine, type RowOutcome, resultCells, resultColumns } from '../../domain/contact-import.js';
import { DomainError } from '../../domain/errors.js';
import { parseUserFilter } from '../../http/graph/odata/index.js';
import type { ImportProgress } from '../../services/users/contact-import-service.js';
import { type CliIo, operatorContext, outputOption, withContainer, withStoreOptions } from '../command-context.js';
import { formatOutput } from '../output.js';

/** Exit code of `sspr user import` when the file was processed but some rows were rejected (docs/bulk-import.md). */
export const rowsRejectedExitCode = 3;

const summaryColumns = ['rows', 'changed', 'unchanged', 'rejected', 'warnings'] as const;
const rowColumns = ['line', 'key', 'outcome', 'column', 'reason', 'warnings', 'normalizations', 'changes'];

/** `sspr user import FILE` and `sspr user export`: bulk contact info from and to CSV. */
export function registerUserImportCommands(user: Command, io: CliIo): void {
  withStoreOptions(
    user
      .command('import')
      .description('update existing users contact info from a CSV file (docs/bulk-import.md)')
      .argument('<file>', 'CSV file: userPrincipalName or id, then mobilePhone, businessPhones, otherMails, ...'),
  )
    .option('--dry-run', 'show what would change, write nothing')
    .option('--normalize', 'rewrite phone numbers into the SSPR format "+CC NUMBER"; rows that cannot be are rejected')
    .option('--default-region <cc>', 'country for numbers written without a country code, e.g. US (with --normalize)')
    .option('--resume', 'continue an unfinished import of this file (a plain re-run does so too)')
    .option('--results <file>', 'write every row outcome to this CSV file')
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (file: string, flags) => {
      const bytes = await readFile(file).catch(() => {
        throw new DomainError('invalid_request', {}, `cannot read ${file}`);
      });
      const rejected = await withContainer(flags, io, async (container) => {
        const context = operatorContext();
        const report = await container.contactImports.import(
          context,
          bytes,
          {
            normalize: flags.normalize === true,
            ...(flags.defaultRegion !== undefined && { defaultRegion: flags.defaultRegion }),
            dryRun: flags.dryRun === true,
            resume: flags.resume === true,
          },
          flags.dryRun ? undefined : progressReporter(io),
        );
        // Rows of a dry run are in the report; an applied import's (this run's and any earlier one's) in the store.
        const rows = async function* (): AsyncGenerator<RowOutcome> {
          if (report.rows) yield* report.rows;
          else if (report.job) yield* container.contactImports.results(context, report.job.id);
        };
        if (flags.results !== undefined) await writeResults(flags.results, rows());
        const summary = { rows: report.totalRows, ...report.counts };
        if (flags.output === 'json') {
          const all: RowOutcome[] = [];
          for await (const row of rows()) all.push(row);
          io.stdout(`${JSON.stringify({ ...report, rows: all }, null, 2)}\n`);
        } else if (flags.output === 'csv') {
          io.stdout(`${csvLine(resultColumns)}\n`);
          for await (const row of rows()) io.stdout(`${csvLine(resultCells(row))}\n`);
        } else {
          io.stdout(`${await tableReport(report.dryRun, rows(), report.job?.id, report.resumed)}\n`);
          io.stdout(`${formatOutput('table', [summary], summaryColumns)}\n`);
        }
        return report.counts.rejected;
      });
      // Processed, but with rejected rows: a distinct exit code so scripts notice (the output says which rows).
      if (rejected > 0) throw new CommanderError(rowsRejectedExitCode, 'sspr.import.rowsRejected', '');
    });

  withStoreOptions(
    user
      .command('export')
      .description('write every user contact info and registration status as CSV (importable back)'),
  )
    .addOption(new Option('-o, --output <file>', 'CSV file to write (default: standard output)'))
    .option('--filter <odata>', 'OData filter, e.g. "startswith(userPrincipalName,\'a\')"')
    .action(async (flags) => {
      const filter = flags.filter === undefined ? undefined : parseUserFilter(flags.filter);
      await withContainer(flags, io, async (container) => {
        const lines = container.contactExport.exportCsv(operatorContext(), filter ? { filter } : {});
        if (flags.output === undefined) {
          for await (const chunk of lines) io.stdout(chunk);
          return;
        }
        await writeStreamed(createWriteStream(flags.output, { mode: 0o600 }), lines);
      });
    });
}

function progressReporter(io: CliIo): (progress: ImportProgress) => void {
  // A redrawn bar on a terminal; one line per batch in logs and pipes.
  const tty = process.stderr.isTTY === true;
  let last = -1;
  return ({ rowsDone, totalRows, counts }) => {
    if (rowsDone === last) return;
    last = rowsDone;
    const share = totalRows === 0 ? 1 : rowsDone / totalRows;
    const tally = `changed ${counts.changed}, unchanged ${counts.unchanged}, rejected ${counts.rejected}`;
    if (tty) {
      const width = 30;
      const filled = Math.round(share * width);
      io.stderr(
        `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${rowsDone}/${totalRows} rows (${tally})${rowsDone === totalRows ? '\n' : ''}`,
      );
    } else {
      io.stderr(`import: ${rowsDone}/${totalRows} rows (${Math.floor(share * 100)}%), ${tally}\n`);
    }
  };
}

async function tableReport(
  dryRun: boolean,
  rows: AsyncIterable<RowOutcome>,
  jobId: string | undefined,
  resumed: boolean,
): Promise<string> {
  // A dry run shows every row that would change, has warnings or is rejected; an applied import the rejected rows
  // and those with warnings.
  const shown: Record<string, unknown>[] = [];
  for await (const row of rows) {
    if (
      row.outcome === 'rejected' ||
      row.warnings.length > 0 ||
      (dryRun && (row.outcome === 'changed' || row.normalizations.length > 0))
    ) {
      const cells = resultCells(row);
      shown.push(Object.fromEntries(rowColumns.map((column, index) => [column, cells[index]])));
    }
  }
  const heading = dryRun
    ? 'dry run: nothing was written'
    : `import ${jobId ?? ''}${resumed ? ' (resumed an unfinished run)' : ''}`;
  const columns = dryRun ? rowColumns : ['line', 'key', 'outcome', 'column', 'reason', 'warnings'];
  return shown.length === 0 ? heading : `${heading}\n${formatOutput('table', shown, columns)}`;
}

async function writeResults(file: string, rows: AsyncIterable<RowOutcome>): Promise<void> {
  async function* lines(): AsyncGenerator<string> {
    yield `${csvLine(resultColumns)}\r\n`;
    for await (const row of rows) yield `${csvLine(resultCells(row))}\r\n`;
  }
  await writeStreamed(createWriteStream(file, { mode: 0o600 }), lines());
}

async function writeStreamed(stream: WriteStream, chunks: AsyncIterable<string>): Promise<void> {
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  for await (const chunk of chunks) {
    if (!stream.write(chunk))
      await Promise.race([new Promise<void>((resolve) => stream.once('drain', () => resolve())), failed]);
  }
  await Promise.race([new Promise<void>((resolve) => stream.end(resolve)), failed]);
}
