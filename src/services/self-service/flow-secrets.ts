import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Keyed hashes for the self-service flows, from one server key: codes, destinations, subjects (the typed user
 * ID), CSRF tokens and CAPTCHA answers are only ever stored or compared as HMACs. Each use has its own label,
 * so one kind of value can never be replayed as another.
 */
export class FlowSecrets {
  private readonly key: Buffer;

  constructor(serverKey: Buffer) {
    this.key = createHmac('sha256', serverKey).update('opensspr self-service v1').digest();
  }

  mac(label: string, ...parts: readonly string[]): string {
    const hmac = createHmac('sha256', this.key).update(label);
    for (const part of parts) hmac.update('\u0000').update(part);
    return hmac.digest('hex');
  }

  /** Constant-time comparison of two hex MACs. */
  same(a: string, b: string): boolean {
    const left = Buffer.from(a, 'hex');
    const right = Buffer.from(b, 'hex');
    return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
  }

  /** 128 bits, URL-safe: flow ids, browser bindings, session ids. */
  static token(): string {
    return randomBytes(16).toString('base64url');
  }

  /** 8 decimal digits from the CSPRNG (SPEC: 6-8 digits). */
  static code(): string {
    return String(randomInt(0, 100_000_000)).padStart(8, '0');
  }

  static sha256(value: string): string {
    return createHash('sha256').update(value).digest('hex');
  }
}

/** The key a user ID is counted and blocked under: the same for "Adele@Contoso.com " and "adele@contoso.com". */
export function subjectOf(secrets: FlowSecrets, userName: string): string {
  return secrets.mac('subject', userName.normalize('NFKC').trim().toLowerCase());
}
