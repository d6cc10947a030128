import { DomainError } from '../../domain/errors.js';

export type Query = Record<string, string | string[] | undefined>;

/** A query option given at most once. */
export function singleOption(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) {
    throw new DomainError(
      'invalid_query',
      { detail: `Query option '${name}' was specified more than once.` },
      `Query option '${name}' was specified more than once, but it must be specified at most once.`,
    );
  }
  return value;
}

/** Refuses `$` options a resource does not support (`$top`, `$filter` and `$skiptoken` are the usual ones). */
export function assertSupportedOptions(query: Query, supported: ReadonlySet<string>, resource: string): void {
  for (const name of Object.keys(query)) {
    if (name.startsWith('$') && !supported.has(name)) {
      throw new DomainError('unsupported_query', {}, `The query parameter '${name}' is not supported on ${resource}.`);
    }
  }
}

/** The request's own URL with `$skiptoken` replaced: Graph's `@odata.nextLink`. */
export function nextLinkFor(baseUrl: string, path: string, query: Query, token: string): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (name === '$skiptoken' || typeof value !== 'string') continue;
    params.set(name, value);
  }
  params.set('$skiptoken', token);
  return `${baseUrl}${path}?${params.toString().replace(/%24/g, '$')}`;
}
