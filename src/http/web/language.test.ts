import { describe, expect, it } from 'vitest';
import { pickLanguage } from './language.js';

describe('pickLanguage', () => {
  it.each([
    [undefined, undefined, 'en'],
    [undefined, 'fr-FR,fr;q=0.9,en;q=0.8', 'fr'],
    [undefined, 'de-DE,en;q=0.5,fr;q=0.7', 'fr'],
    [undefined, 'de-DE', 'en'],
    ['fr-FR', 'en-US', 'fr'],
    ['en-GB', 'fr', 'en'],
    ['xx', 'fr', 'fr'],
    [undefined, 'fr;q=0, en', 'en'],
  ])('mkt %s, Accept-Language %s -> %s', (mkt, accept, expected) => {
    expect(pickLanguage(mkt, accept)).toBe(expected);
  });
});
