import { describe, expect, it } from 'vitest';
import { findPasswordProblems, generateCompliantPassword, userNameParts } from './password-policy.js';

describe('password policy', () => {
  it.each([
    ['Analytical-Engine-1843', []],
    ['Short1!', ['too_short']],
    ['alllowercaseletters', ['too_few_character_classes']],
    ['lowerUPPER', ['too_few_character_classes']],
    ['lowerUPPER1', []],
    [`Aa1!${'x'.repeat(253)}`, ['too_long']],
  ])('%s → %j', (password, problems) => {
    expect(findPasswordProblems(password)).toEqual(problems);
  });

  it('refuses parts of the user name', () => {
    const parts = userNameParts({ userPrincipalName: 'ada.lovelace@contoso.com', displayName: 'Ada Lovelace' });
    expect(findPasswordProblems('Lovelace-2024!', parts)).toEqual(['contains_user_name']);
    expect(findPasswordProblems('Analytical-Engine-1843', parts)).toEqual([]);
  });
});

describe('generated passwords', () => {
  it('always pass the policy and never contain characters that break files or shells', () => {
    for (let i = 0; i < 500; i++) {
      const password = generateCompliantPassword();
      expect(findPasswordProblems(password)).toEqual([]);
      expect(password).toMatch(/^[A-Za-z0-9!%*+\-=?@]{16}$/);
    }
  });
});
