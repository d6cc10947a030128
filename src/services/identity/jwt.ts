import type { KeyObject } from 'node:crypto';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPairSync,
} from 'node:crypto';
import type { PublicJwk } from '../../domain/tenant.js';

export type { PublicJwk };

export interface SigningKeyMaterial {
  kid: string;
  privateKeyPem: string;
  publicJwk: PublicJwk;
  createdAt: Date;
}

export interface JwtHeader {
  alg: 'RS256';
  kid: string;
  typ?: string;
  [name: string]: unknown;
}

export interface JwtClaims {
  iss: string;
  aud: string | string[];
  exp: number;
  nbf?: number;
  iat?: number;
  [name: string]: unknown;
}

export interface VerifiedJwt {
  header: JwtHeader;
  claims: JwtClaims;
}

export interface VerifyJwtOptions {
  /** Public keys by kid, built once (e.g. with publicKeyFromJwk) and reused per request. */
  keys: ReadonlyMap<string, KeyObject>;
  now: Date;
  issuer: string;
  audiences: readonly string[];
  clockSkewSeconds?: number;
}

export type JwtErrorReason =
  | 'malformed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'unsupported_algorithm';

export class JwtError extends Error {
  readonly reason: JwtErrorReason;

  constructor(reason: JwtErrorReason, message: string) {
    super(message);
    this.name = 'JwtError';
    this.reason = reason;
  }
}

/** Entra tolerates five minutes of clock skew; so do we by default. */
const DEFAULT_CLOCK_SKEW_SECONDS = 300;
const SIGNING_ALGORITHM = 'RS256';
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

export function generateSigningKey(): SigningKeyMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 0x10001,
  });
  const { n, e } = rsaComponents(publicKey);
  const kid = rsaJwkThumbprint(n, e);
  return {
    kid,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicJwk: { kty: 'RSA', use: 'sig', kid, n, e, alg: SIGNING_ALGORITHM },
    createdAt: new Date(),
  };
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace. */
function rsaJwkThumbprint(n: string, e: string): string {
  const canonical = JSON.stringify({ e, kty: 'RSA', n });
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

function rsaComponents(publicKey: KeyObject): { n: string; e: string } {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    throw new TypeError('Expected an RSA public key');
  }
  return { n: jwk.n, e: jwk.e };
}

export function publicKeyFromJwk(jwk: Pick<PublicJwk, 'kty' | 'n' | 'e'>): KeyObject {
  if (jwk.kty !== 'RSA') throw new TypeError(`Unsupported JWK key type: ${String(jwk.kty)}`);
  return createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
}

export function privateKeyFromPem(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'rsa') throw new TypeError('Expected an RSA private key');
  return key;
}

export function signJwt(claims: Record<string, unknown>, key: { kid: string; privateKey: KeyObject | string }): string {
  const header = { typ: 'JWT', alg: SIGNING_ALGORITHM, kid: key.kid };
  const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
  const privateKey = typeof key.privateKey === 'string' ? createPrivateKey(key.privateKey) : key.privateKey;
  const signature = cryptoSign('RSA-SHA256', Buffer.from(signingInput, 'utf8'), privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function verifyJwt(token: string, options: VerifyJwtOptions): VerifiedJwt {
  if (typeof token !== 'string') throw new JwtError('malformed', 'Token is not a string');
  const segments = token.split('.');
  if (segments.length !== 3) throw new JwtError('malformed', 'Token must have three segments');
  const [headerSegment, payloadSegment, signatureSegment] = segments as [string, string, string];
  for (const segment of segments) {
    // Buffer's base64url decoder silently skips junk, so the alphabet is checked first.
    if (!BASE64URL_SEGMENT.test(segment)) throw new JwtError('malformed', 'Token segment is not base64url');
  }

  const header = decodeJsonObject(headerSegment, 'header');
  // Only RS256: rejecting everything else closes the "none" and HS256-with-public-key attacks.
  if (header.alg !== SIGNING_ALGORITHM) {
    throw new JwtError('unsupported_algorithm', `Unsupported algorithm: ${String(header.alg)}`);
  }
  if (header.crit !== undefined) {
    throw new JwtError('malformed', 'Critical header extensions are not supported');
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw new JwtError('unknown_key', 'Token header has no kid');
  }
  const key = options.keys.get(header.kid);
  if (key === undefined) throw new JwtError('unknown_key', `Unknown signing key: ${header.kid}`);
  if (key.type !== 'public' || key.asymmetricKeyType !== 'rsa') {
    // A secret or EC key in the key set would make crypto.verify mean something else.
    throw new JwtError('unknown_key', `Signing key ${header.kid} is not an RSA public key`);
  }

  // Checked before the payload is parsed so unauthenticated JSON is never trusted.
  const signingInput = Buffer.from(`${headerSegment}.${payloadSegment}`, 'ascii');
  const signature = Buffer.from(signatureSegment, 'base64url');
  let signatureValid: boolean;
  try {
    signatureValid = cryptoVerify('RSA-SHA256', signingInput, key, signature);
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) throw new JwtError('bad_signature', 'Token signature is invalid');

  const claims = decodeJsonObject(payloadSegment, 'payload');
  checkClaims(claims, options);
  return { header: header as JwtHeader, claims: claims as JwtClaims };
}

function decodeJsonObject(segment: string, part: 'header' | 'payload'): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('malformed', `Token ${part} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtError('malformed', `Token ${part} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function checkClaims(claims: Record<string, unknown>, options: VerifyJwtOptions): void {
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const nowSeconds = options.now.getTime() / 1000;

  const exp = numericDate(claims, 'exp');
  if (exp === undefined) throw new JwtError('malformed', 'Token has no exp claim');
  if (nowSeconds >= exp + skew) throw new JwtError('expired', 'Token has expired');

  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nowSeconds + skew < nbf) {
    throw new JwtError('not_yet_valid', 'Token is not valid yet');
  }
  const iat = numericDate(claims, 'iat');
  if (iat !== undefined && nowSeconds + skew < iat) {
    throw new JwtError('not_yet_valid', 'Token was issued in the future');
  }

  if (claims.iss !== options.issuer) throw new JwtError('wrong_issuer', 'Token issuer is not accepted');

  const audience = claims.aud;
  const tokenAudiences = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? audience : [];
  if (!tokenAudiences.some((value) => typeof value === 'string' && options.audiences.includes(value))) {
    throw new JwtError('wrong_audience', 'Token audience is not accepted');
  }
}

function numericDate(claims: Record<string, unknown>, name: 'exp' | 'nbf' | 'iat'): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new JwtError('malformed', `Token ${name} claim is not a number`);
  }
  return value;
}
