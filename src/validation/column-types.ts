import { type Column, type DrizzleEntityClass, is } from 'drizzle-orm';
import { PgNumericNumber, PgVarchar } from 'drizzle-orm/pg-core';
import { z } from 'zod';

/*
 * Zod schemas for the PostgreSQL column types of this package, written so that they accept exactly the JavaScript
 * values that Drizzle can send and PostgreSQL then stores, and so that their output is the value PostgreSQL stores
 * (a uuid in canonical form, a varchar without the trailing spaces PostgreSQL drops, a numeric rounded to its scale).
 * Every message starts with the field and ends with the rule in parentheses: `name: ... (varchar(255))`.
 */

/**
 * The text of a Zod issue: the field, what it must be, and the rule in parentheses.
 *
 * @example
 * ruleMessage('durationMinutes', 'must be greater than 0', 'sessions_duration_positive');
 * // 'durationMinutes: must be greater than 0 (sessions_duration_positive)'
 */
export const ruleMessage = (field: string, requirement: string, rule: string): string =>
  `${field}: ${requirement} (${rule})`;

/** The message for a value of the wrong JavaScript type, or a missing/null value of a NOT NULL column. */
const typeError = (field: string, expected: string, rule: string) => (issue: { input?: unknown }) =>
  issue.input === undefined
    ? ruleMessage(field, 'is required', 'not null')
    : issue.input === null
      ? ruleMessage(field, 'must not be null', 'not null')
      : ruleMessage(field, `must be ${expected}`, rule);

const NUL = '\u0000';
// With the `u` flag a surrogate pair is one code point, so only a lone surrogate matches.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A `text` value. PostgreSQL refuses the NUL character in any text, so Zod does too. A JavaScript string with a lone
 * surrogate (half of a UTF-16 pair) would reach PostgreSQL as U+FFFD, silently changed: this is the one place where
 * Zod is deliberately stricter than the database, and refuses it.
 *
 * @example
 * text('reason').parse('tutor was ill'); // 'tutor was ill'
 * text('reason').parse('a\u0000b');      // throws: reason: must not contain the NUL character U+0000 (text)
 */
export function text(field: string, rule = 'text') {
  return z
    .string({ error: typeError(field, 'a string', rule) })
    .refine((s) => !s.includes(NUL), ruleMessage(field, 'must not contain the NUL character U+0000', rule))
    .refine(
      (s) => !LONE_SURROGATE.test(s),
      ruleMessage(field, 'must be well-formed UTF-16 (no lone surrogate, which would be stored as U+FFFD)', rule),
    );
}

/**
 * Whether PostgreSQL stores `value` in a `varchar(length)`: it counts characters (code points, not UTF-16 units), and
 * a longer value is accepted only when everything past `length` is spaces, which it drops.
 *
 * @example
 * fitsVarchar('😀😀😀', 3); // true
 * fitsVarchar('abc  ', 3);  // true (stored as 'abc')
 * fitsVarchar('abc\t', 3);  // false
 */
export function fitsVarchar(value: string, length: number): boolean {
  if (value.length <= length) return true; // never more code points than UTF-16 units
  const chars = Array.from(value);
  return chars.length <= length || chars.slice(length).every((c) => c === ' ');
}

/**
 * The value PostgreSQL stores for `value` in a `varchar(length)`: clipped to `length` characters when it fits.
 *
 * @example
 * clipVarchar('abc  ', 3); // 'abc'
 */
export function clipVarchar(value: string, length: number): string {
  if (value.length <= length) return value;
  const chars = Array.from(value);
  return chars.length > length && fitsVarchar(value, length) ? chars.slice(0, length).join('') : value;
}

/** A Drizzle `varchar` column of a table, e.g. `tutors.name`: {@link varchar} reads its declared length. */
export type VarcharColumn = Column & { readonly columnType: 'PgVarchar' };

