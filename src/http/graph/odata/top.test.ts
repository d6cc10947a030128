import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../domain/errors.js';
import { defaultPageSize } from '../../../domain/user-query.js';
import { parseTop } from './top.js';

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('parseTop', () => {
  it.each<[string | undefined, number]>([
    [undefined, defaultPageSize],
    ['1', 1],
    ['10', 10],
    ['999', 999],
    ['007', 7],
  ])('%j → %d', (text, expected) => {
    expect(parseTop(text)).toBe(expected);
  });

  it.each([
    '',
    '0',
    '1000',
    '-1',
    '1.5',
    '5.0',
    '1e2',
    '0x10',
    ' 5',
    '5 ',
    '+5',
    'ten',
    '99999999999999999999',
    'NaN',
    'Infinity',
  ])('rejects %j with invalid_page_size', (text) => {
    const error = errorOf(() => parseTop(text));
    expect(error.code).toBe('invalid_page_size');
    expect(error.params).toEqual({ value: text });
  });

  it("uses Graph's message", () => {
    expect(errorOf(() => parseTop('1000')).message).toBe(
      "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
    );
  });
});
