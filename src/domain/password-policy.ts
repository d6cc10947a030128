import { randomInt } from 'node:crypto';
import { DomainError } from './errors.js';

export const minPasswordLength = 8;
export const maxPasswordLength = 256;

export type PasswordProblem = 'too_short' | 'too_long' | 'too_few_character_classes' | 'contains_user_name';

/** Entra's cloud password rule: 8-256 characters, 3 of 4 character classes, no part of the user's name. */
export function findPasswordProblems(password: string, userNameParts: readonly string[] = []): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const length = [...password].length;
  if (length < minPasswordLength) problems.push('too_short');
  if (length > maxPasswordLength) problems.push('too_long');
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(password)).length;
  if (classes < 3) problems.push('too_few_character_classes');
  const lowered = password.toLowerCase();
  if (userNameParts.some((part) => part.length >= 3 && lowered.includes(part.toLowerCase()))) {
    problems.push('contains_user_name');
  }
  return problems;
}

export function assertPasswordAllowed(password: string, userNameParts: readonly string[] = []): void {
  const problems = findPasswordProblems(password, userNameParts);
  if (problems.length > 0) throw new DomainError('password_policy_violation', { problems: problems.join(',') });
}

/** The name parts a password may not contain: UPN local part pieces and display name words. */
export function userNameParts(user: { userPrincipalName: string; displayName?: string | null }): string[] {
  const local = user.userPrincipalName.slice(0, user.userPrincipalName.indexOf('@'));
  return [...local.split(/[._\-\s]+/), ...(user.displayName ?? '').split(/\s+/)].filter((part) => part.length >= 3);
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
