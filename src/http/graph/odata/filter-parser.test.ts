import { describe, expect, it } from 'vitest';
import { DomainError, type ErrorCode } from '../../../domain/errors.js';
import type { UserFilter } from '../../../domain/user-query.js';
import { filterLimits, parseUserFilter } from './filter-parser.js';

const guid = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

const validFilters: ReadonlyArray<readonly [string, UserFilter]> = [
  ["displayName eq 'Ada'", { kind: 'eq', property: 'displayName', value: 'Ada' }],
  ["displayName ne 'Ada'", { kind: 'ne', property: 'displayName', value: 'Ada' }],
  ["userprincipalname eq 'ada@contoso.com'", { kind: 'eq', property: 'userPrincipalName', value: 'ada@contoso.com' }],
  ["USERPRINCIPALNAME EQ 'a'", { kind: 'eq', property: 'userPrincipalName', value: 'a' }],
  ["  mail   eq   'a@b.com'  ", { kind: 'eq', property: 'mail', value: 'a@b.com' }],
  ["displayName eq 'O''Brien'", { kind: 'eq', property: 'displayName', value: "O'Brien" }],
  ["displayName eq ''''", { kind: 'eq', property: 'displayName', value: "'" }],
  ["displayName eq ''", { kind: 'eq', property: 'displayName', value: '' }],
  ["displayName eq 'and or not eq ( ) ,'", { kind: 'eq', property: 'displayName', value: 'and or not eq ( ) ,' }],
  ["displayName eq 'Zoë 日本'", { kind: 'eq', property: 'displayName', value: 'Zoë 日本' }],
  ['mail eq null', { kind: 'eq', property: 'mail', value: null }],
  ['jobTitle ne null', { kind: 'ne', property: 'jobTitle', value: null }],
  ["givenName eq 'G'", { kind: 'eq', property: 'givenName', value: 'G' }],
  ["surname eq 'S'", { kind: 'eq', property: 'surname', value: 'S' }],
  ["officeLocation eq 'B1'", { kind: 'eq', property: 'officeLocation', value: 'B1' }],
  ["preferredLanguage eq 'en-US'", { kind: 'eq', property: 'preferredLanguage', value: 'en-US' }],
  ["mobilePhone eq '+1 4255550100'", { kind: 'eq', property: 'mobilePhone', value: '+1 4255550100' }],
  ["onPremisesImmutableId eq 'abc=='", { kind: 'eq', property: 'onPremisesImmutableId', value: 'abc==' }],
  ['accountEnabled eq false', { kind: 'eq', property: 'accountEnabled', value: false }],
  ['accountEnabled eq TRUE', { kind: 'eq', property: 'accountEnabled', value: true }],
  ['onPremisesSyncEnabled ne true', { kind: 'ne', property: 'onPremisesSyncEnabled', value: true }],
  ['onPremisesSyncEnabled eq null', { kind: 'eq', property: 'onPremisesSyncEnabled', value: null }],
  [`id eq ${guid}`, { kind: 'eq', property: 'id', value: guid }],
  [`id eq '${guid}'`, { kind: 'eq', property: 'id', value: guid }],
  [`id eq ${guid.toUpperCase()}`, { kind: 'eq', property: 'id', value: guid }],
  ["id eq 'not-a-guid'", { kind: 'eq', property: 'id', value: 'not-a-guid' }],
  [`id in (${guid}, 'x')`, { kind: 'in', property: 'id', values: [guid, 'x'] }],
  ["startswith(displayName,'Ad')", { kind: 'startsWith', property: 'displayName', value: 'Ad' }],
  ["startsWith(displayName, 'Ad')", { kind: 'startsWith', property: 'displayName', value: 'Ad' }],
  ["STARTSWITH( mail , 'a' )", { kind: 'startsWith', property: 'mail', value: 'a' }],
  ["startswith(mobilePhone,'+1')", { kind: 'startsWith', property: 'mobilePhone', value: '+1' }],
  ["displayName in ('a','b')", { kind: 'in', property: 'displayName', values: ['a', 'b'] }],
  ["displayName IN ( 'a' )", { kind: 'in', property: 'displayName', values: ['a'] }],
  ["mail in ('a', null)", { kind: 'in', property: 'mail', values: ['a', null] }],
  ['accountEnabled in (true, false)', { kind: 'in', property: 'accountEnabled', values: [true, false] }],
  [
    "displayName eq 'a' and mail eq 'b'",
    {
      kind: 'and',
      clauses: [
        { kind: 'eq', property: 'displayName', value: 'a' },
        { kind: 'eq', property: 'mail', value: 'b' },
      ],
    },
  ],
  [
    "displayName eq 'a' or mail eq 'b'",
    {
      kind: 'or',
      clauses: [
        { kind: 'eq', property: 'displayName', value: 'a' },
        { kind: 'eq', property: 'mail', value: 'b' },
      ],
    },
  ],
  [
    // `and` binds tighter than `or`.
    "displayName eq 'a' or mail eq 'b' and surname eq 'c'",
    {
      kind: 'or',
      clauses: [
        { kind: 'eq', property: 'displayName', value: 'a' },
        {
          kind: 'and',
          clauses: [
            { kind: 'eq', property: 'mail', value: 'b' },
            { kind: 'eq', property: 'surname', value: 'c' },
          ],
        },
      ],
    },
  ],
  [
    "displayName eq 'a' and mail eq 'b' or surname eq 'c'",
    {
      kind: 'or',
      clauses: [
        {
          kind: 'and',
          clauses: [
            { kind: 'eq', property: 'displayName', value: 'a' },
            { kind: 'eq', property: 'mail', value: 'b' },
          ],
        },
        { kind: 'eq', property: 'surname', value: 'c' },
      ],
    },
  ],
  [
    "(displayName eq 'a' or mail eq 'b') and surname eq 'c'",
    {
      kind: 'and',
      clauses: [
        {
          kind: 'or',
          clauses: [
            { kind: 'eq', property: 'displayName', value: 'a' },
            { kind: 'eq', property: 'mail', value: 'b' },
          ],
        },
        { kind: 'eq', property: 'surname', value: 'c' },
      ],
    },
  ],
  [
    // Nested groups of the same operator flatten.
    "displayName eq 'a' and (mail eq 'b' and (surname eq 'c'))",
    {
      kind: 'and',
      clauses: [
        { kind: 'eq', property: 'displayName', value: 'a' },
        { kind: 'eq', property: 'mail', value: 'b' },
        { kind: 'eq', property: 'surname', value: 'c' },
      ],
    },
  ],
  ["((displayName eq 'a'))", { kind: 'eq', property: 'displayName', value: 'a' }],
  ["not(displayName eq 'a')", { kind: 'not', clause: { kind: 'eq', property: 'displayName', value: 'a' } }],
  ["NOT (startswith(mail,'x'))", { kind: 'not', clause: { kind: 'startsWith', property: 'mail', value: 'x' } }],
  [
    // `not` binds tighter than `and`.
    "not displayName eq 'a' and mail eq 'b'",
    {
      kind: 'and',
      clauses: [
        { kind: 'not', clause: { kind: 'eq', property: 'displayName', value: 'a' } },
        { kind: 'eq', property: 'mail', value: 'b' },
      ],
    },
  ],
  [
    "not(otherMails/any(x:x eq 'a@b.com'))",
    { kind: 'not', clause: { kind: 'any', property: 'otherMails', operator: 'eq', value: 'a@b.com' } },
  ],
  ["otherMails/any(x:x eq 'a@b.com')", { kind: 'any', property: 'otherMails', operator: 'eq', value: 'a@b.com' }],
  ["othermails/ANY( x : x eq 'a@b.com' )", { kind: 'any', property: 'otherMails', operator: 'eq', value: 'a@b.com' }],
  ["otherMails/any(m:startswith(m,'a'))", { kind: 'any', property: 'otherMails', operator: 'startsWith', value: 'a' }],
  [
    "businessPhones/any(p:p eq '+1 4251234567')",
    { kind: 'any', property: 'businessPhones', operator: 'eq', value: '+1 4251234567' },
  ],
  [
    "businessPhones/any(p:startswith(p,'+1'))",
    { kind: 'any', property: 'businessPhones', operator: 'startsWith', value: '+1' },
  ],
  [
    // A lambda variable may share a property's name: inside the lambda it is the element.
    "otherMails/any(mail:mail eq 'a')",
    { kind: 'any', property: 'otherMails', operator: 'eq', value: 'a' },
  ],
  [
    "otherMails/any(x:x in ('a','b'))",
    {
      kind: 'or',
      clauses: [
        { kind: 'any', property: 'otherMails', operator: 'eq', value: 'a' },
        { kind: 'any', property: 'otherMails', operator: 'eq', value: 'b' },
      ],
    },
  ],
  [
    "otherMails/any(x:x eq 'a' or startswith(x,'b'))",
    {
      kind: 'or',
      clauses: [
        { kind: 'any', property: 'otherMails', operator: 'eq', value: 'a' },
        { kind: 'any', property: 'otherMails', operator: 'startsWith', value: 'b' },
      ],
    },
  ],
  [
    "accountEnabled eq true and otherMails/any(x:x eq 'a') and startswith(displayName,'A')",
    {
      kind: 'and',
      clauses: [
        { kind: 'eq', property: 'accountEnabled', value: true },
        { kind: 'any', property: 'otherMails', operator: 'eq', value: 'a' },
        { kind: 'startsWith', property: 'displayName', value: 'A' },
      ],
    },
  ],
  [
    'createdDateTime ge 2024-01-01T00:00:00Z',
    { kind: 'ge', property: 'createdDateTime', value: '2024-01-01T00:00:00.000Z' },
  ],
  [
    'createdDateTime gt 2024-01-01T00:00Z',
    { kind: 'gt', property: 'createdDateTime', value: '2024-01-01T00:00:00.000Z' },
  ],
  [
    'createdDateTime le 2024-02-29T23:59:59.999Z',
    { kind: 'le', property: 'createdDateTime', value: '2024-02-29T23:59:59.999Z' },
  ],
  [
    'createdDateTime lt 2024-01-01T02:00:00+02:00',
    { kind: 'lt', property: 'createdDateTime', value: '2024-01-01T00:00:00.000Z' },
  ],
  [
    'createdDateTime lt 2023-12-31T22:30:00-01:30',
    { kind: 'lt', property: 'createdDateTime', value: '2024-01-01T00:00:00.000Z' },
  ],
  [
    'createdDateTime eq 2024-01-01T00:00:00.1234567Z',
    { kind: 'eq', property: 'createdDateTime', value: '2024-01-01T00:00:00.123Z' },
  ],
  [
    'createddatetime GE 2024-01-01t00:00:00z',
    { kind: 'ge', property: 'createdDateTime', value: '2024-01-01T00:00:00.000Z' },
  ],
  ['createdDateTime eq null', { kind: 'eq', property: 'createdDateTime', value: null }],
  [
    'createdDateTime ge 2024-01-01T00:00:00Z and createdDateTime lt 2025-01-01T00:00:00Z',
    {
      kind: 'and',
      clauses: [
        { kind: 'ge', property: 'createdDateTime', value: '2024-01-01T00:00:00.000Z' },
        { kind: 'lt', property: 'createdDateTime', value: '2025-01-01T00:00:00.000Z' },
      ],
    },
  ],
  [
    'createdDateTime in (2024-01-01T00:00:00Z, null)',
    { kind: 'in', property: 'createdDateTime', values: ['2024-01-01T00:00:00.000Z', null] },
  ],
];

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('parseUserFilter: valid filters', () => {
  it.each(validFilters)('%s', (text, expected) => {
    expect(parseUserFilter(text)).toEqual(expected);
  });
});

