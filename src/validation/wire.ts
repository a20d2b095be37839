import { z } from 'zod';
import { daysInMonth, readIsoText, readOffset, utcInstant } from '../domain/iso-8601';
import { ruleMessage, timestamptz } from './column-types';

/** The largest UTC offset PostgreSQL takes in a timestamp's text: 15:59:59. */
const MAX_OFFSET_SECONDS = 15 * 3600 + 59 * 60 + 59;

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
  const t = readIsoText(text);
  if (!t?.timeMark || !t.zone || t.fractionMark === ',' || (t.fraction ?? '').length > 3) return undefined;
  const [year, month, day] = [Number(t.year), Number(t.month), Number(t.day)];
  const [hour, minute, second] = [Number(t.hour), Number(t.minute), Number(t.second ?? 0)];
  const millis = Number((t.fraction ?? '').padEnd(3, '0'));
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (minute > 59 || second > 60) return undefined;
  if (hour > 24 || (hour === 24 && (minute > 0 || second > 0 || millis > 0))) return undefined;
  const o = readOffset(t.zone) ?? { sign: 1, hours: 0, minutes: 0, seconds: 0 };
  const offset = o.sign * (o.hours * 3600 + o.minutes * 60 + o.seconds);
  if (o.minutes > 59 || o.seconds > 59 || Math.abs(offset) > MAX_OFFSET_SECONDS) return undefined;
  // Hour 24 and second 60 roll over, as in PostgreSQL.
  return new Date(utcInstant(year, month, day, hour, minute, second, millis).getTime() - offset * 1000);
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
    .meta({ format: 'date-time' })
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
