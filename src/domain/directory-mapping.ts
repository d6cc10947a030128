import { isValidAlternateEmail } from './email-address.js';
import { isSsprPhoneNumber, normalizePhoneNumber } from './phone-number.js';
import { isValidUserPrincipalName } from './user.js';

/**
 * Directory sync's mapping (SPEC section 8): an on-premises LDAP entry in, the state the cloud user should have
 * out. Pure: the sync engine streams entries through `mapEntry` and diffs the results against the store.
 */
export type DirectoryFlavor = 'openldap' | 'activeDirectory';

/** An LDAP entry as the connector returns it: text values, and binary ones (GUIDs, SIDs) as bytes. */
export interface DirectoryEntry {
  readonly dn: string;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  readonly binary?: Readonly<Record<string, readonly Uint8Array[]>>;
}

/** Cloud properties a mapping can write. */
export const syncTargets = [
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'jobTitle',
  'officeLocation',
  'businessPhones',
  'mobilePhone',
  'otherMails',
  'alternateMobilePhone',
  'onPremisesSamAccountName',
] as const;
export type SyncTarget = (typeof syncTargets)[number];

/** Where a value comes from: an attribute, a constant, or an expression over attributes (see `evaluate`). */
export type MappingSource =
  | { readonly kind: 'attribute'; readonly attribute: string }
  | { readonly kind: 'constant'; readonly value: string }
  | { readonly kind: 'expression'; readonly expression: string };

export interface MappingRule {
  readonly target: SyncTarget;
  readonly source: MappingSource;
}

const attribute = (target: SyncTarget, name: string): MappingRule => ({
  target,
  source: { kind: 'attribute', attribute: name },
});

/** SPEC section 8's defaults: telephoneNumber → Office phone, mobile → Mobile phone, and the identity. */
export function defaultMappings(flavor: DirectoryFlavor): MappingRule[] {
  const common = [
    attribute('givenName', 'givenName'),
    attribute('surname', 'sn'),
    attribute('mail', 'mail'),
    attribute('jobTitle', 'title'),
    attribute('businessPhones', 'telephoneNumber'),
    attribute('mobilePhone', 'mobile'),
  ];
  if (flavor === 'activeDirectory') {
    return [
      attribute('userPrincipalName', 'userPrincipalName'),
      { target: 'displayName', source: { kind: 'expression', expression: 'Coalesce(displayName, cn)' } },
      attribute('officeLocation', 'physicalDeliveryOfficeName'),
      attribute('onPremisesSamAccountName', 'sAMAccountName'),
      ...common,
    ];
  }
  return [
    attribute('userPrincipalName', 'mail'),
    { target: 'displayName', source: { kind: 'expression', expression: 'Coalesce(displayName, cn)' } },
    attribute('officeLocation', 'roomNumber'),
    attribute('onPremisesSamAccountName', 'uid'),
    ...common,
  ];
}

/** Entra's per-object sync error types (SPEC section 8). */
export type SyncErrorType =
  | 'AttributeValueMustBeUnique'
  | 'InvalidSoftMatch'
  | 'IdentityDataValidationFailed'
  | 'ExceededAllowedLength'
  | 'DataValidationFailed';

export interface SyncObjectError {
  readonly type: SyncErrorType;
  readonly dn: string;
  readonly attribute: string | null;
  readonly message: string;
}

export interface SyncWarning {
  readonly dn: string;
  readonly target: SyncTarget;
  readonly message: string;
  /** For a phone outside the SSPR format: its normalised form, when one can be computed. */
  readonly suggestion: string | null;
}

/** What the cloud user should look like after this entry is synced. */
export interface DesiredUser {
  /** `onPremisesImmutableId`: base64 of the anchor's 16 bytes. */
  readonly anchor: string;
  readonly distinguishedName: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly mail: string | null;
  readonly jobTitle: string | null;
  readonly officeLocation: string | null;
  readonly businessPhones: readonly string[];
  readonly mobilePhone: string | null;
  readonly otherMails: readonly string[];
  readonly alternateMobilePhone: string | null;
  readonly onPremisesSamAccountName: string | null;
  readonly accountEnabled: boolean;
}

export type MappingOutcome =
  | { readonly ok: true; readonly user: DesiredUser; readonly warnings: readonly SyncWarning[] }
  | { readonly ok: false; readonly error: SyncObjectError };

export interface MappingOptions {
  /** Region for suggesting a normalised form of phone numbers written without a country code. */
  readonly defaultRegion?: string;
}

