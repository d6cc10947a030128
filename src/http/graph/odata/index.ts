export { filterLimits, parseUserFilter } from './filter-parser.js';
export { parseOrderBy } from './orderby.js';
export { parseSearch, searchLimits } from './search.js';
export { parseSelect } from './select.js';
export type { SkipTokenContents } from './skip-token.js';
export { decodeSkipToken, encodeSkipToken, queryFingerprint } from './skip-token.js';
export { parseTop } from './top.js';
