/**
 * `$filter` for `/users`: OData text → `UserFilter`.
 *
 * Two stages keep the error classes apart: the parser turns text into a generic OData
 * syntax tree (any failure there is `invalid_query`), then the binder maps that tree onto
 * what Graph supports on users (a well-formed clause Graph would refuse is
 * `unsupported_query`; a value of the wrong type is `invalid_query`, as in Graph).
 */
import { DomainError } from '../../../domain/errors.js';
import type {
  FilterableCollectionProperty,
  FilterableScalarProperty,
  FilterValue,
  UserFilter,
} from '../../../domain/user-query.js';

/** Limits that keep hostile input from exhausting the stack or the database. */
export const filterLimits = {
  maxLength: 4096,
  /** Comparisons, function calls and lambdas, plus every value of an `in` list. */
  maxTerms: 100,
  /** Parentheses, `not` and lambdas nested inside one another. */
  maxDepth: 32,
} as const;

export function parseUserFilter(text: string): UserFilter {
  if (text.length > filterLimits.maxLength) {
    throw invalidFilter(`The $filter expression is longer than ${filterLimits.maxLength} characters.`);
  }
  if (text.trim() === '') {
    throw invalidFilter('The $filter expression is empty.');
  }
  const syntax = new FilterSyntaxParser(text).parse();
  return bindFilter(syntax, undefined);
}

// ---------------------------------------------------------------------------------------
// Errors

function invalidFilter(reason: string): DomainError {
  const detail = `Invalid filter clause: ${reason}`;
  return new DomainError('invalid_query', { detail }, detail);
}

function unsupportedFilter(propertyName: string | undefined): DomainError {
  const message =
    propertyName === undefined
      ? "Unsupported or invalid query filter clause specified for resource 'User'."
      : `Unsupported or invalid query filter clause specified for property '${propertyName}' of resource 'User'.`;
  return new DomainError('unsupported_query', propertyName === undefined ? {} : { property: propertyName }, message);
}

// ---------------------------------------------------------------------------------------
// Tokens

type LiteralType = 'string' | 'guid' | 'dateTimeOffset' | 'date' | 'number' | 'boolean' | 'null';

type Token =
  | { readonly type: 'punctuation'; readonly text: '(' | ')' | ',' | '/' | ':'; readonly position: number }
  | { readonly type: 'word'; readonly text: string; readonly position: number }
  | {
      readonly type: 'literal';
      readonly literalType: Exclude<LiteralType, 'boolean' | 'null'>;
      /** The unquoted value; for strings with `''` already collapsed to `'`. */
      readonly value: string;
      readonly text: string;
      readonly position: number;
    }
  | { readonly type: 'end'; readonly text: ''; readonly position: number };

const guidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\w-])/iy;
const dateTimeOffsetPattern =
  /(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?(Z|[+-]\d{2}:\d{2})(?![\w.:-])/iy;
const dateTimeWithoutZonePattern = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/iy;
const datePattern = /\d{4}-\d{2}-\d{2}(?![\w.:-])/y;
const numberPattern = /-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.-])/iy;
const wordPattern = /[A-Za-z_$][\w$]*/y;
const whitespacePattern = /\s+/y;

function stickyMatch(pattern: RegExp, text: string, position: number): RegExpExecArray | null {
  pattern.lastIndex = position;
  return pattern.exec(text);
}

class SyntaxFailure {
  readonly position: number;
  readonly reason: string;

