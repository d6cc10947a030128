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
/** Azure AD Graph (retired, served by the legacy API): `https://graph.windows.net/.default` and its app id. */
const azureAdGraphResourcePrefixes = ['https://graph.windows.net/', '00000002-0000-0000-c000-000000000000/'];

/** The `aud` of a delegated token: the one resource its scopes name (bare names mean Microsoft Graph). */
export type DelegatedAudience = 'https://graph.microsoft.com' | 'https://graph.windows.net';

/**
 * The scopes a request grants, in the canonical spelling: `User.Read.All`,
 * `https://graph.microsoft.com/User.Read.All` and the `.default` of Graph (all delegated permissions); the same
 * for Azure AD Graph (`https://graph.windows.net/.default`), whose token is for the legacy API.
 * Returns `undefined` when a scope is unknown, names another resource, or scopes name two resources
 * (Entra issues a token for one resource at a time).
 */
export function grantedDelegatedScopes(requested: string): string[] | undefined {
  return delegatedGrant(requested)?.scopes;
}

/** The resource the requested scopes are for; `undefined` as for `grantedDelegatedScopes`. */
export function delegatedAudience(requested: string): DelegatedAudience | undefined {
  return delegatedGrant(requested)?.audience;
}

function delegatedGrant(requested: string): { scopes: string[]; audience: DelegatedAudience } | undefined {
  const granted = new Set<string>();
  let audience: DelegatedAudience | undefined;
  for (const raw of requested.split(/\s+/).filter(Boolean)) {
    if (openIdScopes.has(raw.toLowerCase())) continue;
    const lowered = raw.toLowerCase();
    const graphPrefix = graphResourcePrefixes.find((p) => lowered.startsWith(p));
    const legacyPrefix = azureAdGraphResourcePrefixes.find((p) => lowered.startsWith(p));
    const resource: DelegatedAudience = legacyPrefix ? 'https://graph.windows.net' : 'https://graph.microsoft.com';
    if (audience !== undefined && audience !== resource) return undefined;
    audience = resource;
    const prefix = graphPrefix ?? legacyPrefix;
    const name = prefix ? raw.slice(prefix.length) : raw;
    if (name === '.default' && prefix) {
      for (const permission of delegatedPermissions) granted.add(permission);
      continue;
    }
    const known = delegatedPermissions.find((p) => p.toLowerCase() === name.toLowerCase());
    if (!known) return undefined;
    granted.add(known);
  }
  return { scopes: [...granted], audience: audience ?? 'https://graph.microsoft.com' };
}
