import { describe, expect, it } from 'vitest';
import {
  normalizeSecurityAnswer,
  predefinedSecurityQuestions,
  validateCustomQuestionText,
  validateSecurityQuestionRegistration,
} from './security-questions.js';

const known = new Set(Object.keys(predefinedSecurityQuestions));

describe('security questions', () => {
  it('has 35 predefined questions', () => {
    expect(known.size).toBe(35);
  });

  it.each([
    ['  Ada   LOVELACE ', 'ada lovelace'],
    ['ＡＢＣ', 'abc'],
    ['Straße', 'straße'],
    ['İstanbul', 'i̇stanbul'],
    ['a\tb\nc', 'a b c'],
  ])('normalises %j to %j', (answer, expected) => {
    expect(normalizeSecurityAnswer(answer)).toBe(expected);
  });

  it('accepts a valid registration', () => {
    expect(() =>
      validateSecurityQuestionRegistration(
        [
          { questionId: 'pet-first', answer: 'Rex' },
          { questionId: 'city-born', answer: 'Ljubljana' },
          { questionId: 'car-first-make', answer: 'Škoda' },
        ],
        { required: 3, knownQuestionIds: known },
      ),
    ).not.toThrow();
  });

  it.each([
    [[{ questionId: 'pet-first', answer: 'Rex' }], 'exactly 3'],
    [
      [
        { questionId: 'pet-first', answer: 'Rex' },
        { questionId: 'pet-first', answer: 'Max' },
        { questionId: 'city-born', answer: 'Oslo' },
      ],
      'only once',
    ],
    [
      [
        { questionId: 'pet-first', answer: 'Rex' },
        { questionId: 'city-born', answer: ' REX ' },
        { questionId: 'car-first-make', answer: 'Fiat' },
      ],
      'not be the same',
    ],
    [
      [
        { questionId: 'pet-first', answer: 'Re' },
        { questionId: 'city-born', answer: 'Oslo' },
        { questionId: 'car-first-make', answer: 'Fiat' },
      ],
      '3 to 40',
    ],
    [
      [
        { questionId: 'nope', answer: 'Rex' },
        { questionId: 'city-born', answer: 'Oslo' },
        { questionId: 'car-first-make', answer: 'Fiat' },
      ],
      'from the list',
    ],
  ])('refuses %j', (answers, message) => {
    expect(() => validateSecurityQuestionRegistration(answers, { required: 3, knownQuestionIds: known })).toThrow(
      message,
    );
  });

  it('bounds custom question text', () => {
    expect(validateCustomQuestionText('  Who?  ')).toBe('Who?');
    expect(() => validateCustomQuestionText('ab')).toThrow();
    expect(() => validateCustomQuestionText('x'.repeat(201))).toThrow();
  });
});