  constructor(position: number, reason: string) {
    this.position = position;
    this.reason = reason;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < text.length) {
    const whitespace = stickyMatch(whitespacePattern, text, position);
    if (whitespace) {
      position += whitespace[0].length;
      continue;
    }
    const char = text.charAt(position);
    if (char === '(' || char === ')' || char === ',' || char === '/' || char === ':') {
      tokens.push({ type: 'punctuation', text: char, position });
      position += 1;
      continue;
    }
    if (char === "'") {
      const token = readStringLiteral(text, position);
      tokens.push(token);
      position += token.text.length;
      continue;
    }
    const literal =
      matchLiteral(guidPattern, 'guid', text, position) ??
      matchLiteral(dateTimeOffsetPattern, 'dateTimeOffset', text, position) ??
      matchLiteral(datePattern, 'date', text, position) ??
      matchLiteral(numberPattern, 'number', text, position);
    if (literal) {
      tokens.push(literal);
      position += literal.text.length;
      continue;
    }
    const word = stickyMatch(wordPattern, text, position);
    if (word) {
      tokens.push({ type: 'word', text: word[0], position });
      position += word[0].length;
      continue;
    }
    if (stickyMatch(dateTimeWithoutZonePattern, text, position)) {
      throw new SyntaxFailure(position, 'A date and time needs a time zone, as in 2024-01-01T00:00:00Z.');
    }
    throw new SyntaxFailure(position, `Unexpected character '${char}'.`);
  }
  tokens.push({ type: 'end', text: '', position: text.length });
  return tokens;
}

function matchLiteral(
  pattern: RegExp,
  literalType: 'guid' | 'dateTimeOffset' | 'date' | 'number',
  text: string,
  position: number,
): Token | undefined {
  const match = stickyMatch(pattern, text, position);
  if (!match) return undefined;
  return { type: 'literal', literalType, value: match[0], text: match[0], position };
}

function readStringLiteral(text: string, start: number): Token {
  let value = '';
  let position = start + 1;
  while (position < text.length) {
    const char = text.charAt(position);
    if (char === "'") {
      // OData escapes a quote inside a string by doubling it.
      if (text.charAt(position + 1) === "'") {
        value += "'";
        position += 2;
        continue;
      }
      return { type: 'literal', literalType: 'string', value, text: text.slice(start, position + 1), position: start };
    }
    value += char;
    position += 1;
  }
  throw new SyntaxFailure(start, 'Unterminated string literal.');
}

// ---------------------------------------------------------------------------------------
// Syntax tree: what the text says, before deciding whether Graph supports it.

type Operand =
  | {
      readonly type: 'literal';
      readonly literalType: LiteralType;
      readonly value: string | boolean | null;
      readonly text: string;
    }
  | { readonly type: 'path'; readonly segments: readonly string[] }
  | { readonly type: 'call'; readonly name: string; readonly args: readonly Operand[] }
  | {
      readonly type: 'lambda';
      readonly collection: readonly string[];
      readonly operator: string;
      readonly variable?: string;
      readonly body?: SyntaxNode;
    };

type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'has';

type SyntaxNode =
  | { readonly type: 'and' | 'or'; readonly operands: readonly SyntaxNode[] }
  | { readonly type: 'not'; readonly operand: SyntaxNode }
  | { readonly type: 'compare'; readonly operator: ComparisonOperator; readonly left: Operand; readonly right: Operand }
  | { readonly type: 'in'; readonly left: Operand; readonly values: readonly Operand[] }
  /** An operand standing alone as a condition: `startswith(...)`, a lambda, or a bare property. */
  | { readonly type: 'predicate'; readonly operand: Operand };

const comparisonOperators: ReadonlySet<string> = new Set<ComparisonOperator>([
  'eq',
  'ne',
  'gt',
  'ge',
  'lt',
  'le',
  'has',
]);

/** Recursive descent; `or` < `and` < `not` < comparison, as in OData. Keywords are case-insensitive, as in Graph. */
class FilterSyntaxParser {
  private readonly text: string;
  private readonly tokens: Token[];
  private index = 0;
  private depth = 0;
  private terms = 0;

  constructor(text: string) {
    this.text = text;
    this.tokens = this.guard(() => tokenize(text));
  }

  parse(): SyntaxNode {
    return this.guard(() => {
      const node = this.parseOr();
      const next = this.peek();
      if (next.type !== 'end') {
        throw new SyntaxFailure(next.position, `Unexpected '${next.text}'.`);
      }
      return node;
    });
  }

