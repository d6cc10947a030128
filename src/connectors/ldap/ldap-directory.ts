/**
 * The LDAP connector (ldapts): paged reads, pass-through password checks, password writeback and watermarks for
 * OpenLDAP and Active Directory. One service connection (bound as `bindDn`) is opened lazily and reused for
 * writes and watermarks; each `searchPages` stream and each `verifyPassword` gets a connection of its own.
 * Every connection tries `urls` in order and uses the first that answers (failover).
 *
 * Passwords never appear in errors: messages are scrubbed of the bind password and of the passwords passed in.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import {
  Attribute,
  type BerReader,
  Change,
  Client,
  Control,
  type Entry,
  InvalidCredentialsError,
  ResultCodeError,
} from 'ldapts';
import { decodePasswordPolicyResponse, encodePasswordModifyRequest, type PasswordPolicyResponse } from './ber.js';

export interface LdapTlsOptions {
  /** PEM file of the CA(s) that sign the directory's certificate. */
  readonly caFile?: string;
  /** The name expected in the certificate when it differs from the URL's host. */
  readonly serverName?: string;
  /** Default true. */
  readonly rejectUnauthorized?: boolean;
}

export interface LdapDirectoryOptions {
  /** `ldap://` or `ldaps://` URLs, tried in order. */
  readonly urls: readonly string[];
  readonly bindDn: string;
  readonly bindPassword: string;
  /** Upgrade `ldap://` connections with StartTLS before binding. */
  readonly startTls?: boolean;
  readonly tls?: LdapTlsOptions;
  /** Per operation (default 30 s). */
  readonly timeoutMs?: number;
  /** Per TCP connection attempt (default 5 s). */
  readonly connectTimeoutMs?: number;
}

export interface DirectoryEntry {
  readonly dn: string;
  /** Text values by attribute name as the server spells it; attributes without values are left out. */
  readonly attributes: Record<string, string[]>;
  /** Binary attributes (`objectGUID`, `objectSid`, `mS-DS-ConsistencyGuid`, and any asked for). */
  readonly binary?: Record<string, Buffer[]>;
}

export interface SearchPagesOptions {
  readonly baseDn: string;
  readonly filter?: string;
  readonly attributes?: readonly string[];
  readonly scope?: 'base' | 'one' | 'sub';
  /** Default 1,000 (Active Directory's MaxPageSize). */
  readonly pageSize?: number;
  /** Extra request controls (for example AD's show-deleted control). */
  readonly controls?: readonly Control[];
  /** Attributes to return as Buffers besides the default binary ones. */
  readonly binaryAttributes?: readonly string[];
}

export type PasswordRefusalReason = 'too_short' | 'in_history' | 'too_simple' | 'policy' | 'other';

/** The directory refused a new password because of its password policy (the message is the server's). */
export class DirectoryPasswordRefused extends Error {
  override readonly name = 'DirectoryPasswordRefused';
  constructor(
    readonly reason: PasswordRefusalReason,
    readonly diagnostic: string,
    readonly ppolicyError?: number,
  ) {
    super(`The directory refused the password (${reason})${diagnostic ? `: ${diagnostic}` : ''}`);
  }
}

/** No URL answered (connection refused, timeout, TLS failure, server unavailable). */
export class DirectoryUnavailable extends Error {
  override readonly name = 'DirectoryUnavailable';
  constructor(readonly attempts: readonly { url: string; error: string }[]) {
    super(`No directory server answered: ${attempts.map((a) => `${a.url} (${a.error})`).join('; ')}`);
  }
}

/** Any other LDAP failure, with the LDAP result code when there is one. */
export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
  constructor(
    message: string,
    readonly resultCode?: number,
  ) {
    super(message);
  }
}

/** Attributes always returned as Buffers, in the spellings servers use. */
const DEFAULT_BINARY = ['objectGUID', 'objectSid', 'mS-DS-ConsistencyGuid', 'ms-DS-ConsistencyGuid'];
const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';
const PPOLICY_OID = '1.3.6.1.4.1.42.2.27.8.5.1';
/** LDAP result codes meaning "try another server". */
const UNAVAILABLE_CODES = new Set([51, 52]);

