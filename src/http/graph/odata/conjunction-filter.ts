/**
 * `$filter` for the audit log and the registration report: Graph supports only comparisons joined
 * with `and` there (plus one `any` lambda on the audit log), so this is a small dedicated parser,
 * separate from the users filter. Malformed text is `invalid_query`; a well-formed clause the
 * resource does not support is `unsupported_query`.
 */
import type { AuditFilter, AuditFilterClause, AuditTextProperty } from '../../../domain/audit-query.js';
import { DomainError } from '../../../domain/errors.js';
import type { RegistrationFilter, RegistrationFlag } from '../../../domain/registration-report.js';

const maxLength = 2048;
const maxClauses = 20;

type Token =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'dateTime'; readonly value: string }
  | { readonly type: 'word'; readonly value: string }
  | { readonly type: 'punctuation'; readonly value: '(' | ')' | ':' | ',' };

type Literal = { readonly type: 'string' | 'dateTime' | 'boolean' | 'other'; readonly value: string };

/** One comparison: `path operator literal`, or `collection/any(v:v/path operator literal)`. */
export interface Comparison {
  readonly path: string;
  readonly operator: string;
  readonly literal: Literal;
  /** For a lambda: the collection it ranges over. */
  readonly anyOf?: string;
}

const dateTimePattern = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})/iy;
const wordPattern = /[A-Za-z_$][\w$]*(?:\/[A-Za-z_$][\w$]*)*/y;
const whitespacePattern = /\s+/y;

function invalid(reason: string): DomainError {
  const detail = `Invalid filter clause: ${reason}`;
  return new DomainError('invalid_query', { detail }, detail);
}

function unsupported(resource: string, property?: string): DomainError {
  const message =
    property === undefined
      ? `Unsupported or invalid query filter clause specified for resource '${resource}'.`
      : `Unsupported or invalid query filter clause specified for property '${property}' of resource '${resource}'.`;
  return new DomainError('unsupported_query', property === undefined ? {} : { property }, message);
}

function sticky(pattern: RegExp, text: string, position: number): string | undefined {
  pattern.lastIndex = position;
  return pattern.exec(text)?.[0];
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < text.length) {
    const space = sticky(whitespacePattern, text, position);
    if (space) {
      position += space.length;
      continue;
    }
    const char = text.charAt(position);
    if (char === '(' || char === ')' || char === ':' || char === ',') {
      tokens.push({ type: 'punctuation', value: char });
      position += 1;
      continue;
    }
    if (char === "'") {
      let value = '';
      let end = position + 1;
      for (;;) {
        if (end >= text.length) throw invalid('Unterminated string literal.');
        const next = text.charAt(end);
        if (next === "'") {
          if (text.charAt(end + 1) === "'") {
            value += "'";
            end += 2;
            continue;
          }
          break;
        }
        value += next;
        end += 1;
      }
      tokens.push({ type: 'string', value });
      position = end + 1;
      continue;
    }
    const dateTime = sticky(dateTimePattern, text, position);
    if (dateTime) {
      tokens.push({ type: 'dateTime', value: dateTime });
      position += dateTime.length;
      continue;
    }
    const word = sticky(wordPattern, text, position);
    if (word) {
      tokens.push({ type: 'word', value: word });
      position += word.length;
      continue;
    }
    throw invalid(`Unexpected character '${char}' at position ${position}.`);
  }
  return tokens;
}

