/**
 * Bench-only: one directory sync run in its own process, as `bench/directory-sync.ts` measures it.
 *   node --import tsx bench/sync-run.ts <dataDir> <full|delta> <ldapUrl> <bindDn> <bindPassword> <baseDn>
 * Configures sync on first use (the real `update`, as `sspr sync configure` does), runs it through the real
 * container and prints one JSON line: the run's outcome, the milliseconds of the run alone (container start-up
 * excluded) and the process's peak resident memory (`maxRSS`, KiB).
 */
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import type { RequestContext } from '../src/domain/audit.js';

const [dataDir, kind, url, bindDn, bindPassword, baseDn] = process.argv.slice(2);
if (!dataDir || (kind !== 'full' && kind !== 'delta') || !url || !bindDn || !bindPassword || !baseDn) {
  throw new Error('usage: sync-run.ts <dataDir> <full|delta> <ldapUrl> <bindDn> <bindPassword> <baseDn>');
}
const operator: RequestContext = {
  principal: { kind: 'operator', name: 'bench' },
  correlationId: 'b',
  ipAddress: null,
};
const config = loadConfig({ env: {}, flags: { dataDir, tenantDomain: 'example.org', logLevel: 'silent' } });
const container = await createContainer(config, { logger: pino({ level: 'silent' }) });
try {
  if (!(await container.directorySync.settings())) {
    await container.directorySync.update(operator, {
      flavor: 'openldap',
      urls: [url],
      bindDn,
      bindPassword,
      baseDns: [baseDn],
      pageSize: 1000,
      timeoutMs: 120_000,
      // The bench's delta deletes 1% of the users (1,000 of 100,000): measured, not held back by the safeguard.
      deletionThreshold: 0,
    });
  }
  const started = process.hrtime.bigint();
  const result = kind === 'full' ? await container.directorySync.runFull() : await container.directorySync.runDelta();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${JSON.stringify({ ...result, ms, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
} finally {
  await container.close();
}
