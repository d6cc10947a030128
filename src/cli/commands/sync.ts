import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DomainError } from '../../domain/errors.js';
import type {
  PublicSyncSettings,
  SyncCounts,
  SyncRunRecord,
  SyncSettingsInput,
} from '../../services/sync/directory-sync-service.js';
import { deletionThresholdExceeded, publicSettings } from '../../services/sync/directory-sync-service.js';
import { type CliIo, operatorContext, outputOption, withContainer, withStoreOptions } from '../command-context.js';
import { formatOutput, type OutputFormat } from '../output.js';

const countColumns = ['read', 'added', 'updated', 'deleted', 'unchanged', 'errors', 'warnings'] as const;
const runColumns = ['id', 'kind', 'dryRun', 'status', 'startedAt', 'finishedAt', ...countColumns, 'message'];
const issueColumns = ['type', 'dn', 'attribute', 'message'];

/** Repeatable options that also take comma lists: `--url a --url b,c`. */
const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
];
/** Base DNs contain commas: repeat the option instead. */
const repeat = (value: string, previous: string[] = []) => [...previous, value];

const runRow = (run: SyncRunRecord) => ({
  id: run.id,
  kind: run.kind,
  dryRun: run.dryRun,
  status: run.status,
  startedAt: run.startedAt,
  finishedAt: run.finishedAt,
  ...run.counts,
  message: run.message,
});

function countsTable(
  format: OutputFormat,
  counts: SyncCounts,
  extra: Record<string, unknown> = {},
  after: Record<string, unknown> = {},
): string {
  const row = { ...extra, ...counts, ...after };
  return formatOutput(format, [row], [...Object.keys(extra), ...countColumns, ...Object.keys(after)]);
}

