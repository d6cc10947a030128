import type { KeyObject } from 'node:crypto';
import type { PublicJwk } from '../../domain/tenant.js';

/** The tenant's identity and keys, loaded once at start (see bootstrap-service). */
export interface TenantContext {
  readonly tenantId: string;
  readonly defaultDomain: string;
  readonly displayName: string;
  readonly verifiedDomains: readonly string[];
  readonly signingKey: { readonly kid: string; readonly privateKey: KeyObject };
  /** Every published key (the active one and recently retired ones), by kid. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  readonly jwks: readonly PublicJwk[];
  readonly serverKeys: {
    /** HMAC key for client secrets. */
    readonly clientSecret: Buffer;
    /** HMAC key for opaque `$skiptoken` values. */
    readonly pageToken: Buffer;
  };
}
