/** How self-service flows and their codes are kept by the store (the services' and the store's shared shape). */

/** A persisted self-service flow: the domain flow as JSON plus what binds it to one browser. */
export interface StoredFlow {
  readonly id: string;
  readonly kind: 'reset' | 'registration';
  readonly schemaVersion: number;
  readonly revision: number;
  readonly state: string;
  readonly userId: string | null;
  readonly data: string;
  readonly csrfHash: string;
  readonly bindingHash: string;
  readonly ipAddress: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
}

/** A one-time code: only its HMAC, bound to the flow and to an HMAC of the destination. */
export interface StoredCode {
  readonly id: string;
  readonly flowId: string;
  readonly channel: string;
  readonly destinationKey: string;
  readonly codeHash: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly deliveryStatus: string;
}
