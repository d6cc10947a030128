import { randomInt } from 'node:crypto';
import { globalBannedPasswords } from './banned-passwords.js';
import { DomainError } from './errors.js';

export const minPasswordLength = 8;
export const maxPasswordLength = 256;
/** Entra's threshold: a password needs at least this many points after banned terms are scored. */
export const minBannedPasswordScore = 5;
/** Name parts (user and tenant) shorter than this are not searched for, as in Entra. */
export const minNamePartLength = 4;

export type PasswordProblem =
  | 'too_short'
  | 'too_long'
  | 'too_few_character_classes'
  | 'contains_user_name'
  | 'banned_password';

/** What the banned-password check needs to know besides the global list. */
export interface PasswordPolicyContext {
  /** Parts of the user's names (see `userNameParts`); a password containing one is refused. */
  readonly userNameParts?: readonly string[];
  /** Parts of the tenant's name (see `tenantNameParts`); a password containing one is refused. */
  readonly tenantNameParts?: readonly string[];
  /** The tenant policy's `customBannedPasswords`, scored like the global list. */
  readonly customBannedPasswords?: readonly string[];
}

/**
 * Entra's normalisation before any banned-term comparison: lowercase, then the common
 * "leetspeak" substitutions are undone.
 */
const substitutions: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'l',
  $: 's',
  '@': 'a',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '!': 'i',
};

/** The password (or a term) as the banned-password check sees it, one array entry per code point. */
function normalizedCharacters(value: string): string[] {
  return [...value.toLowerCase()].map((character) => substitutions[character] ?? character);
}

export function normalizeForBannedPasswordCheck(value: string): string {
  return normalizedCharacters(value).join('');
}

/**
 * Entra's cloud password rule (SPEC section 7 step 3): 8-256 characters, 3 of 4 character classes,
 * no part of the user's or the tenant's name, and the banned-password check.
 *
 * The banned-password check follows Entra's published algorithm: the password is normalised
 * (lowercase; 0→o, 1→l, $→s, @→a, 3→e, 4→a, 5→s, 7→t, !→i); every global or custom banned term found
 * in it exactly or within an edit distance of one (a letter added, dropped or changed) counts one
 * point, every other character one point, and fewer than 5 points refuses the password. So
 * `P@ssw0rd1` (2 points) is refused while `Correct-Horse-Battery-9` (a banned term plus 18
 * characters) is not. Problems come in a fixed order; an empty list means the password is allowed.
 */
export function findPasswordProblems(password: string, context: PasswordPolicyContext = {}): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const length = [...password].length;
  if (length < minPasswordLength) problems.push('too_short');
  if (length > maxPasswordLength) problems.push('too_long');
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(password)).length;
  if (classes < 3) problems.push('too_few_character_classes');
  const normalized = normalizedCharacters(password);
  const joined = normalized.join('');
  if (containsNamePart(joined, context.userNameParts)) problems.push('contains_user_name');
  if (containsNamePart(joined, context.tenantNameParts) || isBanned(normalized, context.customBannedPasswords)) {
    problems.push('banned_password');
  }
  return problems;
}

/**
 * Throws `password_policy_violation` (Graph's and Entra's fixed message) when the password breaks
 * the policy; the problems, comma-separated in the order of `findPasswordProblems`, are the error's
 * `problems` parameter so a page can explain each one.
 */
export function assertPasswordAllowed(password: string, context: PasswordPolicyContext = {}): void {
  const problems = findPasswordProblems(password, context);
  if (problems.length > 0) throw new DomainError('password_policy_violation', { problems: problems.join(',') });
}

/**
 * The name parts a password may not contain: UPN local part pieces, display name words, given name
 * and surname; lowercase, deduplicated, each at least 4 characters.
 */
