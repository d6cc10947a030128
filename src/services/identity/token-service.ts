import { randomUUID, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../domain/errors.js';
import type { Principal } from '../../domain/permissions.js';
import { type AppRepository, hashClientSecret } from '../apps/app-service.js';
import type { TenantContext } from '../tenant/tenant-context.js';
import { JwtError, signJwt, verifyJwt } from './jwt.js';

/** Microsoft Graph's resource: tokens for it are tokens for this server's Graph-compatible API. */
export const graphResource = {
  uri: 'https://graph.microsoft.com',
  appId: '00000003-0000-0000-c000-000000000000',
} as const;
const graphAudiences = [graphResource.uri, `${graphResource.uri}/`, graphResource.appId];

/** The retired Azure AD Graph resource: tokens for it are accepted by the legacy API only (SPEC section 9). */
export const azureAdGraphResource = {
  uri: 'https://graph.windows.net',
  appId: '00000002-0000-0000-c000-000000000000',
} as const;
const azureAdGraphAudiences = [azureAdGraphResource.uri, `${azureAdGraphResource.uri}/`, azureAdGraphResource.appId];

/** Which API a bearer token is presented to: Graph takes Graph tokens only; the legacy API takes both. */
export type TokenAudience = 'graph' | 'azureAdGraph';
const acceptedAudiences: Readonly<Record<TokenAudience, readonly string[]>> = {
  graph: graphAudiences,
  azureAdGraph: [...azureAdGraphAudiences, ...graphAudiences],
};

export interface TokenServiceDependencies {
  readonly tenant: () => TenantContext;
  readonly apps: Pick<AppRepository, 'findByAppId'>;
  readonly clock: () => Date;
  readonly accessTokenLifetimeSeconds: number;
}

export interface ClientCredentialsRequest {
  /** The `{tenant}` path segment: tenant id, a verified domain, `organizations` or `common`. */
  readonly tenant: string;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  readonly scope: string | undefined;
  /** `https://host:port` the client called (or the configured public URL). */
  readonly issuerBase: string;
}

export interface IssuedToken {
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly ext_expires_in: number;
  readonly access_token: string;
}

export interface DelegatedTokenRequest {
  readonly user: { readonly id: string; readonly userPrincipalName: string; readonly displayName: string | null };
  readonly clientId: string;
  /** Granted delegated permissions, canonical names. */
  readonly scopes: readonly string[];
  /** Directory role template ids (`wids`). */
  readonly roles: readonly string[];
  readonly issuerBase: string;
  /** The resource the token is for (`aud`); Microsoft Graph unless the scopes named Azure AD Graph. */
  readonly audience?: string;
}

interface VerifiedAccess {
  readonly token: string;
  readonly principal: Principal;
  readonly issuer: string;
  readonly audience: string;
  readonly expiresAt: number;
}

/** Verified tokens are cached by their exact text until they expire: RS256 verification is the costliest step per request. */
const verifiedCacheLimit = 10_000;

/**
 * The cache's key: the token's last characters (its signature's end). Hashing the whole token (over a kilobyte,
 * a new string on every request) cost more than the rest of a cache hit; the entry keeps the full text to compare.
 */
function verifiedCacheKey(token: string): string {
  return token.slice(-64);
}

export class TokenService {
  private readonly verified = new Map<string, VerifiedAccess>();

  constructor(private readonly deps: TokenServiceDependencies) {}

  issuerFor(issuerBase: string): string {
    return `${issuerBase}/${this.deps.tenant().tenantId}/v2.0`;
  }

  /** Whether `{tenant}` in a URL names this tenant. */
  isThisTenant(segment: string): boolean {
    const tenant = this.deps.tenant();
    const lowered = segment.toLowerCase();
    return (
      lowered === tenant.tenantId ||
      lowered === 'organizations' ||
      lowered === 'common' ||
      tenant.verifiedDomains.some((domain) => domain.toLowerCase() === lowered)
    );
  }

  async issueForClientCredentials(request: ClientCredentialsRequest): Promise<IssuedToken> {
    const tenant = this.deps.tenant();
    if (!this.isThisTenant(request.tenant)) throw new DomainError('unknown_tenant', { tenant: request.tenant });
    if (!request.clientId) throw new DomainError('missing_parameter', { parameter: 'client_id' });
    if (!request.scope) throw new DomainError('missing_parameter', { parameter: 'scope' });
    const audience = audienceOfDefaultScope(request.scope);
    const app = await this.deps.apps.findByAppId(request.clientId.toLowerCase());
    if (!app) throw new DomainError('unknown_client', { clientId: request.clientId, tenant: request.tenant });
    if (!request.clientSecret)
      throw new DomainError(
        'invalid_client',
        {},
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    const now = this.deps.clock();
    const presented = Buffer.from(hashClientSecret(tenant.serverKeys.clientSecret, request.clientSecret), 'hex');
    // Check every live secret without stopping early, so timing does not tell which one nearly matched.
    let matched = false;
    for (const secret of app.secrets) {
      const stored = Buffer.from(secret.secretHash, 'hex');
      const equal = stored.length === presented.length && timingSafeEqual(stored, presented);
      if (equal && Date.parse(secret.expiresDateTime) > now.getTime()) matched = true;
    }
    if (!matched) throw new DomainError('invalid_client');

    const issuedAt = Math.floor(now.getTime() / 1000);
    const lifetime = this.deps.accessTokenLifetimeSeconds;
    const accessToken = signJwt(
      {
        aud: audience,
        iss: this.issuerFor(request.issuerBase),
        iat: issuedAt,
        nbf: issuedAt,
        exp: issuedAt + lifetime,
        tid: tenant.tenantId,
        oid: app.id,
        sub: app.id,
        appid: app.appId,
        azp: app.appId,
        appidacr: '1',
        idtyp: 'app',
        roles: app.permissions,
        uti: randomUUID(),
        ver: '2.0',
      },
      tenant.signingKey,
    );
    return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
  }

  /**
   * Signs a delegated (user) access token, as Entra does for a public client: `scp` holds the granted scopes,
   * `wids` the user's directory role template ids, `oid`/`sub` the user. With `withIdToken`, an OpenID Connect
   * id token for the client is signed too (MSAL builds its account from it).
   */
  signDelegatedTokens(request: DelegatedTokenRequest): { accessToken: string; idToken: string; expiresIn: number } {
    const tenant = this.deps.tenant();
    const issuedAt = Math.floor(this.deps.clock().getTime() / 1000);
    const lifetime = this.deps.accessTokenLifetimeSeconds;
    const issuer = this.issuerFor(request.issuerBase);
    const common = {
      iss: issuer,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + lifetime,
      tid: tenant.tenantId,
      oid: request.user.id,
      sub: request.user.id,
      name: request.user.displayName ?? request.user.userPrincipalName,
      ver: '2.0',
    };
    const accessToken = signJwt(
      {
        ...common,
        aud: request.audience ?? graphResource.uri,
        appid: request.clientId,
        azp: request.clientId,
        appidacr: '0',
        idtyp: 'user',
        upn: request.user.userPrincipalName,
        unique_name: request.user.userPrincipalName,
        scp: request.scopes.join(' '),
        wids: [...request.roles],
        uti: randomUUID(),
      },
      tenant.signingKey,
    );
    const idToken = signJwt(
      { ...common, aud: request.clientId, preferred_username: request.user.userPrincipalName },
      tenant.signingKey,
    );
    return { accessToken, idToken, expiresIn: lifetime };
  }

  /**
   * Verifies a bearer token and returns who is calling. `api` is the API it is presented to: the Graph API
   * refuses an Azure AD Graph token (wrong audience); the legacy API accepts both.
   */
  verifyAccessToken(token: string, issuerBase: string, api: TokenAudience = 'graph'): Principal {
    const now = this.deps.clock();
    const issuer = this.issuerFor(issuerBase);
    const audiences = acceptedAudiences[api];
    const key = verifiedCacheKey(token);
    const cached = this.verified.get(key);
    if (
      cached &&
      cached.token === token &&
      cached.expiresAt > now.getTime() &&
      cached.issuer === issuer &&
      audiences.includes(cached.audience)
    ) {
      return cached.principal;
    }
    if (cached) this.verified.delete(key);

    const tenant = this.deps.tenant();
    let claims: Record<string, unknown>;
    try {
      claims = verifyJwt(token, {
        keys: tenant.publicKeys,
        now,
        issuer,
        audiences,
        clockSkewSeconds: 0,
      }).claims;
    } catch (error) {
      if (error instanceof JwtError) {
        if (error.reason === 'expired') throw new DomainError('expired_token');
        throw new DomainError('invalid_token', { detail: tokenFailureDetail(error) });
      }
      throw error;
    }
    if (claims.tid !== tenant.tenantId) throw new DomainError('invalid_token', { detail: 'Invalid tenant.' });
    const principal = principalOf(claims);
    if (this.verified.size >= verifiedCacheLimit) this.verified.clear();
    this.verified.set(key, {
      token,
      principal,
      issuer,
      audience: String(claims.aud),
      expiresAt: Number(claims.exp) * 1000,
    });
    return principal;
  }
}

/** Delegated tokens carry `scp` (Entra puts it only in user tokens); app tokens carry `roles`. */
function principalOf(claims: Record<string, unknown>): Principal {
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
  if (claims.idtyp === 'user' || typeof claims.scp === 'string') {
    if (typeof claims.oid !== 'string' || typeof claims.scp !== 'string') {
      throw new DomainError('invalid_token', { detail: 'The token is malformed.' });
    }
    return {
      kind: 'user',
      userId: claims.oid,
      userPrincipalName: typeof claims.upn === 'string' ? claims.upn : '',
      scopes: new Set(claims.scp.split(' ').filter(Boolean)),
      roles: new Set(strings(claims.wids)),
    };
  }
  return { kind: 'application', appId: String(claims.appid ?? ''), permissions: new Set(strings(claims.roles)) };
}

/** Client credentials take one `{resource}/.default`: Graph's, or Azure AD Graph's (the `aud` Entra gives it). */
function audienceOfDefaultScope(scope: string): string {
  const scopes = scope.split(' ').filter(Boolean);
  const only = scopes.length === 1 ? scopes[0]?.toLowerCase() : undefined;
  const names = (resource: { uri: string; appId: string }) =>
    [resource.uri, resource.appId].map((name) => `${name}/.default`.toLowerCase());
  if (only && names(graphResource).includes(only)) return graphResource.uri;
  if (only && names(azureAdGraphResource).includes(only)) return azureAdGraphResource.uri;
  throw new DomainError('invalid_scope', { scope });
}

function tokenFailureDetail(error: JwtError): string {
  switch (error.reason) {
    case 'wrong_audience':
      return 'Invalid audience.';
    case 'wrong_issuer':
      return 'Invalid issuer.';
    case 'bad_signature':
    case 'unknown_key':
    case 'unsupported_algorithm':
      return 'Invalid signature.';
    case 'not_yet_valid':
      return 'The token is not yet valid.';
    default:
      return 'The token is malformed.';
  }
}