/** Graph's length limits for the mapped properties. */
const maxLengths: Readonly<Partial<Record<SyncTarget, number>>> = {
  displayName: 256,
  givenName: 64,
  surname: 64,
  mail: 254,
  jobTitle: 128,
  officeLocation: 128,
  businessPhones: 64,
  mobilePhone: 64,
  alternateMobilePhone: 64,
  onPremisesSamAccountName: 64,
};

/** Maps one entry; never throws for bad data: the outcome carries Entra's error type instead. */
export function mapEntry(
  entry: DirectoryEntry,
  rules: readonly MappingRule[],
  flavor: DirectoryFlavor,
  options: MappingOptions = {},
): MappingOutcome {
  const fail = (type: SyncErrorType, attributeName: string | null, message: string): MappingOutcome => ({
    ok: false,
    error: { type, dn: entry.dn, attribute: attributeName, message },
  });
  const anchor = anchorOf(entry, flavor);
  if (!anchor)
    return fail(
      'DataValidationFailed',
      flavor === 'openldap' ? 'entryUUID' : 'objectGUID',
      'The entry has no source anchor.',
    );

  const values = new Map<SyncTarget, string[]>();
  for (const rule of rules) {
    let produced: string[];
    try {
      produced = sourceValues(entry, rule.source);
    } catch (error) {
      return fail('DataValidationFailed', rule.target, (error as Error).message);
    }
    values.set(rule.target, produced);
  }
  const single = (target: SyncTarget): string | null => {
    const value = values.get(target)?.[0]?.trim();
    return value ? value : null;
  };

  for (const [target, produced] of values) {
    const limit = maxLengths[target];
    const tooLong = limit !== undefined && produced.some((value) => value.trim().length > limit);
    if (tooLong) {
      return fail('ExceededAllowedLength', target, `The value of ${target} is longer than ${limit} characters.`);
    }
  }

  const userPrincipalName = single('userPrincipalName');
  if (!userPrincipalName || !isValidUserPrincipalName(userPrincipalName)) {
    return fail(
      'IdentityDataValidationFailed',
      'userPrincipalName',
      userPrincipalName
        ? `The userPrincipalName "${userPrincipalName}" is not valid.`
        : 'The entry has no userPrincipalName.',
    );
  }

  const warnings: SyncWarning[] = [];
  const phone = (target: 'businessPhones' | 'mobilePhone' | 'alternateMobilePhone', value: string | null) => {
    if (value === null || isSsprPhoneNumber(value)) return value;
    const normalised = normalizePhoneNumber(
      value,
      options.defaultRegion ? { defaultRegion: options.defaultRegion } : {},
    );
    warnings.push({
      dn: entry.dn,
      target,
      message: `"${value}" is not in the format password reset needs (+CC number); synced as it is.`,
      suggestion: normalised.ok ? normalised.value : null,
    });
    return value;
  };

  const officePhones = (values.get('businessPhones') ?? []).map((value) => value.trim()).filter(Boolean);
  if (officePhones.length > 1) {
    warnings.push({
      dn: entry.dn,
      target: 'businessPhones',
      message: `${officePhones.length} telephone numbers; only the first is synced (Office phone holds one).`,
      suggestion: null,
    });
  }
  const officePhone = phone('businessPhones', officePhones[0] ?? null);

  const otherMails: string[] = [];
  for (const address of values.get('otherMails') ?? []) {
    const trimmed = address.trim();
    if (!trimmed) continue;
    if (!isValidAlternateEmail(trimmed)) {
      warnings.push({
        dn: entry.dn,
        target: 'otherMails',
        message: `"${trimmed}" is not a valid address; skipped.`,
        suggestion: null,
      });
      continue;
    }
    if (!otherMails.some((known) => known.toLowerCase() === trimmed.toLowerCase())) otherMails.push(trimmed);
  }

  let mail = single('mail');
  if (mail && !isValidAlternateEmail(mail)) {
    warnings.push({
      dn: entry.dn,
      target: 'mail',
      message: `"${mail}" is not a valid address; not synced.`,
      suggestion: null,
    });
    mail = null;
  }

  return {
    ok: true,
    warnings,
    user: {
      anchor,
      distinguishedName: entry.dn,
      userPrincipalName,
      displayName: single('displayName') ?? userPrincipalName,
      givenName: single('givenName'),
      surname: single('surname'),
      mail,
      jobTitle: single('jobTitle'),
      officeLocation: single('officeLocation'),
      businessPhones: officePhone ? [officePhone] : [],
      mobilePhone: phone('mobilePhone', single('mobilePhone')),
      otherMails,
      alternateMobilePhone: phone('alternateMobilePhone', single('alternateMobilePhone')),
      onPremisesSamAccountName: single('onPremisesSamAccountName'),
      accountEnabled: accountEnabledOf(entry, flavor),
    },
  };
}

