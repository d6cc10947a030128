/**
 * `npm run bench:sync`: directory sync from a private OpenLDAP slapd against raw paged `ldapsearch`, in one run.
 *
 *   node --import tsx bench/directory-sync.ts [--users N] [--rounds N] [--cpu-prof DIR] [--keep]
 *
 * (a) Full sync of N users (default 100,000, bulk-loaded with `slapadd -q`) vs `ldapsearch -E pr=1000/noprompt` of
 *     the same entries and attributes to /dev/null. Target: raw time / sync time ≥ 0.4. The sync's peak memory
 *     (maxRSS of the process running it) shows that it streams.
 * (b) Delta after 1% adds, 1% deletes and 5% modifies vs the raw searches a delta needs (the changed entries since
 *     the watermark, plus the anchor-only scan that finds deletions). Target ≥ 0.5. Then a full sync into a fresh
 *     store must give the same active users as the delta did.
 *
 * Each sync runs in its own child process (`bench/sync-run.ts`) on a SQLite file; its time is the run alone
 * (container start-up excluded); `ldapsearch` times are the whole command. With --rounds N each side is measured N
 * times, alternating, and the median is shown (the raw searches first in each round). A missed target prints
 * MISSED (the exit code stays 0). See docs/performance.md.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { defaultMappings, mappedAttributes } from '../src/domain/directory-mapping.js';
import { generateUsers, prepareSlapd, type RunningSlapd } from '../test/support/slapd.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.resolve(benchDir, '..');
const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = argv.indexOf(`--${name}`);
  return index === -1 ? undefined : argv[index + 1];
};
const userCount = Number(option('users') ?? 100_000);
const rounds = Number(option('rounds') ?? 1);
const cpuProfileDir = option('cpu-prof');
const keep = argv.includes('--keep');
const targets = { full: 0.4, delta: 0.5 };
const filter = '(objectClass=inetOrgPerson)';

interface SyncRun {
  status: string;
  message: string | null;
  counts: Record<string, number>;
  ms: number;
  maxRssKiB: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function time(command: string, args: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
        : reject(new Error(`${command} exited ${code}`)),
    );
  });
}

function syncRun(slapd: RunningSlapd, dataDir: string, kind: 'full' | 'delta', label: string): Promise<SyncRun> {
  const profile = cpuProfileDir
    ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir, '--cpu-prof-name', `${label}.cpuprofile`]
    : [];
  const args = [
    ...profile,
    '--import',
    'tsx',
    path.join(benchDir, 'sync-run.ts'),
    dataDir,
    kind,
    slapd.url,
    slapd.writerDn,
    slapd.writerPassword,
    `ou=people,${slapd.baseDn}`,
  ];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: rootDir, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`sync-run ${kind} failed: ${stderr || error.message}`));
      const result = JSON.parse(stdout.trim().split('\n').at(-1) as string) as SyncRun;
      if (result.status !== 'succeeded') return reject(new Error(`sync ${kind} run failed: ${result.message}`));
      resolve(result);
    });
  });
}

function ldapsearch(slapd: RunningSlapd, searchFilter: string, attributes: readonly string[]): Promise<number> {
  return time('sh', [
    '-c',
    'exec ldapsearch "$@" > /dev/null',
    'ldapsearch',
    '-x',
    '-H',
    slapd.url,
    '-D',
    slapd.writerDn,
    '-w',
    slapd.writerPassword,
    '-b',
    `ou=people,${slapd.baseDn}`,
    '-E',
    'pr=1000/noprompt',
    '-LLL',
    searchFilter,
    ...attributes,
  ]);
}

/** The active synced users of a store, every synced column, ordered by anchor. */
function activeUsers(dataDir: string): unknown[] {
  const db = new Database(path.join(dataDir, 'sspr.db'), { readonly: true });
  try {
    return db
      .prepare(
        `select on_premises_immutable_id, user_principal_name, display_name, given_name, surname, mail, job_title,
                office_location, account_enabled, mobile_phone, business_phone, other_mails,
                on_premises_distinguished_name, on_premises_sam_account_name, on_premises_user_principal_name
           from users where on_premises_immutable_id is not null and soft_deleted_at is null
          order by on_premises_immutable_id`,
      )
      .all();
  } finally {
    db.close();
  }
}

function contextCsn(slapd: RunningSlapd): Promise<string> {
  return slapd.search(slapd.baseDn, '(objectClass=*)', ['contextCSN'], 'base').then((ldif) => {
    const values = [...ldif.matchAll(/^contextCSN: (.+)$/gm)].map((match) => match[1] as string).sort();
    const newest = values.at(-1);
    if (!newest) throw new Error('no contextCSN');
    return newest;
  });
}

