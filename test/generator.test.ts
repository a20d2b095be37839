import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Dataset,
  defaultGenerateOptions,
  emailReportInsertSchema,
  type GenerateOptions,
  generateDataset,
  Prng,
  rescheduleInsertSchema,
  resolveGenerateOptions,
  type RiskTier,
  riskTiers,
  sessionInsertSchema,
  tierForRate,
  tutorInsertSchema,
  InvalidOptionError,
} from '../src';
import { TEST_NOW } from '../src/testing';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SEEDS = [1, 2, 3, 4, 5];

/** JSON with object keys sorted at every level, so the hash depends on the data only. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Local wall-clock fields of an instant in a time zone. */
function localClock(timeZone: string) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    weekday: 'short',
  });
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return (date: Date) => {
    const f = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
    return {
      date: `${f.year}-${f.month}-${f.day}`,
      month: Number(f.month),
      hour: Number(f.hour),
      weekday: weekdays.indexOf(f.weekday!),
    };
  };
}

/** Everything the distribution tests measure, computed from the rows alone (plus the ground truth's tiers). */
function measure(dataset: Dataset) {
  const { sessions, reschedules, tutors, groundTruth, options } = dataset;
  const byTutor = new Map<string, { sessions: number; tutorReschedules: number }>();
  for (const t of tutors) byTutor.set(t.id, { sessions: 0, tutorReschedules: 0 });
  const sessionById = new Map(sessions.map((s) => [s.id, s]));
  for (const s of sessions) byTutor.get(s.tutorId)!.sessions++;
  for (const r of reschedules) {
    if (r.initiator === 'tutor') byTutor.get(sessionById.get(r.sessionId)!.tutorId)!.tutorReschedules++;
  }
  const tutorRates = groundTruth.map((g) => {
    const c = byTutor.get(g.tutorId)!;
    return { ...g, ...c, rate: c.sessions > 0 ? (100 * c.tutorReschedules) / c.sessions : null };
  });
  const count = (status: string) => sessions.filter((s) => s.status === status).length;
  const lastMinute = reschedules.filter((r) => r.originalTime.getTime() - r.cancelledAt.getTime() < 24 * HOUR);

  const clock = localClock(options.timeZone);
  const perWeekday = new Array<number>(7).fill(0);
  const perMonth = new Array<number>(13).fill(0);
  let peak = 0;
  for (const s of sessions) {
    const local = clock(s.scheduledTime);
    perWeekday[local.weekday]!++;
    perMonth[local.month]!++;
    if (local.hour >= 15 && local.hour < 20) peak++;
  }
  // Days of each weekday and month in the window, to compare per-day averages.
  const weekdayDays = new Array<number>(7).fill(0);
  const monthDays = new Array<number>(13).fill(0);
  const seen = new Set<string>();
  for (let t = options.now.getTime(); t > options.now.getTime() - options.days * DAY; t -= HOUR) {
    const local = clock(new Date(t));
    if (seen.has(local.date)) continue;
    seen.add(local.date);
    weekdayDays[local.weekday]!++;
    monthDays[local.month]!++;
  }
  const perDay = (counts: number[], days: number[], keys: number[]) =>
    keys.reduce((a, k) => a + counts[k]!, 0) / keys.reduce((a, k) => a + days[k]!, 0);

  return {
    tutorRates,
    tierShare: (tier: RiskTier) => groundTruth.filter((g) => g.tier === tier).length / groundTruth.length,
    rescheduledShare: count('rescheduled') / sessions.length,
    noShowAmongRest: count('no_show') / (count('no_show') + count('completed')),
    tutorInitiatedShare: reschedules.filter((r) => r.initiator === 'tutor').length / reschedules.length,
    lastMinuteShare: lastMinute.length / reschedules.length,
    cancelledShare: reschedules.filter((r) => r.newTime === null).length / reschedules.length,
    weekdayPerDay: perDay(perWeekday, weekdayDays, [1, 2, 3, 4, 5]),
    weekendPerDay: perDay(perWeekday, weekdayDays, [0, 6]),
    busyPerDay: perDay(perMonth, monthDays, [9, 10, 11, 12, 1, 2]),
    quietPerDay: perDay(perMonth, monthDays, [3, 4, 5, 6, 7, 8]),
    peakShare: peak / sessions.length,
    activeShare: tutors.filter((t) => t.isActive).length / tutors.length,
  };
}

