import type { Prng } from './prng';
import { WeightedIndex } from './weighted-index';
import type { ResolvedGenerateOptions } from '../domain/dataset';
import { DAY, HOUR, MINUTE, zoneOffset } from '../domain/time';

/** Start minutes within the hour and their weights: most sessions start on the hour, many on the half hour. */
const startMinutes = [0, 15, 30, 45] as const;
const startMinuteWeights = [60, 5, 30, 5];

/**
 * The local calendar of the generation window `(now − days, now]` in the option's time zone: for each local day its
 * weight (weekday × season) and the instant each of its hours starts, and the hour-of-day weights. Sampling a start
 * time is then table look-ups; `Intl` is only called while building it (once per local hour).
 */
export interface Calendar {
  /** The window: sessions start after `windowStart` and end at or before `now` (epoch ms). */
  windowStart: number;
  now: number;
  /** Local days in the window (the first and last may be partial). */
  dayCount: number;
  /**
   * `hourStart[d * 24 + h]`: the instant local day `d` reaches `h`:00. A wall-clock time skipped by a DST change
   * maps forward by the length of the gap and a repeated one to its first occurrence (Temporal's "compatible").
   */
  hourStart: Float64Array;
  /** `dayCumulative[d]`: the sum of the weights of the days before `d` (length `dayCount + 1`). */
  dayCumulative: Float64Array;
  /** Local day of the week of each day, 0 = Sunday. */
  weekday: Uint8Array;
  /** Local month of each day, 1–12. */
  month: Uint8Array;
  hours: WeightedIndex;
  minutes: WeightedIndex;
}

/** The hour-of-day weights: `peakShare` spread over the peak hours, the rest over the other open hours. */
export function hourWeights(o: ResolvedGenerateOptions): number[] {
  const peakCount = o.peakHours.end - o.peakHours.start;
  const offPeakCount = o.openHours.end - o.openHours.start - peakCount;
  return Array.from({ length: 24 }, (_, h) => {
    if (h >= o.peakHours.start && h < o.peakHours.end) return o.peakShare / peakCount;
    if (h >= o.openHours.start && h < o.openHours.end) return offPeakCount > 0 ? (1 - o.peakShare) / offPeakCount : 0;
    return 0;
  });
}

/** Builds the {@link Calendar} of the options' window and time zone. */
export function buildCalendar(o: ResolvedGenerateOptions): Calendar {
  const offsetAt = zoneOffset(o.timeZone);
  const now = o.now.getTime();
  const windowStart = now - o.days * DAY;
  const localDay = (t: number) => Math.floor((t + offsetAt(t)) / DAY);
  const firstDay = localDay(windowStart + 1);
  const dayCount = localDay(now) - firstDay + 1;

  const hourStart = new Float64Array(dayCount * 24);
  let offset = offsetAt(firstDay * DAY);
  for (let i = 0; i < dayCount * 24; i++) {
    const wall = firstDay * DAY + i * HOUR;
    const guess = wall - offset;
    const actual = offsetAt(guess);
    if (actual === offset) {
      hourStart[i] = guess; // unchanged offset, or the first of two occurrences of a repeated hour
      continue;
    }
    const retry = wall - actual;
    if (offsetAt(retry) === actual) {
      hourStart[i] = retry;
      offset = actual;
    } else {
      hourStart[i] = guess; // a skipped hour: read with the offset before the change, i.e. moved forward
    }
  }

  const busy = new Set(o.busyMonths);
  const weekday = new Uint8Array(dayCount);
  const month = new Uint8Array(dayCount);
  const dayCumulative = new Float64Array(dayCount + 1);
  for (let d = 0; d < dayCount; d++) {
    const date = new Date((firstDay + d) * DAY);
    weekday[d] = date.getUTCDay();
    month[d] = date.getUTCMonth() + 1;
    const weekend = weekday[d] === 0 || weekday[d] === 6;
    const weight = (weekend ? o.weekendWeight : 1) * (busy.has(month[d]!) ? o.busyMonthWeight : 1);
    dayCumulative[d + 1] = dayCumulative[d]! + weight;
  }

  return {
    windowStart,
    now,
    dayCount,
    hourStart,
    dayCumulative,
    weekday,
    month,
    hours: new WeightedIndex(hourWeights(o)),
    minutes: new WeightedIndex(startMinuteWeights),
  };
}

/** The local day (index into the calendar) holding `instant`, clamped to the window's days. */
export function dayIndexOf(calendar: Calendar, instant: number): number {
  let lo = 0;
  let hi = calendar.dayCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (calendar.hourStart[mid * 24]! <= instant) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The summed weight of the days `first..last` (indices, both included). */
export function daysWeight(calendar: Calendar, first: number, last: number): number {
  return calendar.dayCumulative[last + 1]! - calendar.dayCumulative[first]!;
}

/**
 * Draws a start instant on one of the days `first..last`, the day by its weight, the hour by the hour weights and
 * the minute from :00/:15/:30/:45. The caller checks the result against its own bounds and draws again if needed.
 */
export function drawStart(calendar: Calendar, prng: Prng, first: number, last: number): number {
  const c = calendar.dayCumulative;
  const from = c[first]!;
  const to = c[last + 1]!;
  let day: number;
  if (to > from) {
    const x = from + prng.next() * (to - from);
    let lo = first;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (c[mid]! <= x) lo = mid;
      else hi = mid - 1;
    }
    day = lo;
  } else {
    day = first + prng.int(last - first + 1); // every day weighs 0 (e.g. weekendWeight 0 on a weekend): uniform
  }
  const hour = calendar.hours.pick(prng);
  return calendar.hourStart[day * 24 + hour]! + startMinutes[calendar.minutes.pick(prng)]! * MINUTE;
}
