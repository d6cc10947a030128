/**
 * Phone numbers in the SSPR format (SPEC section 3): `+CountryCode PhoneNumber`,
 * for example `+1 4251234567`, optionally with an extension `X12345`.
 *
 * The strict format decides whether a stored value is *usable* for password reset;
 * `normalizePhoneNumber` turns loosely written numbers into that format. Pure: no I/O.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import phoneMetadata from 'libphonenumber-js/metadata.min.json';

export type SsprPhoneNumber = {
  /** Country calling code, digits only, without the `+` (e.g. `1`, `44`). */
  countryCode: string;
  /** National significant number, digits only (no trunk prefix). */
  nationalNumber: string;
  /** Extension digits, or null when there is none. */
  extension: string | null;
};

/** Graph's length limit for `mobilePhone`. */
export const maxMobilePhoneLength = 64;
export const minNationalNumberDigits = 4;
export const maxNationalNumberDigits = 17;
export const maxExtensionDigits = 10;

export const expectedPhoneNumberFormatMessage =
  'The phone number must be in the format "+CountryCode PhoneNumber", for example "+1 4251234567".';

/**
 * Every country calling code libphonenumber knows: the geographic ones (`1`, `44`, ...)
 * and the non-geographic ones (`800`, `808`, `870`, `878`, `881`, `882`, `883`, `888`,
 * `979`). The non-geographic codes do exist, so they count as valid here; keeping SMS
 * and calls away from them (fraud-prone satellite and international networks) is the
 * job of the admin's blocked-country-code setting, not of the format.
 */
const knownCountryCallingCodes: ReadonlySet<string> = new Set([
  ...Object.keys(phoneMetadata.country_calling_codes),
  ...Object.keys(phoneMetadata.nonGeographic),
]);

export function isKnownCountryCallingCode(code: string): boolean {
  return knownCountryCallingCodes.has(code);
}

// ---------------------------------------------------------------------------
// Problems: why a value is not in the SSPR format
// ---------------------------------------------------------------------------

export type PhoneNumberProblem =
  | { reason: 'empty'; message: string }
  | { reason: 'too_long'; message: string }
  | { reason: 'too_short'; message: string }
  | { reason: 'surrounding_whitespace'; message: string }
  | { reason: 'invalid_characters'; characters: string[]; message: string }
  | { reason: 'missing_country_code'; message: string }
  | { reason: 'missing_space'; message: string }
  | { reason: 'extra_spaces'; message: string }
  | { reason: 'unknown_country_code'; countryCode: string; message: string }
  | { reason: 'invalid_extension'; message: string };

export type PhoneNumberProblemReason = PhoneNumberProblem['reason'];

type Analysis = { ok: true; phoneNumber: SsprPhoneNumber } | { ok: false; problem: PhoneNumberProblem };

// Distributes over the union, so each reason keeps its own extra fields.
type ProblemFields<T> = T extends unknown ? Omit<T, 'message'> : never;

function problem(
  fields: ProblemFields<PhoneNumberProblem>,
  detail: string,
): { ok: false; problem: PhoneNumberProblem } {
  // Messages never echo the value itself: phone numbers are personal data and these
  // messages end up in logs, reports and API errors.
  return {
    ok: false,
    problem: { ...fields, message: `${detail} ${expectedPhoneNumberFormatMessage}` } as PhoneNumberProblem,
  };
}

const allowedCharacters = /^[0-9+ xX]*$/;
const digitsOnly = /^[0-9]+$/;

/**
 * The single strict scanner behind `parseSsprPhoneNumber`, `isSsprPhoneNumber` and
 * `describePhoneNumberProblem`, so the three can never disagree. The checks run from
 * the most basic to the most specific, so the reported problem is the first thing a
 * person would have to fix.
 */
