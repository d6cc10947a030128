/**
 * A private Samba Active Directory domain controller for the directory-sync tests (SPEC section 8): provisioned
 * into a temporary folder, started inside a network namespace of its own (Samba's LDAP server listens on the
 * fixed ports 389/636 only), reached from the test process over a veth pair with a random private /30. Needs root
 * (network namespaces) and Debian's `samba` packages; `stop()` ends the DC and removes the namespace, the veth
 * pair and the folder, and so does the process exit hook when a worker dies without `stop()`.
 *
 * Provisioning takes about 10 s: start ONE DC per test file (`beforeAll`), and keep all AD tests in one file.
 *
 * ```ts
 * let samba: RunningSamba;
 * beforeAll(async () => { samba = await startSamba(); }, 120_000);
 * afterAll(() => samba?.stop());
 * // samba.url (ldaps://10.x.y.2), samba.caFile, samba.serverName, samba.adminDn, samba.adminPassword,
 * // samba.add(dn, attributes), samba.modify(dn, changes), samba.delete(dn), samba.rename(dn, newRdn, newParent)
 * ```
 *
 * The domain: realm `EXAMPLE.TEST` (NetBIOS `EXAMPLE`), base `DC=example,DC=test`, DC `DC1.example.test` with
 * Samba's self-signed TLS certificate (its CA in `caFile`). Like Windows (`ldap server require strong auth`),
 * simple binds are only accepted over TLS: the tests use LDAPS. Password policy: complexity on, minimum length
 * 7, history 3, no minimum age, and `old password allowed period = 0` so an old password stops binding at once.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client, Control, type Entry } from 'ldapts';

const run = promisify(execFile);

export const SAMBA_BINARY = '/usr/sbin/samba';
export const SAMBA_INSTALL_COMMAND =
  'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends samba samba-ad-dc samba-ad-provision';

const REALM = 'EXAMPLE.TEST';
const DOMAIN = 'EXAMPLE';
const BASE_DN = 'DC=example,DC=test';
const HOST = 'DC1';
const SERVER_NAME = `${HOST}.example.test`;
const ADMIN_DN = `CN=Administrator,CN=Users,${BASE_DN}`;
const ADMIN_PASSWORD = 'Admin-Pa55-word!';
/** AD's show-deleted control. */
export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';

export interface RunningSamba {
  /** `ldaps://10.x.y.2` */
  readonly url: string;
  /** The DC's address in its namespace. */
  readonly address: string;
  /** The name in the DC's certificate (`DC1.example.test`): `tls.serverName`. */
  readonly serverName: string;
  /** Samba's auto-generated CA (`private/tls/ca.pem`): `tls.caFile`. */
  readonly caFile: string;
  readonly realm: string;
  readonly baseDn: string;
  readonly adminDn: string;
  readonly adminPassword: string;
  readonly namespace: string;
  readonly folder: string;
  readonly pid: number;
  /** LDAP add as the Administrator (strings, or Buffers for binary values). */
  add(dn: string, attributes: Record<string, string | string[] | Buffer>): Promise<void>;
  /** LDAP modify as the Administrator: `null` or `[]` deletes the attribute. */
  modify(dn: string, replace: Record<string, string | string[] | null>): Promise<void>;
  delete(dn: string): Promise<void>;
  /** Modify DN: `newDn` is the full new DN (a new RDN, another parent, or both). */
  rename(dn: string, newDn: string): Promise<void>;
  /** Sets `unicodePwd` as the Administrator (a reset). */
  setPassword(dn: string, password: string): Promise<void>;
  search(base: string, filter: string, attributes: readonly string[], showDeleted?: boolean): Promise<Entry[]>;
  /** A simple bind over LDAPS as `dn`: true when the password is accepted. */
  binds(dn: string, password: string): Promise<boolean>;
  stop(): Promise<void>;
}

export function sambaAvailable(): boolean {
  return existsSync(SAMBA_BINARY) && existsSync('/usr/bin/samba-tool');
}

