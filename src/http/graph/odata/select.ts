/** `$select`: which properties of a user to return. */
import { DomainError } from '../../../domain/errors.js';

/**
 * Maps a comma-separated `$select` onto canonical property names from `known`
 * (case-insensitively, as Graph does), keeping first-seen order and dropping repeats.
 * `*` selects every known property. Absent or blank → `undefined` (the default set).
 */
export function parseSelect(text: string | undefined, known: readonly string[]): string[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const canonicalByLowerName = new Map(known.map((name) => [name.toLowerCase(), name]));
  const selected = new Set<string>();
  for (const rawItem of text.split(',')) {
    const item = rawItem.trim();
    if (item === '') {
      throw invalidSelect(`Syntax error: an empty property name in '$select=${text}'.`);
    }
    if (item === '*') {
      for (const name of known) selected.add(name);
      continue;
    }
    const canonical = canonicalByLowerName.get(item.toLowerCase());
    if (canonical === undefined) {
      throw invalidSelect(`Could not find a property named '${item}' on type 'microsoft.graph.user'.`);
    }
    selected.add(canonical);
  }
  return [...selected];
}

function invalidSelect(detail: string): DomainError {
  return new DomainError('invalid_query', { detail }, detail);
}
