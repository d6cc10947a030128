import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../domain/errors.js';
import { renderErrorReference } from './error-reference.js';
import { graphErrors } from './graph/graph-errors.js';
import { oauthErrors } from './identity/oauth-errors.js';
import { legacyGraphErrors } from './legacy-graph/legacy-graph-errors.js';

describe('error registry', () => {
  it('maps every domain code on every surface', () => {
    for (const code of errorCodes) {
      expect(graphErrors[code], code).toBeDefined();
      expect(oauthErrors[code], code).toBeDefined();
      expect(legacyGraphErrors[code], code).toBeDefined();
    }
  });

  it('is documented: docs/errors.md matches the registry (run `npm run docs:errors` after a change)', () => {
    const documented = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(documented).toBe(renderErrorReference());
  });
});