const invalidFilters: ReadonlyArray<readonly [string, ErrorCode]> = [
  // Syntax errors.
  ['', 'invalid_query'],
  ['   ', 'invalid_query'],
  ['displayName eq', 'invalid_query'],
  ['displayName', 'unsupported_query'],
  ["displayName eq 'unterminated", 'invalid_query'],
  ["displayName eq 'a' and", 'invalid_query'],
  ["displayName eq 'a' or or mail eq 'b'", 'invalid_query'],
  ["(displayName eq 'a'", 'invalid_query'],
  ["displayName eq 'a')", 'invalid_query'],
  ["displayName eq 'a' mail eq 'b'", 'invalid_query'],
  ["displayName == 'a'", 'invalid_query'],
  ['displayName eq "a"', 'invalid_query'],
  ["displayName eq 'a' & mail eq 'b'", 'invalid_query'],
  ["displayName in 'a'", 'invalid_query'],
  ['displayName in ()', 'invalid_query'],
  ["displayName in ('a',)", 'invalid_query'],
  ["displayName in ('a' 'b')", 'invalid_query'],
  ["startswith(displayName,'a'", 'invalid_query'],
  ["otherMails/any(x x eq 'a')", 'invalid_query'],
  ["otherMails/any(x:x eq 'a'", 'invalid_query'],
  ["otherMails/(x:x eq 'a')", 'invalid_query'],
  ['not', 'invalid_query'],
  ['()', 'invalid_query'],
  ["eq 'a'", 'invalid_query'],
  ["displayName eq and mail eq 'b'", 'invalid_query'],
  ["microsoft.graph.user/displayName eq 'a'", 'invalid_query'],
  // Wrong value types.
  ["accountEnabled eq 'true'", 'invalid_query'],
  ['displayName eq 5', 'invalid_query'],
  ['displayName eq true', 'invalid_query'],
  [`displayName eq ${guid}`, 'invalid_query'],
  ['id eq null', 'invalid_query'],
  ["createdDateTime ge '2024-01-01T00:00:00Z'", 'invalid_query'],
  ['createdDateTime ge 2024-01-01', 'invalid_query'],
  ['createdDateTime ge 2024-13-01T00:00:00Z', 'invalid_query'],
  ['createdDateTime ge 2023-02-29T00:00:00Z', 'invalid_query'],
  ['createdDateTime ge 2024-01-01T24:00:00Z', 'invalid_query'],
  ['createdDateTime ge 2024-01-01T00:00:00+15:00', 'invalid_query'],
  ['createdDateTime ge null', 'invalid_query'],
  ["accountEnabled in (true, 'false')", 'invalid_query'],
  ['startswith(displayName, 5)', 'invalid_query'],
  ['startswith(displayName)', 'invalid_query'],
  ["startswith(displayName,'a','b')", 'invalid_query'],
  ['otherMails/any(x:x eq 5)', 'invalid_query'],
  ['otherMails/any(x:x eq null)', 'invalid_query'],
  ["foo(displayName) eq 'a'", 'invalid_query'],
  ["frobnicate(displayName,'a')", 'invalid_query'],
  // Well-formed, but not something Graph supports on users.
  ["foo eq 'x'", 'unsupported_query'],
  ["jobTitle gt 'a'", 'unsupported_query'],
  ["displayName ge 'a'", 'unsupported_query'],
  ["otherMails eq 'x'", 'unsupported_query'],
  ["businessPhones eq '+1 425'", 'unsupported_query'],
  ["startswith(otherMails,'a')", 'unsupported_query'],
  ["startswith(accountEnabled,'a')", 'unsupported_query'],
  ["startswith(id,'a')", 'unsupported_query'],
  ["startswith(createdDateTime,'2024')", 'unsupported_query'],
  ["endswith(mail,'@contoso.com')", 'unsupported_query'],
  ["contains(displayName,'a')", 'unsupported_query'],
  ["tolower(displayName) eq 'a'", 'unsupported_query'],
  ["startswith(tolower(displayName),'a')", 'unsupported_query'],
  ['displayName eq givenName', 'unsupported_query'],
  ["'Ada' eq displayName", 'unsupported_query'],
  ["'a' eq 'a'", 'unsupported_query'],
  ['true', 'unsupported_query'],
  ["manager/displayName eq 'a'", 'unsupported_query'],
  ["accountEnabled has 'x'", 'unsupported_query'],
  ['id gt 3f2504e0-4f89-11d3-9a0c-0305e82c3301', 'unsupported_query'],
  ["otherMails/all(x:x eq 'a')", 'unsupported_query'],
  ['otherMails/any()', 'unsupported_query'],
  ["otherMails/any(x:x ne 'a')", 'unsupported_query'],
  ["otherMails/any(x:endswith(x,'a'))", 'unsupported_query'],
  ["otherMails/any(x:x eq 'a' and x eq 'b')", 'unsupported_query'],
  ["otherMails/any(x:not(x eq 'a'))", 'unsupported_query'],
  ["otherMails/any(x:displayName eq 'a')", 'unsupported_query'],
  ["otherMails/any(x:y eq 'a')", 'unsupported_query'],
  ["otherMails/any(x:otherMails/any(y:y eq 'a'))", 'unsupported_query'],
  ["displayName/any(x:x eq 'a')", 'unsupported_query'],
  ["proxyAddresses/any(x:x eq 'smtp:a@b.com')", 'unsupported_query'],
  ['otherMails/$count eq 0', 'unsupported_query'],
];

