/**
 * What the on-premises directory says about a password (pass-through sign-in and password writeback, SPEC
 * section 8). Shared by the services that ask and the LDAP connector that answers, so neither imports the other.
 */

/** Why the directory refused a new password: its own policy (OpenLDAP ppolicy, AD's `0000052D`). */
export type OnPremisesRefusalReason = 'too_short' | 'in_history' | 'too_simple' | 'policy' | 'other';

/** The on-premises directory refused the new password; `diagnostic` is the server's message (never the password). */
export class OnPremisesPasswordRefused extends Error {
  override readonly name = 'OnPremisesPasswordRefused';
  constructor(
    readonly reason: OnPremisesRefusalReason,
    readonly diagnostic: string,
  ) {
    super(`The on-premises directory refused the password (${reason})${diagnostic ? `: ${diagnostic}` : ''}`);
  }
}

/**
 * The on-premises directory cannot be asked right now: sync not configured, no server answered, TLS or bind
 * failure of the service account, missing rights. Nothing was changed.
 */
export class OnPremisesUnavailable extends Error {
  override readonly name = 'OnPremisesUnavailable';
}
