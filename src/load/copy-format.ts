import { getTableColumns } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { quoteIdent } from '../util/quote-ident';
import { InvalidOptionError } from '../errors';

/*
 * Rows to PostgreSQL's COPY text format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2):
 * one line per row, columns separated by a tab, `\N` for NULL, and a backslash before the four characters that
 * would otherwise end a field or a line (backslash, tab, newline, carriage return). Text rather than CSV because
 * its NULL is unambiguous and it needs no quoting, so most values go out untouched.
 */

/** The columns COPY writes for one table: the TypeScript key of each row and the SQL column name. */
export interface CopyColumn {
  key: string;
  name: string;
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escapeChar = (ch: string) => ESCAPES[ch] as string;

/** A string as one field of COPY text format. */
export function escapeCopyText(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, escapeChar) : value;
}

/**
 * One value as a COPY text field: `\N` for null/undefined, ISO 8601 UTC for a Date, `t`/`f` for a boolean.
 * Throws an InvalidOptionError (on `dataset`) for what no column of this package holds (objects, NaN, invalid dates), naming `where`.
 */
export function encodeCopyValue(value: unknown, where: () => string): string {
  switch (typeof value) {
    case 'string':
      return escapeCopyText(value);
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidOptionError('dataset', `${where()}: ${value} is not a finite number`);
      return String(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'bigint':
      return String(value);
    case 'undefined':
      return '\\N';
    case 'object':
      if (value === null) return '\\N';
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new InvalidOptionError('dataset', `${where()}: invalid Date`);
        return value.toISOString();
      }
      break;
  }
  throw new InvalidOptionError('dataset', `${where()}: cannot write a ${typeof value} value to the database`);
}

/**
 * The columns to COPY into `table` for `rows`: every column but the generated ones, left out when no row gives it
 * a value, so that the database default fills it (a column some rows give and others leave undefined gets NULL in
 * the latter, as an INSERT of those rows would). `'all'`: every column but the generated ones (a stream's rows, which
 * are not all at hand, are complete rows).
 */
export function copyColumns(table: PgTable, rows: readonly object[] | 'all'): CopyColumn[] {
  const columns = Object.entries(getTableColumns(table)).filter(
    ([, column]) => column.generated === undefined && column.generatedIdentity === undefined,
  );
  return columns
    .filter(([key]) => rows === 'all' || rows.some((row) => (row as Record<string, unknown>)[key] !== undefined))
    .map(([key, column]) => ({ key, name: column.name }));
}

/** `"table" ("col", ...)`, the target of a COPY statement. */
export function copyTarget(tableName: string, columns: readonly CopyColumn[]): string {
  return `${quoteIdent(tableName)} (${columns.map((c) => quoteIdent(c.name)).join(', ')})`;
}

/** About 64 KiB per part: large enough to amortize a protocol message, small enough to stream. */
const PART_BYTES = 64 * 1024;

const TAB = 0x09;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const BACKSLASH = 0x5c;
const ZERO = 0x30;
/** Strings up to this length are tried as plain ASCII first (see `CopyWriter.text`). */
const ASCII_RUN = 256;
const DAY_MS = 86_400_000;

/** `"00"` to `"99"` as the two ASCII codes of each, for writing times two digits at a time. */
const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => ZERO + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10));

/*
 * Encodes straight into Buffers: building the text as JS strings first (one per field, one per line) costs more in
 * garbage collection than the COPY itself on large tables. Strings go through `Buffer.write` (native UTF-8), Dates
 * and integers are written digit by digit.
 */
class CopyWriter {
  readonly parts: Buffer[] = [];
  private buf = Buffer.allocUnsafe(PART_BYTES);
  private pos = 0;

