/**
 * A count with thousands separators, the same on every machine (`en-US`).
 *
 * @example
 * formatCount(1234567); // '1,234,567'
 */
export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** How a column's cells line up: text to the left, numbers to the right. */
export type Alignment = 'left' | 'right';

/**
 * Lays out rows as a plain-text table: a header line, a rule of dashes under each header, then one line per row,
 * columns padded to their widest cell and separated by two spaces, with no trailing spaces. Cells are printed as
 * given; `align` (default: every column left) pads numbers to the right so that their digits line up.
 *
 * @example
 * renderTable(['tutor', 'rate'], [['Ada', '50.00%'], ['Grace', '7.50%']], { align: ['left', 'right'] });
 * // tutor    rate
 * // -----  ------
 * // Ada    50.00%
 * // Grace   7.50%
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: { align?: readonly Alignment[] } = {},
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    widths
      .map((width, column) => {
        const cell = cells[column] ?? '';
        return options.align?.[column] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/**
 * A size in bytes for people, in MB below a gigabyte and in GB above.
 *
 * @example
 * formatBytes(12_900_000); // '12.3 MB'
 */
export const formatBytes = (bytes: number): string =>
  bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
