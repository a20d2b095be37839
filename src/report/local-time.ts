import { DAY, HOUR, zoneOffset } from '../domain/time';

/**
 * Where an instant falls on the local calendar of a time zone.
 *
 * @example
 * const local: LocalTime = localClock('UTC')(Date.UTC(2026, 0, 15, 17)); // { day: 20468, weekday: 4, hour: 17, month: 1 }
 */
export interface LocalTime {
  /** Days since 1970-01-01, local. */
  day: number;
  /** 0 = Sunday, as PostgreSQL's `extract(dow ...)`. */
  weekday: number;
  hour: number;
  /** 1–12. */
  month: number;
}

const QUARTER_HOUR = HOUR / 4;

/**
 * A function placing instants on the local calendar of `timeZone`. Offsets are looked up once per quarter hour of
 * UTC time (time zones change their offset on such boundaries), so a million sessions cost a few thousand `Intl`
 * calls, not a million.
 *
 * @example
 * const clock = localClock('America/New_York');
 * clock(Date.parse('2026-07-01T18:30:00Z')).hour; // 14
 */
export function localClock(timeZone: string): (instant: number) => LocalTime {
  const offsetAt = zoneOffset(timeZone);
  const offsets = new Map<number, number>();
  return (instant) => {
    const bucket = Math.floor(instant / QUARTER_HOUR);
    let offset = offsets.get(bucket);
    if (offset === undefined) {
      offset = offsetAt(bucket * QUARTER_HOUR);
      offsets.set(bucket, offset);
    }
    const local = instant + offset;
    const day = Math.floor(local / DAY);
    return {
      day,
      weekday: (((day + 4) % 7) + 7) % 7, // 1970-01-01 was a Thursday
      hour: Math.floor((local - day * DAY) / HOUR),
      month: new Date(day * DAY).getUTCMonth() + 1,
    };
  };
}

/**
 * How many local days of each weekday (0 = Sunday) and each month (index 0 = January) lie in `first..last` (days
 * since 1970-01-01, both included).
 *
 * @example
 * daysInRange(0, 6).weekdays; // [1, 1, 1, 1, 1, 1, 1]: a week
 */
export function daysInRange(first: number, last: number): { weekdays: number[]; months: number[] } {
  const weekdays = new Array<number>(7).fill(0);
  const months = new Array<number>(12).fill(0);
  for (let day = first; day <= last; day++) {
    weekdays[(((day + 4) % 7) + 7) % 7]!++;
    months[new Date(day * DAY).getUTCMonth()]!++;
  }
  return { weekdays, months };
}
