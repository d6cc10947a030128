/**
 * A private OpenLDAP `slapd` for the directory-sync tests: its own cn=config, its own mdb database and its own
 * loopback port, in a temporary folder removed by `stop()`. Nothing touches the system slapd (which the Debian
 * package starts on port 389; stop it after installing).
 *
 * Sharing: every test file starts its own instance in `beforeAll` (start-up takes well under a second, bulk
 * loads of 100k entries a few seconds through `slapadd`). That keeps files independent (tests change passwords,
 * add and delete entries) and needs no global state; Vitest runs files in parallel workers, each with its own port.
 *
 * ```ts
 * let slapd: RunningSlapd;
 * beforeAll(async () => {
 *   slapd = await startSlapd({ ldif: generateUsersLdif({ count: 2_500 }) }); // bulk load before start
 * });
 * afterAll(() => slapd?.stop());
 * // slapd.url, slapd.baseDn, slapd.adminDn, slapd.adminPassword; slapd.add(ldif), slapd.modify(ldif)
 * ```
 *
 * The database: suffix `dc=example,dc=org`, rootdn `cn=admin,dc=example,dc=org`, `ou=people` and `ou=policies`,
 * a non-root writeback account `cn=sspr-writer,dc=example,dc=org` (`writerDn`/`writerPassword`; ppolicy skips the
 * rootdn, so policy refusals need this account), a ppolicy overlay whose default policy `cn=default,ou=policies,dc=example,dc=org` asks for 8 characters at least
 * and remembers 3 old passwords (`pwdCheckQuality: 2`, cleartext hashed), a syncprov overlay so the suffix keeps a
 * `contextCSN`, no size limits (paged searches of the whole directory), users may bind and change their own
 * password, everyone else reads everything but passwords.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SLAPD_BINARY = '/usr/sbin/slapd';
export const SLAPD_INSTALL_COMMAND =
  'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slapd ldap-utils';

const BASE_DN = 'dc=example,dc=org';
const ADMIN_DN = `cn=admin,${BASE_DN}`;
const ADMIN_PASSWORD = 'admin-secret-Pa55';
/** A service account that may set passwords but is not the rootdn: ppolicy applies to it (it skips the rootdn). */
const WRITER_DN = `cn=sspr-writer,${BASE_DN}`;
const WRITER_PASSWORD = 'writer-secret-Pa55';
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';
const UNLIMITED = 'size.soft=unlimited size.hard=unlimited size.prtotal=unlimited';

export interface SlapdOptions {
  /** LDIF loaded with `slapadd` before the server starts (the fast path for bulk loads). */
  readonly ldif?: string;
  /** Keep the folder after `stop()` (debugging). */
  readonly keepFolder?: boolean;
}

export interface RunningSlapd {
  /** `ldap://127.0.0.1:PORT/` */
  readonly url: string;
  readonly port: number;
  readonly baseDn: string;
  readonly adminDn: string;
  readonly adminPassword: string;
  /**
   * A non-root service account with write access to every entry (passwords included): the password writeback
   * account. Unlike the rootdn, the password policy applies to its changes.
   */
  readonly writerDn: string;
  readonly writerPassword: string;
  /** DN of the default password policy entry. */
  readonly policyDn: string;
  /** The instance's folder (cn=config in `config/`, data in `data/`). */
  readonly folder: string;
  readonly pid: number;
  /** `ldapadd` as the admin. */
  add(ldif: string): Promise<void>;
  /** `ldapmodify` as the admin (changetype records). */
  modify(ldif: string): Promise<void>;
  /** `ldapsearch` as the admin, LDIF output (no line wrapping). */
  search(
    base: string,
    filter?: string,
    attributes?: readonly string[],
    scope?: 'base' | 'one' | 'sub',
  ): Promise<string>;
  stop(): Promise<void>;
}

/** A prepared but not yet started instance: load entries with slapadd, then start it. */
export interface PreparedSlapd {
  readonly folder: string;
  loadEntries(ldif: string): Promise<void>;
  start(): Promise<RunningSlapd>;
  /** Remove the folder without starting (when start is not wanted after all). */
  discard(): Promise<void>;
}

export function slapdAvailable(): boolean {
  return existsSync(SLAPD_BINARY);
}