  /** Turns a positional failure into Graph's "Syntax error at position N in '...'" message. */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof SyntaxFailure) {
        throw invalidFilter(`Syntax error at position ${error.position} in '${this.text}'. ${error.reason}`);
      }
      throw error;
    }
  }

  private parseOr(): SyntaxNode {
    const operands = [this.parseAnd()];
    while (this.acceptKeyword('or')) operands.push(this.parseAnd());
    return operands.length === 1 && operands[0] ? operands[0] : { type: 'or', operands };
  }

  private parseAnd(): SyntaxNode {
    const operands = [this.parseUnary()];
    while (this.acceptKeyword('and')) operands.push(this.parseUnary());
    return operands.length === 1 && operands[0] ? operands[0] : { type: 'and', operands };
  }

  private parseUnary(): SyntaxNode {
    const token = this.peek();
    if (this.acceptKeyword('not')) {
      return this.nested(token.position, () => ({ type: 'not', operand: this.parseUnary() }));
    }
    if (this.acceptPunctuation('(')) {
      return this.nested(token.position, () => {
        const inner = this.parseOr();
        this.expectPunctuation(')', "Expected ')'.");
        return inner;
      });
    }
    return this.parseCondition();
  }

  private parseCondition(): SyntaxNode {
    const left = this.parseOperand();
    this.countTerms(1);
    const next = this.peek();
    if (next.type === 'word') {
      const keyword = next.text.toLowerCase();
      if (comparisonOperators.has(keyword)) {
        this.index += 1;
        const right = this.parseOperand(`Expected a value after '${next.text}'.`);
        return { type: 'compare', operator: keyword as ComparisonOperator, left, right };
      }
      if (keyword === 'in') {
        this.index += 1;
        return { type: 'in', left, values: this.parseValueList() };
      }
    }
    return { type: 'predicate', operand: left };
  }

  private parseValueList(): Operand[] {
    this.expectPunctuation('(', "Expected '(' after 'in'.");
    const values = [this.parseOperand()];
    while (this.acceptPunctuation(',')) values.push(this.parseOperand());
    this.countTerms(values.length);
    this.expectPunctuation(')', "Expected ',' or ')' in the 'in' list.");
    return values;
  }

  private parseOperand(reason = 'Expected a property, a value or a function.'): Operand {
    const token = this.peek();
    if (token.type === 'literal') {
      this.index += 1;
      return { type: 'literal', literalType: token.literalType, value: token.value, text: token.text };
    }
    if (token.type !== 'word') throw new SyntaxFailure(token.position, reason);

    const keyword = token.text.toLowerCase();
    if (keyword === 'true' || keyword === 'false') {
      this.index += 1;
      return { type: 'literal', literalType: 'boolean', value: keyword === 'true', text: token.text };
    }
    if (keyword === 'null') {
      this.index += 1;
      return { type: 'literal', literalType: 'null', value: null, text: token.text };
    }
    if (isReservedWord(keyword)) throw new SyntaxFailure(token.position, reason);

    this.index += 1;
    if (this.acceptPunctuation('(')) {
      return { type: 'call', name: token.text, args: this.parseArguments(token.position) };
    }
    return this.parsePathRest(token.text);
  }

  private parseArguments(position: number): Operand[] {
    return this.nested(position, () => {
      const args: Operand[] = [];
      if (this.acceptPunctuation(')')) return args;
      args.push(this.parseOperand());
      while (this.acceptPunctuation(',')) args.push(this.parseOperand());
      this.expectPunctuation(')', "Expected ',' or ')' after a function argument.");
      return args;
    });
  }

  /** `otherMails/any(x:x eq 'a')`, or a navigation path like `manager/displayName`. */
  private parsePathRest(first: string): Operand {
    const segments = [first];
    while (this.acceptPunctuation('/')) {
      const segment = this.peek();
      if (segment.type !== 'word') throw new SyntaxFailure(segment.position, "Expected a property name after '/'.");
      this.index += 1;
      const lowered = segment.text.toLowerCase();
      if ((lowered === 'any' || lowered === 'all') && this.acceptPunctuation('(')) {
        return this.parseLambda(segments, segment.text, segment.position);
      }
      segments.push(segment.text);
    }
    return { type: 'path', segments };
  }

  private parseLambda(collection: string[], operator: string, position: number): Operand {
    return this.nested(position, () => {
      // `any()` with no body means "the collection is not empty".
      if (this.acceptPunctuation(')')) return { type: 'lambda', collection, operator };
      const variable = this.peek();
      if (variable.type !== 'word' || isReservedWord(variable.text.toLowerCase())) {
        throw new SyntaxFailure(variable.position, 'Expected a lambda variable name.');
      }
      this.index += 1;
      this.expectPunctuation(':', `Expected ':' after the lambda variable '${variable.text}'.`);
      const body = this.parseOr();
      this.expectPunctuation(')', "Expected ')' to close the lambda expression.");
      return { type: 'lambda', collection, operator, variable: variable.text, body };
    });
  }

  private nested<T>(position: number, work: () => T): T {
    this.depth += 1;
    if (this.depth > filterLimits.maxDepth) {
      throw invalidFilter(
        `The $filter expression is nested more than ${filterLimits.maxDepth} levels deep (at position ${position}).`,
      );
    }
    const result = work();
    this.depth -= 1;
    return result;
  }

  private countTerms(count: number): void {
    this.terms += count;
    if (this.terms > filterLimits.maxTerms) {
      throw invalidFilter(`The $filter expression has more than ${filterLimits.maxTerms} clauses.`);
    }
  }

  private peek(): Token {
    // The tokenizer always ends with an `end` token and nothing advances past it.
    return this.tokens[this.index] ?? { type: 'end', text: '', position: this.text.length };
  }

  private acceptKeyword(keyword: string): boolean {
    const token = this.peek();
    if (token.type === 'word' && token.text.toLowerCase() === keyword) {
      this.index += 1;
      return true;
    }
    return false;
  }

  private acceptPunctuation(text: string): boolean {
    const token = this.peek();
    if (token.type === 'punctuation' && token.text === text) {
      this.index += 1;
      return true;
    }
    return false;
  }

  private expectPunctuation(text: string, reason: string): void {
    if (!this.acceptPunctuation(text)) throw new SyntaxFailure(this.peek().position, reason);
  }
}

