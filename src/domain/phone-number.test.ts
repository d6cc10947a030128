import { describe, expect, it } from 'vitest';
import {
  describePhoneNumberProblem,
  dialableNumber,
  expectedPhoneNumberFormatMessage,
  formatSsprPhoneNumber,
  isKnownCountryCallingCode,
  isSsprPhoneNumber,
  maskPhoneNumber,
  maxMobilePhoneLength,
  normalizePhoneNumber,
  type PhoneNumberProblemReason,
  parseSsprPhoneNumber,
  type SsprPhoneNumber,
  splitExtension,
} from './phone-number.js';

describe('parseSsprPhoneNumber', () => {
  it.each<[string, SsprPhoneNumber]>([
    ['+1 4251234567', { countryCode: '1', nationalNumber: '4251234567', extension: null }],
    ['+1 4251234567X12345', { countryCode: '1', nationalNumber: '4251234567', extension: '12345' }],
    ['+44 2071234567x1', { countryCode: '44', nationalNumber: '2071234567', extension: '1' }],
    ['+1 4255550100', { countryCode: '1', nationalNumber: '4255550100', extension: null }],
    ['+39 0612345678', { countryCode: '39', nationalNumber: '0612345678', extension: null }],
    ['+358 401234567', { countryCode: '358', nationalNumber: '401234567', extension: null }],
    ['+7 9123456789', { countryCode: '7', nationalNumber: '9123456789', extension: null }],
    ['+800 12345678', { countryCode: '800', nationalNumber: '12345678', extension: null }],
    ['+1 4251', { countryCode: '1', nationalNumber: '4251', extension: null }],
    ['+1 12345678901234567', { countryCode: '1', nationalNumber: '12345678901234567', extension: null }],
    ['+1 4251234567X1234567890', { countryCode: '1', nationalNumber: '4251234567', extension: '1234567890' }],
  ])('parses %j', (value, expected) => {
    expect(parseSsprPhoneNumber(value)).toEqual(expected);
    expect(isSsprPhoneNumber(value)).toBe(true);
    expect(describePhoneNumberProblem(value)).toBeNull();
  });

  it.each<[string, PhoneNumberProblemReason]>([
    ['', 'empty'],
    ['   ', 'empty'],
    ['+14251234567', 'missing_space'],
    ['+14251234567X12', 'missing_space'],
    ['+1  4251234567', 'extra_spaces'],
    ['+1 425 123 4567', 'extra_spaces'],
    ['+1 4251234567 X12', 'extra_spaces'],
    ['+999 1234567', 'unknown_country_code'],
    ['+0 4251234567', 'unknown_country_code'],
    ['+1425 1234567', 'unknown_country_code'],
    [' +1 4251234567', 'surrounding_whitespace'],
    ['+1 4251234567 ', 'surrounding_whitespace'],
    ['+1 4251234567\n', 'surrounding_whitespace'],
    ['4251234567', 'missing_country_code'],
    ['1 4251234567', 'missing_country_code'],
    ['+ 4251234567', 'missing_country_code'],
    ['+', 'missing_country_code'],
    ['+1 425-123-4567', 'invalid_characters'],
    ['+1 (425) 1234567', 'invalid_characters'],
    ['425-555-0100', 'invalid_characters'],
    ['+1\t4251234567', 'invalid_characters'],
    ['+1 ４２５１２３４５６７', 'invalid_characters'],
    ['not a phone', 'invalid_characters'],
    ['+1 4251234567+1', 'invalid_characters'],
    ['+1 4251234567X', 'invalid_extension'],
    ['+1 4251234567XX1', 'invalid_extension'],
    ['+1 4251234567X12 3', 'invalid_extension'],
    ['+1 4251234567X12345678901', 'too_long'],
    ['+1 123456789012345678', 'too_long'],
    [`+1 ${'1'.repeat(maxMobilePhoneLength)}`, 'too_long'],
    ['+1 425', 'too_short'],
    ['+1 X12', 'too_short'],
  ])('rejects %j as %s', (value, reason) => {
    expect(parseSsprPhoneNumber(value)).toBeNull();
    expect(isSsprPhoneNumber(value)).toBe(false);
    const problem = describePhoneNumberProblem(value);
    expect(problem?.reason).toBe(reason);
    expect(problem?.message).toContain(expectedPhoneNumberFormatMessage);
  });

  it('names the unknown country code and the offending characters', () => {
    expect(describePhoneNumberProblem('+999 1234567')).toMatchObject({
      reason: 'unknown_country_code',
      countryCode: '999',
    });
    expect(describePhoneNumberProblem('+1 (425) 123-4567')).toMatchObject({
      reason: 'invalid_characters',
      characters: ['(', ')', '-'],
    });
  });

  it('never echoes the number in the message (personal data)', () => {
    expect(describePhoneNumberProblem('+12065550199')?.message).not.toContain('2065550199');
  });

  it('uses the exact message format from the spec', () => {
    expect(expectedPhoneNumberFormatMessage).toBe(
      'The phone number must be in the format "+CountryCode PhoneNumber", for example "+1 4251234567".',
    );
  });
});

describe('isKnownCountryCallingCode', () => {
  it.each([
    ['1', true],
    ['44', true],
    ['358', true],
    ['800', true],
    ['882', true],
    ['999', false],
    ['0', false],
    ['42', false],
    ['', false],
  ])('%j → %s', (code, expected) => {
    expect(isKnownCountryCallingCode(code)).toBe(expected);
  });
});