/** A Drizzle `numeric` column in `mode: 'number'`, e.g. `tutorScores.riskThreshold`: {@link numeric} reads its precision and scale. */
export type NumericColumn = Column & { readonly columnType: 'PgNumericNumber' };

/** The table column `column` as its Drizzle class, or an error naming `field` when it is another kind of column. */
function columnOf<T extends DrizzleEntityClass<Column>>(field: string, column: Column, kind: T, sqlType: string): InstanceType<T> {
  if (is(column, kind)) return column;
  throw new Error(`${field}: a ${sqlType} schema needs a ${sqlType} column, not ${column.columnType}`);
}

/**
 * A value of the `varchar` column `column`: {@link text}, at most `column.length` characters (code points). Like
 * PostgreSQL, it accepts a longer value whose extra characters are all spaces, and outputs it clipped, as PostgreSQL
 * stores it; the row's CHECK rules then see the clipped value, as PostgreSQL's do. The length is read from the Drizzle
 * column, as drizzle-zod's `columnToSchema` does.
 *
 * @example
 * // with a column declared varchar('code', { length: 3 }):
 * varchar('code', codes.code).parse('😀😀😀');  // '😀😀😀' (3 characters, 6 UTF-16 units)
 * varchar('code', codes.code).parse('abc   '); // 'abc'
 * varchar('code', codes.code).parse('abcd');   // throws: code: must be at most 3 characters ... (varchar(3))
 */
export function varchar(field: string, column: VarcharColumn) {
  const { length } = columnOf(field, column, PgVarchar, 'varchar');
  if (length === undefined) return text(field, 'varchar');
  const rule = `varchar(${length})`;
  return text(field, rule)
    .refine(
      (s) => fitsVarchar(s, length),
      ruleMessage(field, `must be at most ${length} characters (only spaces may follow, and are dropped)`, rule),
    )
    .overwrite((s) => clipVarchar(s, length))
    .meta({ maxLength: length });
}

/**
 * What PostgreSQL's `uuid` input accepts: 32 hex digits in either case, an optional `-` after any group of four
 * (except the last), the whole optionally in one pair of braces; nothing else, not even a space.
 *
 * @example
 * UUID_INPUT.test('{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}'); // true
 * UUID_INPUT.test(' a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'); // false
 */
export const UUID_INPUT = /^(?:\{[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7}\}|[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7})$/;

