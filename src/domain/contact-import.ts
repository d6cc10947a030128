/**
 * Bulk pre-population of contact info from CSV (issue 6, docs/bulk-import.md). Pure: no I/O.
 *
 * - `readCsv`: RFC 4180 records from the file's bytes (UTF-8 with or without BOM, `,` or `;` detected from the
 *   header line, quoted fields with delimiters, line breaks and doubled quotes, CRLF or LF). Each record knows the
 *   physical line it starts on; a line that is not valid UTF-8 rejects its record, not the file.
 * - `mapImportHeader`: header cells to user properties (case-insensitive, with aliases); unknown or repeated
 *   columns refuse the whole file.
 * - `parseImportRow`: one record to a validated set of changes, or the reason it is rejected (line, column, reason).
 * - `diffUserChanges`: the part of a row's changes that differs from the stored user.
 */

import { isSupportedCountry } from 'libphonenumber-js';
import type { AuditEventDraft } from './audit.js';
import { DomainError } from './errors.js';
import { directoryRoles, holdsAnyRole, type Principal, requirePermission } from './permissions.js';
import { describePhoneNumberProblem, isSsprPhoneNumber, normalizePhoneNumber } from './phone-number.js';
import { type DirectoryUser, parseUserChanges, type UserChanges, type UserRecordChanges } from './user.js';

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

export type CsvDelimiter = ',' | ';';

export interface CsvRecord {
  /** Physical line (1-based) of the file where the record starts. */
  readonly line: number;
  readonly fields: readonly string[];
  /** Why the record cannot be read (bad encoding, an unclosed quote, text after a closing quote). */
  readonly error?: string;
}

export interface CsvDocument {
  readonly delimiter: CsvDelimiter;
  readonly header: CsvRecord;
  readonly records: readonly CsvRecord[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

/**
 * The file's text, and the physical lines that are not valid UTF-8 (a Latin-1 `é` saved by an old tool, say):
 * those lines are decoded with replacement characters and their records rejected.
 */
function decode(bytes: Uint8Array): { text: string; badLines: ReadonlySet<number> } {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return { text: utf8.decode(body), badLines: new Set() };
  } catch {
    const badLines = new Set<number>();
    const parts: string[] = [];
    let start = 0;
    let line = 1;
    for (;;) {
      const end = body.indexOf(0x0a, start);
      const chunk = body.subarray(start, end === -1 ? body.length : end + 1);
      try {
        parts.push(utf8.decode(chunk));
      } catch {
        badLines.add(line);
        parts.push(utf8Lenient.decode(chunk));
      }
      if (end === -1) break;
      start = end + 1;
      line += 1;
    }
    return { text: parts.join(''), badLines };
  }
}

/** The delimiter is whichever of `,` and `;` the header line (outside quotes) contains more of; `,` on a tie. */
function detectDelimiter(text: string): CsvDelimiter {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && c === ',') commas += 1;
    else if (!quoted && c === ';') semicolons += 1;
  }
  return semicolons > commas ? ';' : ',';
}

/** Reads a CSV file; a file without a header line is refused. Blank lines are skipped. */
export function readCsv(bytes: Uint8Array): CsvDocument {
  const { text, badLines } = decode(bytes);
  const delimiter = detectDelimiter(text);
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  const length = text.length;
  while (i < length) {
    const startLine = line;
    const fields: string[] = [];
    let error: string | undefined;
    let field = '';
    let endOfRecord = false;
    let endLine = line;
    while (!endOfRecord) {
      if (text[i] === '"') {
        // Quoted field: up to the closing quote; "" is one quote; delimiters and line breaks are data.
        i += 1;
        let closed = false;
        while (i < length) {
          const c = text[i] as string;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i += 1;
            closed = true;
            break;
          }
          if (c === '\n') line += 1;
          field += c;
          i += 1;
        }
        if (!closed) error ??= 'A quoted field is not closed before the end of the file.';
        // After the closing quote only a delimiter or the end of the line may follow.
        if (closed && i < length && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
          error ??= 'Unexpected text after the closing quote of a field.';
          while (i < length && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') i += 1;
        }
      } else {
        let end = i;
        while (end < length && text[end] !== delimiter && text[end] !== '\n' && text[end] !== '\r') end += 1;
        field = text.slice(i, end);
        i = end;
      }
      fields.push(field);
      field = '';
      endLine = line;
      if (i >= length) {
        endOfRecord = true;
      } else if (text[i] === delimiter) {
        i += 1;
      } else {
        // \r\n, \n or a lone \r ends the record.
        if (text[i] === '\r') i += 1;
        if (text[i] === '\n') i += 1;
        line += 1;
        endOfRecord = true;
      }
    }
    for (let l = startLine; l <= endLine; l += 1) {
      if (badLines.has(l)) {
        error = 'The line is not valid UTF-8 text: save the file as UTF-8.';
        break;
      }
    }
    const blank = fields.length === 1 && fields[0] === '' && error === undefined;
    if (!blank) records.push(error === undefined ? { line: startLine, fields } : { line: startLine, fields, error });
  }
  const [header, ...rest] = records;
  if (header === undefined) throw new DomainError('invalid_request', {}, 'The file is empty: it needs a header line.');
  if (header.error !== undefined) {
    throw new DomainError('invalid_request', {}, `The header line cannot be read: ${header.error}`);
  }
  return { delimiter, header, records: rest };
}

