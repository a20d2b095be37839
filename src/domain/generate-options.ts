import { maxGeneratedRows } from './size-limits';
import { parseInstant } from './iso-8601';
import { isTimeZone } from './time';
import { deepFreeze } from '../util/freeze';
import type {
  DayRange,
  GenerateOptions,
  HourRange,
  RateBand,
  RescheduleReason,
  ResolvedGenerateOptions,
  SessionDuration,
} from './dataset';

/**
 * The largest seed: seeds are unsigned 32-bit integers.
 *
 * @example
 * generateDataset({ seed: MAX_SEED, now });
 */
export const MAX_SEED = 0xffff_ffff;

/**
 * The default of every option of `generateDataset` but `now` (which defaults to the clock at the call): the spec's
 * targets (§5.2). Frozen; copy it to build on it.
 *
 * @example
 * generateDataset({ now, reasons: [...defaultGenerateOptions.reasons, { code: 'traffic', text: 'Traffic', weight: 5 }] });
 */
export const defaultGenerateOptions: Readonly<Omit<ResolvedGenerateOptions, 'now'>> = deepFreeze({
  seed: 42,
  tutors: 100,
  sessions: 3000,
  days: 90,
  bookedDays: 0,
  timeZone: 'UTC',
  tierMix: { low: 0.6, medium: 0.25, high: 0.15 },
  tierRates: { low: { min: 0, max: 10 }, medium: { min: 10, max: 20 }, high: { min: 20, max: 40 } },
  veryHighShare: 0.2,
  veryHighRate: { min: 40, max: 60 },
  tutorInitiatedShare: 0.982,
  noShowShare: 1 / 15,
  lastMinuteShare: 0.4,
  lastMinuteHours: 24,
  cancelledShare: 0.05,
  rescheduleDelayDays: { min: 1, max: 7 },
  reasons: [
    { code: 'personal_emergency', text: 'Personal emergency', weight: 30 },
    { code: 'scheduling_conflict', text: 'Scheduling conflict', weight: 30 },
    { code: 'family_issue', text: 'Family issue', weight: 24 },
    { code: 'technical_issues', text: 'Technical issues', weight: 8 },
    { code: 'health_concern', text: 'Health concern', weight: 8 },
  ],
  favouriteReasonShare: 0.6,
  weekendWeight: 0.5,
  openHours: { start: 7, end: 22 },
  peakHours: { start: 15, end: 20 },
  peakShare: 0.6,
  busyMonths: [9, 10, 11, 12, 1, 2],
  busyMonthWeight: 1.3,
  durations: [
    { minutes: 30, weight: 15 },
    { minutes: 45, weight: 20 },
    { minutes: 60, weight: 40 },
    { minutes: 90, weight: 15 },
    { minutes: 120, weight: 10 },
  ],
  activeShare: 0.9,
  tutorEmailShare: 0.95,
  tutorCreatedDaysAgo: { min: 7, max: 182 },
  tutorVolumeSpread: 0.6,
  sessionsPerStudent: 4,
  sharedStudentShare: 0.1,
  emailReportShare: 1,
  emailFailureShare: 0.05,
  emailPendingShare: 0.02,
});


/** Every option's name: an unknown name is refused, so that a typo is not silently ignored. */
const optionNames = new Set<string>(['now', ...Object.keys(defaultGenerateOptions)]);

const describe = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

/*
 * The errors carry the option's name in `option`, for callers that map it back to a flag (the CLI) or to an
 * InvalidOptionError (the generator: this layer sits beside errors/ and cannot import it).
 */
const typeError = (name: string, requirement: string, value: unknown) =>
  Object.assign(new TypeError(`generateDataset: option '${name}' must be ${requirement} (got ${describe(value)})`), {
    option: name,
  });
const rangeError = (name: string, requirement: string, value: unknown) =>
  Object.assign(new RangeError(`generateDataset: option '${name}' must be ${requirement} (got ${describe(value)})`), {
    option: name,
  });