/** The canonical form PostgreSQL stores and returns: lowercase, hyphenated 8-4-4-4-12. */
function canonicalUuid(value: string): string {
  const hex = value.replace(/[{}-]/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A `uuid` value: any spelling PostgreSQL's uuid input accepts ({@link UUID_INPUT}), output in canonical form. Unlike
 * `z.uuid()` it does not check RFC 9562 version bits, because PostgreSQL does not.
 *
 * @example
 * uuid('id').parse('{A0EEBC999C0B4EF8BB6D6BB9BD380A11}'); // 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'
 */
export function uuid(field: string) {
  return z
    .string({ error: typeError(field, 'a UUID string', 'uuid') })
    .regex(UUID_INPUT, ruleMessage(field, 'must be a UUID: 32 hex digits, optionally hyphenated or in braces', 'uuid'))
    .overwrite((s) => (UUID_INPUT.test(s) ? canonicalUuid(s) : s))
    .meta({ format: 'uuid' });
}

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/**
 * An `integer` value: a whole number from -2147483648 to 2147483647.
 *
 * @example
 * int32('durationMinutes').parse(60);  // 60
 * int32('durationMinutes').parse(1.5); // throws: durationMinutes: must be a whole number from ... (integer)
 */
export function int32(field: string) {
  return z
    .number({ error: typeError(field, 'a finite number', 'integer') })
    .refine(
      (n) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX,
      ruleMessage(field, `must be a whole number from ${INT32_MIN} to ${INT32_MAX}`, 'integer'),
    )
    .meta({ type: 'integer', minimum: INT32_MIN, maximum: INT32_MAX });
}

/** Whether PostgreSQL accepts `date` in a `timestamptz` as Drizzle sends it (`toISOString()`): UTC years 1 to 9999. */
function isStorableDate(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999;
}

/**
 * A `timestamp with time zone` value in Drizzle's `mode: 'date'`: a valid `Date` whose UTC year is 1 to 9999 (Drizzle
 * sends `toISOString()`, and PostgreSQL refuses year 0000 and the six-digit years `toISOString()` writes past 9999).
 *
 * @example
 * timestamptz('sentAt').parse(new Date('2025-03-01T10:00:00Z')); // the same Date
 * timestamptz('sentAt').parse(new Date('+010000-01-01'));         // throws: sentAt: must be ... (timestamptz)
 */
export function timestamptz(field: string) {
  const requirement = 'must be a valid Date from year 1 to 9999 (UTC)';
  return z
    .date({
      error: (issue) =>
        issue.input instanceof Date ? ruleMessage(field, requirement, 'timestamptz') : typeError(field, 'a Date', 'timestamptz')(issue),
    })
    .refine(isStorableDate, ruleMessage(field, requirement, 'timestamptz'));
}

/**
 * `value` (a decimal string, as `String(number)` writes it) times 10^scale, rounded half away from zero to a whole
 * number, as PostgreSQL rounds a numeric to its scale; undefined when it is not a finite decimal.
 *
 * @example
 * scaledDecimal('12.345', 2); // 1235n
 * scaledDecimal('-0.005', 2); // -1n
 * scaledDecimal('1e-7', 2);   // 0n
 */
export function scaledDecimal(value: string, scale: number): bigint | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(value);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  const digits = BigInt(`${whole}${fraction}` || '0');
  const shift = Number(exponent) - fraction.length + scale;
  let scaled: bigint;
  if (shift >= 0) {
    scaled = digits * 10n ** BigInt(shift);
  } else {
    scaled = roundedQuotient(digits, 10n ** BigInt(-shift));
  }
  return sign === '-' ? -scaled : scaled;
}

/**
 * `numerator ÷ denominator` rounded half away from zero to a whole number, as PostgreSQL's `round()` rounds a numeric.
 *
 * @example
 * roundedQuotient(-5n, 2n); // -3n
 */
export function roundedQuotient(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const magnitude = (2n * n + d) / (2n * d);
  return negative ? -magnitude : magnitude;
}

/**
 * The number a scaled decimal stands for.
 *
 * @example
 * unscale(1235n, 2); // 12.35
 */
export function unscale(scaled: bigint, scale: number): number {
  if (scaled === 0n) return 0;
  const digits = (scaled < 0n ? -scaled : scaled).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return Number(scaled < 0n ? `-${text}` : text);
}

/**
 * A value of the `numeric(precision, scale)` column `column`, in Drizzle's `mode: 'number'`; precision and scale are
 * read from the column. Drizzle sends `String(n)`; PostgreSQL rounds that decimal half away from zero to `scale`
 * places and refuses the result when it has more than `precision − scale` integer digits. The rounding is done on the
 * decimal string, as PostgreSQL does, not in floating point, and the output is the rounded number PostgreSQL stores,
 * so CHECK rules see what PostgreSQL's see.
 *
 * @example
 * numeric('riskThreshold', tutorScores.riskThreshold).parse(12.345);  // 12.35
 * numeric('riskThreshold', tutorScores.riskThreshold).parse(999.995); // throws: riskThreshold: must round to ... (numeric(5,2))
 */
export function numeric(field: string, column: NumericColumn) {
  const { precision, scale } = columnOf(field, column, PgNumericNumber, 'numeric');
  if (precision === undefined || scale === undefined) {
    throw new Error(`${field}: numeric columns need a precision and a scale for their Zod schema (numeric(p, s))`);
  }
  const rule = `numeric(${precision},${scale})`;
  const limit = 10n ** BigInt(precision);
  const rounded = (n: number) => {
    const scaled = scaledDecimal(String(n), scale);
    return scaled !== undefined && -limit < scaled && scaled < limit ? scaled : undefined;
  };
  return z
    .number({ error: typeError(field, 'a finite number', rule) })
    .refine(
      (n) => rounded(n) !== undefined,
      ruleMessage(field, `must round (to ${scale} decimals) to less than 10^${precision - scale} in absolute value`, rule),
    )
    .overwrite((n) => {
      const scaled = rounded(n);
      return scaled === undefined ? n : unscale(scaled, scale);
    })
    .meta({ exclusiveMinimum: -Number(limit) / 10 ** scale, exclusiveMaximum: Number(limit) / 10 ** scale });
}

/**
 * A `boolean` value.
 *
 * @example
 * boolean('isActive').parse(true); // true
 */
export function boolean(field: string) {
  return z.boolean({ error: typeError(field, 'true or false', 'boolean') });
}

/**
 * A varchar column whose CHECK constraint `constraint` lists the values it may take.
 *
 * @example
 * oneOf('status', ['sent', 'failed', 'pending'], 'email_reports_status_valid').parse('Sent');
 * // throws: status: must be one of 'sent', 'failed', 'pending' (email_reports_status_valid)
 */
export function oneOf<const T extends readonly [string, ...string[]]>(field: string, values: T, constraint: string) {
  const requirement = `must be one of ${values.map((v) => `'${v}'`).join(', ')}`;
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined || issue.input === null
        ? typeError(field, '', constraint)(issue)
        : ruleMessage(field, requirement, constraint),
  });
}

