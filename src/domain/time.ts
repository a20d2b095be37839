/** Milliseconds in a minute, an hour and a (24-hour) day. */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * A function giving the UTC offset, in milliseconds, of `timeZone` at an instant: the wall clock read as UTC minus
 * the instant. Uses `Intl.DateTimeFormat`, so it follows the time zone database of the JavaScript runtime.
 *
 * @example
 * zoneOffset('America/New_York')(Date.UTC(2026, 0, 15)); // -18000000 (UTC−5)
 */
export function zoneOffset(timeZone: string): (instant: number) => number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return () => 0;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (instant) => {
    const f: Record<string, number> = {};
    for (const part of format.formatToParts(instant)) if (part.type !== 'literal') f[part.type] = Number(part.value);
    const wall = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!);
    return wall - (instant - (((instant % 1000) + 1000) % 1000));
  };
}

/**
 * Whether the JavaScript runtime knows `timeZone` as an IANA time zone name.
 *
 * @example
 * isTimeZone('Europe/Paris'); // true
 * isTimeZone('Mars/Olympus'); // false
 */
export function isTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== 'string') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?))?$/;

/** The formats {@link parseInstant} accepts, for messages and `--help`. */
export const INSTANT_FORMATS = 'YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM[:SS[.sss]] with Z or ±HH:MM';

/** Days in `month` (1–12) of `year`, leap years included. */
const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Reads an instant written in ISO 8601: a calendar date (`2026-01-15`, midnight UTC) or a date and time with its
 * offset (`2026-01-15T12:00:00Z`, `2026-01-15T13:00+01:00`). Anything else, an impossible day (`2026-02-30`,
 * `2026-04-31`), an hour past 23 or a date-time without an offset (whose instant would depend on the machine's
 * zone) gives a reason instead of a `Date`: `Date.parse` would move such a day to another one, or guess.
 *
 * @example
 * parseInstant('2026-01-15T12:00:00Z'); // { date: 2026-01-15T12:00:00.000Z }
 * parseInstant('2026-02-30');           // { problem: '2026-02 has 28 days' }
 */
export function parseInstant(text: string): { date: Date; problem?: undefined } | { date?: undefined; problem: string } {
  const m = ISO_INSTANT.exec(text);
  if (!m) {
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)
      ? { problem: 'a date-time needs its offset (Z or ±HH:MM)' }
      : { problem: 'not one of these formats' };
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12) return { problem: `there is no month ${mo}` };
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return { problem: `${y}-${mo} has ${days} days` };
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return { problem: `${h}:${mi}:${s.padStart(2, '0')} is not a time of day` };
  let offset = 0;
  if (zone !== 'Z') {
    const [, sign, oh, om = '00'] = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    if (Number(oh) > 23 || Number(om) > 59) return { problem: `${zone} is not a UTC offset` };
    offset = (sign === '-' ? -1 : 1) * (Number(oh) * HOUR + Number(om) * MINUTE);
  }
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), ms);
  // Date.UTC reads years 0–99 as 1900–1999.
  const date = new Date(year < 100 ? new Date(utc).setUTCFullYear(year) - offset : utc - offset);
  return { date };
}