const reservedWords: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', ...comparisonOperators]);

function isReservedWord(lowered: string): boolean {
  return reservedWords.has(lowered);
}

// ---------------------------------------------------------------------------------------
// Binding: the syntax tree → what Graph supports on users.

type ScalarType = 'id' | 'string' | 'boolean' | 'dateTimeOffset';

/** Every filterable scalar with its type; `satisfies` keeps it in step with the AST. */
const scalarPropertyTypes = {
  id: 'id',
  userPrincipalName: 'string',
  displayName: 'string',
  givenName: 'string',
  surname: 'string',
  mail: 'string',
  jobTitle: 'string',
  officeLocation: 'string',
  preferredLanguage: 'string',
  mobilePhone: 'string',
  accountEnabled: 'boolean',
  onPremisesSyncEnabled: 'boolean',
  onPremisesImmutableId: 'string',
  createdDateTime: 'dateTimeOffset',
} as const satisfies Record<FilterableScalarProperty, ScalarType>;

const collectionProperties = {
  otherMails: true,
  businessPhones: true,
} as const satisfies Record<FilterableCollectionProperty, true>;

const scalarByLowerName = new Map(
  (Object.keys(scalarPropertyTypes) as FilterableScalarProperty[]).map((name) => [name.toLowerCase(), name]),
);
const collectionByLowerName = new Map(
  (Object.keys(collectionProperties) as FilterableCollectionProperty[]).map((name) => [name.toLowerCase(), name]),
);

