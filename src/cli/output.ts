export type OutputFormat = 'table' | 'json' | 'csv';

type Row = Readonly<Record<string, unknown>>;

function cellText(value: unknown, listSeparator: string): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => cellText(item, listSeparator)).join(listSeparator);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Columns aligned like PowerShell's Format-Table: a header, a dashed rule, one line per row. */
export function formatTable(rows: readonly Row[], columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((column) => cellText(row[column], ', ')));
  const widths = columns.map((column, index) =>
    Math.max(column.length, ...cells.map((line) => (line[index] ?? '').length)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [render(columns), render(widths.map((width) => '-'.repeat(width))), ...cells.map(render)].join('\n');
}

/** RFC 4180 CSV; a collection becomes one cell with values separated by `;`. */
export function formatCsv(rows: readonly Row[], columns: readonly string[]): string {
  const quoteCell = (text: string) =>
    /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  return [
    columns.map(quoteCell).join(','),
    ...rows.map((row) => columns.map((column) => quoteCell(cellText(row[column], ';'))).join(',')),
  ].join('\n');
}

export function formatOutput(
  format: OutputFormat,
  rows: readonly Row[],
  columns: readonly string[],
  single = false,
): string {
  if (format === 'json') return JSON.stringify(single ? rows[0] : rows, null, 2);
  if (format === 'csv') return formatCsv(rows, columns);
  if (single && rows[0]) {
    // One object reads best as "name : value" lines, like PowerShell's Format-List.
    const row = rows[0];
    const width = Math.max(...columns.map((column) => column.length));
    return columns.map((column) => `${column.padEnd(width)} : ${cellText(row[column], ', ')}`).join('\n');
  }
  return formatTable(rows, columns);
}
