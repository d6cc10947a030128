import { OnPremisesUnavailable } from '../../domain/on-premises-password.js';
import type { DirectoryUser } from '../../domain/user.js';

/**
 * The on-premises directory as sign-in and password reset need it (SPEC section 8): pass-through password checks
 * and synchronous password writeback for synced users (`onPremisesDistinguishedName`). The LDAP connector
 * implements it from the directory sync settings, read on every call, so a settings change applies at once.
 */
export interface OnPremisesDirectory {
  /**
   * An LDAP bind as the user. False for a wrong password or a user without a DN; throws `OnPremisesUnavailable`
   * when the directory cannot be asked (sync not configured, no server answered).
   */
  verifyPassword(user: DirectoryUser, password: string): Promise<boolean>;
  /**
   * Sets the password on-premises (OpenLDAP: Password Modify; AD: `unicodePwd`). Throws `OnPremisesPasswordRefused`
   * (the directory's policy) or `OnPremisesUnavailable` (nothing changed).
   */
  setPassword(user: DirectoryUser, newPassword: string): Promise<void>;
  /**
   * Sync configured with writeback on (`directory_sync_settings.writeback_enabled`). A promise rather than a
   * flag: the settings live in the database and may change while the server runs.
   */
  writebackEnabled(): Promise<boolean>;
}

/** Pass-through sign-in: an unreachable directory is a failed sign-in (the generic failure), never a 500. */
export async function verifyOnPremisesPassword(
  directory: Pick<OnPremisesDirectory, 'verifyPassword'> | null,
  user: DirectoryUser,
  password: string,
): Promise<boolean> {
  if (!directory) return false;
  try {
    return await directory.verifyPassword(user, password);
  } catch (error) {
    if (error instanceof OnPremisesUnavailable) return false;
    throw error;
  }
}