function num(name: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(name, 'a number', value);
  if (!Number.isFinite(value)) throw rangeError(name, 'a finite number', value);
  return value;
}

function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = num(name, value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw rangeError(name, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`, n);
  }
  return n;
}

function share(name: string, value: unknown): number {
  const n = num(name, value);
  if (n < 0 || n > 1) throw rangeError(name, 'a fraction from 0 to 1', n);
  return n;
}

function atLeast(name: string, value: unknown, min: number): number {
  const n = num(name, value);
  if (n < min) throw rangeError(name, `at least ${min}`, n);
  return n;
}

function positive(name: string, value: unknown): number {
  const n = num(name, value);
  if (n <= 0) throw rangeError(name, 'greater than 0', n);
  return n;
}

function nonNegative(name: string, value: unknown): number {
  const n = num(name, value);
  if (n < 0) throw rangeError(name, '>= 0', n);
  return n;
}

function record(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(name, 'an object', value);
  return value as Record<string, unknown>;
}

function array(name: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw typeError(name, 'an array', value);
  return value;
}

/** `given` merged key by key over `fallback`; unknown keys are refused. */
function merged(name: string, given: unknown, fallback: object): Record<string, unknown> {
  if (given === undefined) return { ...fallback };
  const object = record(name, given);
  for (const key of Object.keys(object)) {
    if (!(key in fallback)) throw rangeError(name, `an object with keys ${Object.keys(fallback).join(', ')}`, given);
  }
  return { ...fallback, ...Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) };
}

function rateBand(name: string, given: unknown, fallback: RateBand): RateBand {
  const band = merged(name, given, fallback);
  const min = num(`${name}.min`, band.min);
  const max = num(`${name}.max`, band.max);
  if (min < 0 || min > 100) throw rangeError(`${name}.min`, 'a percentage from 0 to 100', min);
  if (max < 0 || max > 100) throw rangeError(`${name}.max`, 'a percentage from 0 to 100', max);
  if (min > max) throw rangeError(name, 'a band with min <= max', band);
  return { min, max };
}

function hourRange(name: string, given: unknown, fallback: HourRange): HourRange {
  const range = merged(name, given, fallback);
  const start = integer(`${name}.start`, range.start, 0, 23);
  const end = integer(`${name}.end`, range.end, 1, 24);
  if (start >= end) throw rangeError(name, 'a range of hours with start < end', range);
  return { start, end };
}

function dayRange(name: string, given: unknown, fallback: DayRange, lowest: number): DayRange {
  const range = merged(name, given, fallback);
  const min = integer(`${name}.min`, range.min, lowest);
  const max = integer(`${name}.max`, range.max, lowest);
  if (min > max) throw rangeError(name, 'a range with min <= max', range);
  return { min, max };
}

function reasons(value: unknown): RescheduleReason[] {
  const list = array('reasons', value);
  if (list.length === 0) throw rangeError('reasons', 'a non-empty array', value);
  const codes = new Set<string>();
  const out = list.map((item, i) => {
    const reason = record(`reasons[${i}]`, item);
    if (typeof reason.code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(reason.code) || reason.code.length > 100) {
      throw rangeError(`reasons[${i}].code`, 'lowercase snake_case (^[a-z][a-z0-9_]*$, at most 100 characters)', reason.code);
    }
    if (codes.has(reason.code)) throw rangeError(`reasons[${i}].code`, 'unique among the reasons', reason.code);
    codes.add(reason.code);
    if (typeof reason.text !== 'string' || reason.text.trim() === '') {
      throw typeError(`reasons[${i}].text`, 'a non-blank string', reason.text);
    }
    return { code: reason.code, text: reason.text, weight: nonNegative(`reasons[${i}].weight`, reason.weight) };
  });
  if (!out.some((r) => r.weight > 0)) throw rangeError('reasons', 'a list with at least one positive weight', value);
  return out;
}

function durations(value: unknown): SessionDuration[] {
  const list = array('durations', value);
  if (list.length === 0) throw rangeError('durations', 'a non-empty array', value);
  const out = list.map((item, i) => {
    const duration = record(`durations[${i}]`, item);
    return {
      minutes: integer(`durations[${i}].minutes`, duration.minutes, 1, 480),
      weight: nonNegative(`durations[${i}].weight`, duration.weight),
    };
  });
  if (!out.some((d) => d.weight > 0)) throw rangeError('durations', 'a list with at least one positive weight', value);
  return out;
}

function months(value: unknown): number[] {
  const list = array('busyMonths', value).map((m, i) => integer(`busyMonths[${i}]`, m, 1, 12));
  return [...new Set(list)].sort((a, b) => a - b);
}

function resolveNow(value: unknown): Date {
  if (!(value instanceof Date) && typeof value !== 'string' && typeof value !== 'number') {
    throw typeError('now', 'a Date, an ISO 8601 string or epoch milliseconds', value);
  }
  if (typeof value === 'string') {
    // Date.parse would move 2026-02-30 to March 2 and read an offset-less time in the machine's zone.
    const parsed = parseInstant(value);
    if (parsed.problem !== undefined) throw rangeError('now', `a real ISO 8601 date or instant (${parsed.problem})`, value);
    return parsed.date;
  }
  const date = new Date(value instanceof Date ? value.getTime() : value);
  if (Number.isNaN(date.getTime())) throw rangeError('now', 'a valid date', value);
  return date;
}

function resolveTimeZone(value: unknown): string {
  if (typeof value !== 'string') throw typeError('timeZone', 'an IANA time zone name such as "Europe/Paris"', value);
  // Kept as given, not canonicalized: runtimes disagree on canonical names (Asia/Kathmandu or Asia/Katmandu).
  if (isTimeZone(value)) return value;
  throw rangeError('timeZone', 'an IANA time zone name such as "Europe/Paris"', value);
}

/**
 * Fills in the defaults of `options` and checks every value: a `TypeError` or `RangeError` names the option in its
 * message and in `option` (the generator rethrows it as an `InvalidOptionError`) (`'days'`, `'tierRates.high.min'`). `now` is required: the caller decides where time comes
 * from. With `streaming`, only the tutors count against {@link maxGeneratedRows} (the sessions come a chunk at a time).
 *
 * @example
 * const resolved = resolveGenerateOptions({ tutors: 10, sessions: 200 }, new Date('2026-01-15T12:00:00Z'));
 * resolved.tierMix; // { low: 0.6, medium: 0.25, high: 0.15 }
 */
export function resolveGenerateOptions(
  options: GenerateOptions,
  now: Date | string | number,
  { streaming = false }: { streaming?: boolean } = {},
): ResolvedGenerateOptions {
  const given = knownOptions(options);
  const d = defaultGenerateOptions;
  const pick = <K extends keyof typeof d>(key: K): unknown => (given[key] === undefined ? d[key] : given[key]);
  // The parts are resolved in this order, so that of several bad options the same one is always reported.
  const tiers = tierOptions(given);
  const size = sizeOptions(pick('tutors'), pick('sessions'), streaming);
  const hours = hourOptions(given, pick('peakShare'));
  const shares = dependentShares(pick);
  const durationList = durations(pick('durations'));
  const lastMinuteHours = lastMinuteWindow(pick('lastMinuteHours'));
  const days = integer('days', pick('days'), 1, 10_000);
  // Tutors must be able to have sessions over the whole window: a longer window reaches further back.
  const createdFallback = { ...d.tutorCreatedDaysAgo, max: Math.max(d.tutorCreatedDaysAgo.max, days + 30) };

  return {
    seed: integer('seed', pick('seed'), 0, MAX_SEED),
    now: resolveNow(now),
    tutors: size.tutors,
    sessions: size.sessions,
    days,
    bookedDays: integer('bookedDays', pick('bookedDays'), 0, 366),
    timeZone: resolveTimeZone(pick('timeZone')),
    tierMix: tiers.tierMix,
    tierRates: tiers.tierRates,
    veryHighShare: share('veryHighShare', pick('veryHighShare')),
    veryHighRate: rateBand('veryHighRate', given.veryHighRate, d.veryHighRate),
    tutorInitiatedShare: shares.tutorInitiatedShare,
    noShowShare: share('noShowShare', pick('noShowShare')),
    lastMinuteShare: share('lastMinuteShare', pick('lastMinuteShare')),
    lastMinuteHours,
    cancelledShare: share('cancelledShare', pick('cancelledShare')),
    rescheduleDelayDays: dayRange('rescheduleDelayDays', given.rescheduleDelayDays, d.rescheduleDelayDays, 1),
    reasons: reasons(pick('reasons')),
    favouriteReasonShare: share('favouriteReasonShare', pick('favouriteReasonShare')),
    weekendWeight: nonNegative('weekendWeight', pick('weekendWeight')),
    openHours: hours.openHours,
    peakHours: hours.peakHours,
    peakShare: hours.peakShare,
    busyMonths: months(pick('busyMonths')),
    busyMonthWeight: positive('busyMonthWeight', pick('busyMonthWeight')),
    durations: durationList,
    activeShare: share('activeShare', pick('activeShare')),
    tutorEmailShare: share('tutorEmailShare', pick('tutorEmailShare')),
    tutorCreatedDaysAgo: dayRange('tutorCreatedDaysAgo', given.tutorCreatedDaysAgo, createdFallback, 3),
    tutorVolumeSpread: share('tutorVolumeSpread', pick('tutorVolumeSpread')),
    sessionsPerStudent: atLeast('sessionsPerStudent', pick('sessionsPerStudent'), 1),
    sharedStudentShare: share('sharedStudentShare', pick('sharedStudentShare')),
    emailReportShare: share('emailReportShare', pick('emailReportShare')),
    emailFailureShare: shares.emailFailureShare,
    emailPendingShare: shares.emailPendingShare,
  };
}

type GivenOptions = GenerateOptions & Record<string, unknown>;

/** The options object, with every key a known option's name. */
function knownOptions(options: GenerateOptions): GivenOptions {
  const given = record('options', options) as GivenOptions;
  for (const key of Object.keys(given)) {
    if (!optionNames.has(key)) throw rangeError(key, `one of the known options (${[...optionNames].join(', ')})`, given[key]);
  }
  return given;
}

/** The tier mix (shares adding up to 1) and each tier's rate band, merged over the defaults. */
function tierOptions(given: GivenOptions): Pick<ResolvedGenerateOptions, 'tierMix' | 'tierRates'> {
  const d = defaultGenerateOptions;
  const tierMixIn = merged('tierMix', given.tierMix, d.tierMix);
  const tierMix = {
    low: share('tierMix.low', tierMixIn.low),
    medium: share('tierMix.medium', tierMixIn.medium),
    high: share('tierMix.high', tierMixIn.high),
  };
  if (Math.abs(tierMix.low + tierMix.medium + tierMix.high - 1) > 1e-9) {
    throw rangeError('tierMix', 'shares that add up to 1', tierMix);
  }
  const tierRatesIn = merged('tierRates', given.tierRates, d.tierRates);
  const tierRates = {
    low: rateBand('tierRates.low', tierRatesIn.low, d.tierRates.low),
    medium: rateBand('tierRates.medium', tierRatesIn.medium, d.tierRates.medium),
    high: rateBand('tierRates.high', tierRatesIn.high, d.tierRates.high),
  };
  return { tierMix, tierRates };
}

/**
 * The tutor and session counts: sessions need at least one tutor. What is held in memory (tutors + sessions, or the
 * tutors alone when streaming) must fit {@link maxGeneratedRows}.
 */
function sizeOptions(
  tutorsIn: unknown,
  sessionsIn: unknown,
  streaming: boolean,
): Pick<ResolvedGenerateOptions, 'tutors' | 'sessions'> {
  const tutors = integer('tutors', tutorsIn, 0);
  const sessions = integer('sessions', sessionsIn, 0);
  if (sessions > 0 && tutors === 0) throw rangeError('tutors', 'at least 1 when sessions is above 0', tutors);
  const maxRows = maxGeneratedRows();
  if (streaming && tutors > maxRows) {
    throw rangeError('tutors', `at most ${maxRows.toLocaleString('en-US')}, what this process's memory holds while generating`, tutors);
  }
  // Streaming, a tutor's sessions are still made at once; volumes vary up to about 3 times the mean, hence the margin.
  const perTutor = Math.floor(maxRows / 4);
  if (streaming && tutors > 0 && sessions > perTutor * tutors) {
    throw rangeError(
      'sessions',
      `at most ${perTutor.toLocaleString('en-US')} per tutor on average (${(perTutor * tutors).toLocaleString('en-US')} for ` +
        `${tutors.toLocaleString('en-US')} tutors): one tutor's sessions are generated at once, in memory; add tutors`,
      sessions,
    );
  }
  if (!streaming && tutors + sessions > maxRows) {
    const which = sessions >= tutors ? 'sessions' : 'tutors';
    throw rangeError(
      which,
      `such that tutors + sessions is at most ${maxRows.toLocaleString('en-US')}, what this process's memory holds while ` +
        'generating (about 1 KB per row; see maxGeneratedRows): use generateDatasetStream and insertDatasetStream, which hold one chunk at a time',
      which === 'sessions' ? sessions : tutors,
    );
  }
  return { tutors, sessions };
}