/** The password policy request control; ldapts parses the response control into this same instance. */
class PasswordPolicyControl extends Control {
  response: PasswordPolicyResponse | undefined;
  constructor() {
    super(PPOLICY_OID);
  }
  protected override parseControl(reader: BerReader): void {
    this.response = decodePasswordPolicyResponse(reader.buffer);
  }
}

function reasonFromPolicy(error: number | undefined): PasswordRefusalReason | undefined {
  switch (error) {
    case 5:
      return 'too_simple';
    case 6:
      return 'too_short';
    case 8:
      return 'in_history';
    case undefined:
      return undefined;
    default:
      return 'other';
  }
}

function reasonFromMessage(message: string): PasswordRefusalReason {
  if (/too short|minimum length|pwdMinLength/i.test(message)) return 'too_short';
  if (/history|old passwords/i.test(message)) return 'in_history';
  if (/quality|complex|too simple|trivial/i.test(message)) return 'too_simple';
  return 'other';
}

export class LdapDirectory {
  private readonly options: LdapDirectoryOptions;
  private readonly tlsOptions: ConnectionOptions;
  private service: Promise<Client> | undefined;

  constructor(options: LdapDirectoryOptions) {
    if (options.urls.length === 0) throw new DirectoryError('At least one LDAP URL is needed');
    this.options = options;
    const tls: ConnectionOptions = { rejectUnauthorized: options.tls?.rejectUnauthorized ?? true };
    if (options.tls?.caFile) tls.ca = readFileSync(options.tls.caFile);
    if (options.tls?.serverName) tls.servername = options.tls.serverName;
    this.tlsOptions = tls;
  }

  /** Streams the entries in scope a page at a time (paged results control); stop early with `break`. */
  async *searchPages(options: SearchPagesOptions): AsyncGenerator<DirectoryEntry[], void, undefined> {
    const client = await this.connect(this.options.bindDn, this.options.bindPassword);
    const binary = [...DEFAULT_BINARY, ...(options.binaryAttributes ?? [])];
    const explicitBufferAttributes = [...new Set(binary.flatMap((name) => [name, name.toLowerCase()]))];
    const binaryLower = new Set(binary.map((name) => name.toLowerCase()));
    try {
      const pages = client.searchPaginated(
        options.baseDn,
        {
          scope: options.scope ?? 'sub',
          filter: options.filter ?? '(objectClass=*)',
          attributes: [...(options.attributes ?? [])],
          paged: { pageSize: options.pageSize ?? 1000 },
          explicitBufferAttributes,
        },
        [...(options.controls ?? [])],
      );
      try {
        for await (const page of pages) {
          yield page.searchEntries.map((entry) => toDirectoryEntry(entry, binaryLower));
        }
      } catch (error) {
        throw this.wrap(error);
      }
    } finally {
      await safeUnbind(client);
    }
  }

  /** Pass-through sign-in: a bind as `dn` on a fresh connection. Wrong or empty password: false. */
  async verifyPassword(dn: string, password: string): Promise<boolean> {
    // An empty password would be an unauthenticated bind, which servers accept: never a success.
    if (password.length === 0) return false;
    let client: Client;
    try {
      client = await this.connect(dn, password);
    } catch (error) {
      if (error instanceof DirectoryError && error.resultCode === 49) return false;
      throw error;
    }
    await safeUnbind(client);
    return true;
  }

