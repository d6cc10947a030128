/** `$search` on users: `"displayName:ada" AND "mail:ada@"`, each term a prefix match on one property. */
import { DomainError } from '../../../domain/errors.js';
import type { UserSearchTerm } from '../../../domain/user-query.js';

export const searchLimits = { maxLength: 1024, maxTerms: 10 } as const;

type SearchProperty = UserSearchTerm['property'];

/** `satisfies` keeps the list in step with the AST's property union. */
const searchPropertyFlags = {
  displayName: true,
  userPrincipalName: true,
  mail: true,
  givenName: true,
  surname: true,
  mobilePhone: true,
} as const satisfies Record<SearchProperty, true>;

const searchPropertyByLowerName: ReadonlyMap<string, SearchProperty> = new Map(
  (Object.keys(searchPropertyFlags) as SearchProperty[]).map((name) => [name.toLowerCase(), name]),
);

/** Absent → `undefined`; otherwise quoted `"property:text"` terms joined by `AND`. */
export function parseSearch(text: string | undefined): UserSearchTerm[] | undefined {
  if (text === undefined) return undefined;
  if (text.length > searchLimits.maxLength) {
    throw invalidSearch(`The $search expression is longer than ${searchLimits.maxLength} characters.`);
  }
  const terms: UserSearchTerm[] = [];
  let position = skipSpaces(text, 0);
  if (position === text.length) throw invalidSearch('The $search expression is empty.');
  while (position < text.length) {
    if (terms.length > 0) position = expectAnd(text, position);
    const { content, end } = readQuoted(text, position);
    terms.push(parseTerm(content));
    if (terms.length > searchLimits.maxTerms) {
      throw invalidSearch(`The $search expression has more than ${searchLimits.maxTerms} terms.`);
    }
    position = skipSpaces(text, end);
  }
  return terms;
}

function skipSpaces(text: string, position: number): number {
  let next = position;
  while (next < text.length && /\s/.test(text.charAt(next))) next += 1;
  return next;
}

/** Between terms only `AND` is supported; `OR` and `NOT` are valid Graph syntax we do not implement. */
function expectAnd(text: string, position: number): number {
  const word = /^[A-Za-z]+/.exec(text.slice(position))?.[0] ?? '';
  const operator = word.toUpperCase();
  if (operator === 'OR' || operator === 'NOT') {
    throw new DomainError(
      'unsupported_query',
      {},
      `The $search operator '${word}' is not supported; join terms with AND.`,
    );
  }
  if (operator !== 'AND') {
    throw invalidSearch(`Syntax error at position ${position} in '${text}': expected AND between quoted terms.`);
  }
  const next = skipSpaces(text, position + word.length);
  if (next === position + word.length) {
    throw invalidSearch(`Syntax error at position ${next} in '${text}': expected a space after AND.`);
  }
  return next;
}

/** A double-quoted term; `\"` and `\\` escape a quote and a backslash inside it. */
function readQuoted(text: string, start: number): { content: string; end: number } {
  if (text.charAt(start) !== '"') {
    throw invalidSearch(
      `Syntax error at position ${start} in '${text}': each term must be in double quotes, as in "displayName:ada".`,
    );
  }
  let content = '';
  let position = start + 1;
  while (position < text.length) {
    const char = text.charAt(position);
    if (char === '"') return { content, end: position + 1 };
    if (char === '\\' && position + 1 < text.length) {
      content += text.charAt(position + 1);
      position += 2;
      continue;
    }
    content += char;
    position += 1;
  }
  throw invalidSearch(`Syntax error at position ${start} in '${text}': unterminated quoted term.`);
}

function parseTerm(content: string): UserSearchTerm {
  const colon = content.indexOf(':');
  if (colon < 0) {
    throw invalidSearch(`The $search term "${content}" must name a property, as in "displayName:${content}".`);
  }
  const propertyName = content.slice(0, colon).trim();
  const searchText = content.slice(colon + 1).trim();
  const property = searchPropertyByLowerName.get(propertyName.toLowerCase());
  if (property === undefined) {
    throw new DomainError(
      'unsupported_query',
      { property: propertyName },
      `The property '${propertyName}' of resource 'User' does not support $search.`,
    );
  }
  if (searchText === '') throw invalidSearch(`The $search term "${content}" has no text to search for.`);
  return { property, text: searchText };
}

function invalidSearch(detail: string): DomainError {
  return new DomainError('invalid_query', { detail }, detail);
}