function analysePhoneNumber(value: string): Analysis {
  if (value.trim() === '') {
    return problem({ reason: 'empty' }, 'The phone number is empty.');
  }
  if (value.length > maxMobilePhoneLength) {
    return problem({ reason: 'too_long' }, `The phone number is longer than ${maxMobilePhoneLength} characters.`);
  }
  if (value !== value.trim()) {
    return problem({ reason: 'surrounding_whitespace' }, 'The phone number starts or ends with whitespace.');
  }
  if (!allowedCharacters.test(value)) {
    const characters = [...new Set([...value].filter((character) => !allowedCharacters.test(character)))];
    return problem(
      { reason: 'invalid_characters', characters },
      'The phone number contains characters other than "+", digits, one space and an optional "X" extension.',
    );
  }
  if (!value.startsWith('+')) {
    return problem({ reason: 'missing_country_code' }, 'The phone number does not start with "+" and a country code.');
  }
  if (value.indexOf('+', 1) !== -1) {
    return problem(
      { reason: 'invalid_characters', characters: ['+'] },
      'The phone number may contain "+" only as its first character.',
    );
  }

  const { withoutExtension, extensionPart } = splitAtExtensionMarker(value);
  if (extensionPart !== null) {
    if (!digitsOnly.test(extensionPart)) {
      return problem(
        { reason: 'invalid_extension' },
        `The extension must be "X" followed by 1 to ${maxExtensionDigits} digits.`,
      );
    }
    if (extensionPart.length > maxExtensionDigits) {
      return problem({ reason: 'too_long' }, `The extension is longer than ${maxExtensionDigits} digits.`);
    }
  }

  const afterPlus = withoutExtension.slice(1);
  const spaceCount = afterPlus.split(' ').length - 1;
  if (afterPlus === '' || afterPlus.startsWith(' ')) {
    return problem({ reason: 'missing_country_code' }, 'The phone number has no country code after "+".');
  }
  if (spaceCount === 0) {
    return problem(
      { reason: 'missing_space' },
      'The phone number needs one space between the country code and the number.',
    );
  }
  if (spaceCount > 1) {
    return problem(
      { reason: 'extra_spaces' },
      'The phone number must contain exactly one space, between the country code and the number.',
    );
  }

  const [countryCode = '', nationalNumber = ''] = afterPlus.split(' ');
  if (!knownCountryCallingCodes.has(countryCode)) {
    return problem(
      { reason: 'unknown_country_code', countryCode },
      `The country code "+${countryCode}" does not exist.`,
    );
  }
  if (nationalNumber.length < minNationalNumberDigits) {
    return problem(
      { reason: 'too_short' },
      `The number after the country code must have at least ${minNationalNumberDigits} digits.`,
    );
  }
  if (nationalNumber.length > maxNationalNumberDigits) {
    return problem(
      { reason: 'too_long' },
      `The number after the country code must have at most ${maxNationalNumberDigits} digits.`,
    );
  }

  return { ok: true, phoneNumber: { countryCode, nationalNumber, extension: extensionPart } };
}

/** Splits at the first `x`/`X`, without judging what follows it. */
function splitAtExtensionMarker(value: string): { withoutExtension: string; extensionPart: string | null } {
  const markerIndex = value.search(/[xX]/);
  if (markerIndex === -1) return { withoutExtension: value, extensionPart: null };
  return { withoutExtension: value.slice(0, markerIndex), extensionPart: value.slice(markerIndex + 1) };
}

// ---------------------------------------------------------------------------
// Strict format
// ---------------------------------------------------------------------------

/** Parses a value in the strict SSPR format; null for anything else (see `describePhoneNumberProblem`). */
export function parseSsprPhoneNumber(value: string): SsprPhoneNumber | null {
  const analysis = analysePhoneNumber(value);
  return analysis.ok ? analysis.phoneNumber : null;
}

export function isSsprPhoneNumber(value: string): boolean {
  return analysePhoneNumber(value).ok;
}

/** Why a value is not in the SSPR format, or null when it is. */
export function describePhoneNumberProblem(value: string): PhoneNumberProblem | null {
  const analysis = analysePhoneNumber(value);
  return analysis.ok ? null : analysis.problem;
}

/**
 * The canonical text of a number. The extension marker is always an upper-case `X`
 * (the form Microsoft documents), so `+44 2071234567x1` parses and formats back as
 * `+44 2071234567X1`.
 */
export function formatSsprPhoneNumber(phoneNumber: SsprPhoneNumber): string {
  const extension = phoneNumber.extension === null ? '' : `X${phoneNumber.extension}`;
  return `+${phoneNumber.countryCode} ${phoneNumber.nationalNumber}${extension}`;
}

/**
 * Splits a trailing SSPR-style extension (`x`/`X` then digits) off any string:
 * `+1 4251234567X12345` → `{ withoutExtension: '+1 4251234567', extension: '12345' }`.
 * A string without such a suffix comes back whole with `extension: null`.
 */
export function splitExtension(value: string): { withoutExtension: string; extension: string | null } {
  const match = /^(.*?)[xX]([0-9]+)$/s.exec(value);
  if (match === null) return { withoutExtension: value, extension: null };
  return { withoutExtension: match[1] ?? '', extension: match[2] ?? null };
}

/**
 * The number to hand to an SMS or voice provider: E.164 without the extension
 * (SPEC section 3: password reset never dials extensions).
 * `+1 4251234567X12345` → `+14251234567`.
 *
 * Returns null (rather than throwing) for a string that is not in the SSPR format,
 * because callers routinely hold unvalidated profile values and must treat them as
 * "not usable", not as a crash.
 */
export function dialableNumber(value: SsprPhoneNumber): string;
export function dialableNumber(value: string): string | null;
export function dialableNumber(value: SsprPhoneNumber | string): string | null;
export function dialableNumber(value: SsprPhoneNumber | string): string | null {
  const phoneNumber = typeof value === 'string' ? parseSsprPhoneNumber(value) : value;
  if (phoneNumber === null) return null;
  return `+${phoneNumber.countryCode}${phoneNumber.nationalNumber}`;
}

// ---------------------------------------------------------------------------
// Masking (SPEC section 7)
// ---------------------------------------------------------------------------

const visibleTrailingDigits = 2;

function maskAllButLastDigits(digits: string): string {
  const visible = digits.length > visibleTrailingDigits ? digits.slice(-visibleTrailingDigits) : '';
  return 'X'.repeat(digits.length - visible.length) + visible;
}