/** OData's built-in functions: well-formed but unsupported here, unlike an unknown name. */
const knownODataFunctions: ReadonlySet<string> = new Set([
  'startswith',
  'endswith',
  'contains',
  'length',
  'indexof',
  'substring',
  'matchespattern',
  'tolower',
  'toupper',
  'trim',
  'concat',
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'second',
  'fractionalseconds',
  'totalseconds',
  'date',
  'time',
  'totaloffsetminutes',
  'now',
  'maxdatetime',
  'mindatetime',
  'round',
  'floor',
  'ceiling',
  'cast',
  'isof',
  'hassubset',
  'hassubsequence',
]);

const edmTypeOfLiteral: Record<LiteralType, string> = {
  string: 'Edm.String',
  guid: 'Edm.Guid',
  dateTimeOffset: 'Edm.DateTimeOffset',
  date: 'Edm.Date',
  number: 'Edm.Decimal',
  boolean: 'Edm.Boolean',
  null: 'null',
};

const edmTypeOfScalar: Record<ScalarType, string> = {
  id: 'Edm.String',
  string: 'Edm.String',
  boolean: 'Edm.Boolean',
  dateTimeOffset: 'Edm.DateTimeOffset',
};

const odataOperatorKind: Record<ComparisonOperator | 'in', string> = {
  eq: 'Equal',
  ne: 'NotEqual',
  gt: 'GreaterThan',
  ge: 'GreaterThanOrEqual',
  lt: 'LessThan',
  le: 'LessThanOrEqual',
  has: 'Has',
  in: 'In',
};

/** Inside a lambda body, the only thing a clause may talk about is the lambda variable. */
interface LambdaScope {
  readonly variable: string;
  readonly collection: FilterableCollectionProperty;
}

function bindFilter(node: SyntaxNode, scope: LambdaScope | undefined): UserFilter {
  switch (node.type) {
    case 'and':
    case 'or': {
      // any(x: P or Q) is any(P) or any(Q), but any(x: P and Q) is not any(P) and any(Q).
      if (scope && node.type === 'and') throw unsupportedFilter(scope.collection);
      // `a and (b and c)` means the same as `a and b and c`: flatten for simpler SQL.
      const clauses = node.operands.flatMap((operand) => {
        const bound = bindFilter(operand, scope);
        return bound.kind === node.type ? bound.clauses : [bound];
      });
      return { kind: node.type, clauses };
    }
    case 'not':
      if (scope) throw unsupportedFilter(scope.collection);
      return { kind: 'not', clause: bindFilter(node.operand, scope) };
    case 'compare':
      return scope
        ? bindLambdaComparison(node.operator, node.left, node.right, scope)
        : bindComparison(node.operator, node.left, node.right);
    case 'in':
      return scope ? bindLambdaIn(node.left, node.values, scope) : bindIn(node.left, node.values);
    case 'predicate':
      return bindPredicate(node.operand, scope);
  }
}

function bindComparison(operator: ComparisonOperator, left: Operand, right: Operand): UserFilter {
  const property = resolveScalar(left, right);
  if (right.type !== 'literal') throw unsupportedFilter(property);
  const type = scalarPropertyTypes[property];

  if (operator === 'eq' || operator === 'ne') {
    return { kind: operator, property, value: coerceValue(property, right, operator) };
  }
  if (operator !== 'has' && type === 'dateTimeOffset') {
    if (right.literalType !== 'dateTimeOffset') throw incompatibleTypes(type, right, operator);
    return { kind: operator, property: 'createdDateTime', value: normalizeDateTimeOffset(right.text) };
  }
  throw unsupportedFilter(property);
}

function bindIn(left: Operand, values: readonly Operand[]): UserFilter {
  const property = resolveScalar(left, undefined);
  const coerced = values.map((value) => {
    if (value.type !== 'literal') throw unsupportedFilter(property);
    return coerceValue(property, value, 'in');
  });
  return { kind: 'in', property, values: coerced };
}

function bindPredicate(operand: Operand, scope: LambdaScope | undefined): UserFilter {
  switch (operand.type) {
    case 'call':
      return bindFunctionCall(operand, scope);
    case 'lambda':
      if (scope) throw unsupportedFilter(scope.collection);
      return bindLambda(operand);
    case 'path':
      throw unsupportedFilter(scope?.collection ?? operand.segments[0]);
    case 'literal':
      throw unsupportedFilter(scope?.collection);
  }
}