/** One CSV line from values: quoted when needed (delimiter, quote, line break, surrounding spaces). */
export function csvLine(values: readonly (string | null | undefined)[], delimiter: CsvDelimiter = ','): string {
  return values
    .map((value) => {
      const text = value ?? '';
      return /["\r\n]/.test(text) || text.includes(delimiter) || text !== text.trim()
        ? `"${text.replaceAll('"', '""')}"`
        : text;
    })
    .join(delimiter);
}

/**
 * A cell as a spreadsheet will not run it as a formula: cells starting with `=`, `+`, `-`, `@`, a tab or a carriage
 * return get a leading `'` (OWASP's CSV injection advice). The import strips that `'` again.
 */
export function spreadsheetSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function unprotect(value: string): string {
  return /^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

// ---------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------

/** Contact and profile properties the import writes (a Graph PATCH accepts them for users). */
export const importableProperties = [
  'displayName',
  'givenName',
  'surname',
  'mail',
  'mailNickname',
  'jobTitle',
  'officeLocation',
  'preferredLanguage',
  'mobilePhone',
  'businessPhones',
  'otherMails',
] as const satisfies readonly (keyof UserChanges)[];

export type ImportableProperty = (typeof importableProperties)[number];

/** Columns that are read but never written: what `sspr user export` adds (status, not data). */
export const informationalColumns = [
  'onPremisesSyncEnabled',
  'isSsprRegistered',
  'isSsprEnabled',
  'isSsprCapable',
  'isAdmin',
  'methodsRegistered',
] as const;

const multiValued: ReadonlySet<ImportableProperty> = new Set(['businessPhones', 'otherMails']);
const phoneProperties: ReadonlySet<ImportableProperty> = new Set(['mobilePhone', 'businessPhones']);

type ColumnTarget =
  | { readonly kind: 'key'; readonly property: 'id' | 'userPrincipalName' }
  | { readonly kind: 'property'; readonly property: ImportableProperty }
  | { readonly kind: 'informational' };

const aliases: Record<string, string> = {
  mobile: 'mobilePhone',
  telephonenumber: 'businessPhones',
  officephone: 'businessPhones',
  alternateemail: 'otherMails',
  alternateemailaddress: 'otherMails',
  objectid: 'id',
  upn: 'userPrincipalName',
};

const columnTargets = new Map<string, ColumnTarget>([
  ['id', { kind: 'key', property: 'id' }],
  ['userprincipalname', { kind: 'key', property: 'userPrincipalName' }],
  ...importableProperties.map((property) => [property.toLowerCase(), { kind: 'property', property }] as const),
  ...informationalColumns.map((name) => [name.toLowerCase(), { kind: 'informational' }] as const),
]);

export interface ImportColumn {
  /** Header cell as written in the file. */
  readonly name: string;
  readonly target: ColumnTarget;
}

export interface ImportColumns {
  readonly columns: readonly ImportColumn[];
  /** Writable properties present in the file. */
  readonly properties: readonly ImportableProperty[];
}

/** Matches header cells (case-insensitive, aliases allowed); unknown, repeated or missing key columns refuse the file. */
export function mapImportHeader(header: readonly string[]): ImportColumns {
  const columns: ImportColumn[] = [];
  const unknown: string[] = [];
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  for (const raw of header) {
    const name = raw.trim();
    const folded = name.toLowerCase();
    const canonical = (aliases[folded] ?? folded).toLowerCase();
    const target = columnTargets.get(canonical);
    if (!target) {
      unknown.push(name === '' ? '(empty)' : name);
      continue;
    }
    const previous = seen.get(canonical);
    if (previous !== undefined) duplicates.push(`'${previous}' and '${name}'`);
    else seen.set(canonical, name);
    columns.push({ name, target });
  }
  if (unknown.length > 0) {
    throw new DomainError(
      'invalid_request',
      {},
      `Unknown column${unknown.length > 1 ? 's' : ''} in the header line: ${unknown.map((name) => `'${name}'`).join(', ')}. ` +
        `Known columns: userPrincipalName, id, ${importableProperties.join(', ')} (aliases: mobile, telephoneNumber, officePhone, alternateEmail, alternateEmailAddress).`,
    );
  }
  if (duplicates.length > 0) {
    throw new DomainError(
      'invalid_request',
      {},
      `Columns given more than once in the header line: ${duplicates.join(', ')} name the same property.`,
    );
  }
  if (!seen.has('id') && !seen.has('userprincipalname')) {
    throw new DomainError('invalid_request', {}, "The header line needs a key column: 'userPrincipalName' or 'id'.");
  }
  const properties = columns.flatMap((column) => (column.target.kind === 'property' ? [column.target.property] : []));
  return { columns, properties };
}

// ---------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------

/** A cell holding exactly this (any case) clears the property; an empty cell leaves it unchanged. */
export const clearMarker = '<clear>';

export interface ImportOptions {
  /** Rewrite phone numbers into the SSPR format; a value that cannot be rewritten rejects its row. */
  readonly normalize: boolean;
  /** ISO 3166-1 region for numbers written without a country code (`US`, `GB`). */
  readonly defaultRegion?: string;
}

export interface Normalization {
  readonly column: string;
  readonly from: string;
  readonly to: string;
}

export interface RowKey {
  readonly id?: string;
  readonly userPrincipalName?: string;
}

export type ParsedRow =
  | {
      readonly ok: true;
      readonly line: number;
      readonly key: RowKey;
      readonly changes: UserChanges;
      readonly normalizations: readonly Normalization[];
      readonly warnings: readonly string[];
    }
  | {
      readonly ok: false;
      readonly line: number;
      readonly key: RowKey;
      readonly column?: string;
      readonly reason: string;
    };

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The text a key is compared by to find duplicate rows. */
export function rowKeyText(key: RowKey): string {
  return key.id !== undefined ? `id:${key.id.toLowerCase()}` : `upn:${(key.userPrincipalName ?? '').toLowerCase()}`;
}

/** Validates one record; phone rules of SPEC section 3, Graph's value rules for the rest (`parseUserChanges`). */
export function parseImportRow(record: CsvRecord, columns: ImportColumns, options: ImportOptions): ParsedRow {
  const key: { id?: string; userPrincipalName?: string } = {};
  const rejected = (reason: string, column?: string): ParsedRow => ({
    ok: false,
    line: record.line,
    key,
    ...(column !== undefined && { column }),
    reason,
  });
  columns.columns.forEach((column, index) => {
    if (column.target.kind !== 'key') return;
    const cell = (record.fields[index] ?? '').trim();
    if (cell !== '') key[column.target.property] = cell;
  });
  if (record.error !== undefined) return rejected(record.error);
  if (record.fields.length !== columns.columns.length) {
    return rejected(
      `The line has ${record.fields.length} field${record.fields.length === 1 ? '' : 's'}, the header has ${columns.columns.length}.`,
    );
  }
  const keyColumn = (property: 'id' | 'userPrincipalName') =>
    columns.columns.find((column) => column.target.kind === 'key' && column.target.property === property)?.name;
  if (key.id === undefined && key.userPrincipalName === undefined) {
    return rejected('The row has no userPrincipalName or id.', keyColumn('userPrincipalName') ?? keyColumn('id'));
  }
  if (key.id !== undefined && !guidPattern.test(key.id)) return rejected('The id is not a GUID.', keyColumn('id'));

  const body: Record<string, unknown> = {};
  const normalizations: Normalization[] = [];
  const warnings: string[] = [];
  for (const [index, column] of columns.columns.entries()) {
    if (column.target.kind !== 'property') continue;
    const property = column.target.property;
    const cell = unprotect((record.fields[index] ?? '').trim());
    if (cell === '') continue;
    if (cell.toLowerCase() === clearMarker) {
      body[property] = multiValued.has(property) ? [] : null;
      continue;
    }
    let values = multiValued.has(property)
      ? cell
          .split(/[;,]/)
          .map((value) => value.trim())
          .filter((value) => value !== '')
      : [cell];
    if (phoneProperties.has(property)) {
      const checked: string[] = [];
      for (const value of values) {
        if (isSsprPhoneNumber(value)) {
          checked.push(value);
          continue;
        }
        const normalized = normalizePhoneNumber(
          value,
          options.defaultRegion === undefined ? {} : { defaultRegion: options.defaultRegion },
        );
        if (options.normalize) {
          if (!normalized.ok) return rejected(normalized.reason, column.name);
          normalizations.push({ column: column.name, from: value, to: normalized.value });
          checked.push(normalized.value);
        } else {
          const problem = describePhoneNumberProblem(value)?.message ?? 'The phone number is not in the SSPR format.';
          const hint = normalized.ok ? ` Normalised it would be "${normalized.value}" (--normalize).` : '';
          warnings.push(`${column.name}: stored as given, not usable for password reset. ${problem}${hint}`);
          checked.push(value);
        }
      }
      values = checked;
    }
    body[property] = multiValued.has(property) ? values : values[0];
  }
  for (const [property, value] of Object.entries(body)) {
    try {
      Object.assign(body, parseUserChanges({ [property]: value }, 'update'));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const column = columns.columns.find(
        (candidate) => candidate.target.kind === 'property' && candidate.target.property === property,
      );
      return rejected(error.message, column?.name ?? property);
    }
  }
  return { ok: true, line: record.line, key, changes: body as UserChanges, normalizations, warnings };
}

/** Parses every record; a key seen on an earlier row rejects the later row. */
export function parseImportFile(
  document: CsvDocument,
  options: ImportOptions,
): { readonly columns: ImportColumns; readonly rows: readonly ParsedRow[] } {
  if (options.defaultRegion !== undefined && !isSupportedCountry(options.defaultRegion.trim().toUpperCase())) {
    throw new DomainError(
      'invalid_request',
      {},
      `The default region '${options.defaultRegion}' is not a known ISO 3166 country or region code (e.g. US, GB).`,
    );
  }
  const columns = mapImportHeader(document.header.fields);
  const seen = new Map<string, number>();
  const rows = document.records.map((record): ParsedRow => {
    const row = parseImportRow(record, columns, options);
    if (row.key.id === undefined && row.key.userPrincipalName === undefined) return row;
    const text = rowKeyText(row.key);
    const earlier = seen.get(text);
    if (earlier !== undefined) {
      return { ok: false, line: row.line, key: row.key, reason: `The same user is already on line ${earlier}.` };
    }
    seen.set(text, row.line);
    return row;
  });
  return { columns, rows };
}

/** The changes that differ from the stored user (lists compared in order, exactly); empty when nothing would change. */
export function diffUserChanges(user: DirectoryUser, changes: UserChanges): UserChanges {
  const differing: Record<string, unknown> = {};
  for (const [property, value] of Object.entries(changes)) {
    const current = (user as unknown as Record<string, unknown>)[property];
    const same = Array.isArray(value)
      ? Array.isArray(current) && current.length === value.length && value.every((item, i) => item === current[i])
      : current === value;
    if (!same) differing[property] = value;
  }
  return differing as UserChanges;
}

// ---------------------------------------------------------------------------
// Outcomes and jobs (shared by the service and its store)
// ---------------------------------------------------------------------------

export type RowOutcomeKind = 'changed' | 'unchanged' | 'rejected';

export interface PropertyChange {
  readonly property: string;
  readonly oldValue: unknown;
  readonly newValue: unknown;
}

/** What happened (or, in a dry run, would happen) to one data line of the file. */
export interface RowOutcome {
  readonly line: number;
  /** The row's key as written: its userPrincipalName, else its id. */
  readonly key: string;
  readonly outcome: RowOutcomeKind;
  readonly column?: string;
  readonly reason?: string;
  readonly warnings: readonly string[];
  readonly normalizations: readonly Normalization[];
  readonly changes: readonly PropertyChange[];
}

export interface ImportCounts {
  changed: number;
  unchanged: number;
  rejected: number;
  /** Rows with at least one warning (they are also changed or unchanged). */
  warnings: number;
}

export const emptyImportCounts = (): ImportCounts => ({ changed: 0, unchanged: 0, rejected: 0, warnings: 0 });

export function addToImportCounts(counts: ImportCounts, row: RowOutcome): void {
  counts[row.outcome] += 1;
  if (row.warnings.length > 0) counts.warnings += 1;
}

export type ImportJobStatus = 'running' | 'succeeded' | 'failed';

export interface ImportJobRecord {
  readonly id: string;
  readonly fileHash: string;
  readonly options: ImportOptions;
  readonly status: ImportJobStatus;
  readonly totalRows: number;
  /** Data records handled by committed batches. */
  readonly rowsDone: number;
  readonly batchSize: number;
  readonly counts: ImportCounts;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
  readonly message: string | null;
}

/** The users a batch names, found in one go. */
export interface UserIndex {
  byId(id: string): DirectoryUser | undefined;
  byUserPrincipalName(userPrincipalName: string): DirectoryUser | undefined;
}

export interface ImportUserWrite {
  readonly id: string;
  readonly changes: UserRecordChanges;
  readonly audit: AuditEventDraft;
}

/** What one batch writes: the users' changes with their audit events, the rows' results, the job's progress. */
export interface ImportBatchPlan {
  readonly writes: readonly ImportUserWrite[];
  readonly results: readonly RowOutcome[];
  readonly rowsDone: number;
  readonly counts: ImportCounts;
  readonly updatedAt: string;
}

// ---------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------

/** The columns `sspr user export` writes: the importable ones, then status that the import reads and ignores. */
export const exportColumns = ['userPrincipalName', 'id', ...importableProperties, ...informationalColumns] as const;

const exportReaderRoles = [
  directoryRoles.globalAdministrator,
  directoryRoles.userAdministrator,
  directoryRoles.globalReader,
  directoryRoles.privilegedAuthenticationAdministrator,
];

/** Exporting contact info and registration status: User.Read.All, and for signed-in users an administrator role. */
export function authorizeContactExport(principal: Principal): void {
  if (principal.kind === 'operator') return;
  requirePermission(principal, 'User.Read.All');
  if (principal.kind === 'user' && !holdsAnyRole(principal, exportReaderRoles)) {
    throw new DomainError('permission_denied');
  }
}

/** Columns of the results CSV (`--results`, `GET .../contactImports/{id}/results`). */
export const resultColumns = ['line', 'key', 'outcome', 'column', 'reason', 'warnings', 'normalizations', 'changes'];

const describeValue = (value: unknown) => {
  const text = Array.isArray(value) ? value.join(';') : value === null || value === undefined ? '' : String(value);
  return text === '' ? '(empty)' : text;
};

/** One row's outcome as cells of the results CSV (spreadsheet-safe; lists joined with ` | `). */
export function resultCells(row: RowOutcome): string[] {
  return [
    String(row.line),
    row.key,
    row.outcome,
    row.column ?? '',
    row.reason ?? '',
    row.warnings.join(' | '),
    row.normalizations.map((n) => `${n.column}: ${n.from} -> ${n.to}`).join(' | '),
    row.changes
      .map((change) => `${change.property}: ${describeValue(change.oldValue)} -> ${describeValue(change.newValue)}`)
      .join(' | '),
  ].map(spreadsheetSafe);
}

/** A CSV previewed in the admin portal and held for "Apply" (the id and the owner only as hashes). */
export interface HeldUploadRecord {
  readonly idHash: string;
  readonly ownerHash: string;
  readonly filename: string;
  readonly data: Buffer;
  readonly options: ImportOptions;
  readonly createdAt: string;
  readonly expiresAt: string;
}
