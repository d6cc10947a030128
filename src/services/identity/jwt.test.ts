import type { KeyObject } from 'node:crypto';
import { createHash, createHmac, createSecretKey, generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JwtErrorReason, SigningKeyMaterial, VerifyJwtOptions } from './jwt.js';
import { generateSigningKey, JwtError, privateKeyFromPem, publicKeyFromJwk, signJwt, verifyJwt } from './jwt.js';

const ISSUER = 'https://login.example.test/11111111-1111-1111-1111-111111111111/v2.0';
const AUDIENCE = 'https://graph.microsoft.com';
const NOW = new Date('2025-01-01T12:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;

let material: SigningKeyMaterial;
let privateKey: KeyObject;
let options: VerifyJwtOptions;

beforeAll(() => {
  material = generateSigningKey();
  privateKey = privateKeyFromPem(material.privateKeyPem);
  options = {
    keys: new Map([[material.kid, publicKeyFromJwk(material.publicJwk)]]),
    now: NOW,
    issuer: ISSUER,
    audiences: [AUDIENCE, '00000003-0000-0000-c000-000000000000'],
  };
});

function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    iat: NOW_SECONDS - 60,
    nbf: NOW_SECONDS - 60,
    exp: NOW_SECONDS + 3600,
    oid: 'user-1',
    roles: ['User.Read.All'],
    ...overrides,
  };
}

function sign(claims: Record<string, unknown>): string {
  return signJwt(claims, { kid: material.kid, privateKey });
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function reasonOf(action: () => unknown): JwtErrorReason {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(JwtError);
    return (error as JwtError).reason;
  }
  throw new Error('expected a JwtError');
}

