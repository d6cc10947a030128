import { describe, expect, it } from 'vitest';
import { DomainError, type ErrorCode } from '../../../domain/errors.js';
import type { UserSearchTerm } from '../../../domain/user-query.js';
import { parseSearch, searchLimits } from './search.js';

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('parseSearch', () => {
  it.each<[string | undefined, UserSearchTerm[] | undefined]>([
    [undefined, undefined],
    ['"displayName:ada"', [{ property: 'displayName', text: 'ada' }]],
    ['"displayname:Ada Lovelace"', [{ property: 'displayName', text: 'Ada Lovelace' }]],
    ['  "mail:ada@"  ', [{ property: 'mail', text: 'ada@' }]],
    ['"mail: ada "', [{ property: 'mail', text: 'ada' }]],
    ['"userPrincipalName:a:b"', [{ property: 'userPrincipalName', text: 'a:b' }]],
    ['"displayName:say \\"hi\\""', [{ property: 'displayName', text: 'say "hi"' }]],
    ['"displayName:back\\\\slash"', [{ property: 'displayName', text: 'back\\slash' }]],
    [
      '"displayName:ada" AND "mail:ada@"',
      [
        { property: 'displayName', text: 'ada' },
        { property: 'mail', text: 'ada@' },
      ],
    ],
    [
      '"givenName:a" and "surname:b"   AND   "mobilePhone:+1"',
      [
        { property: 'givenName', text: 'a' },
        { property: 'surname', text: 'b' },
        { property: 'mobilePhone', text: '+1' },
      ],
    ],
  ])('%j → %j', (text, expected) => {
    expect(parseSearch(text)).toEqual(expected);
  });

  it.each<[string, ErrorCode]>([
    ['', 'invalid_query'],
    ['   ', 'invalid_query'],
    ['displayName:ada', 'invalid_query'],
    ['"displayName:ada', 'invalid_query'],
    ['"ada"', 'invalid_query'],
    ['"displayName:"', 'invalid_query'],
    ['"displayName:   "', 'invalid_query'],
    ['"displayName:a" "mail:b"', 'invalid_query'],
    ['"displayName:a" AND', 'invalid_query'],
    ['"displayName:a" AND"mail:b"', 'invalid_query'],
    ['"displayName:a" XOR "mail:b"', 'invalid_query'],
    ["'displayName:a'", 'invalid_query'],
    ['"displayName:a" OR "mail:b"', 'unsupported_query'],
    ['"displayName:a" or "mail:b"', 'unsupported_query'],
    ['"displayName:a" NOT "mail:b"', 'unsupported_query'],
    ['"jobTitle:dev"', 'unsupported_query'],
    ['"id:123"', 'unsupported_query'],
    [`"displayName:${'a'.repeat(searchLimits.maxLength)}"`, 'invalid_query'],
    [Array.from({ length: searchLimits.maxTerms + 1 }, () => '"mail:a"').join(' AND '), 'invalid_query'],
  ])('rejects %j with %s', (text, code) => {
    expect(errorOf(() => parseSearch(text)).code).toBe(code);
  });

  it(`accepts ${searchLimits.maxTerms} terms`, () => {
    const text = Array.from({ length: searchLimits.maxTerms }, () => '"mail:a"').join(' AND ');
    expect(parseSearch(text)).toHaveLength(searchLimits.maxTerms);
  });
});