/** Parses `a eq 'x' and b ge 2024-01-01T00:00:00Z and c/any(t:t/id eq 'y')` into comparisons. */
export function parseConjunction(text: string, resource: string): Comparison[] {
  if (text.length > maxLength) throw invalid(`The $filter expression is longer than ${maxLength} characters.`);
  const tokens = tokenize(text);
  if (tokens.length === 0) throw invalid('The $filter expression is empty.');
  let index = 0;
  const peek = () => tokens[index];
  const take = () => {
    const token = tokens[index];
    if (!token) throw invalid('The $filter expression ends too early.');
    index += 1;
    return token;
  };
  const expectPunctuation = (value: '(' | ')' | ':') => {
    const token = take();
    if (token.type !== 'punctuation' || token.value !== value) throw invalid(`Expected '${value}'.`);
  };
  const literal = (): Literal => {
    const token = take();
    if (token.type === 'string' || token.type === 'dateTime') return { type: token.type, value: token.value };
    if (token.type === 'word' && (token.value === 'true' || token.value === 'false'))
      return { type: 'boolean', value: token.value };
    if (token.type === 'word') return { type: 'other', value: token.value };
    throw invalid('Expected a value.');
  };
  const operator = (): string => {
    const token = take();
    if (token.type !== 'word') throw invalid('Expected an operator.');
    return token.value;
  };

  const comparisons: Comparison[] = [];
  for (;;) {
    const first = take();
    if (first.type === 'punctuation' && first.value === '(') throw unsupported(resource);
    if (first.type !== 'word') throw invalid('Expected a property name.');
    if (first.value === 'not') throw unsupported(resource);
    const next = peek();
    if (next?.type === 'punctuation' && next.value === '(') {
      // A lambda `collection/any(v:v/path op value)`; any other function call is unsupported.
      const match = /^(.+)\/(any|all)$/.exec(first.value);
      if (match?.[2] !== 'any') throw unsupported(resource, first.value);
      take();
      const variable = take();
      if (variable.type !== 'word' || variable.value.includes('/')) throw invalid('Expected a lambda variable.');
      expectPunctuation(':');
      const path = take();
      if (path.type !== 'word' || !path.value.startsWith(`${variable.value}/`))
        throw invalid(`Expected a path starting with '${variable.value}/'.`);
      const op = operator();
      const value = literal();
      expectPunctuation(')');
      comparisons.push({
        path: path.value.slice(variable.value.length + 1),
        operator: op,
        literal: value,
        anyOf: match[1] as string,
      });
    } else {
      comparisons.push({ path: first.value, operator: operator(), literal: literal() });
    }
    if (comparisons.length > maxClauses) throw invalid(`At most ${maxClauses} clauses are allowed.`);
    const joiner = peek();
    if (joiner === undefined) return comparisons;
    if (joiner.type !== 'word') throw invalid("Expected 'and'.");
    if (joiner.value === 'or') throw unsupported(resource);
    if (joiner.value !== 'and') throw invalid(`Unexpected '${joiner.value}'.`);
    take();
  }
}

const auditTextProperties: Readonly<Record<string, AuditTextProperty>> = {
  category: 'category',
  activityDisplayName: 'activityDisplayName',
  loggedByService: 'loggedByService',
  result: 'result',
  'initiatedBy/user/userPrincipalName': 'initiatedByUserPrincipalName',
};

/** `$filter` on `/auditLogs/directoryAudits`. */
export function parseAuditFilter(text: string): AuditFilter {
  const resource = 'directoryAudit';
  return parseConjunction(text, resource).map((comparison): AuditFilterClause => {
    if (comparison.anyOf !== undefined) {
      if (comparison.anyOf !== 'targetResources' || comparison.path !== 'id' || comparison.operator !== 'eq')
        throw unsupported(resource, comparison.anyOf);
      return { kind: 'eq', property: 'targetResourceId', value: stringValue(comparison) };
    }
    if (comparison.path === 'activityDateTime') {
      const { operator } = comparison;
      if (operator !== 'ge' && operator !== 'gt' && operator !== 'le' && operator !== 'lt')
        throw unsupported(resource, comparison.path);
      if (comparison.literal.type !== 'dateTime') throw invalid(`'activityDateTime' compares with a date and time.`);
      const instant = new Date(comparison.literal.value);
      if (Number.isNaN(instant.getTime())) throw invalid(`'${comparison.literal.value}' is not a valid date and time.`);
      return { kind: operator, property: 'activityDateTime', value: instant.toISOString() };
    }
    const property = auditTextProperties[comparison.path];
    if (property === undefined || comparison.operator !== 'eq') throw unsupported(resource, comparison.path);
    return { kind: 'eq', property, value: stringValue(comparison) };
  });
}

const registrationFlags: ReadonlySet<string> = new Set<RegistrationFlag>([
  'isSsprRegistered',
  'isSsprCapable',
  'isSsprEnabled',
  'isAdmin',
]);

/** `$filter` on `/reports/authenticationMethods/userRegistrationDetails`. */
export function parseRegistrationFilter(text: string): RegistrationFilter {
  const resource = 'userRegistrationDetails';
  return parseConjunction(text, resource).map((comparison) => {
    if (comparison.anyOf !== undefined || comparison.operator !== 'eq') throw unsupported(resource, comparison.path);
    if (comparison.path === 'userPrincipalName')
      return { kind: 'userPrincipalName' as const, value: stringValue(comparison) };
    if (!registrationFlags.has(comparison.path)) throw unsupported(resource, comparison.path);
    if (comparison.literal.type !== 'boolean') throw invalid(`'${comparison.path}' compares with true or false.`);
    return {
      kind: 'flag' as const,
      property: comparison.path as RegistrationFlag,
      value: comparison.literal.value === 'true',
    };
  });
}

function stringValue(comparison: Comparison): string {
  if (comparison.literal.type !== 'string') throw invalid(`'${comparison.path}' compares with a quoted string.`);
  return comparison.literal.value;
}