  /** Makes room for `bytes` more bytes, starting a new part when the current one is full. */
  room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    this.flush();
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(bytes, PART_BYTES));
  }

  flush(): void {
    if (this.pos === 0) return;
    this.parts.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(PART_BYTES);
    this.pos = 0;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /**
   * A string field. Most are short ASCII with nothing to escape (ids, statuses, emails): those are copied code unit
   * by code unit, which costs less than a call into `Buffer.write` per field; any other string takes that path.
   */
  text(value: string): void {
    const length = value.length;
    if (length <= ASCII_RUN) {
      this.room(length);
      const buf = this.buf;
      const start = this.pos;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80 || code === BACKSLASH || code === TAB || code === NEWLINE || code === RETURN) break;
        buf[start + i] = code;
      }
      if (i === length) {
        this.pos = start + length;
        return;
      }
    }
    const s = SPECIAL.test(value) ? value.replace(SPECIAL_ALL, escapeChar) : value;
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  ascii(s: string): void {
    this.room(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  /** A non-negative integer below 2^53, in decimal. */
  private digits(n: number, width: number): void {
    const buf = this.buf;
    for (let i = this.pos + width - 1; i >= this.pos; i--) {
      buf[i] = ZERO + (n % 10);
      n = Math.floor(n / 10);
    }
    this.pos += width;
  }

  integer(n: number): void {
    if (n < 0 || !Number.isSafeInteger(n)) {
      this.ascii(String(n));
      return;
    }
    let width = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) width++;
    this.room(width);
    this.digits(n, width);
  }

  /**
   * `YYYY-MM-DDTHH:MM:SS.mmmZ`, what `toISOString()` gives, without the intermediate string: the date part from
   * {@link dayPrefix} (the rows of a load fall on few days), the time of day two digits at a time.
   */
  date(ms: number): void {
    const days = Math.floor(ms / DAY_MS);
    const prefix = dayPrefix(days);
    if (prefix === undefined) {
      this.ascii(new Date(ms).toISOString());
      return;
    }
    const rem = ms - days * DAY_MS; // 0 ≤ rem < 86,400,000: int32 arithmetic from here
    const hour = (rem / 3_600_000) | 0;
    const minute = ((rem / 60_000) | 0) % 60;
    const second = ((rem / 1000) | 0) % 60;
    const milli = rem % 1000;
    this.room(24);
    const buf = this.buf;
    let p = this.pos;
    buf.set(prefix, p);
    p += 11;
    buf[p++] = PAIRS[hour * 2] as number;
    buf[p++] = PAIRS[hour * 2 + 1] as number;
    buf[p++] = 0x3a; // :
    buf[p++] = PAIRS[minute * 2] as number;
    buf[p++] = PAIRS[minute * 2 + 1] as number;
    buf[p++] = 0x3a;
    buf[p++] = PAIRS[second * 2] as number;
    buf[p++] = PAIRS[second * 2 + 1] as number;
    buf[p++] = 0x2e; // .
    buf[p++] = ZERO + ((milli / 100) | 0);
    buf[p++] = PAIRS[(milli % 100) * 2] as number;
    buf[p++] = PAIRS[(milli % 100) * 2 + 1] as number;
    buf[p++] = 0x5a; // Z
    this.pos = p;
  }
}

/** `YYYY-MM-DDT` of recent day numbers, made once each; emptied when it grows past {@link MAX_CACHED_DAYS}. */
const dayPrefixes = new Map<number, Uint8Array>();
const MAX_CACHED_DAYS = 4096;

/**
 * `YYYY-MM-DDT` (11 ASCII bytes) of the day `days` after 1970-01-01, or undefined for a year outside 0000-9999
 * (which `toISOString()` writes with a sign and six digits).
 */
function dayPrefix(days: number): Uint8Array | undefined {
  const cached = dayPrefixes.get(days);
  if (cached !== undefined) return cached;
  // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant, "chrono-compatible low-level date algorithms").
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  const prefix = Buffer.from(`${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T`, 'latin1');
  if (dayPrefixes.size >= MAX_CACHED_DAYS) dayPrefixes.clear();
  dayPrefixes.set(days, prefix);
  return prefix;
}

/**
 * `rows[from, to)` as COPY text, in UTF-8 parts of about 64 KiB: to write one by one or hand to a `Blob`, never one
 * buffer or string for the whole table. `label` names the rows in errors (`sessions[12].scheduledTime: ...`), each
 * by its index plus `labelOffset` (the index of `rows[0]` in the whole table, when `rows` is one chunk of it).
 */
export function encodeCopyRows(
  rows: readonly object[],
  columns: readonly CopyColumn[],
  from: number,
  to: number,
  label: string,
  labelOffset = 0,
): Buffer[] {
  const out = new CopyWriter();
  const keys = columns.map((c) => c.key);
  const width = keys.length;
  for (let i = from; i < to; i++) {
    const row = rows[i] as Record<string, unknown>;
    for (let c = 0; c < width; c++) {
      if (c > 0) out.byte(TAB);
      const key = keys[c] as string;
      const value = row[key];
      if (typeof value === 'string') out.text(value);
      else if (value instanceof Date) {
        const ms = value.getTime();
        if (Number.isNaN(ms)) throw new InvalidOptionError('dataset', `${label}[${labelOffset + i}].${key}: invalid Date`);
        out.date(ms);
      } else if (typeof value === 'number' && Number.isInteger(value)) out.integer(value);
      else out.ascii(encodeCopyValue(value, () => `${label}[${labelOffset + i}].${key}`));
    }
    out.byte(NEWLINE);
  }
  out.flush();
  return out.parts;
}