function bindFunctionCall(call: Extract<Operand, { type: 'call' }>, scope: LambdaScope | undefined): UserFilter {
  const name = call.name.toLowerCase();
  const [subject, prefix] = call.args;
  if (name !== 'startswith') {
    if (!knownODataFunctions.has(name)) throw invalidFilter(`An unknown function with name '${call.name}' was found.`);
    throw unsupportedFilter(scope?.collection ?? (subject?.type === 'path' ? subject.segments[0] : undefined));
  }
  if (call.args.length !== 2 || !subject || !prefix) {
    throw invalidFilter(
      `No function signature for the function with name '${call.name}' matches the specified arguments.`,
    );
  }
  if (scope) {
    if (!isLambdaVariable(subject, scope)) throw unsupportedFilter(scope.collection);
    return {
      kind: 'any',
      property: scope.collection,
      operator: 'startsWith',
      value: requireStringArgument(call, prefix),
    };
  }
  const property = resolveScalar(subject, prefix);
  if (scalarPropertyTypes[property] !== 'string') throw unsupportedFilter(property);
  return { kind: 'startsWith', property, value: requireStringArgument(call, prefix) };
}

function requireStringArgument(call: Extract<Operand, { type: 'call' }>, argument: Operand): string {
  if (argument.type === 'literal' && argument.literalType === 'string' && typeof argument.value === 'string') {
    return argument.value;
  }
  if (argument.type === 'literal') {
    throw invalidFilter(`The function '${call.name}' expects a string literal, found '${argument.text}'.`);
  }
  throw unsupportedFilter(argument.type === 'path' ? argument.segments[0] : undefined);
}

function bindLambda(lambda: Extract<Operand, { type: 'lambda' }>): UserFilter {
  const [collectionName] = lambda.collection;
  const collection =
    lambda.collection.length === 1 && collectionName !== undefined
      ? collectionByLowerName.get(collectionName.toLowerCase())
      : undefined;
  if (!collection || lambda.operator.toLowerCase() !== 'any' || !lambda.body || lambda.variable === undefined) {
    throw unsupportedFilter(collectionName);
  }
  return bindFilter(lambda.body, { variable: lambda.variable, collection });
}

function bindLambdaComparison(
  operator: ComparisonOperator,
  left: Operand,
  right: Operand,
  scope: LambdaScope,
): UserFilter {
  if (operator !== 'eq' || !isLambdaVariable(left, scope) || right.type !== 'literal')
    throw unsupportedFilter(scope.collection);
  return { kind: 'any', property: scope.collection, operator: 'eq', value: requireLambdaString(right, operator) };
}

/** `otherMails/any(x: x in ('a','b'))` is exactly "any equals a, or any equals b". */
function bindLambdaIn(left: Operand, values: readonly Operand[], scope: LambdaScope): UserFilter {
  if (!isLambdaVariable(left, scope)) throw unsupportedFilter(scope.collection);
  const clauses = values.map((value): UserFilter => {
    if (value.type !== 'literal') throw unsupportedFilter(scope.collection);
    return { kind: 'any', property: scope.collection, operator: 'eq', value: requireLambdaString(value, 'in') };
  });
  const [only] = clauses;
  return clauses.length === 1 && only ? only : { kind: 'or', clauses };
}

function requireLambdaString(
  literal: Extract<Operand, { type: 'literal' }>,
  operator: ComparisonOperator | 'in',
): string {
  if (literal.literalType === 'string' && typeof literal.value === 'string') return literal.value;
  throw incompatibleTypes('string', literal, operator);
}

function isLambdaVariable(operand: Operand, scope: LambdaScope): boolean {
  return operand.type === 'path' && operand.segments.length === 1 && operand.segments[0] === scope.variable;
}

