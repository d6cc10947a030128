/**
 * The OAuth 2.0 device authorization grant (RFC 8628) as Entra runs it: records shared by the service's port
 * and the store, and the pure rules about user codes and delegated scopes.
 */

export type DeviceCodeStatus = 'pending' | 'approved' | 'denied' | 'redeemed';

export interface DeviceCodeRecord {
  readonly id: string;
  /** HMAC-SHA-256 (hex) of the device code with the derived device-code key. */
  readonly deviceCodeHash: string;
  /** HMAC-SHA-256 (hex) of the normalised user code. */
  readonly userCodeHash: string;
  readonly clientId: string;
  /** Scopes as requested, space-separated. */
  readonly scopes: string;
  readonly status: DeviceCodeStatus;
  readonly userId: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly lastPolledAt: string | null;
}

export interface RefreshTokenRecord {
  readonly tokenHash: string;
  readonly userId: string;
  readonly clientId: string;
  readonly scopes: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** 32 symbols without 0/O, 1/I: `byte % 32` draws each equally often and nothing reads as another. */
export const userCodeAlphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const userCodeLength = 9;

/** What the user typed, as stored: upper case, spaces and dashes dropped. `undefined` if it cannot be a code. */
export function normaliseUserCode(typed: string): string | undefined {
  const code = typed.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== userCodeLength) return undefined;
  for (const symbol of code) if (!userCodeAlphabet.includes(symbol)) return undefined;
  return code;
}

/**
 * Delegated permissions (scopes) this server grants. Admin consent is implied for registered apps, so
 * `.default` means all of them; what a user may actually do is further limited by the user's roles.
 */
export const delegatedPermissions = [
  'User.Read',
  'User.Read.All',
  'User.ReadWrite.All',
  'UserAuthenticationMethod.Read',
  'UserAuthenticationMethod.ReadWrite',
  'UserAuthenticationMethod.Read.All',
  'UserAuthenticationMethod.ReadWrite.All',
  'AuditLog.Read.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
  'Policy.ReadWrite.AuthenticationMethod',
] as const;

/** OpenID Connect scopes: they ask for an id token or a refresh token and never appear in `scp`. */
export const openIdScopes: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'offline_access']);

const graphResourcePrefixes = ['https://graph.microsoft.com/', '00000003-0000-0000-c000-000000000000/'];

/**
 * The Graph scopes a request grants, in the canonical spelling: `User.Read.All`,
 * `https://graph.microsoft.com/User.Read.All` and the `.default` of Graph (all delegated permissions).
 * Returns `undefined` when a scope is unknown or names another resource.
 */
export function grantedDelegatedScopes(requested: string): string[] | undefined {
  const granted = new Set<string>();
  for (const raw of requested.split(/\s+/).filter(Boolean)) {
    if (openIdScopes.has(raw.toLowerCase())) continue;
    const prefix = graphResourcePrefixes.find((p) => raw.toLowerCase().startsWith(p));
    const name = prefix ? raw.slice(prefix.length) : raw;
    if (name === '.default' && prefix) {
      for (const permission of delegatedPermissions) granted.add(permission);
      continue;
    }
    const known = delegatedPermissions.find((p) => p.toLowerCase() === name.toLowerCase());
    if (!known) return undefined;
    granted.add(known);
  }
  return [...granted];
}