const datasets = new Map<string, Dataset>();
/** Generation is deterministic, so datasets are shared between tests. */
function dataset(options: GenerateOptions = {}): Dataset {
  const key = canonicalJson(options);
  if (!datasets.has(key)) datasets.set(key, generateDataset({ now: TEST_NOW, ...options }));
  return datasets.get(key)!;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('Prng', () => {
  it('is sfc32 seeded by splitmix32: a pinned sequence, and another for another seed', () => {
    const a = new Prng(42);
    expect([a.nextUint32(), a.nextUint32(), a.nextUint32()]).toEqual([2784860155, 1560037678, 3290702580]);
    expect(new Prng(0).uuid()).toBe('eeaff10f-a5fd-409d-a2c9-b999443e64c4');
    const b = new Prng(42);
    const c = new Prng(42);
    const first = Array.from({ length: 1000 }, () => b.nextUint32());
    expect(Array.from({ length: 1000 }, () => c.nextUint32())).toEqual(first);
    const other = new Prng(43);
    expect(Array.from({ length: 1000 }, () => other.nextUint32())).not.toEqual(first);
    expect(mean(Array.from({ length: 10_000 }, () => b.next()))).toBeCloseTo(0.5, 1);
  });

  it('makes RFC 4122 version 4 UUIDs', () => {
    const prng = new Prng(1);
    const ids = Array.from({ length: 1000 }, () => prng.uuid());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('tierForRate', () => {
  it('places a rate in the band (min, max] of its tier, [0, max] for the lowest', () => {
    const { tierRates, veryHighRate } = defaultGenerateOptions;
    expect(tierForRate(0, tierRates)).toBe('low');
    expect(tierForRate(10, tierRates)).toBe('low');
    expect(tierForRate(10.01, tierRates)).toBe('medium');
    expect(tierForRate(20, tierRates)).toBe('medium');
    expect(tierForRate(20.01, tierRates)).toBe('high');
    expect(tierForRate(55, tierRates)).toBeUndefined();
    expect(tierForRate(55, tierRates, veryHighRate)).toBe('high');
  });
});

describe('generateDataset: determinism', () => {
  const small = { tutors: 10, sessions: 200, seed: 1, now: TEST_NOW };

  it('gives a deep-equal dataset for the same options, seed and now', () => {
    expect(generateDataset(small)).toEqual(generateDataset(small));
    expect(generateDataset({ ...small, timeZone: 'America/New_York' })).toEqual(
      generateDataset({ ...small, timeZone: 'America/New_York' }),
    );
  });

  it('gives another dataset for another seed', () => {
    const a = generateDataset(small);
    const b = generateDataset({ ...small, seed: 2 });
    expect(b.tutors.map((t) => t.id)).not.toEqual(a.tutors.map((t) => t.id));
    expect(b.sessions.map((s) => s.scheduledTime)).not.toEqual(a.sessions.map((s) => s.scheduledTime));
  });

  it('matches the pinned golden hash (same output on every machine and version)', () => {
    // Changes only when the generator's output changes on purpose (or @faker-js/faker, pinned exactly, changes).
    const d = generateDataset(small);
    // A readable first row, so a failure shows where the output moved.
    expect(d.tutors[0]).toEqual({
      id: 'a59da2c8-3154-4cf9-8cc4-35eb51f46d43',
      name: 'Nayeli DuBuque',
      email: 'nayeli.dubuque.1@example.org',
      createdAt: new Date('2025-08-21T05:13:59.000Z'),
      updatedAt: new Date('2025-10-27T11:28:42.000Z'),
      isActive: true,
    });
    expect(d.groundTruth[0]).toEqual({
      tutorId: 'a59da2c8-3154-4cf9-8cc4-35eb51f46d43',
      tier: 'low',
      targetRate: 8.95,
      favouriteReasonCode: 'personal_emergency',
    });
    // The hash pinned before the option bookedDays existed: at its default (0, no booked sessions) every row is the same.
    expect(d.options.bookedDays).toBe(0);
    const { bookedDays: _bookedDays, ...optionsBefore } = d.options;
    expect(sha256(canonicalJson({ ...d, options: optionsBefore }))).toBe('54152d0751f3b186e9f62fd56597e875af71795c09fc159da9b705babfe5c7f3');
  });

  it('records every resolved option, so the dataset can be made again from them', () => {
    const first = generateDataset({ tutors: 5, sessions: 50 }); // now from the clock
    expect(first.options.now).toBeInstanceOf(Date);
    expect(generateDataset(first.options)).toEqual(first);
    expect(Object.keys(first.options).sort()).toEqual(['now', ...Object.keys(defaultGenerateOptions)].sort());
  });

  it('accepts now as an ISO string or epoch milliseconds', () => {
    const base = generateDataset(small);
    expect(generateDataset({ ...small, now: TEST_NOW.toISOString() })).toEqual(base);
    expect(generateDataset({ ...small, now: TEST_NOW.getTime() })).toEqual(base);
  });
});

describe('generateDataset: integrity', () => {
  const cases: [string, GenerateOptions][] = [
    ['defaults', {}],
    ['New York, a year', { timeZone: 'America/New_York', days: 365, sessions: 3000, seed: 9 }],
    ['Kathmandu (UTC+5:45), edge options', {
      timeZone: 'Asia/Kathmandu', seed: 3, tutors: 7, sessions: 400, days: 10, cancelledShare: 1,
      emailFailureShare: 0.5, emailPendingShare: 0.5, tutorCreatedDaysAgo: { min: 3, max: 12 },
    }],
  ];

  it.each(cases)('every row passes the Zod insert schemas and the tables\' rules (%s)', (_name, options) => {
    const d = dataset(options);
    const now = d.options.now.getTime();
    const windowStart = now - d.options.days * DAY;
    expect(d.tutors).toHaveLength(d.options.tutors);
    expect(d.sessions).toHaveLength(d.options.sessions);

    for (const t of d.tutors) {
      expect(tutorInsertSchema.safeParse(t).success, JSON.stringify(t)).toBe(true);
      expect(t.createdAt.getTime()).toBeLessThanOrEqual(t.updatedAt.getTime());
      expect(t.updatedAt.getTime()).toBeLessThanOrEqual(now);
    }
    for (const s of d.sessions) {
      expect(sessionInsertSchema.safeParse(s).success, JSON.stringify(s)).toBe(true);
      // The same rules, spelled out: the CHECKs of sessions, and the generator's own promises.
      expect(s.status === 'completed').toBe(s.completedTime !== null);
      expect(s.durationMinutes === null || s.status === 'completed').toBe(true);
      if (s.completedTime) {
        expect(s.completedTime.getTime()).toBe(s.scheduledTime.getTime() + s.durationMinutes! * 60_000);
        expect(s.completedTime.getTime()).toBeLessThanOrEqual(now);
      }
      expect(s.scheduledTime.getTime()).toBeGreaterThan(windowStart);
      expect(s.scheduledTime.getTime()).toBeLessThanOrEqual(now);
      expect(s.createdAt.getTime()).toBeLessThanOrEqual(s.scheduledTime.getTime());
      expect(s.createdAt.getTime()).toBeLessThanOrEqual(s.updatedAt.getTime());
      expect(s.updatedAt.getTime()).toBeLessThanOrEqual(now);
      expect(s.studentId.trim()).not.toBe('');
    }
    for (const r of d.reschedules) {
      expect(rescheduleInsertSchema.safeParse(r).success, JSON.stringify(r)).toBe(true);
      expect(r.reasonCode).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(r.newTime === null || r.newTime.getTime() > r.originalTime.getTime()).toBe(true);
      expect(r.cancelledAt.getTime()).toBeLessThan(r.originalTime.getTime());
      expect(r.createdAt.getTime()).toBe(r.cancelledAt.getTime());
    }
    for (const e of d.emailReports) {
      expect(emailReportInsertSchema.safeParse(e).success, JSON.stringify(e)).toBe(true);
      expect(e.status === 'failed').toBe(e.errorMessage !== null);
      expect(e.recipientEmail).toMatch(/^[^@ \t\r\n]+@[^@ \t\r\n]+$/);
      expect(e.createdAt.getTime()).toBeLessThanOrEqual(e.sentAt.getTime());
      expect(e.sentAt.getTime()).toBeLessThanOrEqual(now);
    }
  });

  it.each(cases)('every foreign key resolves and every unique key is unique (%s)', (_name, options) => {
    const d = dataset(options);
    const tutors = new Map(d.tutors.map((t) => [t.id, t]));
    const sessions = new Map(d.sessions.map((s) => [s.id, s]));
    const allIds = [...d.tutors, ...d.sessions, ...d.reschedules, ...d.emailReports].map((r) => r.id);
    expect(new Set(allIds).size).toBe(allIds.length);
    expect(tutors.size).toBe(d.tutors.length);
    const emails = d.tutors.flatMap((t) => (t.email ? [t.email] : []));
    expect(new Set(emails).size).toBe(emails.length);
    expect(d.groundTruth.map((g) => g.tutorId)).toEqual(d.tutors.map((t) => t.id));

    const firstSession = new Map<string, number>();
    for (const s of d.sessions) {
      const tutor = tutors.get(s.tutorId);
      expect(tutor).toBeDefined();
      expect(s.createdAt.getTime()).toBeGreaterThanOrEqual(tutor!.createdAt.getTime());
      const t = s.scheduledTime.getTime();
      firstSession.set(s.tutorId, Math.min(firstSession.get(s.tutorId) ?? t, t));
      if (!tutor!.isActive) expect(t).toBeLessThanOrEqual(tutor!.updatedAt.getTime());
    }
    for (const [tutorId, first] of firstSession) expect(tutors.get(tutorId)!.createdAt.getTime()).toBeLessThan(first);

    const rescheduled = new Set<string>();
    for (const r of d.reschedules) {
      const session = sessions.get(r.sessionId);
      expect(session).toBeDefined();
      expect(rescheduled.has(r.sessionId)).toBe(false); // at most one reschedule per session
      rescheduled.add(r.sessionId);
      expect(r.originalTime.getTime()).toBe(session!.scheduledTime.getTime());
      expect(session!.status).toBe('rescheduled');
      expect(session!.updatedAt.getTime()).toBe(r.cancelledAt.getTime());
      expect(r.cancelledAt.getTime()).toBeGreaterThanOrEqual(session!.createdAt.getTime());
    }
    expect(rescheduled.size).toBe(d.sessions.filter((s) => s.status === 'rescheduled').length);

    for (const e of d.emailReports) {
      const session = sessions.get(e.sessionId);
      expect(session).toBeDefined();
      expect(e.recipientEmail).toBe(tutors.get(session!.tutorId)!.email);
    }
  });
});

describe('generateDataset: the spec\'s targets (§5.2), over several seeds', () => {
  const runs = SEEDS.map((seed) => measure(dataset({ seed })));

  it('splits tutors 60/25/15 into risk tiers, 90% active', () => {
    for (const m of runs) {
      expect(m.tierShare('low')).toBe(0.6);
      expect(m.tierShare('medium')).toBe(0.25);
      expect(m.tierShare('high')).toBe(0.15);
      expect(m.activeShare).toBe(0.9);
    }
  });

  it('gives each tutor a 90-day tutor-initiated rate in its tier\'s band, some high ones 40–60%', () => {
    const { tierRates, veryHighRate } = defaultGenerateOptions;
    for (const m of runs) {
      // Every tutor's realized rate lies in its band, unless it has too few sessions for any whole count to fit.
      const agreeing = m.tutorRates.filter((t) => tierForRate(t.rate!, tierRates, veryHighRate) === t.tier);
      expect(agreeing.length / m.tutorRates.length).toBeGreaterThanOrEqual(0.97);
      const measured = m.tutorRates.filter((t) => t.sessions >= 10);
      expect(measured.length).toBeGreaterThanOrEqual(80);
      for (const t of m.tutorRates) expect(Math.abs(t.rate! - t.targetRate)).toBeLessThanOrEqual(100 / t.sessions);
      const high = m.tutorRates.filter((t) => t.tier === 'high');
      expect(high.filter((t) => t.rate! > 40).length).toBeGreaterThanOrEqual(2);
      expect(high.filter((t) => t.rate! > 20 && t.rate! <= 40).length).toBeGreaterThanOrEqual(8);
      for (const tier of riskTiers) {
        const rates = measured.filter((t) => t.tier === tier).map((t) => t.rate!);
        const band = tierRates[tier];
        expect(mean(rates)).toBeGreaterThan(band.min);
        expect(mean(rates)).toBeLessThanOrEqual(tier === 'high' ? veryHighRate.max : band.max);
      }
    }
  });

  it('reschedules about 12% of sessions (the tiers win over the spec\'s 25%), no-shows 5:75 of the rest', () => {
    for (const m of runs) {
      expect(m.rescheduledShare).toBeGreaterThan(0.09);
      expect(m.rescheduledShare).toBeLessThan(0.16);
      expect(m.noShowAmongRest).toBeCloseTo(5 / 75, 2); // ±0.005
    }
  });

  it('has 98.2% of reschedules tutor-initiated', () => {
    for (const m of runs) expect(Math.abs(m.tutorInitiatedShare - 0.982)).toBeLessThan(0.004);
  });

  it('has 40% of reschedules under 24 hours before the session, and a few cancellations', () => {
    for (const m of runs) expect(Math.abs(m.lastMinuteShare - 0.4)).toBeLessThan(0.07);
    expect(Math.abs(mean(runs.map((m) => m.lastMinuteShare)) - 0.4)).toBeLessThan(0.03);
    for (const m of runs) {
      expect(m.cancelledShare).toBeGreaterThan(0);
      expect(m.cancelledShare).toBeLessThan(0.12);
    }
  });

  it('has busier weekdays than weekend days, about 2:1', () => {
    for (const m of runs) {
      const ratio = m.weekendPerDay / m.weekdayPerDay;
      expect(ratio).toBeGreaterThan(0.4);
      expect(ratio).toBeLessThan(0.62);
    }
  });

  it('starts 60% of sessions between 15:00 and 20:00 local time, also in America/New_York', () => {
    for (const m of runs) expect(Math.abs(m.peakShare - 0.6)).toBeLessThan(0.04);
    const ny = measure(dataset({ timeZone: 'America/New_York', seed: 11 }));
    expect(Math.abs(ny.peakShare - 0.6)).toBeLessThan(0.04);
    // In UTC terms the New York peak is 20:00–01:00, so its UTC 15–20 share is small.
    const utcPeak = dataset({ timeZone: 'America/New_York', seed: 11 }).sessions.filter((s) => {
      const h = s.scheduledTime.getUTCHours();
      return h >= 15 && h < 20;
    }).length;
    expect(utcPeak / 3000).toBeLessThan(0.3);
  });

  it('has more sessions per day in autumn and winter (Sept–Feb) over a year', () => {
    const year = measure(
      dataset({ days: 365, sessions: 20_000, seed: 5, tutorCreatedDaysAgo: { min: 380, max: 500 }, activeShare: 1 }),
    );
    const ratio = year.busyPerDay / year.quietPerDay;
    expect(ratio).toBeGreaterThan(1.2);
    expect(ratio).toBeLessThan(1.4);
  });

  it('makes durations of 30–120 minutes, 60 the most common', () => {
    for (const seed of SEEDS) {
      const durations = dataset({ seed }).sessions.flatMap((s) => (s.durationMinutes === null ? [] : [s.durationMinutes]));
      expect(Math.min(...durations)).toBeGreaterThanOrEqual(30);
      expect(Math.max(...durations)).toBeLessThanOrEqual(120);
      expect(durations.filter((m) => m === 60).length / durations.length).toBeGreaterThan(0.35);
    }
  });

  it('creates tutors over the past 6 months, before their first session', () => {
    for (const seed of SEEDS) {
      const d = dataset({ seed });
      const first = new Map<string, number>();
      for (const s of d.sessions) first.set(s.tutorId, Math.min(first.get(s.tutorId) ?? Infinity, s.scheduledTime.getTime()));
      for (const t of d.tutors) {
        const age = TEST_NOW.getTime() - t.createdAt.getTime();
        expect(age).toBeGreaterThanOrEqual(7 * DAY - 1000);
        expect(age).toBeLessThanOrEqual(182 * DAY + 1000);
        expect(t.createdAt.getTime()).toBeLessThan(first.get(t.id) ?? Infinity);
      }
      const ages = d.tutors.map((t) => (TEST_NOW.getTime() - t.createdAt.getTime()) / DAY);
      expect(Math.max(...ages) - Math.min(...ages)).toBeGreaterThan(120); // varied
    }
  });

  it('varies tutors\' workloads: some tutors are much busier', () => {
    for (const m of runs) {
      const counts = m.tutorRates.map((t) => t.sessions).sort((a, b) => a - b);
      expect(counts[counts.length - 1]! / counts[Math.floor(counts.length / 2)]!).toBeGreaterThan(2);
    }
  });

  it('has repeat students, some of them with several tutors', () => {
    for (const seed of SEEDS) {
      const d = dataset({ seed });
      const perStudent = new Map<string, number>();
      const tutorsOf = new Map<string, Set<string>>();
      for (const s of d.sessions) {
        perStudent.set(s.studentId, (perStudent.get(s.studentId) ?? 0) + 1);
        if (!tutorsOf.has(s.studentId)) tutorsOf.set(s.studentId, new Set());
        tutorsOf.get(s.studentId)!.add(s.tutorId);
      }
      const repeatSessions = [...perStudent.values()].filter((n) => n > 1).reduce((a, b) => a + b, 0);
      expect(repeatSessions / d.sessions.length).toBeGreaterThan(0.8);
      expect([...tutorsOf.values()].filter((t) => t.size > 1).length).toBeGreaterThan(5);
      expect(perStudent.size).toBeGreaterThan(d.sessions.length / 8);
    }
  });

  it('gives reasons with codes, common ones most, and tutors who keep giving the same reason', () => {
    for (const seed of SEEDS) {
      const d = dataset({ seed });
      const tutorOf = new Map(d.sessions.map((s) => [s.id, s.tutorId]));
      const codes = new Map<string, number>();
      const byTutor = new Map<string, string[]>();
      for (const r of d.reschedules) {
        codes.set(r.reasonCode!, (codes.get(r.reasonCode!) ?? 0) + 1);
        expect(defaultGenerateOptions.reasons.find((x) => x.code === r.reasonCode)?.text).toBe(r.reason);
        if (r.initiator !== 'tutor') continue;
        const tutorId = tutorOf.get(r.sessionId)!;
        byTutor.set(tutorId, [...(byTutor.get(tutorId) ?? []), r.reasonCode!]);
      }
      const common = ['personal_emergency', 'scheduling_conflict', 'family_issue'].reduce((a, c) => a + (codes.get(c) ?? 0), 0);
      expect(common / d.reschedules.length).toBeGreaterThan(0.7);
      expect(codes.get('technical_issues')).toBeGreaterThan(0);
      expect(codes.get('health_concern')).toBeGreaterThan(0);
      // Among tutors with 5+ reschedules, the favourite (ground truth) is given far above its base weight.
      const truth = new Map(d.groundTruth.map((g) => [g.tutorId, g.favouriteReasonCode]));
      const habitual = [...byTutor].filter(([, list]) => list.length >= 5);
      expect(habitual.length).toBeGreaterThan(5);
      const favouriteShare = mean(habitual.map(([id, list]) => list.filter((c) => c === truth.get(id)).length / list.length));
      expect(favouriteShare).toBeGreaterThan(0.55);
    }
  });

  it('moves reschedules 1–7 days later (± 2 hours)', () => {
    const moved = dataset().reschedules.filter((r) => r.newTime !== null);
    for (const r of moved) {
      const delay = r.newTime!.getTime() - r.originalTime.getTime();
      expect(delay).toBeGreaterThanOrEqual(DAY - 2 * HOUR);
      expect(delay).toBeLessThanOrEqual(7 * DAY + 2 * HOUR);
    }
  });

  it('writes email reports for reschedules: mostly sent, some failed then sent, some pending', () => {
    for (const seed of SEEDS) {
      const d = dataset({ seed });
      const statuses = d.emailReports.map((e) => e.status);
      expect(statuses.filter((s) => s === 'sent').length / statuses.length).toBeGreaterThan(0.85);
      expect(statuses).toContain('failed');
      const failed = d.emailReports.filter((e) => e.status === 'failed');
      for (const f of failed) {
        const later = d.emailReports.filter((e) => e.sessionId === f.sessionId && e.createdAt > f.sentAt);
        expect(later).toHaveLength(1);
      }
    }
    expect(SEEDS.some((seed) => dataset({ seed }).emailReports.some((e) => e.status === 'pending'))).toBe(true);
  });
});

describe('generateDataset: options', () => {
  it('honours overrides of the targets', () => {
    const d = dataset({ tierMix: { low: 0, medium: 0, high: 1 }, tutorInitiatedShare: 1, noShowShare: 0, seed: 8 });
    const m = measure(d);
    expect(m.tierShare('high')).toBe(1);
    expect(m.tutorInitiatedShare).toBe(1);
    expect(d.sessions.some((s) => s.status === 'no_show')).toBe(false);
    expect(m.rescheduledShare).toBeGreaterThan(0.2);
    const empty = generateDataset({ now: TEST_NOW, tutors: 0, sessions: 0 });
    expect(empty.tutors).toEqual([]);
    expect(empty.sessions).toEqual([]);
  });

  it('shifts peak hours with peakHours and the time zone', () => {
    const d = dataset({ peakHours: { start: 8, end: 10 }, peakShare: 0.9, timeZone: 'Europe/Paris', seed: 4 });
    const clock = localClock('Europe/Paris');
    const inPeak = d.sessions.filter((s) => [8, 9].includes(clock(s.scheduledTime).hour)).length;
    expect(inPeak / d.sessions.length).toBeGreaterThan(0.85);
  });

  const now = TEST_NOW;
  const invalid: [string, GenerateOptions, 'TypeError' | 'RangeError', string][] = [
    ['negative tutors', { tutors: -1 }, 'RangeError', "'tutors'"],
    ['fractional sessions', { sessions: 2.5 }, 'RangeError', "'sessions'"],
    ['sessions as text', { sessions: '3000' as unknown as number }, 'TypeError', "'sessions'"],
    ['days 0', { days: 0 }, 'RangeError', "'days'"],
    ['sessions without tutors', { tutors: 0, sessions: 10 }, 'RangeError', "'tutors'"],
    ['unknown time zone', { timeZone: 'Mars/Olympus_Mons' }, 'RangeError', "'timeZone'"],
    ['share above 1', { lastMinuteShare: 1.5 }, 'RangeError', "'lastMinuteShare'"],
    ['negative share', { activeShare: -0.1 }, 'RangeError', "'activeShare'"],
    ['tier mix not adding up', { tierMix: { low: 0.5 } }, 'RangeError', "'tierMix'"],
    ['inverted band', { tierRates: { medium: { min: 20, max: 10 } } }, 'RangeError', "'tierRates.medium'"],
    ['band over 100', { veryHighRate: { max: 120 } }, 'RangeError', "'veryHighRate.max'"],
    ['inverted hours', { peakHours: { start: 20, end: 15 } }, 'RangeError', "'peakHours'"],
    ['peak outside open hours', { peakHours: { start: 5, end: 9 } }, 'RangeError', "'peakHours'"],
    ['bad reason code', { reasons: [{ code: 'Personal Emergency', text: 'x', weight: 1 }] }, 'RangeError', "'reasons[0].code'"],
    ['seed out of range', { seed: -1 }, 'RangeError', "'seed'"],
    ['invalid now', { now: 'yesterday' }, 'RangeError', "'now'"],
    ['unknown option', { tutor: 5 } as GenerateOptions, 'RangeError', "'tutor'"],
    ['zero tutor share', { tutorInitiatedShare: 0 }, 'RangeError', "'tutorInitiatedShare'"],
    ['NaN', { days: Number.NaN }, 'RangeError', "'days'"],
  ];

  it.each(invalid)('refuses %s, naming the option', (_name, options, _errorType, option) => {
    const call = () => generateDataset({ now, ...options });
    expect(call).toThrow(InvalidOptionError);
    expect(call).toThrow(option);
    expect(() => call()).toThrow(expect.objectContaining({ option: option.slice(1, -1) }));
  });

  it('resolves defaults without generating anything', () => {
    const resolved = resolveGenerateOptions({}, TEST_NOW);
    expect(resolved).toMatchObject({ seed: 42, tutors: 100, sessions: 3000, days: 90, timeZone: 'UTC' });
    expect(resolved.now).toEqual(TEST_NOW);
    expect(Object.isFrozen(defaultGenerateOptions.tierRates.low)).toBe(true);
  });
});