/**
 * The source anchor as Entra's `onPremisesImmutableId`: base64 of the GUID's 16 bytes. AD: `ms-DS-ConsistencyGuid`
 * when set, else `objectGUID` (both binary). OpenLDAP: `entryUUID` (text), turned into its bytes.
 */
export function anchorOf(entry: DirectoryEntry, flavor: DirectoryFlavor): string | null {
  if (flavor === 'activeDirectory') {
    const bytes = firstBinary(entry, 'mS-DS-ConsistencyGuid') ?? firstBinary(entry, 'objectGUID');
    return bytes && bytes.length === 16 ? Buffer.from(bytes).toString('base64') : null;
  }
  const uuid = firstText(entry, 'entryUUID');
  if (!uuid || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) return null;
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64');
}

/** AD: bit 2 (ACCOUNTDISABLE) of `userAccountControl`; OpenLDAP has no standard flag, so enabled. */
function accountEnabledOf(entry: DirectoryEntry, flavor: DirectoryFlavor): boolean {
  if (flavor !== 'activeDirectory') return true;
  const control = Number(firstText(entry, 'userAccountControl') ?? '0');
  return Number.isFinite(control) ? (control & 2) === 0 : true;
}

function findKey<T>(record: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  if (!record) return undefined;
  if (name in record) return record[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
  return undefined;
}

function firstText(entry: DirectoryEntry, name: string): string | undefined {
  return findKey(entry.attributes, name)?.[0];
}

function firstBinary(entry: DirectoryEntry, name: string): Uint8Array | undefined {
  return findKey(entry.binary, name)?.[0];
}

function sourceValues(entry: DirectoryEntry, source: MappingSource): string[] {
  if (source.kind === 'constant') return [source.value];
  if (source.kind === 'attribute') return [...(findKey(entry.attributes, source.attribute) ?? [])];
  const value = evaluate(parsedExpression(source.expression), entry);
  return value === null ? [] : [value];
}

/** Parsed mapping expressions by text: a run maps every entry with the same few rules. */
const parsedExpressions = new Map<string, Expression>();

function parsedExpression(text: string): Expression {
  let expression = parsedExpressions.get(text);
  if (expression === undefined) {
    expression = parseExpression(text);
    if (parsedExpressions.size >= 256) parsedExpressions.clear();
    parsedExpressions.set(text, expression);
  }
  return expression;
}

// --- expressions -------------------------------------------------------------------------------------------

/**
 * A small expression language for mappings: attribute names, "string literals", `+` to concatenate, and the
 * functions Coalesce(a, b, ...), Lower(x), Upper(x), Trim(x), Left(x, n), Replace(x, "old", "new"). A missing
 * attribute is null; concatenating null gives null (so Coalesce can fall back).
 */
export type Expression =
  | { readonly kind: 'attribute'; readonly name: string }
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'concat'; readonly parts: readonly Expression[] }
  | { readonly kind: 'call'; readonly name: FunctionName; readonly args: readonly Expression[] };

const functionNames = ['Coalesce', 'Lower', 'Upper', 'Trim', 'Left', 'Replace'] as const;
type FunctionName = (typeof functionNames)[number];

export class ExpressionError extends Error {}

