import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../domain/errors.js';
import type { UserOrder } from '../../../domain/user-query.js';
import { parseOrderBy } from './orderby.js';

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('parseOrderBy', () => {
  it.each<[string | undefined, UserOrder | undefined]>([
    [undefined, undefined],
    ['', undefined],
    [' ', undefined],
    ['displayName', { property: 'displayName', direction: 'asc' }],
    ['displayname asc', { property: 'displayName', direction: 'asc' }],
    ['displayName desc', { property: 'displayName', direction: 'desc' }],
    ['  userPrincipalName   DESC ', { property: 'userPrincipalName', direction: 'desc' }],
    ['USERPRINCIPALNAME', { property: 'userPrincipalName', direction: 'asc' }],
  ])('%j → %j', (text, expected) => {
    expect(parseOrderBy(text)).toEqual(expected);
  });

  it.each([
    'jobTitle',
    'createdDateTime desc',
    'displayName up',
    'displayName desc asc',
    'displayName,userPrincipalName',
    'displayName desc,userPrincipalName',
    'foo',
  ])('rejects %j with unsupported_query', (text) => {
    expect(errorOf(() => parseOrderBy(text)).code).toBe('unsupported_query');
  });

  it('names the unsupported property', () => {
    expect(errorOf(() => parseOrderBy('jobTitle')).message).toBe("Unsupported sort property 'jobTitle' for 'User'.");
  });
});