function requireSlapd(): void {
  if (!slapdAvailable()) {
    throw new Error(
      `OpenLDAP slapd is not installed (${SLAPD_BINARY} is missing). Install it as root:\n  ${SLAPD_INSTALL_COMMAND}`,
    );
  }
}

/** `{SSHA}` hash of a password, as slappasswd makes it. */
export function sshaHash(password: string, salt: Buffer = randomBytes(8)): string {
  const digest = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

async function slappasswd(password: string): Promise<string> {
  try {
    const { stdout } = await run('/usr/sbin/slappasswd', ['-h', '{SSHA}', '-s', password]);
    return stdout.trim();
  } catch {
    return sshaHash(password);
  }
}

async function schemaLdif(name: string): Promise<string> {
  return (await readFile(path.join(SCHEMA_DIR, `${name}.ldif`), 'utf8')).trim();
}

async function configLdif(folder: string, rootPwHash: string): Promise<string> {
  const schemas = await Promise.all(['core', 'cosine', 'inetorgperson', 'nis'].map(schemaLdif));
  const dataDir = path.join(folder, 'data');
  return [
    `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${path.join(folder, 'slapd.pid')}
olcArgsFile: ${path.join(folder, 'slapd.args')}
olcSizeLimit: ${UNLIMITED}
olcLogLevel: none`,
    `dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: ${MODULE_DIR}
olcModuleLoad: {0}back_mdb
olcModuleLoad: {1}ppolicy
olcModuleLoad: {2}syncprov`,
    `dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema`,
    ...schemas,
    `dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: ${UNLIMITED}
olcPasswordHash: {SSHA}
olcAccess: {0}to dn.base="" by * read
olcAccess: {1}to dn.base="cn=subschema" by * read`,
    `dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none`,
    `dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: ${dataDir}
olcSuffix: ${BASE_DN}
olcRootDN: ${ADMIN_DN}
olcRootPW: ${rootPwHash}
olcDbMaxSize: 4294967296
olcDbNoSync: TRUE
olcDbCheckpoint: 8192 5
olcDbIndex: objectClass eq
olcDbIndex: uid,mail eq
olcDbIndex: entryUUID,entryCSN eq
olcLastMod: TRUE
olcSizeLimit: ${UNLIMITED}
olcLimits: {0}dn.exact="${ADMIN_DN}" ${UNLIMITED} time.soft=unlimited time.hard=unlimited
olcAccess: {0}to attrs=userPassword,shadowLastChange by self write by dn.exact="${WRITER_DN}" write by anonymous auth by * none
olcAccess: {1}to attrs=pwdHistory,pwdChangedTime,pwdFailureTime,pwdAccountLockedTime by * none
olcAccess: {2}to * by dn.exact="${WRITER_DN}" write by self read by * read`,
    `dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {0}syncprov`,
    `dn: olcOverlay={1}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {1}ppolicy
olcPPolicyDefault: cn=default,ou=policies,${BASE_DN}
olcPPolicyHashCleartext: TRUE
olcPPolicyUseLockout: FALSE`,
  ].join('\n\n');
}

const BASE_ENTRIES = `dn: ${BASE_DN}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,${BASE_DN}
objectClass: organizationalUnit
ou: people

dn: ou=policies,${BASE_DN}
objectClass: organizationalUnit
ou: policies

dn: ${WRITER_DN}
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: sspr-writer
userPassword: ${sshaHash(WRITER_PASSWORD)}

dn: cn=default,ou=policies,${BASE_DN}
objectClass: applicationProcess
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdMinLength: 8
pwdInHistory: 3
pwdCheckQuality: 2
pwdAllowUserChange: TRUE
pwdMustChange: FALSE
pwdSafeModify: FALSE
`;

function describeFailure(what: string, error: unknown): Error {
  const e = error as { stderr?: string; stdout?: string; message?: string };
  return new Error(`${what} failed: ${(e.stderr || e.stdout || e.message || String(error)).trim()}`);
}

/** Creates the folder and cn=config, loads the base entries; the server is not started yet. */
export async function prepareSlapd(options: Pick<SlapdOptions, 'keepFolder'> = {}): Promise<PreparedSlapd> {
  requireSlapd();
  const folder = await mkdtemp(path.join(tmpdir(), 'sspr-slapd-'));
  const configDir = path.join(folder, 'config');
  await mkdir(configDir);
  await mkdir(path.join(folder, 'data'));
  await writeFile(path.join(folder, 'config.ldif'), await configLdif(folder, await slappasswd(ADMIN_PASSWORD)));
  try {
    await run('/usr/sbin/slapadd', ['-n0', '-F', configDir, '-l', path.join(folder, 'config.ldif')]);
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw describeFailure('slapadd of cn=config', error);
  }
  let loads = 0;
  let started = false;
  const loadEntries = async (ldif: string): Promise<void> => {
    if (started) throw new Error('loadEntries runs before start(); use add()/modify() on a running slapd');
    const file = path.join(folder, `load-${loads++}.ldif`);
    await writeFile(file, ldif);
    try {
      await run('/usr/sbin/slapadd', ['-q', '-F', configDir, '-n1', '-l', file], { maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      throw describeFailure('slapadd', error);
    } finally {
      await rm(file, { force: true });
    }
  };
  await loadEntries(BASE_ENTRIES);
  return {
    folder,
    loadEntries,
    discard: () => rm(folder, { recursive: true, force: true }),
    async start() {
      started = true;
      return launch(folder, options.keepFolder === true);
    },
  };
}

/** Prepares, bulk-loads `options.ldif` (if any) and starts a private slapd. */
export async function startSlapd(options: SlapdOptions = {}): Promise<RunningSlapd> {
  const prepared = await prepareSlapd(options);
  try {
    if (options.ldif) await prepared.loadEntries(options.ldif);
    return await prepared.start();
  } catch (error) {
    await prepared.discard();
    throw error;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Instances still running: killed if the test process exits without stop() (a crashed or interrupted worker). */
const live = new Map<number, { folder: string; keep: boolean }>();
let exitHookInstalled = false;

function killLeftovers(): void {
  for (const [pid, { folder, keep }] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    if (!keep) rmSync(folder, { recursive: true, force: true });
  }
  live.clear();
}

function spawnSlapd(folder: string, url: string): Spawned {
  const child = spawn(SLAPD_BINARY, ['-h', url, '-F', path.join(folder, 'config'), '-d', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    if (output.length < 64 * 1024) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  if (child.pid !== undefined) live.set(child.pid, { folder, keep: true });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killLeftovers);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      if (child.pid !== undefined) live.delete(child.pid);
      resolve(code);
    });
    child.once('error', () => resolve(-1));
  });
  return { child, output: () => output, exited };
}

async function probe(url: string): Promise<boolean> {
  try {
    await run('ldapsearch', ['-x', '-H', url, '-b', '', '-s', 'base', '-LLL', '1.1'], { timeout: 2_000 });
    return true;
  } catch {
    return false;
  }
}

/** Waits until an anonymous root DSE search succeeds; 'exited' when slapd stopped first. */
async function waitReady(url: string, spawned: Spawned, deadline: number): Promise<'ready' | 'exited'> {
  let exited = false;
  void spawned.exited.then(() => {
    exited = true;
  });
  let delay = 10;
  while (Date.now() < deadline) {
    if (exited) return 'exited';
    if (await probe(url)) return 'ready';
    if (exited) return 'exited';
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 100);
  }
  throw new Error(`slapd did not answer on ${url} within the deadline\n${spawned.output()}`);
}

async function launch(folder: string, keepFolder: boolean): Promise<RunningSlapd> {
  let lastOutput = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const url = `ldap://127.0.0.1:${port}/`;
    const spawned = spawnSlapd(folder, url);
    const state = await waitReady(url, spawned, Date.now() + 15_000).catch(async (error: unknown) => {
      spawned.child.kill('SIGKILL');
      await spawned.exited;
      throw error;
    });
    if (state === 'ready') return running(folder, url, port, spawned, keepFolder);
    lastOutput = spawned.output();
    if (!/address already in use|bind.*failed|daemon: bind/i.test(lastOutput)) break;
  }
  await rm(folder, { recursive: true, force: true });
  throw new Error(`slapd failed to start:\n${lastOutput}`);
}

