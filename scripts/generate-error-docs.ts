import { writeFileSync } from 'node:fs';
import { renderErrorReference } from '../src/http/error-reference.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorReference());
console.log('docs/errors.md written');
