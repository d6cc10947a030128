import { describe, expect, it } from 'vitest';
import { isValidAlternateEmail, maskEmailAddress } from './email-address.js';

describe('isValidAlternateEmail', () => {
  it.each([
    'emily@contoso.com',
    'Emily.Braun@Contoso.COM',
    'first.last+tag@mail.contoso.co.uk',
    "o'brien@contoso.com",
    'a_b-c!#$%&*/=?^`{|}~@contoso.com',
    'x@a-b.io',
    '1@2.de',
    `${'a'.repeat(64)}@contoso.com`,
    `a@${'b'.repeat(63)}.com`,
    // 64 + 1 + 189 = 254 characters
    `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`,
  ])('accepts %j', (value) => {
    expect(isValidAlternateEmail(value)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['emily', 'no @'],
    ['emily@', 'no domain'],
    ['@contoso.com', 'no local part'],
    ['emily@@contoso.com', 'two @'],
    ['em@ily@contoso.com', 'two @'],
    ['emily@contoso', 'domain without a dot'],
    ['.emily@contoso.com', 'leading dot'],
    ['emily.@contoso.com', 'trailing dot'],
    ['em..ily@contoso.com', 'double dot'],
    ['émily@contoso.com', 'accented local part'],
    ['emily@contosö.com', 'accented domain'],
    ['emily@xn--contos-jua.com'.replace('xn--contos-jua', 'contosö'), 'accented domain'],
    ['emily@-contoso.com', 'label starts with a hyphen'],
    ['emily@contoso-.com', 'label ends with a hyphen'],
    ['emily@contoso..com', 'empty label'],
    ['emily@.contoso.com', 'leading dot in domain'],
    ['emily@contoso.com.', 'trailing dot in domain'],
    ['emily@contoso.c', 'one-letter TLD'],
    ['emily@contoso.c0m', 'TLD with a digit'],
    ['emily@192.168.0.1', 'IP address'],
    ['emily@[192.168.0.1]', 'IP literal'],
    ['"emily"@contoso.com', 'quoted local part'],
    ['em ily@contoso.com', 'space'],
    [' emily@contoso.com', 'leading whitespace'],
    ['emily@contoso.com ', 'trailing whitespace'],
    ['emily@con_toso.com', 'underscore in domain'],
    ['emily(x)@contoso.com', 'parentheses'],
    [`${'a'.repeat(65)}@contoso.com`, 'local part over 64'],
    [`a@${'b'.repeat(64)}.com`, 'label over 63'],
    [`${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`, 'total over 254'],
  ])('rejects %j (%s)', (value) => {
    expect(isValidAlternateEmail(value)).toBe(false);
  });
});

describe('maskEmailAddress', () => {
  it.each([
    ['emily@contoso.com', 'em*****@contoso.com'],
    ['emily.braun@contoso.com', 'em*****@contoso.com'],
    ['abc@contoso.com', 'ab*****@contoso.com'],
    ['ab@contoso.com', 'a*****@contoso.com'],
    ['a@contoso.com', 'a*****@contoso.com'],
    ['@contoso.com', '*****@contoso.com'],
    ['no-at-sign', 'no*****'],
    ['', '*****'],
    ['😀😀😀@contoso.com', '😀😀*****@contoso.com'],
  ])('%j → %j', (value, expected) => {
    expect(maskEmailAddress(value)).toBe(expected);
  });

  it('does not reveal the length of the local part', () => {
    expect(maskEmailAddress('abc@contoso.com').length).toBe(maskEmailAddress('abcdefghijkl@contoso.com').length);
  });
});
