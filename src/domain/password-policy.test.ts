import { describe, expect, it } from 'vitest';
import { globalBannedPasswords } from './banned-passwords.js';
import { DomainError } from './errors.js';
import {
  assertPasswordAllowed,
  bannedPasswordScore,
  findPasswordProblems,
  generateCompliantPassword,
  normalizeForBannedPasswordCheck,
  type PasswordPolicyContext,
  type PasswordProblem,
  tenantNameParts,
  userNameParts,
} from './password-policy.js';

const ada = userNameParts({
  userPrincipalName: 'ada.lovelace@contoso.com',
  displayName: 'Ada Lovelace',
  givenName: 'Augusta',
  surname: 'King',
});
const contoso = tenantNameParts('Contoso Ltd', 'contoso.com');

describe('password policy', () => {
  it.each<[string, string, PasswordPolicyContext, PasswordProblem[]]>([
    ['a strong passphrase', 'Analytical-Engine-1843', {}, []],
    ['7 characters', 'Short1!', {}, ['too_short']],
    ['8 characters', 'Kx7!mPq2', {}, []],
    ['256 characters', `Aa1!${'x'.repeat(252)}`, {}, []],
    ['257 characters', `Aa1!${'x'.repeat(253)}`, {}, ['too_long']],
    ['one class', 'alllowercaseletters', {}, ['too_few_character_classes']],
    ['2 classes', 'lowerUPPER', {}, ['too_few_character_classes']],
    ['3 classes', 'lowerUPPER1', {}, []],
    ['P@ssw0rd1: banned through the normalisation', 'P@ssw0rd1', {}, ['banned_password']],
    ['Passw0rd!: banned through the normalisation of ! and 0', 'Passw0rd!', {}, ['banned_password']],
    ['Pasword12!: a letter dropped (fuzzy match)', 'Pasword12!', {}, ['banned_password']],
    ['Qwertx-99: a letter changed (fuzzy match)', 'Qwertx-99', {}, ['banned_password']],
    ['W3lc0me!: 3, 0 and ! undone', 'W3lc0me!', {}, ['banned_password']],
    ['two banned terms and little else', 'Summer-Dragon1', {}, ['banned_password']],
    ['a long passphrase with a banned word scores ≥ 5', 'Correct-Horse-Battery-9', {}, []],
    ['a banned word with enough else scores ≥ 5', 'Dragon-Kx7!mPq', {}, []],
    ['the tenant name', 'Contoso-2024!', { tenantNameParts: contoso }, ['banned_password']],
    ['the tenant name, substituted', 'C0nt0s0-Blue!', { tenantNameParts: contoso }, ['banned_password']],
    ['the user surname', 'Lovelace-2024!', { userNameParts: ada }, ['contains_user_name']],
    ['the user given name', 'Augusta-Kx7!9', { userNameParts: ada }, ['contains_user_name']],
    ['a name part shorter than 4 characters is allowed', 'Ada-Kx7!mPq9', { userNameParts: ada }, []],
    ['a custom banned term', 'Fabrikam!99', { customBannedPasswords: ['fabrikam'] }, ['banned_password']],
    ['a custom banned term, fuzzy', 'Fabricam!99', { customBannedPasswords: ['fabrikam'] }, ['banned_password']],
    ['without the custom term', 'Fabrikam!99', {}, []],
    [
      'several problems at once',
      'p@ssw',
      { userNameParts: ['pass'] },
      ['too_short', 'too_few_character_classes', 'contains_user_name', 'banned_password'],
    ],
  ])('%s: %s → %j', (_label, password, context, problems) => {
    expect(findPasswordProblems(password, context)).toEqual(problems);
  });

  it.each([
    // Entra's documented example: custom list contoso, blank, fabrikam, abcdef.
    ['C0ntos0Blank12', 4],
    ['ContoS0Bl@nkf9!', 5],
    ['P@ssw0rd1', 2],
  ])('scores %s as %i points', (password, points) => {
    expect(bannedPasswordScore(password, ['contoso', 'blank', 'fabrikam', 'abcdef'])).toBe(points);
  });

  it('normalises like Entra', () => {
    expect(normalizeForBannedPasswordCheck('P@$$w0rD1!3457')).toBe('passwordlieast');
  });

  it('throws password_policy_violation naming the problems', () => {
    expect(() => assertPasswordAllowed('Analytical-Engine-1843', { userNameParts: ada })).not.toThrow();
    try {
      assertPasswordAllowed('P@ssw0rd', { userNameParts: ada });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('password_policy_violation');
      expect((error as DomainError).params).toEqual({ problems: 'banned_password' });
    }
  });

  it('finds the user and tenant name parts', () => {
    expect(ada).toEqual(['lovelace', 'augusta', 'king']);
    expect(contoso).toEqual(['contoso']);
    expect(tenantNameParts('Woodgrove Bank', 'woodgrove-bank.onmicrosoft.com')).toEqual(['woodgrove', 'bank']);
  });

  it('keeps a global list of lowercase, normalised, unique terms', () => {
    expect(globalBannedPasswords.length).toBeGreaterThan(200);
    expect(new Set(globalBannedPasswords).size).toBe(globalBannedPasswords.length);
    for (const term of globalBannedPasswords) {
      expect(term).toMatch(/^[a-z]{4,}$/);
      expect(normalizeForBannedPasswordCheck(term)).toBe(term);
    }
  });
});

describe('generated passwords', () => {
  it('always pass the policy and never contain characters that break files or shells', () => {
    for (let i = 0; i < 1000; i++) {
      const password = generateCompliantPassword();
      expect(findPasswordProblems(password, { userNameParts: ada, tenantNameParts: contoso })).toEqual([]);
      expect(password).toMatch(/^[A-Za-z0-9!%*+\-=?@]{16}$/);
    }
  });
});
