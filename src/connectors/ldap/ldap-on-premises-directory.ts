import type { DirectoryFlavor } from '../../domain/directory-mapping.js';
import { OnPremisesPasswordRefused, OnPremisesUnavailable } from '../../domain/on-premises-password.js';
import type { DirectoryUser } from '../../domain/user.js';
import {
  DirectoryError,
  DirectoryPasswordRefused,
  DirectoryUnavailable,
  LdapDirectory,
  type LdapDirectoryOptions,
} from './ldap-directory.js';

/** The part of the directory sync settings that pass-through sign-in and writeback use. */
export interface OnPremisesConnectionSettings {
  readonly flavor: DirectoryFlavor;
  readonly urls: readonly string[];
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly timeoutMs: number;
  readonly tls: { readonly caFile?: string; readonly serverName?: string; readonly startTls?: boolean };
  readonly writebackEnabled: boolean;
}

/**
 * Pass-through sign-in and password writeback over LDAP (the services' `OnPremisesDirectory`). The settings are
 * read on every call and each call opens (and closes) its own `LdapDirectory`: checks and resets are rare, and
 * nothing stays bound with stale settings. Writes go through the sync's bind account (a non-root account, so the
 * directory's password policy applies): OpenLDAP's Password Modify extended operation, AD's `unicodePwd` (TLS).
 */
export class LdapOnPremisesDirectory {
  constructor(
    private readonly settings: () => Promise<OnPremisesConnectionSettings | undefined>,
    private readonly open: (options: LdapDirectoryOptions) => LdapDirectory = (options) => new LdapDirectory(options),
  ) {}

  async writebackEnabled(): Promise<boolean> {
    return (await this.settings())?.writebackEnabled === true;
  }

  async verifyPassword(user: DirectoryUser, password: string): Promise<boolean> {
    const dn = user.onPremisesDistinguishedName;
    if (!dn) return false;
    return this.withDirectory(async (directory) => directory.verifyPassword(dn, password));
  }

  async setPassword(user: DirectoryUser, newPassword: string): Promise<void> {
    const dn = user.onPremisesDistinguishedName;
    if (!dn) throw new OnPremisesUnavailable('The user has no on-premises distinguished name');
    await this.withDirectory(async (directory, flavor) => {
      if (flavor === 'activeDirectory') await directory.setPasswordActiveDirectory(dn, newPassword);
      else await directory.setPasswordOpenLdap(dn, newPassword, { asAdmin: true });
    });
  }

  private async withDirectory<T>(work: (directory: LdapDirectory, flavor: DirectoryFlavor) => Promise<T>): Promise<T> {
    const settings = await this.settings();
    if (!settings) throw new OnPremisesUnavailable('Directory sync is not configured');
    let directory: LdapDirectory;
    try {
      directory = this.open({
        urls: settings.urls,
        bindDn: settings.bindDn,
        bindPassword: settings.bindPassword,
        // StartTLS as the sync connects: AD takes passwords (and simple binds) over TLS only.
        ...(settings.tls.startTls ? { startTls: true } : {}),
        tls: {
          ...(settings.tls.caFile ? { caFile: settings.tls.caFile } : {}),
          ...(settings.tls.serverName ? { serverName: settings.tls.serverName } : {}),
        },
        timeoutMs: settings.timeoutMs,
        connectTimeoutMs: Math.min(settings.timeoutMs, 5_000),
      });
    } catch (error) {
      throw translate(error);
    }
    try {
      return await work(directory, settings.flavor);
    } catch (error) {
      throw translate(error);
    } finally {
      await directory.close();
    }
  }
}

/** The connector's errors as the domain's: a policy refusal, or "cannot be asked" (everything else). */
function translate(error: unknown): Error {
  if (error instanceof DirectoryPasswordRefused) return new OnPremisesPasswordRefused(error.reason, error.diagnostic);
  if (error instanceof DirectoryUnavailable || error instanceof DirectoryError) {
    return new OnPremisesUnavailable(error.message, { cause: error });
  }
  // A CA file that cannot be read and the like: the directory cannot be asked either.
  return new OnPremisesUnavailable(error instanceof Error ? error.message : String(error), { cause: error });
}
