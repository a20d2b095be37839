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