describe('generateSigningKey', () => {
  it('makes an RSA 2048 key whose kid is the RFC 7638 thumbprint', () => {
    const { publicJwk, kid } = material;
    expect(publicJwk).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', kid, e: 'AQAB' });
    expect(Buffer.from(publicJwk.n, 'base64url').length).toBe(256);
    const expected = createHash('sha256')
      .update(`{"e":"${publicJwk.e}","kty":"RSA","n":"${publicJwk.n}"}`)
      .digest('base64url');
    expect(kid).toBe(expected);
    expect(material.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(material.createdAt).toBeInstanceOf(Date);
  });
});

describe('signJwt / verifyJwt', () => {
  it('round-trips header and claims', () => {
    const token = sign(validClaims());
    const { header, claims } = verifyJwt(token, options);
    expect(header).toEqual({ typ: 'JWT', alg: 'RS256', kid: material.kid });
    expect(claims).toEqual(validClaims());
  });

  it('accepts a PEM string as the private key', () => {
    const token = signJwt(validClaims(), { kid: material.kid, privateKey: material.privateKeyPem });
    expect(verifyJwt(token, options).claims.oid).toBe('user-1');
  });

  it('rejects a tampered payload, signature or header', () => {
    const [header, payload, signature] = sign(validClaims()).split('.') as [string, string, string];
    const forgedPayload = encode(validClaims({ roles: ['User.ReadWrite.All'] }));
    expect(reasonOf(() => verifyJwt(`${header}.${forgedPayload}.${signature}`, options))).toBe('bad_signature');

    const flipped = Buffer.from(signature, 'base64url');
    flipped[10] = (flipped[10] ?? 0) ^ 0x01;
    expect(reasonOf(() => verifyJwt(`${header}.${payload}.${flipped.toString('base64url')}`, options))).toBe(
      'bad_signature',
    );
    expect(reasonOf(() => verifyJwt(`${header}.${payload}.${signature.slice(0, -4)}`, options))).toBe('bad_signature');

    const forgedHeader = encode({ typ: 'at+jwt', alg: 'RS256', kid: material.kid });
    expect(reasonOf(() => verifyJwt(`${forgedHeader}.${payload}.${signature}`, options))).toBe('bad_signature');
  });

  it('rejects alg none', () => {
    const header = encode({ typ: 'JWT', alg: 'none', kid: material.kid });
    const token = `${header}.${encode(validClaims())}.`;
    // The empty signature segment itself is malformed; with a dummy signature the alg is what fails.
    expect(reasonOf(() => verifyJwt(token, options))).toBe('malformed');
    expect(reasonOf(() => verifyJwt(`${token}AAAA`, options))).toBe('unsupported_algorithm');
  });

  it('rejects HS256 signed with the public key as the HMAC secret', () => {
    const publicPem = options.keys.get(material.kid)?.export({ type: 'spki', format: 'pem' }) ?? '';
    const signingInput = `${encode({ typ: 'JWT', alg: 'HS256', kid: material.kid })}.${encode(validClaims())}`;
    const mac = createHmac('sha256', publicPem).update(signingInput).digest('base64url');
    expect(reasonOf(() => verifyJwt(`${signingInput}.${mac}`, options))).toBe('unsupported_algorithm');

    // Even if the header lies about alg, an RSA key never verifies an HMAC.
    const lying = `${encode({ typ: 'JWT', alg: 'RS256', kid: material.kid })}.${encode(validClaims())}`;
    const lyingMac = createHmac('sha256', publicPem).update(lying).digest('base64url');
    expect(reasonOf(() => verifyJwt(`${lying}.${lyingMac}`, options))).toBe('bad_signature');
  });

  it('refuses a key set entry that is not an RSA public key', () => {
    const token = sign(validClaims());
    const keys = new Map([[material.kid, createSecretKey(Buffer.from('secret'))]]);
    expect(reasonOf(() => verifyJwt(token, { ...options, keys }))).toBe('unknown_key');
  });

  it('rejects an unknown or missing kid', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const token = signJwt(validClaims(), { kid: 'someone-else', privateKey: other });
    expect(reasonOf(() => verifyJwt(token, options))).toBe('unknown_key');

    const [, payload, signature] = sign(validClaims()).split('.') as [string, string, string];
    const noKid = encode({ typ: 'JWT', alg: 'RS256' });
    expect(reasonOf(() => verifyJwt(`${noKid}.${payload}.${signature}`, options))).toBe('unknown_key');
  });

  it('rejects a token signed by another key under a known kid', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const token = signJwt(validClaims(), { kid: material.kid, privateKey: other });
    expect(reasonOf(() => verifyJwt(token, options))).toBe('bad_signature');
  });

  it('enforces exp with clock skew', () => {
    const token = sign(validClaims({ exp: NOW_SECONDS - 10 }));
    expect(verifyJwt(token, options).claims.exp).toBe(NOW_SECONDS - 10);
    expect(reasonOf(() => verifyJwt(token, { ...options, clockSkewSeconds: 0 }))).toBe('expired');
    expect(reasonOf(() => verifyJwt(sign(validClaims({ exp: NOW_SECONDS - 301 })), options))).toBe('expired');
  });

  it('requires exp', () => {
    const { exp: _omitted, ...claims } = validClaims();
    expect(reasonOf(() => verifyJwt(sign(claims), options))).toBe('malformed');
    expect(reasonOf(() => verifyJwt(sign(validClaims({ exp: 'tomorrow' })), options))).toBe('malformed');
  });

  it('enforces nbf and iat with clock skew', () => {
    const soon = sign(validClaims({ nbf: NOW_SECONDS + 120, iat: NOW_SECONDS + 120 }));
    expect(() => verifyJwt(soon, options)).not.toThrow();
    expect(reasonOf(() => verifyJwt(soon, { ...options, clockSkewSeconds: 0 }))).toBe('not_yet_valid');
    expect(reasonOf(() => verifyJwt(sign(validClaims({ nbf: NOW_SECONDS + 600 })), options))).toBe('not_yet_valid');
    expect(reasonOf(() => verifyJwt(sign(validClaims({ iat: NOW_SECONDS + 600 })), options))).toBe('not_yet_valid');
  });

  it('rejects a wrong issuer', () => {
    expect(reasonOf(() => verifyJwt(sign(validClaims({ iss: 'https://evil.test/v2.0' })), options))).toBe(
      'wrong_issuer',
    );
    const { iss: _omitted, ...claims } = validClaims();
    expect(reasonOf(() => verifyJwt(sign(claims), options))).toBe('wrong_issuer');
  });

  it('rejects a wrong or missing audience', () => {
    expect(reasonOf(() => verifyJwt(sign(validClaims({ aud: 'api://other' })), options))).toBe('wrong_audience');
    expect(reasonOf(() => verifyJwt(sign(validClaims({ aud: ['api://a', 'api://b'] })), options))).toBe(
      'wrong_audience',
    );
    expect(reasonOf(() => verifyJwt(sign(validClaims({ aud: [] })), options))).toBe('wrong_audience');
    expect(reasonOf(() => verifyJwt(sign(validClaims({ aud: 42 })), options))).toBe('wrong_audience');
    const { aud: _omitted, ...claims } = validClaims();
    expect(reasonOf(() => verifyJwt(sign(claims), options))).toBe('wrong_audience');
  });

  it('accepts an aud array that intersects the accepted audiences', () => {
    const token = sign(validClaims({ aud: ['api://other', '00000003-0000-0000-c000-000000000000'] }));
    expect(verifyJwt(token, options).claims.aud).toEqual(['api://other', '00000003-0000-0000-c000-000000000000']);
  });

  it('reports garbage input as malformed and never throws anything else', () => {
    const valid = sign(validClaims());
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const garbage: unknown[] = [
      '',
      '.',
      '..',
      'abc',
      'a.b',
      `${header}.${payload}`,
      `${valid}.extra`,
      '!!!.@@@.###',
      `${header}.${payload}.sig=`,
      `${header}.${payload}.si+g`,
      `${encode('not an object')}.${payload}.${signature}`,
      `${encode([1, 2])}.${payload}.${signature}`,
      `${encode(null)}.${payload}.${signature}`,
      `${Buffer.from('{not json').toString('base64url')}.${payload}.${signature}`,
      `${Buffer.from([0xff, 0xfe, 0x00]).toString('base64url')}.${payload}.${signature}`,
      'a.b.c',
      'ey.ey.ey',
      ' '.repeat(10),
      undefined,
      null,
      42,
    ];
    for (const input of garbage) {
      expect(
        reasonOf(() => verifyJwt(input as string, options)),
        String(input),
      ).toBe('malformed');
    }
  });

  it('treats a signed but non-JSON payload as malformed', () => {
    const header = encode({ typ: 'JWT', alg: 'RS256', kid: material.kid });
    const payload = Buffer.from('not json').toString('base64url');
    // Signed over the raw segments so the signature is valid and only the payload is at fault.
    const signature = rsaSign('RSA-SHA256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
    expect(reasonOf(() => verifyJwt(`${header}.${payload}.${signature}`, options))).toBe('malformed');
  });

  it('rejects critical header extensions', () => {
    const header = encode({ typ: 'JWT', alg: 'RS256', kid: material.kid, crit: ['b64'] });
    expect(reasonOf(() => verifyJwt(`${header}.${encode(validClaims())}.AAAA`, options))).toBe('malformed');
  });
});
