import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../domain/errors.js';
import type { UserPageCursor } from '../../../domain/user-query.js';
import { decodeSkipToken, encodeSkipToken, queryFingerprint } from './skip-token.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const otherKey = Buffer.from('fedcba9876543210fedcba9876543210');
const fingerprint = queryFingerprint({ filter: "startswith(displayName,'A')", orderby: 'displayName' });

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('skip tokens: round trip', () => {
  it.each<UserPageCursor>([
    { sortValue: 'Ada Lovelace', id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301' },
    { sortValue: null, id: 'x' },
    { sortValue: '', id: 'x' },
    { sortValue: 'Zoë "quoted" \\ 日本 😀', id: 'id-with-ünïcode' },
    { sortValue: 'x'.repeat(1000), id: 'y' },
  ])('%j', (cursor) => {
    const token = encodeSkipToken({ ...cursor, queryFingerprint: fingerprint }, key);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeSkipToken(token, key, fingerprint)).toEqual(cursor);
  });

  it('is opaque: the id is not visible as plain text', () => {
    const token = encodeSkipToken({ sortValue: 'Ada', id: 'abc', queryFingerprint: fingerprint }, key);
    expect(token).not.toContain('Ada');
  });

  it('is deterministic for the same input', () => {
    const contents = { sortValue: 'Ada', id: 'abc', queryFingerprint: fingerprint };
    expect(encodeSkipToken(contents, key)).toBe(encodeSkipToken(contents, key));
  });
});

describe('skip tokens: rejection', () => {
  const token = encodeSkipToken({ sortValue: 'Ada', id: 'abc', queryFingerprint: fingerprint }, key);
  const bytes = Buffer.from(token, 'base64url');

  function flipped(index: number): string {
    const copy = Buffer.from(bytes);
    copy[index] = (copy[index] ?? 0) ^ 0x01;
    return copy.toString('base64url');
  }

  const forged = (payload: unknown, version = 1): string =>
    Buffer.concat([Buffer.from([version]), Buffer.from(JSON.stringify(payload)), randomBytes(16)]).toString(
      'base64url',
    );

  it.each<[string, string]>([
    ['empty', ''],
    ['garbage', 'not a token!'],
    ['base64 padding', `${token}=`],
    ['standard base64 alphabet', token.replace(/[-_]/g, '+').concat('+/')],
    ['too short', 'AQ'],
    ['truncated by one character', token.slice(0, -1)],
    ['truncated tag', Buffer.from(bytes.subarray(0, bytes.length - 4)).toString('base64url')],
    ['payload only', Buffer.from(bytes.subarray(0, bytes.length - 16)).toString('base64url')],
    ['extended', `${token}AA`],
    ['version byte flipped', flipped(0)],
    ['payload byte flipped', flipped(5)],
    ['tag byte flipped', flipped(bytes.length - 1)],
    ['forged payload', forged({ s: 'Ada', i: 'admin', f: fingerprint })],
    ['huge', 'A'.repeat(100_000)],
  ])('%s', (_name, candidate) => {
    expect(errorOf(() => decodeSkipToken(candidate, key, fingerprint)).code).toBe('invalid_skip_token');
  });

  it('rejects a token signed with another key', () => {
    const foreign = encodeSkipToken({ sortValue: 'Ada', id: 'abc', queryFingerprint: fingerprint }, otherKey);
    expect(errorOf(() => decodeSkipToken(foreign, key, fingerprint)).code).toBe('invalid_skip_token');
  });

  it('rejects a token made for another query', () => {
    const otherQuery = queryFingerprint({ filter: "startswith(displayName,'B')", orderby: 'displayName' });
    expect(errorOf(() => decodeSkipToken(token, key, otherQuery)).code).toBe('invalid_skip_token');
  });

  it('rejects a correctly signed token whose payload has the wrong shape', () => {
    // Only reachable if the key leaked or the format changed; the decoder must still not trust it.
    const shapes: unknown[] = [
      null,
      [],
      'x',
      { s: 1, i: 'a', f: fingerprint },
      { s: 'a', i: '', f: fingerprint },
      { s: 'a', f: fingerprint },
    ];
    for (const shape of shapes) {
      const signed = Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(shape))]);
      const tag = createHmac('sha256', key).update(signed).digest().subarray(0, 16);
      const candidate = Buffer.concat([signed, tag]).toString('base64url');
      expect(errorOf(() => decodeSkipToken(candidate, key, fingerprint)).code).toBe('invalid_skip_token');
    }
  });

  it('refuses a key too short to be secret', () => {
    expect(() =>
      encodeSkipToken({ sortValue: null, id: 'a', queryFingerprint: fingerprint }, Buffer.from('short')),
    ).toThrow(/at least 16 bytes/);
  });
});

describe('queryFingerprint', () => {
  it('is short and stable', () => {
    const value = queryFingerprint({ filter: "mail eq 'a'" });
    expect(value).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(queryFingerprint({ filter: "mail eq 'a'" })).toBe(value);
  });

  it('treats an absent part like an empty one', () => {
    expect(queryFingerprint({})).toBe(queryFingerprint({ filter: '', orderby: '', search: '', select: '' }));
    expect(queryFingerprint({ filter: undefined })).toBe(queryFingerprint({}));
  });

  it('differs when any part differs, including which option holds a value', () => {
    const variants = [
      queryFingerprint({}),
      queryFingerprint({ filter: 'a' }),
      queryFingerprint({ orderby: 'a' }),
      queryFingerprint({ search: 'a' }),
      queryFingerprint({ select: 'a' }),
      queryFingerprint({ filter: 'a', orderby: 'b' }),
      queryFingerprint({ filter: 'a","b' }),
      queryFingerprint({ filter: 'a', orderby: '","b' }),
    ];
    expect(new Set(variants).size).toBe(variants.length);
  });
});

describe('skip token exact encoding', () => {
  it('refuses a valid token with characters appended', () => {
    const key = Buffer.alloc(32, 7);
    const token = encodeSkipToken({ sortValue: 'a', id: 'b', queryFingerprint: 'f' }, key);
    expect(decodeSkipToken(token, key, 'f')).toEqual({ sortValue: 'a', id: 'b' });
    for (const suffix of ['A', 'AA', 'AAAA', '____']) {
      expect(() => decodeSkipToken(token + suffix, key, 'f')).toThrow();
    }
  });
});
