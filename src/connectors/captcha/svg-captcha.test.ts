import { describe, expect, it } from 'vitest';
import { captchaAlphabet, createCaptchaChallenge, normalizeCaptchaAnswer } from './svg-captcha.js';

/** A seeded generator (mulberry32) in the shape `createCaptchaChallenge` takes. */
function seeded(seed: number): (maxExclusive: number) => number {
  let state = seed >>> 0;
  return (maxExclusive) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * maxExclusive);
  };
}

describe('SVG CAPTCHA', () => {
  it('draws 5 unambiguous letters as paths, with no text and no character of the answer in the markup', () => {
    for (let i = 0; i < 200; i++) {
      const { answer, svg } = createCaptchaChallenge();
      expect(answer).toMatch(new RegExp(`^[${captchaAlphabet}]{5}$`));
      expect(answer).not.toMatch(/[0O1IL5S8B2ZQ]/);
      expect(svg).not.toMatch(/<text/i);
      expect(svg).not.toContain(answer);
      for (const letter of answer) expect(svg).not.toContain(letter);
      expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 200 70"[^>]*role="img"[^>]*aria-label="[^"]+"/);
      expect((svg.match(/<path /g) ?? []).length).toBeGreaterThanOrEqual(5 + 5);
    }
  });

  it('labels the image without revealing the answer', () => {
    const { answer, svg } = createCaptchaChallenge(seeded(7));
    const label = /aria-label="([^"]+)"/.exec(svg)?.[1] ?? '';
    expect(label).toContain('letters');
    expect(label.toUpperCase()).not.toContain(answer);
  });

  it('gives the same challenge for the same random sequence and another for another', () => {
    expect(createCaptchaChallenge(seeded(42))).toEqual(createCaptchaChallenge(seeded(42)));
    const a = createCaptchaChallenge(seeded(1));
    const b = createCaptchaChallenge(seeded(2));
    expect(a.svg).not.toBe(b.svg);
    expect(new Set(Array.from({ length: 20 }, (_, i) => createCaptchaChallenge(seeded(i)).answer)).size).toBe(20);
  });

  it('uses every letter of the alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) for (const letter of createCaptchaChallenge(seeded(i)).answer) seen.add(letter);
    expect([...seen].sort().join('')).toBe([...captchaAlphabet].sort().join(''));
  });

  it.each([
    [' ab cd e ', 'ABCDE'],
    ['xk7\tmp', 'XK7MP'],
    ['ACDEF', 'ACDEF'],
    ['', ''],
  ])('normalises %j to %j', (input, expected) => {
    expect(normalizeCaptchaAnswer(input)).toBe(expected);
  });
});