/** Opening and peak hours (the peak within them) and the peak's share (1 when the peak fills the day). */
function hourOptions(
  given: GivenOptions,
  peakShareIn: unknown,
): Pick<ResolvedGenerateOptions, 'openHours' | 'peakHours' | 'peakShare'> {
  const d = defaultGenerateOptions;
  const openHours = hourRange('openHours', given.openHours, d.openHours);
  const peakHours = hourRange('peakHours', given.peakHours, d.peakHours);
  if (peakHours.start < openHours.start || peakHours.end > openHours.end) {
    throw rangeError('peakHours', `a range within openHours (${openHours.start}–${openHours.end})`, peakHours);
  }
  const peakShare = share('peakShare', peakShareIn);
  const offPeakHours = openHours.end - openHours.start - (peakHours.end - peakHours.start);
  if (offPeakHours === 0 && peakShare !== 1) {
    throw rangeError('peakShare', '1 when peakHours fill openHours', peakShare);
  }
  return { openHours, peakHours, peakShare };
}

/** The shares bound by a rule beyond 0–1: tutor-initiated above 0, failed plus pending emails at most 1. */
function dependentShares(
  pick: (key: 'tutorInitiatedShare' | 'emailFailureShare' | 'emailPendingShare') => unknown,
): Pick<ResolvedGenerateOptions, 'tutorInitiatedShare' | 'emailFailureShare' | 'emailPendingShare'> {
  const tutorInitiatedShare = share('tutorInitiatedShare', pick('tutorInitiatedShare'));
  if (tutorInitiatedShare === 0) {
    throw rangeError('tutorInitiatedShare', 'above 0 (the risk tiers are made of tutor-initiated reschedules)', 0);
  }
  const emailFailureShare = share('emailFailureShare', pick('emailFailureShare'));
  const emailPendingShare = share('emailPendingShare', pick('emailPendingShare'));
  if (emailFailureShare + emailPendingShare > 1) {
    throw rangeError('emailPendingShare', 'at most 1 − emailFailureShare', emailPendingShare);
  }
  return { tutorInitiatedShare, emailFailureShare, emailPendingShare };
}

/** How many hours before a session a reschedule counts as last-minute: above 0, at most a week. */
function lastMinuteWindow(value: unknown): number {
  const lastMinuteHours = positive('lastMinuteHours', value);
  if (lastMinuteHours > 24 * 7) throw rangeError('lastMinuteHours', 'at most 168 (a week)', lastMinuteHours);
  return lastMinuteHours;
}
