/**
 * The little BER the LDAP connector needs beyond ldapts: the RFC 3062 Password Modify request value and the
 * password policy response control (draft-behera-ldap-password-policy).
 */

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One BER TLV: tag, definite length, contents. */
export function encodeTlv(tag: number, contents: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(contents.length), contents]);
}

/**
 * PasswdModifyRequestValue ::= SEQUENCE {
 *   userIdentity [0] OCTET STRING OPTIONAL, oldPasswd [1] OCTET STRING OPTIONAL, newPasswd [2] OCTET STRING OPTIONAL }
 */
export function encodePasswordModifyRequest(fields: {
  userIdentity?: string;
  oldPassword?: string;
  newPassword?: string;
}): Buffer {
  const parts: Buffer[] = [];
  if (fields.userIdentity !== undefined) parts.push(encodeTlv(0x80, Buffer.from(fields.userIdentity, 'utf8')));
  if (fields.oldPassword !== undefined) parts.push(encodeTlv(0x81, Buffer.from(fields.oldPassword, 'utf8')));
  if (fields.newPassword !== undefined) parts.push(encodeTlv(0x82, Buffer.from(fields.newPassword, 'utf8')));
  return encodeTlv(0x30, Buffer.concat(parts));
}

interface Tlv {
  tag: number;
  contents: Buffer;
  next: number;
}

/** Reads one TLV at `offset`; null when the buffer is truncated or the length form is unsupported. */
export function readTlv(buffer: Buffer, offset: number): Tlv | null {
  if (offset + 2 > buffer.length) return null;
  const tag = buffer[offset] ?? 0;
  let length = buffer[offset + 1] ?? 0;
  let position = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || position + count > buffer.length) return null;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buffer[position + i] ?? 0);
    position += count;
  }
  if (position + length > buffer.length) return null;
  return { tag, contents: buffer.subarray(position, position + length), next: position + length };
}

function readUnsigned(contents: Buffer): number {
  let value = 0;
  for (const byte of contents) value = value * 256 + byte;
  return value;
}

export interface PasswordPolicyResponse {
  /** warning: timeBeforeExpiration [0] or graceAuthNsRemaining [1]. */
  readonly timeBeforeExpiration?: number;
  readonly graceAuthNsRemaining?: number;
  /**
   * error: passwordExpired(0), accountLocked(1), changeAfterReset(2), passwordModNotAllowed(3),
   * mustSupplyOldPassword(4), insufficientPasswordQuality(5), passwordTooShort(6), passwordTooYoung(7),
   * passwordInHistory(8).
   */
  readonly error?: number;
}

/**
 * PasswordPolicyResponseValue ::= SEQUENCE {
 *   warning [0] CHOICE { timeBeforeExpiration [0] INTEGER, graceAuthNsRemaining [1] INTEGER } OPTIONAL,
 *   error   [1] ENUMERATED OPTIONAL }
 */
export function decodePasswordPolicyResponse(value: Buffer): PasswordPolicyResponse {
  const sequence = readTlv(value, 0);
  if (sequence?.tag !== 0x30) return {};
  const result: { timeBeforeExpiration?: number; graceAuthNsRemaining?: number; error?: number } = {};
  let offset = 0;
  while (offset < sequence.contents.length) {
    const item = readTlv(sequence.contents, offset);
    if (!item) break;
    if (item.tag === 0xa0) {
      const warning = readTlv(item.contents, 0);
      if (warning?.tag === 0x80) result.timeBeforeExpiration = readUnsigned(warning.contents);
      if (warning?.tag === 0x81) result.graceAuthNsRemaining = readUnsigned(warning.contents);
    } else if (item.tag === 0x81) {
      result.error = readUnsigned(item.contents);
    }
    offset = item.next;
  }
  return result;
}