describe('parseUserFilter: rejected filters', () => {
  it.each(invalidFilters)('%s → %s', (text, code) => {
    expect(errorOf(() => parseUserFilter(text)).code).toBe(code);
  });
});

describe('parseUserFilter: error messages', () => {
  it('points at the position of a syntax error', () => {
    const error = errorOf(() => parseUserFilter('displayName eq'));
    expect(error.message).toBe(
      "Invalid filter clause: Syntax error at position 14 in 'displayName eq'. Expected a value after 'eq'.",
    );
    expect(error.params).toEqual({ detail: error.message });
  });

  it('points at an unterminated string', () => {
    expect(errorOf(() => parseUserFilter("mail eq 'a")).message).toContain(
      "Syntax error at position 8 in 'mail eq 'a'",
    );
  });

  it('explains a date and time without a time zone', () => {
    expect(errorOf(() => parseUserFilter('createdDateTime ge 2024-01-01T00:00:00')).message).toBe(
      "Invalid filter clause: Syntax error at position 19 in 'createdDateTime ge 2024-01-01T00:00:00'. A date and time needs a time zone, as in 2024-01-01T00:00:00Z.",
    );
  });

  it('names the unsupported property as Graph does', () => {
    const error = errorOf(() => parseUserFilter("foo eq 'x'"));
    expect(error.message).toBe(
      "Unsupported or invalid query filter clause specified for property 'foo' of resource 'User'.",
    );
    expect(error.params).toEqual({ property: 'foo' });
  });

  it('names the collection for an unsupported lambda body', () => {
    expect(errorOf(() => parseUserFilter("otherMails/any(x:x ne 'a')")).message).toContain("property 'otherMails'");
  });

  it('reports incompatible operand types', () => {
    expect(errorOf(() => parseUserFilter("accountEnabled eq 'true'")).message).toBe(
      "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.Boolean' and 'Edm.String' for operator kind 'Equal'.",
    );
  });

  it('reports an unknown function', () => {
    expect(errorOf(() => parseUserFilter("frob(mail,'a')")).message).toBe(
      "Invalid filter clause: An unknown function with name 'frob' was found.",
    );
  });
});

