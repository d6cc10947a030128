import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../domain/errors.js';
import { parseSelect } from './select.js';

const known = ['id', 'displayName', 'userPrincipalName', 'otherMails', 'businessPhones', 'mobilePhone'] as const;

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('parseSelect', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['   ', undefined],
    ['displayName', ['displayName']],
    ['displayname,OTHERMAILS', ['displayName', 'otherMails']],
    [' id , displayName ', ['id', 'displayName']],
    ['otherMails,id,otherMails,OtherMails', ['otherMails', 'id']],
    ['*', [...known]],
    ['mobilePhone,*', ['mobilePhone', 'id', 'displayName', 'userPrincipalName', 'otherMails', 'businessPhones']],
  ] as const)('%j → %j', (text, expected) => {
    expect(parseSelect(text, known)).toEqual(expected);
  });

  it.each(['foo', 'displayName,foo', 'displayName,,id', 'displayName,', 'manager/displayName', 'displayName id'])(
    'rejects %j with invalid_query',
    (text) => {
      expect(errorOf(() => parseSelect(text, known)).code).toBe('invalid_query');
    },
  );

  it("uses Graph's message for an unknown property", () => {
    const error = errorOf(() => parseSelect('id,Foo', known));
    expect(error.message).toBe("Could not find a property named 'Foo' on type 'microsoft.graph.user'.");
    expect(error.params).toEqual({ detail: error.message });
  });
});