const ms = (value: number) => `${Math.round(value).toLocaleString('en-US')} ms`;
const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;
const verdict = (ratio: number, target: number) =>
  `${ratio.toFixed(2)} (target ≥ ${target}${ratio >= target ? ')' : ', MISSED)'}`;

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log(
    `OpenSSPR directory sync benchmark: ${userCount.toLocaleString('en-US')} users, Node ${process.version}, ` +
      `${cpus.length} CPU(s) ${cpus[0]?.model ?? ''}`.trim(),
  );
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'sspr-bench-sync-'));
  let slapd: RunningSlapd | undefined;
  try {
    let started = Date.now();
    const prepared = await prepareSlapd();
    await prepared.loadEntries(generateUsers({ count: userCount, knownPasswordCount: 0 }).ldif);
    slapd = await prepared.start();
    console.log(`slapd with ${userCount.toLocaleString('en-US')} users (slapadd -q) in ${ms(Date.now() - started)}`);
    const attributes = mappedAttributes(defaultMappings('openldap'), 'openldap');

    // (a) full sync vs raw paged ldapsearch
    const raw: number[] = [];
    const ours: SyncRun[] = [];
    let lastFullDir = '';
    for (let round = 0; round < rounds; round++) {
      raw.push(await ldapsearch(slapd, filter, attributes));
      lastFullDir = path.join(workDir, `full-${round}`);
      ours.push(await syncRun(slapd, lastFullDir, 'full', `full-${round}`));
    }
    const full = ours.sort((a, b) => a.ms - b.ms)[Math.floor(ours.length / 2)] as SyncRun;
    const rawFull = median(raw);
    console.log(`\n(a) full sync, attributes ${attributes.join(',')}`);
    console.log(`  raw ldapsearch -E pr=1000/noprompt : ${ms(rawFull)}`);
    console.log(`  sspr full sync                     : ${ms(full.ms)}  (${JSON.stringify(full.counts)})`);
    console.log(`  peak memory of the sync process    : ${mib(full.maxRssKiB)} (maxRSS)`);
    console.log(`  ratio raw / sync                   : ${verdict(rawFull / full.ms, targets.full)}`);

    // (b) delta after 1% adds, 1% deletes, 5% modifies
    const watermark = await contextCsn(slapd);
    started = Date.now();
    const adds = Math.round(userCount * 0.01);
    const deletes = Math.round(userCount * 0.01);
    const modifies = Math.round(userCount * 0.05);
    await slapd.add(generateUsers({ count: adds, start: userCount, seed: 9, knownPasswordCount: 0 }).ldif);
    const changes: string[] = [];
    const uid = (index: number) => `uid=user${String(index).padStart(5, '0')},ou=people,${slapd?.baseDn}`;
    // Deletes on odd indexes, modifies on even ones: never both on one entry.
    const deleteStep = 2 * Math.floor(userCount / deletes / 2);
    // Not the owner of a mail the next generated user duplicates: deleting it would free that mail for a user the
    // delta does not create (a soft-deleted user keeps its UPN; see docs/directory-sync.md), while a fresh full
    // run would.
    for (let i = 0; i < deletes; i++) {
      const index = i * deleteStep + 1;
      changes.push(`dn: ${uid(index % 97 === 95 ? index + 2 : index)}\nchangetype: delete\n`);
    }
    const modifyStep = 2 * Math.floor(userCount / modifies / 2);
    for (let i = 0; i < modifies; i++) {
      changes.push(
        `dn: ${uid(i * modifyStep)}\nchangetype: modify\nreplace: telephoneNumber\n` +
          `telephoneNumber: +1 42555${String(i % 100_000).padStart(5, '0')}\n-\nreplace: mobile\nmobile: +1 2065550${String(i % 1000).padStart(3, '0')}\n`,
      );
    }
    await slapd.modify(changes.join('\n'));
    console.log(
      `\n(b) delta after ${adds} adds, ${deletes} deletes, ${modifies} modifies (applied in ${ms(Date.now() - started)})`,
    );
    const changedFilter = `(&${filter}(entryCSN>=${watermark}))`;
    const rawChanged = await ldapsearch(slapd, changedFilter, attributes);
    const rawAnchors = await ldapsearch(slapd, filter, ['entryUUID']);
    const delta = await syncRun(slapd, lastFullDir, 'delta', 'delta');
    const rawDelta = rawChanged + rawAnchors;
    console.log(`  raw changed-entries search         : ${ms(rawChanged)}`);
    console.log(`  raw anchor-only scan               : ${ms(rawAnchors)}`);
    console.log(`  sspr delta sync                    : ${ms(delta.ms)}  (${JSON.stringify(delta.counts)})`);
    console.log(`  peak memory of the sync process    : ${mib(delta.maxRssKiB)} (maxRSS)`);
    console.log(`  ratio raw / sync                   : ${verdict(rawDelta / delta.ms, targets.delta)}`);

    const freshDir = path.join(workDir, 'fresh');
    await syncRun(slapd, freshDir, 'full', 'fresh-full');
    const afterDelta = activeUsers(lastFullDir);
    const afterFull = activeUsers(freshDir);
    const same = JSON.stringify(afterDelta) === JSON.stringify(afterFull);
    console.log(
      `  store after the delta = fresh full : ${same ? 'yes' : 'NO'} (${afterDelta.length} and ${afterFull.length} active users)`,
    );
    if (!same) process.exitCode = 1;
  } finally {
    await slapd?.stop();
    if (keep) console.log(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