describe('parseUserFilter: limits', () => {
  it(`rejects text longer than ${filterLimits.maxLength} characters`, () => {
    const text = `displayName eq '${'a'.repeat(filterLimits.maxLength)}'`;
    expect(errorOf(() => parseUserFilter(text)).code).toBe('invalid_query');
  });

  it('accepts a long string value within the length limit', () => {
    const value = 'a'.repeat(filterLimits.maxLength - 20);
    expect(parseUserFilter(`mail eq '${value}'`)).toEqual({ kind: 'eq', property: 'mail', value });
  });

  it(`accepts ${filterLimits.maxTerms} clauses and rejects one more`, () => {
    const clauses = (count: number) => Array.from({ length: count }, (_, i) => `mail eq '${i}'`).join(' or ');
    const parsed = parseUserFilter(clauses(filterLimits.maxTerms));
    expect(parsed.kind === 'or' && parsed.clauses.length).toBe(filterLimits.maxTerms);
    expect(errorOf(() => parseUserFilter(clauses(filterLimits.maxTerms + 1))).code).toBe('invalid_query');
  });

  it('counts the values of an in list as clauses', () => {
    const values = Array.from({ length: filterLimits.maxTerms }, (_, i) => `'${i}'`).join(',');
    expect(errorOf(() => parseUserFilter(`mail in (${values})`)).code).toBe('invalid_query');
  });

  it(`accepts nesting ${filterLimits.maxDepth} deep and rejects deeper`, () => {
    const nested = (depth: number) => `${'('.repeat(depth)}mail eq 'a'${')'.repeat(depth)}`;
    expect(parseUserFilter(nested(filterLimits.maxDepth))).toEqual({ kind: 'eq', property: 'mail', value: 'a' });
    expect(errorOf(() => parseUserFilter(nested(filterLimits.maxDepth + 1))).code).toBe('invalid_query');
  });

  it('survives hostile nesting within the length limit', () => {
    const hostile = [
      '('.repeat(filterLimits.maxLength),
      'not '.repeat(1000) + "mail eq 'a'",
      `${'not('.repeat(800)}mail eq 'a'${')'.repeat(800)}`,
      `${'otherMails/any(x:'.repeat(200)}x eq 'a'${')'.repeat(200)}`,
      `${'startswith('.repeat(300)}mail,'a')`,
    ];
    for (const text of hostile) {
      expect(errorOf(() => parseUserFilter(text.slice(0, filterLimits.maxLength))).code).toBe('invalid_query');
    }
  });

  it('parses a long flat chain without recursion trouble', () => {
    const text = Array.from({ length: filterLimits.maxTerms }, () => 'accountEnabled eq true').join(' and ');
    expect(text.length).toBeLessThan(filterLimits.maxLength);
    expect(parseUserFilter(text).kind).toBe('and');
  });
});
