import { describe, expect, it } from 'vitest';
import { phoneMatches } from './password-reset-service.js';

describe('phoneMatches (the number typed before a code is sent)', () => {
  it.each([
    ['+1 425 555 0101', true],
    ['(425) 555-0101', true],
    ['14255550101', true],
    ['+1 4255550101 x42', true],
    ['+1 425 555 0199', false],
    ['0101', false],
    ['', false],
  ])('%s against +1 4255550101 -> %s', (typed, expected) => {
    expect(phoneMatches(typed, '+1 4255550101')).toBe(expected);
  });

  it('ignores the stored extension', () => {
    expect(phoneMatches('+44 20 7946 0000', '+44 2079460000X123')).toBe(true);
  });
});
