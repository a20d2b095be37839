import { HOUR, MINUTE } from './time';

/**
 * The ISO 8601 text both readers of instants accept, at its widest: a date, optionally `T` and a time (seconds and a
 * fraction optional) with an optional zone (`Z` or an offset, to the second). Each reader narrows it to its own form.
 */
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:([Tt])(\d{2}):(\d{2})(?::(\d{2})(?:([.,])(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?)?$/;

const OFFSET = /^([+-])(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?$/;

/** The parts of an ISO 8601 date or date-time as written, before any range check; `undefined` for what is absent. */
export interface IsoText {
  year: string;
  month: string;
  day: string;
  /** `T` or `t` when a time follows. */
  timeMark?: string | undefined;
  hour?: string | undefined;
  minute?: string | undefined;
  second?: string | undefined;
  /** `.` or `,` before the fraction of a second. */
  fractionMark?: string | undefined;
  fraction?: string | undefined;
  /** `Z`, `z` or an offset such as `+05:30`. */
  zone?: string | undefined;
}

/**
 * Splits ISO 8601 text into its parts, or `undefined` when it is outside the grammar.
 *
 * @example
 * readIsoText('2026-01-15T12:00Z'); // { year: '2026', month: '01', day: '15', timeMark: 'T', hour: '12', ... zone: 'Z' }
 */
export function readIsoText(text: string): IsoText | undefined {
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const [, year = '', month = '', day = '', timeMark, hour, minute, second, fractionMark, fraction, zone] = m;
  return { year, month, day, timeMark, hour, minute, second, fractionMark, fraction, zone };
}

/**
 * An offset such as `+05:30`, `-0800` or `+05:30:15` as its sign and fields, or `undefined` for `Z` or other text.
 *
 * @example
 * readOffset('-05:30'); // { sign: -1, hours: 5, minutes: 30, seconds: 0 }
 */
export function readOffset(zone: string): { sign: 1 | -1; hours: number; minutes: number; seconds: number } | undefined {
  const m = OFFSET.exec(zone);
  if (!m) return undefined;
  return { sign: m[1] === '-' ? -1 : 1, hours: Number(m[2]), minutes: Number(m[3] ?? 0), seconds: Number(m[4] ?? 0) };
}

/**
 * Days in `month` (1–12) of `year` in the proleptic Gregorian calendar, leap years included.
 *
 * @example
 * daysInMonth(2024, 2); // 29
 */
export function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : ([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0);
}

/**
 * The instant of a UTC calendar date and time of day. Unlike `Date.UTC` it keeps the years 0–99 as written, and an
 * hour of 24 or a second of 60 rolls over into the next day or minute.
 *
 * @example
 * utcInstant(2026, 1, 15, 24, 0, 0, 0).toISOString(); // '2026-01-16T00:00:00.000Z'
 */
export function utcInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date;
}

/** The formats {@link parseInstant} accepts, for messages and `--help`. */
export const INSTANT_FORMATS = 'YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM[:SS[.sss]] with Z or ±HH:MM';

/** The zones {@link parseInstant} takes: `Z` or an offset to the minute. */
const INSTANT_ZONE = /^(Z|[+-]\d{2}(?::?\d{2})?)$/;

/**
 * Reads an instant written in ISO 8601: a calendar date (midnight UTC) or a date and time with its offset. An
 * impossible day, an hour past 23 or a date-time without an offset gives a reason instead of a `Date`, where
 * `Date.parse` would move the day or guess the zone.
 *
 * @example
 * parseInstant('2026-01-15T12:00:00Z'); // { date: 2026-01-15T12:00:00.000Z }
 * parseInstant('2026-02-30');           // { problem: '2026-02 has 28 days' }
 */
export function parseInstant(text: string): { date: Date; problem?: undefined } | { date?: undefined; problem: string } {
  const t = readIsoText(text);
  if (!t || (t.timeMark !== undefined && (t.timeMark !== 'T' || !INSTANT_ZONE.test(t.zone ?? '')))) {
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)
      ? { problem: 'a date-time needs its offset (Z or ±HH:MM)' }
      : { problem: 'not one of these formats' };
  }
  const { year: y, month: mo, day: d, hour: h = '0', minute: mi = '0', second: s = '0', fraction = '', zone = 'Z' } = t;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  if (month < 1 || month > 12) return { problem: `there is no month ${mo}` };
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return { problem: `${y}-${mo} has ${days} days` };
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return { problem: `${h}:${mi}:${s.padStart(2, '0')} is not a time of day` };
  const offset = readOffset(zone);
  if (offset && (offset.hours > 23 || offset.minutes > 59)) return { problem: `${zone} is not a UTC offset` };
  const offsetMs = offset ? offset.sign * (offset.hours * HOUR + offset.minutes * MINUTE) : 0;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  return { date: new Date(utcInstant(year, month, day, Number(h), Number(mi), Number(s), ms).getTime() - offsetMs) };
}
