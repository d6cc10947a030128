import type { AuditEventDraft } from './audit.js';
import type { NewUserRecord } from './user.js';

export interface TenantRecord {
  readonly id: string;
  readonly defaultDomain: string;
  readonly displayName: string;
}

/** RSA public signing key as published in the JWKS document. */
export interface PublicJwk {
  kty: 'RSA';
  use: 'sig';
  kid: string;
  n: string;
  e: string;
  alg: 'RS256';
  x5t?: string;
}

export interface StoredSigningKey {
  readonly kid: string;
  readonly privateKeyPem: string;
  readonly publicJwk: PublicJwk;
  readonly createdAt: string;
}

/** Names of the symmetric server keys kept (encrypted) in the store. */
export const serverKeyNames = ['client-secret-hmac', 'page-token-hmac'] as const;
export type ServerKeyName = (typeof serverKeyNames)[number];

/** Everything a first start creates, written in one transaction. */
export interface TenantSetup {
  readonly tenant: TenantRecord & { readonly createdAt: string };
  readonly signingKey: StoredSigningKey;
  readonly serverKeys: Readonly<Record<ServerKeyName, Buffer>>;
  readonly administrator: NewUserRecord;
  readonly administratorRoleTemplateId: string;
  readonly audit: AuditEventDraft;
}