export function parseExpression(text: string): Expression {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const take = () => tokens[position++];
  const expect = (value: string) => {
    const token = take();
    if (token?.value !== value) throw new ExpressionError(`Expected "${value}" in mapping expression: ${text}`);
  };
  const parseConcat = (): Expression => {
    const parts = [parseTerm()];
    while (peek()?.value === '+') {
      take();
      parts.push(parseTerm());
    }
    return parts.length === 1 ? (parts[0] as Expression) : { kind: 'concat', parts };
  };
  const parseTerm = (): Expression => {
    const token = take();
    if (!token) throw new ExpressionError(`Unexpected end of mapping expression: ${text}`);
    if (token.kind === 'string') return { kind: 'literal', value: token.value };
    if (token.kind === 'number') return { kind: 'literal', value: token.value };
    if (token.kind !== 'name') throw new ExpressionError(`Unexpected "${token.value}" in mapping expression: ${text}`);
    if (peek()?.value !== '(') return { kind: 'attribute', name: token.value };
    const name = functionNames.find((candidate) => candidate.toLowerCase() === token.value.toLowerCase());
    if (!name) throw new ExpressionError(`Unknown function ${token.value} in mapping expression: ${text}`);
    take();
    const args: Expression[] = [];
    if (peek()?.value !== ')') {
      args.push(parseConcat());
      while (peek()?.value === ',') {
        take();
        args.push(parseConcat());
      }
    }
    expect(')');
    const arity: Record<FunctionName, [number, number]> = {
      Coalesce: [1, 16],
      Lower: [1, 1],
      Upper: [1, 1],
      Trim: [1, 1],
      Left: [2, 2],
      Replace: [3, 3],
    };
    const [min, max] = arity[name];
    if (args.length < min || args.length > max) {
      throw new ExpressionError(`${name} takes ${min === max ? min : `${min} to ${max}`} arguments: ${text}`);
    }
    return { kind: 'call', name, args };
  };
  const expression = parseConcat();
  if (position !== tokens.length)
    throw new ExpressionError(`Unexpected "${peek()?.value}" in mapping expression: ${text}`);
  return expression;
}

interface Token {
  readonly kind: 'name' | 'string' | 'number' | 'symbol';
  readonly value: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      index++;
    } else if (char === '"') {
      let value = '';
      index++;
      while (index < text.length && text[index] !== '"') {
        if (text[index] === '\\' && index + 1 < text.length) index++;
        value += text[index];
        index++;
      }
      if (index >= text.length) throw new ExpressionError(`Unterminated string in mapping expression: ${text}`);
      index++;
      tokens.push({ kind: 'string', value });
    } else if (/[0-9]/.test(char)) {
      const match = /^[0-9]+/.exec(text.slice(index))?.[0] ?? '';
      tokens.push({ kind: 'number', value: match });
      index += match.length;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_;-]*/.exec(text.slice(index))?.[0] ?? '';
      tokens.push({ kind: 'name', value: match });
      index += match.length;
    } else if ('(),+'.includes(char)) {
      tokens.push({ kind: 'symbol', value: char });
      index++;
    } else {
      throw new ExpressionError(`Unexpected "${char}" in mapping expression: ${text}`);
    }
  }
  return tokens;
}

export function evaluate(expression: Expression, entry: DirectoryEntry): string | null {
  switch (expression.kind) {
    case 'literal':
      return expression.value;
    case 'attribute': {
      const value = firstText(entry, expression.name);
      return value === undefined || value.trim() === '' ? null : value;
    }
    case 'concat': {
      let result = '';
      for (const part of expression.parts) {
        const value = evaluate(part, entry);
        if (value === null) return null;
        result += value;
      }
      return result;
    }
    case 'call': {
      const args = expression.args.map((arg) => evaluate(arg, entry));
      const [first = null, second = null, third = null] = args;
      switch (expression.name) {
        case 'Coalesce':
          return args.find((value) => value !== null) ?? null;
        case 'Lower':
          return first?.toLowerCase() ?? null;
        case 'Upper':
          return first?.toUpperCase() ?? null;
        case 'Trim':
          return first?.trim() ?? null;
        case 'Left':
          return first === null ? null : first.slice(0, Number(second ?? '0'));
        case 'Replace':
          return first === null ? null : first.split(second ?? '').join(third ?? '');
      }
    }
  }
}

/** The LDAP attributes a run must read: every attribute the rules use, plus the anchor and the flavor's flags. */
export function mappedAttributes(rules: readonly MappingRule[], flavor: DirectoryFlavor): string[] {
  const names = new Set<string>(
    flavor === 'activeDirectory' ? ['objectGUID', 'mS-DS-ConsistencyGuid', 'userAccountControl'] : ['entryUUID'],
  );
  const collect = (expression: Expression): void => {
    if (expression.kind === 'attribute') names.add(expression.name);
    if (expression.kind === 'concat') for (const part of expression.parts) collect(part);
    if (expression.kind === 'call') for (const arg of expression.args) collect(arg);
  };
  for (const rule of rules) {
    if (rule.source.kind === 'attribute') names.add(rule.source.attribute);
    if (rule.source.kind === 'expression') collect(parseExpression(rule.source.expression));
  }
  return [...names];
}
