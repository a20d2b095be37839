import { z } from 'zod';
import { ruleMessage, timestamptz } from './column-types';

/*
 * JSON on the wire. An API receives timestamps as ISO 8601 text and sends them back the same way; the row schemas
 * take and give `Date`s. These pieces convert between the two, refusing exactly the text PostgreSQL refuses within
 * the grammar below, so a request schema accepts a JSON body if and only if the database accepts the row.
 */

/**
 * ISO 8601 date and time with an offset, as an API sends it: `YYYY-MM-DDTHH:MM[:SS[.fff]]` and `Z` or `±HH[:MM[:SS]]`
 * (`T` and `Z` in either case). Four-digit years; at most milliseconds (a `Date` holds no more).
 */
const ISO_INSTANT = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3}))?)?(?:(Z)|([+-])(\d\d)(?::?(\d\d)(?::?(\d\d))?)?)$/i;

/** The largest UTC offset PostgreSQL takes in a timestamp's text: 15:59:59. */
const MAX_OFFSET_SECONDS = 15 * 3600 + 59 * 60 + 59;

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
const daysInMonth = (year: number, month: number) => (month === 2 && isLeap(year) ? 29 : (MONTH_DAYS[month - 1] ?? 0));

/**
 * The instant an ISO 8601 text names, read as PostgreSQL reads it (`24:00:00` is the next midnight, second 60 the
 * next minute, offsets up to ±15:59:59), or undefined when PostgreSQL would refuse it (February 30th, year 0, hour
 * 25, an offset of 16 hours) or it is outside the grammar.
 *
 * @example
 * parseIsoInstant('2026-01-15T07:00:00-05:00')?.toISOString(); // '2026-01-15T12:00:00.000Z'
 * parseIsoInstant('2026-02-30T00:00:00Z');                      // undefined
 */
export function parseIsoInstant(text: string): Date | undefined {
  const m = ISO_INSTANT.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '', zulu, sign, oh = '0', om = '0', os = '0'] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const millis = Number(frac.padEnd(3, '0'));
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (minute > 59 || second > 60) return undefined;
  if (hour > 24 || (hour === 24 && (minute > 0 || second > 0 || millis > 0))) return undefined;
  const offset = zulu ? 0 : (Number(oh) * 3600 + Number(om) * 60 + Number(os)) * (sign === '-' ? -1 : 1);
  if (Number(om) > 59 || Number(os) > 59 || Math.abs(offset) > MAX_OFFSET_SECONDS) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads the years 0–99 as 1900–1999
  date.setUTCHours(hour, minute, second, millis); // hour 24 and second 60 roll over, as in PostgreSQL
  date.setTime(date.getTime() - offset * 1000);
  return date;
}

/**
 * A `timestamptz` field of a JSON request: ISO 8601 text with an offset (see {@link parseIsoInstant}), output as the
 * `Date` the row schemas take, within the same years 1–9999 (UTC).
 *
 * @example
 * isoTimestamptz('scheduledTime').parse('2026-01-15T12:00:00Z'); // Date 2026-01-15T12:00:00.000Z
 * isoTimestamptz('scheduledTime').parse('2026-01-15');           // throws: scheduledTime: must be an ISO 8601 ...
 */
export function isoTimestamptz(field: string) {
  const requirement = 'must be an ISO 8601 date and time with an offset, e.g. 2026-01-15T12:00:00Z';
  return z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? ruleMessage(field, 'is required', 'not null')
          : issue.input === null
            ? ruleMessage(field, 'must not be null', 'not null')
            : ruleMessage(field, requirement, 'timestamptz'),
    })
    .transform((text, ctx) => {
      const date = parseIsoInstant(text);
      if (date) return date;
      ctx.addIssue({ code: 'custom', message: ruleMessage(field, requirement, 'timestamptz') });
      return z.NEVER;
    })
    .pipe(timestamptz(field));
}

/** A row as JSON carries it: every `Date` as ISO 8601 text in UTC. */
export type Jsonified<TRow> = { [K in keyof TRow]: TRow[K] extends Date ? string : TRow[K] extends Date | null ? string | null : TRow[K] };

/**
 * A row made ready for `JSON.stringify`: every `Date` as ISO 8601 text in UTC (`2026-01-15T12:00:00.000Z`, and
 * `0001-01-01T00:00:00.000Z` for year 1); everything else (numbers, strings, booleans, null) as it is.
 *
 * @example
 * jsonifyRow({ id, scheduledTime: new Date('2026-01-15T12:00:00Z') }); // { id, scheduledTime: '2026-01-15T12:00:00.000Z' }
 */
export function jsonifyRow<TRow extends object>(row: TRow): Jsonified<TRow> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key] = value instanceof Date ? value.toISOString() : value;
  return out as Jsonified<TRow>;
}
