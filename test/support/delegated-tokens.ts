import { randomUUID } from 'node:crypto';
import { delegatedPermissions } from '../../src/domain/device-authorization.js';
import { signJwt } from '../../src/services/identity/jwt.js';
import type { TestServer } from './test-container.js';

/** Every delegated permission a device-code sign-in with Graph's `.default` grants (`scp`). */
export const allDelegatedScopes = delegatedPermissions;

/** The scheme, host and port `app.inject` presents (Host: localhost:80), so the issuer the server expects. */
export const injectIssuerBase = 'http://localhost:80';

export interface DelegatedTokenOptions {
  readonly user: { readonly id: string; readonly userPrincipalName: string };
  /** Directory role template ids (`wids`). */
  readonly roles?: readonly string[];
  readonly scopes?: readonly string[];
  readonly clientId?: string;
  readonly issuerBase?: string;
  readonly lifetimeSeconds?: number;
}

/**
 * A delegated (user) access token shaped like the device-code flow's, signed with the tenant's key:
 * no sign-in flow runs, so a test can hold one token per role cheaply.
 */
export function signDelegatedToken(server: TestServer, options: DelegatedTokenOptions): string {
  const tenantId = server.container.tenant.tenantId;
  const clientId = options.clientId ?? '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
  const issuedAt = Math.floor(Date.now() / 1000) - 60;
  return signJwt(
    {
      aud: 'https://graph.microsoft.com',
      iss: `${options.issuerBase ?? injectIssuerBase}/${tenantId}/v2.0`,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + (options.lifetimeSeconds ?? 3600),
      tid: tenantId,
      oid: options.user.id,
      sub: options.user.id,
      name: options.user.userPrincipalName,
      ver: '2.0',
      appid: clientId,
      azp: clientId,
      appidacr: '0',
      idtyp: 'user',
      upn: options.user.userPrincipalName,
      unique_name: options.user.userPrincipalName,
      scp: (options.scopes ?? allDelegatedScopes).join(' '),
      wids: [...(options.roles ?? [])],
      uti: randomUUID(),
    },
    server.container.tenant.signingKey,
  );
}
