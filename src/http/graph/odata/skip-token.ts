/**
 * `$skiptoken` for keyset paging: where the previous page stopped, signed so a client
 * can neither forge a position nor replay a token against a different query.
 *
 * Layout, base64url-encoded: version byte ‖ compact JSON ‖ 16-byte truncated HMAC-SHA-256
 * over the version and JSON.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../../domain/errors.js';
import type { UserPageCursor } from '../../../domain/user-query.js';

const tokenVersion = 1;
const tagLength = 16;
const minimumKeyLength = 16;
/** Far above any real token (sort values are at most a few hundred characters); bounds the work on garbage. */
const maxTokenLength = 4096;
const base64UrlShape = /^[A-Za-z0-9_-]+$/;

export interface SkipTokenContents extends UserPageCursor {
  readonly queryFingerprint: string;
}

interface TokenPayload {
  /** Sort value of the last row. */
  readonly s: string | null;
  /** Id of the last row. */
  readonly i: string;
  /** Fingerprint of the query the token belongs to. */
  readonly f: string;
}

export function encodeSkipToken(cursor: SkipTokenContents, key: Buffer): string {
  assertUsableKey(key);
  const payload: TokenPayload = { s: cursor.sortValue, i: cursor.id, f: cursor.queryFingerprint };
  const signed = Buffer.concat([Buffer.from([tokenVersion]), Buffer.from(JSON.stringify(payload), 'utf8')]);
  return Buffer.concat([signed, sign(signed, key)]).toString('base64url');
}

/** Any token not made by `encodeSkipToken` with this key for this query → `invalid_skip_token`. */
export function decodeSkipToken(token: string, key: Buffer, expectedFingerprint: string): UserPageCursor {
  assertUsableKey(key);
  // Buffer.from(…, 'base64url') silently skips bad characters, so check the alphabet first.
  if (token.length === 0 || token.length > maxTokenLength || !base64UrlShape.test(token)) throw invalidToken();
  const bytes = Buffer.from(token, 'base64url');
  // Only the exact encoding is accepted: appended characters must not pass as the same token.
  if (bytes.toString('base64url') !== token) throw invalidToken();
  if (bytes.length <= 1 + tagLength || bytes[0] !== tokenVersion) throw invalidToken();

  const signed = bytes.subarray(0, bytes.length - tagLength);
  const tag = bytes.subarray(bytes.length - tagLength);
  if (!timingSafeEqual(tag, sign(signed, key))) throw invalidToken();

  const payload = parsePayload(signed.subarray(1).toString('utf8'));
  if (payload === undefined || payload.f !== expectedFingerprint) throw invalidToken();
  return { sortValue: payload.s, id: payload.i };
}

/**
 * A short, stable hash of the options that define a result set, so a token from one query
 * cannot page through another. `$top` is left out on purpose: changing the page size
 * between pages is harmless.
 */
export function queryFingerprint(parts: {
  readonly filter?: string | undefined;
  readonly orderby?: string | undefined;
  readonly search?: string | undefined;
  readonly select?: string | undefined;
}): string {
  // JSON of a fixed-order array: unambiguous even when values contain separators.
  const canonical = JSON.stringify([parts.filter ?? '', parts.orderby ?? '', parts.search ?? '', parts.select ?? '']);
  return createHash('sha256')
    .update('opensspr/users-query/v1\n')
    .update(canonical)
    .digest()
    .subarray(0, 12)
    .toString('base64url');
}

function sign(data: Buffer, key: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest().subarray(0, tagLength);
}

function parsePayload(json: string): TokenPayload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { s, i, f } = value as Record<string, unknown>;
  if ((typeof s !== 'string' && s !== null) || typeof i !== 'string' || i === '' || typeof f !== 'string') {
    return undefined;
  }
  return { s, i, f };
}

function assertUsableKey(key: Buffer): void {
  // A configuration bug, not a client error: fail loudly rather than sign with a guessable key.
  if (key.length < minimumKeyLength) {
    throw new Error(`The skip-token key must be at least ${minimumKeyLength} bytes long.`);
  }
}

function invalidToken(): DomainError {
  return new DomainError('invalid_skip_token');
}