/** `sspr sync configure|test|run|status|errors`: directory sync from Active Directory or OpenLDAP (SPEC section 8). */
export function registerSyncCommands(program: Command, io: CliIo): void {
  const sync = program.command('sync').description('on-premises directory sync (Active Directory or OpenLDAP)');

  withStoreOptions(
    sync.command('configure').description('set the directory to sync from; omitted options keep their current value'),
  )
    .option('--flavor <flavor>', 'openldap or ad')
    .option('--url <url>', 'ldap:// or ldaps:// URL, repeatable or a comma list (tried in order)', collect)
    .option('--bind-dn <dn>', 'the DN the sync binds as')
    .option('--bind-password-file <file>', 'file holding the bind password (stored encrypted; never a flag value)')
    .option('--base-dn <dn>', 'a base DN in scope (repeatable)', repeat)
    .option('--filter <filter>', 'LDAP filter for the users in scope (default by flavor)')
    .option('--group-dn <dn>', "only members of this group are in scope ('' for no group)")
    .option('--ca-file <file>', 'PEM file of the CA that signs the directory certificate')
    .option('--tls-server-name <name>', 'name expected in the directory certificate')
    .option('--start-tls', 'upgrade ldap:// connections with StartTLS')
    .option('--no-start-tls', 'do not use StartTLS')
    .option('--page-size <n>', 'entries per page (default 1000)')
    .option('--interval-minutes <n>', 'minutes between scheduled delta runs (default 30)')
    .option('--timeout-seconds <n>', 'per LDAP operation (default 30)')
    .option(
      '--deletion-threshold <n>',
      'a run that would soft-delete more users than this stops before deleting any (default 500; 0: no limit)',
    )
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      const input: { -readonly [K in keyof SyncSettingsInput]: SyncSettingsInput[K] } = {};
      if (flags.flavor !== undefined) input.flavor = flags.flavor;
      if (flags.url !== undefined) input.urls = flags.url;
      if (flags.bindDn !== undefined) input.bindDn = flags.bindDn;
      if (flags.bindPasswordFile !== undefined) {
        const text = await readFile(flags.bindPasswordFile, 'utf8').catch(() => {
          throw new DomainError('invalid_request', {}, `cannot read --bind-password-file ${flags.bindPasswordFile}`);
        });
        input.bindPassword = text.replace(/\r?\n$/, '');
      }
      if (flags.baseDn !== undefined) input.baseDns = flags.baseDn;
      if (flags.filter !== undefined) input.filter = flags.filter;
      if (flags.groupDn !== undefined) input.groupDn = flags.groupDn;
      if (flags.pageSize !== undefined) input.pageSize = flags.pageSize;
      if (flags.intervalMinutes !== undefined) input.intervalMinutes = flags.intervalMinutes;
      if (flags.deletionThreshold !== undefined) input.deletionThreshold = flags.deletionThreshold;
      if (flags.timeoutSeconds !== undefined) {
        const seconds = Number(flags.timeoutSeconds);
        input.timeoutMs = Number.isFinite(seconds) ? Math.round(seconds * 1000) : flags.timeoutSeconds;
      }
      await withContainer(flags, io, async (container) => {
        if (flags.caFile !== undefined || flags.tlsServerName !== undefined || flags.startTls !== undefined) {
          const current = (await container.directorySync.settings())?.tls ?? {};
          input.tls = {
            ...current,
            ...(flags.caFile !== undefined ? { caFile: flags.caFile } : {}),
            ...(flags.tlsServerName !== undefined ? { serverName: flags.tlsServerName } : {}),
            ...(flags.startTls !== undefined ? { startTls: flags.startTls === true } : {}),
          };
        }
        const saved = await container.directorySync.update(operatorContext(), input);
        const row = settingsRow(saved, flags.output);
        io.stdout(`${formatOutput(flags.output, [row], Object.keys(row), true)}\n`);
      });
    });

  withStoreOptions(sync.command('test').description('bind, count the entries in scope and map one sample entry'))
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      await withContainer(flags, io, async (container) => {
        container.directorySync.authorize(operatorContext());
        const result = await container.directorySync.testConnection();
        if (flags.output === 'json') {
          io.stdout(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const rows = (result.sample?.rows ?? []).map((row) => ({ ...row }));
        if (flags.output === 'csv') {
          io.stdout(`${formatOutput('csv', rows, ['target', 'value', 'warning'])}\n`);
          return;
        }
        const lines = [`bind: ok`, `entries in scope: ${result.entriesInScope}`];
        if (result.sample) {
          lines.push(`sample: ${result.sample.dn}`);
          if (result.sample.error) lines.push(`mapping error: ${result.sample.error}`);
          else lines.push(formatOutput('table', rows, ['target', 'value', 'warning']));
        }
        io.stdout(`${lines.join('\n')}\n`);
      });
    });

  withStoreOptions(sync.command('run').description('run a delta sync now (a full one with --full)'))
    .option('--full', 'read everything in scope and reconcile (creates, updates, soft deletes)')
    .option('--dry-run', 'plan and report without writing any user')
    .option('--allow-deletions', 'apply the deletions even above the deletion threshold (this run only)')
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      await withContainer(flags, io, async (container) => {
        const operator = operatorContext();
        container.directorySync.authorize(operator);
        // On a terminal, one redrawn progress line; the bar's length is the last full run's entry count (an
        // estimate; a delta shows the counters only). Otherwise (a pipe, a log file), one line per page.
        const lastFull = io.stderrIsTTY
          ? (await container.directorySync.runs(50)).find(
              (run) => run.kind === 'full' && run.status === 'succeeded' && !run.dryRun,
            )
          : undefined;
        let drawn = false;
        const options = {
          dryRun: flags.dryRun === true,
          allowDeletions: flags.allowDeletions === true,
          requestedBy: operator,
          onProgress: (progress: { page: number; kind: string; counts: SyncCounts }) => {
            const { counts } = progress;
            const line =
              `page ${progress.page}: read ${counts.read}, added ${counts.added}, updated ${counts.updated}, ` +
              `deleted ${counts.deleted}, unchanged ${counts.unchanged}, errors ${counts.errors}, warnings ${counts.warnings}`;
            if (!io.stderrIsTTY) {
              io.stderr(`${line}\n`);
              return;
            }
            const total = progress.kind === 'full' ? lastFull?.counts.read : undefined;
            io.stderr(`\r\x1b[2K${progressBar(counts.read, total)}${line}`);
            drawn = true;
          },
        };
        const result = await (flags.full
          ? container.directorySync.runFull(options)
          : container.directorySync.runDelta(options)
        ).finally(() => {
          if (drawn) io.stderr('\n');
        });
        const summary = { runId: result.runId, kind: result.kind, dryRun: result.dryRun, status: result.status };
        const stopped = result.status === deletionThresholdExceeded;
        // A stopped run shows what it held back next to its counts.
        const held = stopped
          ? { pendingDeletions: result.pendingDeletions ?? null, deletionThreshold: result.deletionThreshold ?? null }
          : {};
        io.stdout(
          `${
            flags.output === 'json'
              ? JSON.stringify({ ...summary, counts: result.counts, message: result.message, ...held }, null, 2)
              : countsTable(flags.output, result.counts, summary, held)
          }\n`,
        );
        // Per-object errors are part of a succeeded run (see `sync errors`); a failed or stopped run is an error.
        if (result.status === 'failed') {
          throw new DomainError('invalid_request', {}, `directory sync run ${result.runId} failed: ${result.message}`);
        }
        if (stopped) {
          const params = { count: result.pendingDeletions ?? 0, threshold: result.deletionThreshold ?? 0 };
          throw new DomainError(
            'sync_deletion_threshold_exceeded',
            params,
            `${
              result.dryRun
                ? `dry run ${result.runId}: a real run would stop here:`
                : `directory sync run ${result.runId} stopped:`
            } it would soft-delete ${params.count} users, more than the ` +
              `deletion threshold (${params.threshold}); no user was deleted. Check the scope (sspr sync status), ` +
              `then run \`sspr sync run${result.kind === 'full' ? ' --full' : ''} --allow-deletions\` once or raise it ` +
              '(sspr sync configure --deletion-threshold N).',
          );
        }
      });
    });

  withStoreOptions(sync.command('status').description('the settings (without secrets) and the last runs'))
    .option('--top <n>', 'runs to show (default 10)', (value) => Number(value))
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      const top: number = flags.top ?? 10;
      if (!Number.isInteger(top) || top < 1 || top > 999)
        throw new DomainError('invalid_request', {}, '--top must be a whole number from 1 to 999');
      await withContainer(flags, io, async (container) => {
        container.directorySync.authorize(operatorContext());
        const settings = await container.directorySync.settings();
        const runs = await container.directorySync.runs(top);
        if (flags.output === 'json') {
          const shown = settings ? publicSettings(settings) : null;
          io.stdout(`${JSON.stringify({ configured: shown !== null, settings: shown, runs }, null, 2)}\n`);
          return;
        }
        const shown = settings ? settingsRow(publicSettings(settings), 'table') : null;
        if (flags.output === 'csv') {
          io.stdout(`${formatOutput('csv', runs.map(runRow), runColumns)}\n`);
          return;
        }
        const parts = [
          shown
            ? formatOutput('table', [shown], Object.keys(shown), true)
            : 'directory sync is not configured (sspr sync configure)',
          runs.length > 0 ? formatOutput('table', runs.map(runRow), runColumns) : 'no runs yet',
        ];
        io.stdout(`${parts.join('\n\n')}\n`);
      });
    });

  withStoreOptions(sync.command('errors').description("a run's per-object errors and warnings (default: the last run)"))
    .option('--run <id>', 'the run (see sync status)')
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      await withContainer(flags, io, async (container) => {
        container.directorySync.authorize(operatorContext());
        let runId: string | undefined = flags.run;
        if (!runId) {
          runId = (await container.directorySync.runs(1))[0]?.id;
          if (!runId) throw new DomainError('invalid_request', {}, 'no directory sync run yet');
        }
        const issues = await container.directorySync.issues(runId);
        io.stdout(
          `${flags.output === 'json' ? JSON.stringify(issues, null, 2) : formatOutput(flags.output, issues as unknown as Record<string, unknown>[], issueColumns)}\n`,
        );
      });
    });
}

/** `[#########...........]  45% ` for `done` of an estimated `total`; empty without an estimate. */
export function progressBar(done: number, total: number | undefined, width = 24): string {
  if (!total || total <= 0) return '';
  const share = Math.min(done / total, 1);
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% `;
}

/** The settings as one row; in a table, mappings read as a count (the JSON output has them whole). */
function settingsRow(settings: PublicSyncSettings, format: OutputFormat): Record<string, unknown> {
  const row: Record<string, unknown> = { ...settings };
  if (format !== 'json') {
    row.mappings = settings.mappings.length === 0 ? '(defaults)' : `${settings.mappings.length} rules`;
  }
  return row;
}