  /**
   * OpenLDAP writeback: the Password Modify extended operation (RFC 3062) with the password policy control.
   * `asAdmin`: as the service account (a reset); otherwise as the user with the old password (a change).
   */
  async setPasswordOpenLdap(
    dn: string,
    newPassword: string,
    mode: { asAdmin: true } | { asAdmin: false; oldPassword: string } = { asAdmin: true },
  ): Promise<void> {
    const secrets = [newPassword, ...(mode.asAdmin ? [] : [mode.oldPassword])];
    const value = encodePasswordModifyRequest({
      userIdentity: dn,
      newPassword,
      ...(mode.asAdmin ? {} : { oldPassword: mode.oldPassword }),
    });
    const control = new PasswordPolicyControl();
    const run = async (client: Client): Promise<void> => {
      try {
        await client.exop(PASSWORD_MODIFY_OID, value, control);
      } catch (error) {
        throw this.passwordError(error, control.response, secrets);
      }
    };
    if (mode.asAdmin) {
      await run(await this.serviceClient());
      return;
    }
    const client = await this.connect(dn, mode.oldPassword, secrets);
    try {
      await run(client);
    } finally {
      await safeUnbind(client);
    }
  }

  /** Active Directory writeback: replace `unicodePwd` (UTF-16LE of the quoted password); TLS only. */
  async setPasswordActiveDirectory(dn: string, newPassword: string): Promise<void> {
    const tlsOnly = this.options.startTls === true || this.options.urls.every((url) => /^ldaps:/i.test(url));
    if (!tlsOnly) {
      throw new DirectoryError('Active Directory accepts passwords only over TLS: use ldaps:// URLs or StartTLS');
    }
    const client = await this.serviceClient();
    const change = new Change({
      operation: 'replace',
      modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${newPassword}"`, 'utf16le')] }),
    });
    try {
      await client.modify(dn, change);
    } catch (error) {
      const message = scrub(errorMessage(error), [newPassword, this.options.bindPassword]);
      if (/0000052D/i.test(message)) {
        // Windows says only "constraint violation"; Samba adds the reason (too short, complexity, history).
        const reason = reasonFromMessage(message);
        throw new DirectoryPasswordRefused(reason === 'other' ? 'policy' : reason, message);
      }
      throw this.wrap(error, [newPassword]);
    }
  }

  /** Active Directory's `highestCommittedUSN` from the root DSE (null when the server has none). */
  async highestCommittedUsn(): Promise<string | null> {
    return this.readOne('', 'highestCommittedUSN');
  }

  /** The root DSE's `namingContexts` (AD: the domain, configuration and schema partitions). */
  async namingContexts(): Promise<string[]> {
    return this.readAll('', 'namingContexts');
  }

  /** OpenLDAP's `contextCSN` of a suffix (the greatest, when several servers wrote); null when absent. */
  async contextCsn(baseDn: string): Promise<string | null> {
    const values = await this.readAll(baseDn, 'contextCSN');
    return values.length === 0 ? null : ([...values].sort().at(-1) ?? null);
  }

  /** Reads one entry's attributes (text), or null when it does not exist. */
  async readEntry(dn: string, attributes: readonly string[] = ['*']): Promise<DirectoryEntry | null> {
    const client = await this.serviceClient();
    try {
      const result = await client.search(dn, { scope: 'base', attributes: [...attributes] });
      const entry = result.searchEntries[0];
      return entry ? toDirectoryEntry(entry, new Set(DEFAULT_BINARY.map((name) => name.toLowerCase()))) : null;
    } catch (error) {
      if (error instanceof ResultCodeError && error.code === 32) return null;
      throw this.wrap(error);
    }
  }

  async close(): Promise<void> {
    const service = this.service;
    this.service = undefined;
    if (service) await safeUnbind(await service.catch(() => undefined));
  }

  private async readAll(dn: string, attribute: string): Promise<string[]> {
    const entry = await this.readEntry(dn, [attribute]);
    if (!entry) return [];
    const key = Object.keys(entry.attributes).find((name) => name.toLowerCase() === attribute.toLowerCase());
    return key ? (entry.attributes[key] ?? []) : [];
  }

  private async readOne(dn: string, attribute: string): Promise<string | null> {
    return (await this.readAll(dn, attribute))[0] ?? null;
  }

  private serviceClient(): Promise<Client> {
    if (this.service) {
      const current = this.service;
      return current.then((client) => {
        if (client.isConnected) return client;
        if (this.service === current) this.service = undefined;
        return this.serviceClient();
      });
    }
    const connecting = this.connect(this.options.bindDn, this.options.bindPassword);
    this.service = connecting;
    connecting.catch(() => {
      if (this.service === connecting) this.service = undefined;
    });
    return connecting;
  }