function requireSamba(): void {
  if (!sambaAvailable()) {
    throw new Error(
      `Samba is not installed (${SAMBA_BINARY} or samba-tool is missing). Install it as root:\n  ${SAMBA_INSTALL_COMMAND}`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error('The Samba AD tests need root: the DC runs in a private network namespace (ip netns).');
  }
}

function describeFailure(what: string, error: unknown): Error {
  const e = error as { stderr?: string; stdout?: string; message?: string };
  const text = (e.stderr || e.stdout || e.message || String(error)).trim().split('\n').slice(-15).join('\n');
  return new Error(`${what} failed: ${text}`);
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (error) {
    throw describeFailure(`ip ${args.join(' ')}`, error);
  }
}

/** Namespaces and links still alive: removed when the test process exits without stop(). */
const live = new Map<string, { pid: number | undefined; hostLink: string; folder: string; keep: boolean }>();
let exitHookInstalled = false;

function cleanUpSync(namespace: string): void {
  const entry = live.get(namespace);
  if (!entry) return;
  live.delete(namespace);
  if (entry.pid !== undefined) {
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const args of [
    ['netns', 'del', namespace],
    ['link', 'del', entry.hostLink],
  ]) {
    try {
      execFileSync('ip', args, { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  if (!entry.keep) rmSync(entry.folder, { recursive: true, force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const namespace of [...live.keys()]) cleanUpSync(namespace);
  });
}

/** IPv4 routes and addresses already in use, as [network, prefix length]. */
async function usedNetworks(): Promise<[number, number][]> {
  const toNumber = (dotted: string) => dotted.split('.').reduce((value, part) => value * 256 + Number(part), 0);
  const { stdout: routes } = await run('ip', ['-4', 'route', 'show', 'table', 'all']);
  const { stdout: addresses } = await run('ip', ['-4', '-o', 'addr', 'show']);
  const networks: [number, number][] = [];
  for (const match of `${routes}\n${addresses}`.matchAll(/\b(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/g)) {
    networks.push([toNumber(match[1] as string), Number(match[2] ?? 32)]);
  }
  return networks;
}

/** A random 10.x.y.z/30 that overlaps nothing configured on this machine. */
async function pickSubnet(): Promise<{ host: string; peer: string }> {
  const used = await usedNetworks();
  for (let attempt = 0; attempt < 100; attempt++) {
    const second = randomInt(100, 250);
    const third = randomInt(0, 256);
    const fourth = randomInt(0, 64) * 4;
    const network = ((10 * 256 + second) * 256 + third) * 256 + fourth;
    const overlaps = used.some(([other, length]) => {
      const shared = Math.min(length, 30);
      const mask = shared === 0 ? 0 : (0xffffffff << (32 - shared)) >>> 0;
      return (other & mask) >>> 0 === (network & mask) >>> 0;
    });
    if (!overlaps) {
      return { host: `10.${second}.${third}.${fourth + 1}`, peer: `10.${second}.${third}.${fourth + 2}` };
    }
  }
  throw new Error('No free 10.x.y.z/30 found for the Samba namespace');
}

function smbConf(folder: string, address: string): string {
  const dir = (name: string) => path.join(folder, name);
  return `[global]
	netbios name = ${HOST}
	realm = ${REALM}
	workgroup = ${DOMAIN}
	server role = active directory domain controller
	server services = ldap
	interfaces = ${address}
	bind interfaces only = yes
	private dir = ${dir('private')}
	lock directory = ${folder}
	state directory = ${dir('state')}
	cache directory = ${dir('cache')}
	binddns dir = ${dir('bind-dns')}
	pid directory = ${dir('run')}
	ncalrpc dir = ${dir('run/ncalrpc')}
	winbindd socket directory = ${dir('run/winbindd')}
	ntp signd socket directory = ${dir('run/ntp_signd')}
	log file = ${dir('log/samba.log')}
	log level = 1
	tls enabled = yes
	old password allowed period = 0
	idmap_ldb:use rfc2307 = yes

[sysvol]
	path = ${dir('state/sysvol')}
	read only = No

[netlogon]
	path = ${dir('state/sysvol/example.test/scripts')}
	read only = No
`;
}

interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function spawnSamba(namespace: string, folder: string): Spawned {
  // `ip netns exec` execs the command in place: the child's PID is samba's.
  const child = spawn(
    'ip',
    ['netns', 'exec', namespace, SAMBA_BINARY, '-i', '-M', 'single', '-s', path.join(folder, 'etc/smb.conf')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer): void => {
    if (output.length < 64 * 1024) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  return { child, output: () => output, exited };
}

async function connect(url: string, ca: Buffer, dn: string, password: string, timeoutMs = 10_000): Promise<Client> {
  const client = new Client({
    url,
    timeout: timeoutMs,
    connectTimeout: 2_000,
    tlsOptions: { ca, servername: SERVER_NAME },
    strictDN: false,
  });
  try {
    await client.bind(dn, password);
    return client;
  } catch (error) {
    await client.unbind().catch(() => undefined);
    throw error;
  }
}

/** Polls an LDAPS bind as the Administrator (Samba writes its TLS certificate on start-up). */
async function waitReady(url: string, caFile: string, spawned: Spawned, deadline: number): Promise<Buffer> {
  let exited = false;
  void spawned.exited.then(() => {
    exited = true;
  });
  let delay = 50;
  let last = '';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`samba exited during start-up:\n${spawned.output()}`);
    if (existsSync(caFile)) {
      try {
        const ca = await readFile(caFile);
        const client = await connect(url, ca, ADMIN_DN, ADMIN_PASSWORD, 3_000);
        await client.unbind().catch(() => undefined);
        return ca;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 250);
  }
  throw new Error(`samba did not accept an LDAPS bind on ${url} in time (${last})\n${spawned.output()}`);
}

/** Provisions a DC in a temporary folder and starts it in a new network namespace. */
export async function startSamba(options: { keepFolder?: boolean } = {}): Promise<RunningSamba> {
  requireSamba();
  installExitHook();
  const folder = await mkdtemp(path.join(tmpdir(), 'sspr-samba-'));
  const suffix = randomBytes(3).toString('hex');
  const namespace = `sspr-${suffix}`;
  const hostLink = `sspr${suffix}h`;
  const peerLink = `sspr${suffix}n`;
  live.set(namespace, { pid: undefined, hostLink, folder, keep: options.keepFolder === true });
  let spawned: Spawned | undefined;
  try {
    try {
      await run(
        'samba-tool',
        [
          'domain',
          'provision',
          '--use-rfc2307',
          '--dns-backend=NONE',
          '--server-role=dc',
          `--realm=${REALM}`,
          `--domain=${DOMAIN}`,
          `--host-name=${HOST.toLowerCase()}`,
          `--adminpass=${ADMIN_PASSWORD}`,
          `--targetdir=${folder}`,
        ],
        { maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (error) {
      throw describeFailure('samba-tool domain provision', error);
    }
    try {
      await run('samba-tool', [
        'domain',
        'passwordsettings',
        'set',
        '--complexity=on',
        '--min-pwd-length=7',
        '--history-length=3',
        '--min-pwd-age=0',
        '--max-pwd-age=0',
        '-H',
        path.join(folder, 'private/sam.ldb'),
      ]);
    } catch (error) {
      throw describeFailure('samba-tool domain passwordsettings set', error);
    }

    const { host, peer } = await pickSubnet();
    await ip('netns', 'add', namespace);
    await ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', peerLink);
    await ip('link', 'set', peerLink, 'netns', namespace);
    await ip('addr', 'add', `${host}/30`, 'dev', hostLink);
    await ip('link', 'set', hostLink, 'up');
    await ip('netns', 'exec', namespace, 'ip', 'addr', 'add', `${peer}/30`, 'dev', peerLink);
    await ip('netns', 'exec', namespace, 'ip', 'link', 'set', peerLink, 'up');
    await ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');

    for (const name of ['run', 'log', 'cache', 'bind-dns']) await mkdir(path.join(folder, name), { recursive: true });
    await writeFile(path.join(folder, 'etc/smb.conf'), smbConf(folder, peer));

    spawned = spawnSamba(namespace, folder);
    const started = spawned;
    const entry = live.get(namespace);
    if (entry) entry.pid = started.child.pid;
    const url = `ldaps://${peer}`;
    const caFile = path.join(folder, 'private/tls/ca.pem');
    const ca = await waitReady(url, caFile, started, Date.now() + 90_000);
    return running({ url, address: peer, caFile, ca, namespace, folder, spawned: started });
  } catch (error) {
    if (spawned?.child.pid !== undefined) {
      spawned.child.kill('SIGKILL');
      await spawned.exited;
    }
    const entry = live.get(namespace);
    if (entry) entry.pid = undefined;
    cleanUpSync(namespace);
    throw error;
  }
}

function running(options: {
  url: string;
  address: string;
  caFile: string;
  ca: Buffer;
  namespace: string;
  folder: string;
  spawned: Spawned;
}): RunningSamba {
  const { url, ca, spawned, namespace, folder } = options;
  let admin: Promise<Client> | undefined;
  const adminClient = (): Promise<Client> => {
    if (admin) {
      const current = admin;
      return current.then((client) => {
        if (client.isConnected) return client;
        admin = undefined;
        return adminClient();
      });
    }
    admin = connect(url, ca, ADMIN_DN, ADMIN_PASSWORD);
    admin.catch(() => {
      admin = undefined;
    });
    return admin;
  };
  let stopped: Promise<void> | undefined;
  return {
    url,
    address: options.address,
    serverName: SERVER_NAME,
    caFile: options.caFile,
    realm: REALM,
    baseDn: BASE_DN,
    adminDn: ADMIN_DN,
    adminPassword: ADMIN_PASSWORD,
    namespace,
    folder,
    pid: spawned.child.pid ?? -1,
    async add(dn, attributes) {
      const list = Object.entries(attributes).map(
        ([type, value]) =>
          new Attribute({ type, values: Buffer.isBuffer(value) ? [value] : Array.isArray(value) ? value : [value] }),
      );
      await (await adminClient()).add(dn, list);
    },
    async modify(dn, replace) {
      const changes = Object.entries(replace).map(
        ([type, value]) =>
          new Change({
            operation: value === null || (Array.isArray(value) && value.length === 0) ? 'delete' : 'replace',
            modification: new Attribute({
              type,
              values: value === null ? [] : Array.isArray(value) ? value : [value],
            }),
          }),
      );
      await (await adminClient()).modify(dn, changes);
    },
    async delete(dn) {
      await (await adminClient()).del(dn);
    },
    async rename(dn, newDn) {
      await (await adminClient()).modifyDN(dn, newDn);
    },
    async setPassword(dn, password) {
      await (await adminClient()).modify(
        dn,
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }),
        }),
      );
    },
    async search(base, filter, attributes, showDeleted = false) {
      const result = await (await adminClient()).search(
        base,
        {
          scope: 'sub',
          filter,
          attributes: [...attributes],
          explicitBufferAttributes: ['objectGUID', 'mS-DS-ConsistencyGuid'],
        },
        showDeleted ? [new Control(SHOW_DELETED_OID, { critical: true })] : [],
      );
      return result.searchEntries;
    },
    async binds(dn, password) {
      if (password.length === 0) return false;
      try {
        const client = await connect(url, ca, dn, password);
        await client.unbind().catch(() => undefined);
        return true;
      } catch (error) {
        if ((error as { code?: number }).code === 49) return false;
        throw error;
      }
    },
    stop() {
      stopped ??= (async () => {
        const client = await admin?.catch(() => undefined);
        await client?.unbind().catch(() => undefined);
        const { child } = spawned;
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await spawned.exited;
          clearTimeout(timer);
        }
        const entry = live.get(namespace);
        if (entry) entry.pid = undefined;
        cleanUpSync(namespace);
      })();
      return stopped;
    },
  };
}

/** The base64 `onPremisesImmutableId` of an entry's `objectGUID`, as the sync computes it. */
export function immutableIdOf(entry: Entry): string {
  const guid = entry.objectGUID;
  const bytes = Buffer.isBuffer(guid) ? guid : Array.isArray(guid) && Buffer.isBuffer(guid[0]) ? guid[0] : undefined;
  if (!bytes) throw new Error(`${entry.dn} has no objectGUID`);
  return bytes.toString('base64');
}

// ---------------------------------------------------------------------------------------------------------------
// Users with messy data

export interface AdUser {
  readonly index: number;
  readonly dn: string;
  readonly sAMAccountName: string;
  /** Absent for the user without one. */
  readonly userPrincipalName: string | undefined;
  readonly password: string;
  readonly attributes: Record<string, string | string[] | Buffer>;
}

const GIVEN_NAMES = ['Zoë', 'José', 'Łukasz', 'Emily', 'Björn', 'Adele', 'Chloé', 'Søren', 'Mei', 'Ahmed', 'Ana'];
const SURNAMES = ['Álvarez', 'Braun', 'Nguyễn', "O'Brien", 'Müller', 'Smith', 'Kowalski', 'Dubois', 'Chen', 'Ito'];
/** Office phone forms as directories hold them: with and without the space, extensions, national, blank, absent. */
const PHONES: ReadonlyArray<(n: number) => string | undefined> = [
  (n) => `+1 42555501${String(n).padStart(2, '0')}`,
  (n) => `+142555502${String(n).padStart(2, '0')}`,
  (n) => `+1 42555503${String(n).padStart(2, '0')} x123`,
  (n) => `(425) 555-04${String(n).padStart(2, '0')}`,
  () => ' ',
  () => undefined,
  (n) => `+44 20 7946 05${String(n).padStart(2, '0')}`,
];
const MOBILES: ReadonlyArray<(n: number) => string | undefined> = [
  (n) => `+1 20655501${String(n).padStart(2, '0')}`,
  () => undefined,
  (n) => `+120655502${String(n).padStart(2, '0')}`,
  (n) => `206-555-03${String(n).padStart(2, '0')}`,
  (n) => `+33 6 12 34 56 ${String(n).padStart(2, '0')}`,
];

function fold(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[łŁ]/g, 'l')
    .replace(/ø/g, 'o')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}

/** The password every generated AD user starts with (complex enough for the domain's policy). */
export function adUserPassword(index: number): string {
  return `Start-Pass-${String(index).padStart(3, '0')}`;
}

/**
 * `count` AD users under `parentDn` (an OU), deterministic: non-ASCII names, Office and Mobile phones in mixed
 * forms (with and without the space after the country code, extensions, national forms, a blank value, absent),
 * every user enabled with a known password except: user 3 disabled (`userAccountControl` 514), user 5 without
 * a UPN, user 9 with the mail of user 8 (a duplicate), user 11 with a UPN the cloud refuses (non-ASCII). `tag`
 * keeps sAMAccountNames and UPNs unique in the domain when several sets are generated.
 */
export function generateAdUsers(options: { parentDn: string; count: number; tag: string; start?: number }): AdUser[] {
  const users: AdUser[] = [];
  const start = options.start ?? 0;
  for (let index = start; index < start + options.count; index++) {
    const given = GIVEN_NAMES[index % GIVEN_NAMES.length] as string;
    const surname = SURNAMES[(index * 3) % SURNAMES.length] as string;
    const sAMAccountName = `${options.tag}${fold(given).slice(0, 6)}${index}`.slice(0, 20);
    const local = `${fold(given)}.${fold(surname)}.${options.tag}${index}`;
    let userPrincipalName: string | undefined = `${local}@contoso.com`;
    if (index === 5) userPrincipalName = undefined;
    if (index === 11) userPrincipalName = `${given.toLowerCase()}.${options.tag}${index}@contoso.com`;
    const mail =
      index === 9
        ? `${fold(GIVEN_NAMES[8] as string)}.${options.tag}8@contoso.com`
        : `${fold(given)}.${options.tag}${index}@contoso.com`;
    const cn = `${given} ${surname} ${options.tag}${index}`;
    const password = adUserPassword(index);
    const attributes: Record<string, string | string[] | Buffer> = {
      objectClass: ['top', 'person', 'organizationalPerson', 'user'],
      cn,
      sAMAccountName,
      givenName: given,
      sn: surname,
      displayName: `${surname}, ${given}`,
      mail,
      userAccountControl: index === 3 ? '514' : '512',
      unicodePwd: Buffer.from(`"${password}"`, 'utf16le'),
    };
    if (userPrincipalName) attributes.userPrincipalName = userPrincipalName;
    const phone = PHONES[index % PHONES.length]?.(index);
    if (phone !== undefined) attributes.telephoneNumber = phone;
    const mobile = MOBILES[index % MOBILES.length]?.(index);
    if (mobile !== undefined) attributes.mobile = mobile;
    users.push({ index, dn: `CN=${cn},${options.parentDn}`, sAMAccountName, userPrincipalName, password, attributes });
  }
  return users;
}