function running(folder: string, url: string, port: number, spawned: Spawned, keepFolder: boolean): RunningSlapd {
  if (spawned.child.pid !== undefined) live.set(spawned.child.pid, { folder, keep: keepFolder });
  const adminArgs = ['-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD];
  const feed = (command: string, args: string[], input: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
        if (error) reject(new Error(`${command} failed: ${stderr.trim() || error.message}`));
        else resolve();
      });
      child.stdin?.end(input);
    });
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    baseDn: BASE_DN,
    adminDn: ADMIN_DN,
    adminPassword: ADMIN_PASSWORD,
    writerDn: WRITER_DN,
    writerPassword: WRITER_PASSWORD,
    policyDn: `cn=default,ou=policies,${BASE_DN}`,
    folder,
    pid: spawned.child.pid ?? -1,
    add: (ldif) => feed('ldapadd', adminArgs, ldif),
    modify: (ldif) => feed('ldapmodify', adminArgs, ldif),
    async search(base, filter = '(objectClass=*)', attributes = [], scope = 'sub') {
      const { stdout } = await run(
        'ldapsearch',
        [...adminArgs, '-LLL', '-o', 'ldif-wrap=no', '-b', base, '-s', scope, filter, ...attributes],
        { maxBuffer: 512 * 1024 * 1024 },
      );
      return stdout;
    },
    stop() {
      stopped ??= (async () => {
        const { child } = spawned;
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          process.kill(child.pid, 'SIGTERM');
          const timer = setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
              process.kill(child.pid, 'SIGKILL');
            }
          }, 5_000);
          await spawned.exited;
          clearTimeout(timer);
        }
        if (!keepFolder) await rm(folder, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Generated users with messy data

export interface GenerateUsersOptions {
  readonly count: number;
  /** The organisational unit's name under the base DN; `people` exists already, another one is created. */
  readonly ou?: string;
  readonly baseDn?: string;
  readonly seed?: number;
  /** Index of the first user (to generate further batches without clashing uids). */
  readonly start?: number;
  /** How many users (from the first) get a known password. */
  readonly knownPasswordCount?: number;
}

export interface GeneratedUser {
  readonly dn: string;
  readonly uid: string;
  readonly password: string;
}

export interface GeneratedUsers {
  readonly ldif: string;
  /** The users with a known `userPassword` (the first ones). */
  readonly knownUsers: readonly GeneratedUser[];
}

const GIVEN_NAMES = ['Zoë', 'José', 'Łukasz', 'Emily', 'Björn', 'Adele', 'Chloé', 'Søren', 'Mei', 'Ahmed', 'Ana'];
const SURNAMES = ['Álvarez', 'Braun', 'Nguyễn', "O'Brien", 'Müller', 'Smith', 'Kowalski', 'Dubois', 'Chen', 'Ito'];

/** Office phone forms as directories hold them; `undefined` = attribute absent. */
const PHONE_FORMS: ReadonlyArray<(n: number) => string | undefined> = [
  (n) => `+1 42555${pad(n % 100_000, 5)}`,
  (n) => `+142555${pad(n % 100_000, 5)}`,
  (n) => `(425) 55${pad(Math.floor((n % 100_000) / 10_000), 1)}-${pad(n % 10_000, 4)}`,
  (n) => `+1 42555${pad(n % 100_000, 5)} x123`,
  (n) => `+1 42555${pad(n % 100_000, 5)}X55`,
  () => undefined,
  (n) => `+44 20 7946 ${pad(n % 10_000, 4)}`,
];

const MOBILE_FORMS: ReadonlyArray<(n: number) => string | undefined> = [
  (n) => `+1 20655${pad(n % 100_000, 5)}`,
  () => undefined,
  (n) => `+120655${pad(n % 100_000, 5)}`,
  (n) => `206-55${pad(Math.floor((n % 100_000) / 10_000), 1)}-${pad(n % 10_000, 4)}`,
  (n) => `+33 6 12 34 ${pad(n % 100, 2)} ${pad(Math.floor(n / 100) % 100, 2)}`,
];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function asciiFold(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .replace(/ø/g, 'o')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}

/** One LDIF attribute line, base64 (`::`) when the value is not safe as is (RFC 2849). */
export function ldifLine(attribute: string, value: string | Buffer): string {
  if (Buffer.isBuffer(value)) return `${attribute}:: ${value.toString('base64')}`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: RFC 2849 SAFE-CHAR excludes NUL, LF and CR.
  const unsafe = /[^\x01-\x09\x0b\x0c\x0e-\x7f]/.test(value) || /^[ :<]/.test(value) || value.endsWith(' ');
  return unsafe ? `${attribute}:: ${Buffer.from(value, 'utf8').toString('base64')}` : `${attribute}: ${value}`;
}

/** The password of generated user `index` (known-password users only). */
export function generatedUserPassword(index: number): string {
  return `Start-Pass-${pad(index, 5)}`;
}

/**
 * `count` inetOrgPerson users under `ou=<ou>,<baseDn>`, deterministic for a seed: non-ASCII names (base64 in the
 * LDIF), phone numbers in mixed forms (with and without the space, extensions, national forms, absent), some
 * duplicate `mail` values (the UPN source in OpenLDAP), every 250th user without `mail`, and a known `userPassword`
 * for the first `knownPasswordCount` users (default 5). uids are `user00000`, `user00001`, ...
 */
export function generateUsers(options: GenerateUsersOptions): GeneratedUsers {
  const ou = options.ou ?? 'people';
  const baseDn = options.baseDn ?? BASE_DN;
  const start = options.start ?? 0;
  const knownCount = options.knownPasswordCount ?? 5;
  const random = mulberry32(options.seed ?? 42);
  const parent = `ou=${ou},${baseDn}`;
  const records: string[] = [];
  const knownUsers: GeneratedUser[] = [];
  if (ou !== 'people' && start === 0) records.push(`dn: ${parent}\nobjectClass: organizationalUnit\nou: ${ou}\n`);
  let previousMail = '';
  for (let i = start; i < start + options.count; i++) {
    const given = GIVEN_NAMES[Math.floor(random() * GIVEN_NAMES.length)] ?? 'Ana';
    const surname = SURNAMES[Math.floor(random() * SURNAMES.length)] ?? 'Smith';
    const uid = `user${pad(i, 5)}`;
    const dn = `uid=${uid},${parent}`;
    const lines = [
      `dn: ${dn}`,
      'objectClass: inetOrgPerson',
      ldifLine('uid', uid),
      ldifLine('cn', `${given} ${surname}`),
      ldifLine('sn', surname),
      ldifLine('givenName', given === 'José' ? 'José Álvarez' : given),
    ];
    if (random() < 0.5) lines.push(ldifLine('displayName', `${surname}, ${given}`));
    let mail = `${asciiFold(given)}.${asciiFold(surname)}.${i}@example.org`;
    if (i % 97 === 96 && previousMail) mail = previousMail; // duplicate UPN/mail
    if (i % 250 !== 249) lines.push(ldifLine('mail', mail));
    previousMail = mail;
    const phoneForm = PHONE_FORMS[Math.floor(random() * PHONE_FORMS.length)];
    const phone = phoneForm?.(i);
    if (phone !== undefined) lines.push(ldifLine('telephoneNumber', phone));
    const mobileForm = MOBILE_FORMS[Math.floor(random() * MOBILE_FORMS.length)];
    const mobile = mobileForm?.(i + 7);
    if (mobile !== undefined) lines.push(ldifLine('mobile', mobile));
    if (i - start < knownCount) {
      const password = generatedUserPassword(i);
      lines.push(ldifLine('userPassword', sshaHash(password, Buffer.from(pad(i, 8)))));
      knownUsers.push({ dn, uid, password });
    }
    records.push(`${lines.join('\n')}\n`);
  }
  return { ldif: records.join('\n'), knownUsers };
}

export function generateUsersLdif(options: GenerateUsersOptions): string {
  return generateUsers(options).ldif;
}

/** `sspr sync configure` flags for this directory's people: OpenLDAP, its URL, the writer account (password file). */
export function openLdapSyncFlags(slapd: RunningSlapd, passwordFile: string): string[] {
  return [
    '--flavor',
    'openldap',
    '--url',
    slapd.url,
    '--bind-dn',
    slapd.writerDn,
    '--bind-password-file',
    passwordFile,
    '--base-dn',
    `ou=people,${slapd.baseDn}`,
  ];
}