  /** Connects to the first URL that answers, StartTLS when asked, binds. */
  private async connect(dn: string, password: string, secrets: readonly string[] = [password]): Promise<Client> {
    const attempts: { url: string; error: string }[] = [];
    for (const url of this.options.urls) {
      const secure = /^ldaps:/i.test(url);
      // ldapts treats any tlsOptions as "connect with TLS": pass them for ldaps:// only (StartTLS gets them below).
      const client = new Client({
        url,
        timeout: this.options.timeoutMs ?? 30_000,
        connectTimeout: this.options.connectTimeoutMs ?? 5_000,
        ...(secure ? { tlsOptions: this.tlsOptions } : {}),
        strictDN: false,
      });
      try {
        if (this.options.startTls && !secure) await client.startTLS(this.tlsOptions);
        await client.bind(dn, password);
        return client;
      } catch (error) {
        await safeUnbind(client);
        if (error instanceof ResultCodeError && !UNAVAILABLE_CODES.has(error.code)) {
          throw this.wrap(error, secrets);
        }
        attempts.push({ url, error: scrub(errorMessage(error), [...secrets, this.options.bindPassword]) });
      }
    }
    throw new DirectoryUnavailable(attempts);
  }

  private passwordError(error: unknown, policy: PasswordPolicyResponse | undefined, secrets: readonly string[]): Error {
    const message = scrub(errorMessage(error), [...secrets, this.options.bindPassword]);
    const fromPolicy = reasonFromPolicy(policy?.error);
    if (fromPolicy) return new DirectoryPasswordRefused(fromPolicy, message, policy?.error);
    if (error instanceof ResultCodeError && error.code === 19) {
      return new DirectoryPasswordRefused(reasonFromMessage(message), message);
    }
    return this.wrap(error, secrets);
  }

  private wrap(error: unknown, secrets: readonly string[] = []): Error {
    if (
      error instanceof DirectoryError ||
      error instanceof DirectoryUnavailable ||
      error instanceof DirectoryPasswordRefused
    ) {
      return error;
    }
    const message = scrub(errorMessage(error), [...secrets, this.options.bindPassword]);
    if (error instanceof InvalidCredentialsError) return new DirectoryError(message || 'Invalid credentials', 49);
    if (error instanceof ResultCodeError && error.code === 8) {
      // strongerAuthRequired: Active Directory takes simple binds (and passwords) over TLS only.
      return new DirectoryError(
        `${message} (the directory accepts this only over TLS: use ldaps:// URLs or StartTLS)`,
        8,
      );
    }
    if (error instanceof ResultCodeError) return new DirectoryError(message, error.code);
    return new DirectoryError(message);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function scrub(message: string, secrets: readonly string[]): string {
  let result = message;
  for (const secret of secrets) if (secret.length > 0) result = result.split(secret).join('***');
  return result;
}

async function safeUnbind(client: Client | undefined): Promise<void> {
  if (!client) return;
  try {
    await client.unbind();
  } catch {
    // already closed
  }
}

function toDirectoryEntry(entry: Entry, binaryLower: ReadonlySet<string>): DirectoryEntry {
  const attributes: Record<string, string[]> = {};
  let binary: Record<string, Buffer[]> | undefined;
  for (const [name, raw] of Object.entries(entry)) {
    if (name === 'dn') continue;
    const values = (Array.isArray(raw) ? raw : [raw]) as (string | Buffer)[];
    if (values.length === 0) continue;
    if (binaryLower.has(name.toLowerCase())) {
      binary ??= {};
      binary[name] = values.map((value) => (Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8')));
    } else {
      attributes[name] = values.map((value) => (Buffer.isBuffer(value) ? value.toString('utf8') : value));
    }
  }
  return binary ? { dn: entry.dn, attributes, binary } : { dn: entry.dn, attributes };
}