/**
 * A CHECK constraint that reads a single column, as a predicate for `.refine()` with its message.
 *
 * @example
 * int32('durationMinutes').refine(...check('durationMinutes', (n) => n > 0, 'must be greater than 0', 'sessions_duration_positive'));
 */
export function check<T>(
  field: string,
  holds: (value: T) => boolean,
  requirement: string,
  constraint: string,
): [(value: T) => boolean, string] {
  return [holds, ruleMessage(field, requirement, constraint)];
}

/** PostgreSQL's `~ '[^ \t\r\n]'`: a character other than space, tab, CR or LF (not JavaScript's `trim()`). */
const NOT_BLANK = /[^ \t\r\n]/u;

/** PostgreSQL's `~ '^[^@ \t\r\n]+@[^@ \t\r\n]+$'`: one `@` between a non-empty local part and domain, no whitespace. */
const EMAIL_FORMAT = /^[^@ \t\r\n]+@[^@ \t\r\n]+$/u;

/**
 * A {@link varchar} that must contain a character other than space, tab, CR or LF, as `constraint` requires.
 *
 * @example
 * notBlankVarchar('name', tutors.name, 'tutors_name_not_blank').parse('\t '); // throws: name: must contain ... (tutors_name_not_blank)
 */
export function notBlankVarchar(field: string, column: VarcharColumn, constraint: string) {
  return varchar(field, column).refine(
    ...check(field, (s: string) => NOT_BLANK.test(s), 'must contain a character other than space, tab, CR or LF', constraint),
  );
}

/**
 * A {@link varchar} email address in the format `constraint` requires ({@link EMAIL_FORMAT}).
 *
 * @example
 * emailVarchar('email', tutors.email, 'tutors_email_format').parse('ada@example.com'); // 'ada@example.com'
 */
export function emailVarchar(field: string, column: VarcharColumn, constraint: string) {
  return varchar(field, column).refine(
    ...check(
      field,
      (s: string) => EMAIL_FORMAT.test(s),
      "must be one '@' between a non-empty local part and domain, with no '@', space, tab, CR or LF in either",
      constraint,
    ),
  ).meta({ format: 'email' });
}