/**
 * The property a clause is about. `other` is the opposite operand, consulted only to name
 * the property in the error when the property is on the wrong side (`'a' eq displayName`).
 */
function resolveScalar(operand: Operand, other: Operand | undefined): FilterableScalarProperty {
  if (operand.type === 'path') {
    const [first] = operand.segments;
    const property = first === undefined ? undefined : scalarByLowerName.get(first.toLowerCase());
    if (!property || operand.segments.length !== 1) throw unsupportedFilter(first);
    return property;
  }
  if (operand.type === 'call') {
    const name = operand.name.toLowerCase();
    if (!knownODataFunctions.has(name))
      throw invalidFilter(`An unknown function with name '${operand.name}' was found.`);
    const [subject] = operand.args;
    throw unsupportedFilter(subject?.type === 'path' ? subject.segments[0] : undefined);
  }
  if (operand.type === 'lambda') throw unsupportedFilter(operand.collection[0]);
  throw unsupportedFilter(other?.type === 'path' ? other.segments[0] : undefined);
}

function coerceValue(
  property: FilterableScalarProperty,
  literal: Extract<Operand, { type: 'literal' }>,
  operator: ComparisonOperator | 'in',
): FilterValue {
  const type = scalarPropertyTypes[property];
  switch (type) {
    case 'id':
      // Graph accepts the id quoted or as a bare GUID; ids are GUIDs compared case-insensitively.
      if ((literal.literalType === 'string' || literal.literalType === 'guid') && typeof literal.value === 'string') {
        return isGuid(literal.value) ? literal.value.toLowerCase() : literal.value;
      }
      break;
    case 'string':
      if (literal.literalType === 'string' || literal.literalType === 'null') return literal.value;
      break;
    case 'boolean':
      if (literal.literalType === 'boolean' || literal.literalType === 'null') return literal.value;
      break;
    case 'dateTimeOffset':
      if (literal.literalType === 'null') return null;
      if (literal.literalType === 'dateTimeOffset') return normalizeDateTimeOffset(literal.text);
      break;
  }
  throw incompatibleTypes(type, literal, operator);
}

function incompatibleTypes(
  type: ScalarType,
  literal: Extract<Operand, { type: 'literal' }>,
  operator: ComparisonOperator | 'in',
): DomainError {
  return invalidFilter(
    `A binary operator with incompatible types was detected. Found operand types '${edmTypeOfScalar[type]}' and ` +
      `'${edmTypeOfLiteral[literal.literalType]}' for operator kind '${odataOperatorKind[operator]}'.`,
  );
}

const guidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isGuid(value: string): boolean {
  return guidShape.test(value);
}

/** `2024-01-01T02:00:00+02:00` → `2024-01-01T00:00:00.000Z`, so the store compares one form. */
function normalizeDateTimeOffset(text: string): string {
  const match = new RegExp(dateTimeOffsetPattern.source, 'i').exec(text);
  const [, year, month, day, hour, minute, second = '0', fraction = '0', zone = 'Z'] = match ?? [];
  const numbers = [year, month, day, hour, minute].map(Number);
  const [y = Number.NaN, mo = Number.NaN, d = Number.NaN, h = Number.NaN, mi = Number.NaN] = numbers;
  const s = Number(second);
  const milliseconds = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, milliseconds);
  const instant = new Date(utc);
  // Date.UTC rolls over out-of-range fields (month 13, Feb 30): reject those instead.
  const fieldsAreReal =
    Number.isFinite(utc) &&
    instant.getUTCFullYear() === y &&
    instant.getUTCMonth() === mo - 1 &&
    instant.getUTCDate() === d &&
    h < 24 &&
    mi < 60 &&
    s < 60;
  const offsetMinutes = parseOffsetMinutes(zone);
  if (!fieldsAreReal || offsetMinutes === undefined) {
    throw invalidFilter(`'${text}' is not a valid Edm.DateTimeOffset value.`);
  }
  return new Date(utc - offsetMinutes * 60_000).toISOString();
}

function parseOffsetMinutes(zone: string): number | undefined {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 14 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}
