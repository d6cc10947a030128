import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { type Container, createContainer } from '../../src/container.js';
import type { RequestContext } from '../../src/domain/audit.js';
import type { SyncSettingsInput } from '../../src/services/sync/directory-sync-service.js';
import type { DialectUnderTest, TestDatabase } from './databases.js';
import { type RunningSlapd, startSlapd } from './slapd.js';

const operator: RequestContext = { principal: { kind: 'operator', name: 't' }, correlationId: 'c', ipAddress: null };

/** A private slapd and a container on a fresh store of `dialect`, configured to sync the slapd's `ou=people`. */
export interface SlapdSync {
  readonly slapd: RunningSlapd;
  readonly database: TestDatabase;
  readonly container: Container;
  close(): Promise<void>;
}

export async function startSlapdSync(
  dialect: DialectUnderTest,
  options: { readonly ldif: string; readonly settings?: Partial<SyncSettingsInput> },
): Promise<SlapdSync> {
  const [slapd, database] = await Promise.all([startSlapd({ ldif: options.ldif }), dialect.create()]);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-slapd-sync-'));
  const container = await createContainer(
    loadConfig({ env: {}, flags: { dataDir, tenantDomain: 'example.org', logLevel: 'silent' } }),
    { database: database.store },
  );
  // Configured the way `sspr sync configure` and `PUT settings` do it.
  await container.directorySync.update(operator, {
    flavor: 'openldap',
    urls: [slapd.url],
    bindDn: slapd.writerDn,
    bindPassword: slapd.writerPassword,
    baseDns: [`ou=people,${slapd.baseDn}`],
    timeoutMs: 5_000,
    ...options.settings,
  });
  return {
    slapd,
    database,
    container,
    async close() {
      await container.close();
      await slapd.stop();
      await database.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The distinguished names of the synced users not deleted, sorted. */
export async function liveSyncedDns(database: TestDatabase): Promise<string[]> {
  const rows = await database.store.db
    .selectFrom('users')
    .select('on_premises_distinguished_name as dn')
    .where('on_premises_sync_enabled', '=', 1)
    .where('soft_deleted_at', 'is', null)
    .execute();
  return rows.map((row) => row.dn ?? '').sort();
}