export function userNameParts(user: {
  userPrincipalName: string;
  displayName?: string | null;
  givenName?: string | null;
  surname?: string | null;
}): string[] {
  const at = user.userPrincipalName.indexOf('@');
  const local = at < 0 ? user.userPrincipalName : user.userPrincipalName.slice(0, at);
  return nameParts([
    ...local.split(/[._\-\s+]+/),
    ...[user.displayName, user.givenName, user.surname].flatMap((name) => (name ?? '').split(/[\s,.'()-]+/)),
  ]);
}

/** Domain labels that say nothing about the tenant. */
const genericDomainLabels = new Set(['www', 'mail', 'onmicrosoft', 'local', 'localdomain', 'internal']);

/**
 * The tenant name parts a password may not contain: the display name's words and the domain's
 * labels (without the top-level domain and generic labels such as `onmicrosoft`); lowercase,
 * deduplicated, each at least 4 characters. `tenantNameParts('Contoso Ltd', 'contoso.com')` is `['contoso']`.
 */
export function tenantNameParts(displayName: string, domain: string): string[] {
  const labels = domain.toLowerCase().split('.').filter(Boolean).slice(0, -1);
  return nameParts([
    ...displayName.split(/[^\p{L}\p{N}]+/u),
    ...labels.filter((label) => !genericDomainLabels.has(label)).flatMap((label) => label.split('-')),
  ]);
}

function nameParts(pieces: readonly string[]): string[] {
  const parts = pieces
    .map((piece) => piece.trim().toLowerCase())
    .filter((piece) => [...piece].length >= minNamePartLength);
  return [...new Set(parts)];
}

function containsNamePart(normalizedPassword: string, parts: readonly string[] | undefined): boolean {
  return (parts ?? []).some((part) => {
    const normalizedPart = normalizeForBannedPasswordCheck(part.trim());
    return [...normalizedPart].length >= minNamePartLength && normalizedPassword.includes(normalizedPart);
  });
}

const normalizedGlobalTerms: readonly (readonly string[])[] = globalBannedPasswords.map(normalizedCharacters);

/**
 * Entra's scoring: the fewest points the password can be counted as, where each banned term found
 * (exactly or within one edit) covers its characters for one point and every other character is
 * one point. Taking the minimum over overlapping matches means the most damaging reading counts.
 */
export function bannedPasswordScore(password: string, customBannedPasswords: readonly string[] = []): number {
  return score(normalizedCharacters(password), customBannedPasswords);
}

function isBanned(normalized: readonly string[], customBannedPasswords: readonly string[] | undefined): boolean {
  return score(normalized, customBannedPasswords ?? []) < minBannedPasswordScore;
}

function score(normalized: readonly string[], customBannedPasswords: readonly string[]): number {
  const terms = [
    ...normalizedGlobalTerms,
    ...customBannedPasswords.map((term) => normalizedCharacters(term.trim())).filter((term) => term.length > 0),
  ];
  // endsAt[j]: start positions of banned-term matches ending just before position j.
  const endsAt: number[][] = Array.from({ length: normalized.length + 1 }, () => []);
  for (const term of terms) {
    for (let start = 0; start < normalized.length; start++) {
      for (const windowLength of [term.length - 1, term.length, term.length + 1]) {
        const end = start + windowLength;
        if (windowLength < 1 || end > normalized.length) continue;
        // An extra character at either end is the exact term plus a neighbour, scored as two points.
        if (windowLength > term.length && (normalized[start] !== term[0] || normalized[end - 1] !== term.at(-1))) {
          continue;
        }
        if (withinOneEdit(normalized, start, end, term)) endsAt[end]?.push(start);
      }
    }
  }
  const best: number[] = [0];
  for (let j = 1; j <= normalized.length; j++) {
    let points = (best[j - 1] as number) + 1;
    for (const start of endsAt[j] ?? []) points = Math.min(points, (best[start] as number) + 1);
    best.push(points);
  }
  return best[normalized.length] as number;
}

/** Whether `text[start, end)` and `term` differ by at most one insertion, deletion or substitution. */
function withinOneEdit(text: readonly string[], start: number, end: number, term: readonly string[]): boolean {
  const length = end - start;
  if (Math.abs(length - term.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < length && j < term.length) {
    if (text[start + i] === term[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (length > term.length) i++;
    else if (length < term.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (length - i) + (term.length - j) <= 1;
}

/**
 * A random password that passes the policy: 16 characters with every class, from unambiguous
 * characters so an administrator can read it out.
 */
export function generateCompliantPassword(length = 16): string {
  // No '#' (a comment in files and shells) and no quotes or '$', so the password survives copy and paste.
  const classes = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!%*+-=?@'];
  const all = classes.join('');
  const characters = classes.map((set) => set[randomInt(set.length)] as string);
  while (characters.length < length) characters.push(all[randomInt(all.length)] as string);
  for (let i = characters.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [characters[i], characters[j]] = [characters[j] as string, characters[i] as string];
  }
  return characters.join('');
}
