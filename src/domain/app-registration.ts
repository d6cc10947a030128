/** An app registration: a script or SDK that signs in with client credentials. */
export interface AppRegistration {
  readonly id: string;
  readonly appId: string;
  readonly displayName: string;
  /** Granted application permissions (Graph app-role names). */
  readonly permissions: readonly string[];
  readonly createdDateTime: string;
}

/** A client secret as stored: only its keyed hash and a three-character hint. */
export interface AppSecretRecord {
  readonly keyId: string;
  readonly secretHash: string;
  readonly hint: string;
  readonly createdDateTime: string;
  readonly expiresDateTime: string;
}