/**
 * Shows only the last two digits of the national number: `+1 4251234567X12` →
 * `+X XXXXXXXX67`. The extension is dropped. A value that is not in the SSPR format
 * is reduced to its digits (masked the same way) so that no free text leaks.
 */
export function maskPhoneNumber(value: SsprPhoneNumber | string): string {
  const phoneNumber = typeof value === 'string' ? parseSsprPhoneNumber(value) : value;
  if (phoneNumber !== null) {
    return `+${'X'.repeat(phoneNumber.countryCode.length)} ${maskAllButLastDigits(phoneNumber.nationalNumber)}`;
  }
  const raw = value as string;
  const digits = splitExtension(raw.trim()).withoutExtension.replace(/[^0-9]/g, '');
  return `${raw.trim().startsWith('+') ? '+' : ''}${maskAllButLastDigits(digits)}`;
}

// ---------------------------------------------------------------------------
// Normalisation of loosely written numbers
// ---------------------------------------------------------------------------

export type PhoneNumberNormalization = { ok: true; value: string } | { ok: false; reason: string };

export type NormalizePhoneNumberOptions = {
  /** ISO 3166-1 alpha-2 region (e.g. `US`, `GB`) for numbers written without a country code. */
  defaultRegion?: string;
};

// libphonenumber gives up at 250 characters anyway; stop earlier on obvious junk.
const maxNormalizationInputLength = 250;

/**
 * Turns a loosely written number into the SSPR format with libphonenumber-js:
 * `+14251234567` → `+1 4251234567`, `(425) 123-4567` (region US) → `+1 4251234567`,
 * `+1 (425) 123-4567 ext. 89` → `+1 4251234567X89`, `020 7123 4567` (region GB) →
 * `+44 2071234567` (libphonenumber's national number, without the trunk prefix 0).
 *
 * A value already in the SSPR format is returned unchanged: it is already usable, and
 * rewriting it (e.g. `x1` → `X1`) would show up as a spurious change in import dry-runs.
 *
 * Validation uses `isPossible()` (length fits the country's numbering plan), not
 * `isValid()`. `isValid()` checks real number ranges and rejects Microsoft's own
 * documentation example `+1 4251234567` (North American exchange codes cannot start
 * with 1), while Entra itself only checks the format. Rejecting what Entra accepts
 * would break admins' existing data, so "possible" is the bar.
 */
export function normalizePhoneNumber(
  value: string,
  options: NormalizePhoneNumberOptions = {},
): PhoneNumberNormalization {
  if (isSsprPhoneNumber(value)) return { ok: true, value };

  const text = value.trim();
  if (text === '') return { ok: false, reason: 'The phone number is empty.' };
  if (text.length > maxNormalizationInputLength) {
    return { ok: false, reason: 'The value is too long to be a phone number.' };
  }

  let defaultCountry: CountryCode | undefined;
  if (options.defaultRegion !== undefined) {
    const region = options.defaultRegion.trim().toUpperCase();
    if (!isSupportedCountry(region)) {
      return {
        ok: false,
        reason: `The default region "${options.defaultRegion}" is not a known country or region code.`,
      };
    }
    defaultCountry = region;
  }

  // Without a `+` or a default region there is no country to read the number in: libphonenumber would throw and
  // catch a ParseError to say so (slow when a directory sync meets thousands of national forms).
  if (!text.startsWith('+') && defaultCountry === undefined) {
    return /\d/.test(text)
      ? {
          ok: false,
          reason:
            'The phone number has no country code: write it as "+CountryCode PhoneNumber" or give a default region to normalise it.',
        }
      : { ok: false, reason: 'The value could not be read as a phone number.' };
  }

  // `extract: false`: by default libphonenumber digs a number out of surrounding text
  // ("call me at 4255550100 please"), which is far too lenient for directory data.
  const parsed = parsePhoneNumberFromString(
    text,
    defaultCountry === undefined ? { extract: false } : { defaultCountry, extract: false },
  );
  if (parsed === undefined) {
    const writtenWithoutCountryCode = !text.startsWith('+') && /\d/.test(text);
    if (writtenWithoutCountryCode && defaultCountry === undefined) {
      return {
        ok: false,
        reason:
          'The phone number has no country code: write it as "+CountryCode PhoneNumber" or give a default region to normalise it.',
      };
    }
    return { ok: false, reason: 'The value could not be read as a phone number.' };
  }
  if (!parsed.isPossible()) {
    return {
      ok: false,
      reason: `The phone number has the wrong number of digits for country code +${parsed.countryCallingCode}.`,
    };
  }

  const normalized = formatSsprPhoneNumber({
    countryCode: parsed.countryCallingCode,
    nationalNumber: parsed.nationalNumber,
    extension: parsed.ext ?? null,
  });
  // Belt and braces: whatever libphonenumber accepts must also pass our strict format
  // (e.g. an extension longer than the format allows).
  const remainingProblem = describePhoneNumberProblem(normalized);
  if (remainingProblem !== null) return { ok: false, reason: remainingProblem.message };
  return { ok: true, value: normalized };
}