describe('formatSsprPhoneNumber', () => {
  it.each<[SsprPhoneNumber, string]>([
    [{ countryCode: '1', nationalNumber: '4251234567', extension: null }, '+1 4251234567'],
    [{ countryCode: '1', nationalNumber: '4251234567', extension: '12345' }, '+1 4251234567X12345'],
    [{ countryCode: '44', nationalNumber: '2071234567', extension: '1' }, '+44 2071234567X1'],
  ])('%j → %j', (phoneNumber, expected) => {
    expect(formatSsprPhoneNumber(phoneNumber)).toBe(expected);
  });

  it.each(['+1 4251234567', '+1 4251234567X12345', '+358 401234567X9'])('round-trips %j', (value) => {
    const parsed = parseSsprPhoneNumber(value);
    expect(parsed).not.toBeNull();
    if (parsed !== null) expect(formatSsprPhoneNumber(parsed)).toBe(value);
  });
});

describe('splitExtension', () => {
  it.each([
    ['+1 4251234567X12345', '+1 4251234567', '12345'],
    ['+44 2071234567x1', '+44 2071234567', '1'],
    ['+1 4251234567', '+1 4251234567', null],
    ['+1 4251234567X', '+1 4251234567X', null],
    ['not a phone', 'not a phone', null],
    ['', '', null],
  ])('%j → %j + %j', (value, withoutExtension, extension) => {
    expect(splitExtension(value)).toEqual({ withoutExtension, extension });
  });
});

describe('dialableNumber', () => {
  it.each([
    ['+1 4251234567X12345', '+14251234567'],
    ['+1 4251234567', '+14251234567'],
    ['+44 2071234567x1', '+442071234567'],
    ['+14251234567', null],
    ['425-123-4567', null],
    ['not a phone', null],
    ['', null],
  ])('%j → %j', (value, expected) => {
    expect(dialableNumber(value)).toBe(expected);
  });

  it('accepts a parsed number', () => {
    expect(dialableNumber({ countryCode: '358', nationalNumber: '401234567', extension: '77' })).toBe('+358401234567');
  });
});

describe('maskPhoneNumber', () => {
  it.each([
    ['+1 4251234567', '+X XXXXXXXX67'],
    ['+1 4251234567X12345', '+X XXXXXXXX67'],
    ['+44 2071234567x1', '+XX XXXXXXXX67'],
    ['+1 4251', '+X XX51'],
    // Not in the format: only digits survive, masked the same way, no free text leaks.
    ['+14251234567', '+XXXXXXXXX67'],
    ['call 425-123-4567 x9', 'XXXXXXXX67'],
    ['no digits', ''],
    ['7', 'X'],
  ])('%j → %j', (value, expected) => {
    expect(maskPhoneNumber(value)).toBe(expected);
  });

  it('accepts a parsed number', () => {
    expect(maskPhoneNumber({ countryCode: '1', nationalNumber: '4251234567', extension: '5' })).toBe('+X XXXXXXXX67');
  });
});

describe('normalizePhoneNumber', () => {
  it.each<[string, string | undefined, string]>([
    ['+14251234567', undefined, '+1 4251234567'],
    ['(425) 123-4567', 'US', '+1 4251234567'],
    ['425-123-4567', 'US', '+1 4251234567'],
    ['425-123-4567', 'us', '+1 4251234567'],
    ['+1 (425) 123-4567 ext. 89', undefined, '+1 4251234567X89'],
    ['+1 425 123 4567 x 12345', undefined, '+1 4251234567X12345'],
    ['+1 4251234567X12', undefined, '+1 4251234567X12'],
    // Already in the format: kept verbatim, even with a lower-case x.
    ['+44 2071234567x1', undefined, '+44 2071234567x1'],
    ['020 7123 4567', 'GB', '+44 2071234567'],
    ['+44 (0)20 7123 4567', undefined, '+44 2071234567'],
    ['0044 20 7123 4567', 'GB', '+44 2071234567'],
    ['  +1 425 555 0100  ', undefined, '+1 4255550100'],
    ['425-555-0100', 'US', '+1 4255550100'],
    // A country code in the value wins over the default region.
    ['+1 4251234567', 'GB', '+1 4251234567'],
    ['+14251234567', 'GB', '+1 4251234567'],
    ['+800 1234 5678', undefined, '+800 12345678'],
    ['+1 4251234567 ', undefined, '+1 4251234567'],
  ])('%j (region %s) → %j', (value, defaultRegion, expected) => {
    const result = normalizePhoneNumber(value, defaultRegion === undefined ? {} : { defaultRegion });
    expect(result).toEqual({ ok: true, value: expected });
    if (result.ok) expect(isSsprPhoneNumber(result.value)).toBe(true);
  });

  it.each<[string, string | undefined, RegExp]>([
    ['425-123-4567', undefined, /country code.*default region/],
    ['(425) 123-4567', undefined, /country code.*default region/],
    ['not a phone', undefined, /could not be read/],
    ['not a phone', 'US', /could not be read/],
    ['', undefined, /empty/],
    ['   ', 'US', /empty/],
    ['call me at 4255550100 please', 'US', /could not be read/],
    ['+1-800-FLOWERS', undefined, /could not be read|wrong number of digits/],
    ['+1 425', undefined, /could not be read|wrong number of digits/],
    ['+999 1234567', undefined, /could not be read/],
    ['425-123-4567', 'ZZ', /default region "ZZ"/],
    ['1'.repeat(300), 'US', /too long/],
  ])('rejects %j (region %s)', (value, defaultRegion, reason) => {
    const result = normalizePhoneNumber(value, defaultRegion === undefined ? {} : { defaultRegion });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('is idempotent', () => {
    const first = normalizePhoneNumber('+1 (425) 123-4567 ext. 89');
    expect(first.ok).toBe(true);
    if (first.ok) expect(normalizePhoneNumber(first.value)).toEqual(first);
  });
});
