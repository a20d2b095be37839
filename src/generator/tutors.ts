import { createRequire } from 'node:module';
import type { Faker } from '@faker-js/faker';
import type { Tutor } from '../schema';
import { DAY } from '../domain/time';
import { type Calendar, dayIndexOf, daysWeight } from './calendar';
import { rescheduleCount } from '../domain/risk-tiers';
import type { Prng } from './prng';
import { WeightedIndex } from './weighted-index';
import type { RateBand, ResolvedGenerateOptions, RiskTier, TutorGroundTruth } from '../domain/dataset';

/** A tutor's first session is at least this long after the account was created (onboarding). */
export const ONBOARDING = 2 * DAY;

/** Domains reserved for examples (RFC 2606): generated addresses can never reach a real mailbox. */
const emailDomains = ['example.com', 'example.org', 'example.net'] as const;

/** What the session generator needs to know about one tutor. */
export interface TutorPlan {
  row: Tutor;
  truth: TutorGroundTruth;
  band: RateBand;
  /** Sessions start at or after `spanStart` and end at or before `spanEnd` (epoch ms). */
  spanStart: number;
  spanEnd: number;
  /** First and last local day of the span, as calendar indices. */
  firstDay: number;
  lastDay: number;
  /** Relative booking intensity (the tutor's share of the work, per unit of calendar weight). */
  intensity: number;
  favouriteReason: number;
  /** Filled in by the allocation: sessions, tutor-initiated and student-initiated reschedules. */
  sessions: number;
  tutorReschedules: number;
  studentReschedules: number;
}

/** `count` items split by `shares` (in order), rounded so they add up to `count` exactly. */
function splitByShares(count: number, shares: readonly number[]): number[] {
  const out: number[] = [];
  let cumulative = 0;
  let previous = 0;
  for (const s of shares) {
    cumulative += s;
    const boundary = Math.min(count, Math.round(count * cumulative));
    out.push(boundary - previous);
    previous = boundary;
  }
  out[out.length - 1]! += count - previous;
  return out;
}

/** `count` flags of which `Math.round(count × share)` are true, in random order. */
function shuffledFlags(prng: Prng, count: number, share: number): boolean[] {
  const trueCount = Math.round(count * share);
  return prng.shuffle(Array.from({ length: count }, (_, i) => i < trueCount));
}

const slug = (name: string) =>
  name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '') || 'tutor';

/*
 * Faker loads with the first generated dataset, not with the package: a service that imports the tables never pays
 * for it. Its single-locale entry loads a fraction of what the root entry does (every locale). `require` keeps
 * `generateDataset` synchronous (Node 20.19+ requires Faker's ES module); the Faker we use is our own, built from that
 * entry's definitions, so the shared instance of a caller who also uses Faker is never reseeded.
 */
function englishFaker(): Faker {
  const entry = createRequire(import.meta.url)('@faker-js/faker/locale/en') as { faker: Faker };
  const FakerClass = entry.faker.constructor as typeof Faker;
  return new FakerClass({ locale: entry.faker.rawDefinitions });
}

/**
 * The tutors: rows, ground truth and the plan their sessions follow. Tiers, active flags and emails are exact
 * counts in random order; creation dates spread over `tutorCreatedDaysAgo`, denser toward older accounts (the
 * density rises linearly with age), so most tutors predate the window and the daily volume does not ramp up steeply.
 * Names come from a Faker instance of our own, seeded from the PRNG; emails are built from the name and the tutor's
 * position, so they are unique by construction.
 */
export function planTutors(o: ResolvedGenerateOptions, calendar: Calendar, prng: Prng): TutorPlan[] {
  const faker = englishFaker();
  faker.seed(prng.nextUint32());
  const count = o.tutors;
  const [lowCount, mediumCount] = splitByShares(count, [o.tierMix.low, o.tierMix.medium, o.tierMix.high]);
  const tiers = prng.shuffle(
    Array.from({ length: count }, (_, i): RiskTier => (i < lowCount! ? 'low' : i < lowCount! + mediumCount! ? 'medium' : 'high')),
  );
  const veryHighCount = Math.round(tiers.filter((t) => t === 'high').length * o.veryHighShare);
  const active = shuffledFlags(prng, count, o.activeShare);
  const withEmail = shuffledFlags(prng, count, o.tutorEmailShare);
  const reasons = new WeightedIndex(o.reasons.map((r) => r.weight));
  const now = o.now.getTime();
  const { min: minAge, max: maxAge } = o.tutorCreatedDaysAgo;

  let highSeen = 0;
  const plans: TutorPlan[] = [];
  for (let i = 0; i < count; i++) {
    const tier = tiers[i]!;
    const band = tier === 'high' && highSeen++ < veryHighCount ? o.veryHighRate : o.tierRates[tier];
    const targetRate = Math.round(prng.between(band.min, band.max) * 100) / 100;
    const firstName = faker.person.firstName();
    const lastName = faker.person.lastName();
    const id = prng.uuid();
    const ageDays = minAge + (maxAge - minAge) * Math.sqrt(prng.next());
    const createdAt = Math.round((now - ageDays * DAY) / 1000) * 1000;
    const spanStart = Math.max(calendar.windowStart + 1, createdAt + ONBOARDING);
    // An inactive tutor stopped taking sessions part-way through the window; `updated_at` records when.
    const spanEnd = active[i]
      ? now
      : Math.round((spanStart + (now - spanStart) * prng.between(0.4, 0.95)) / 1000) * 1000;
    const updatedAt = active[i] ? createdAt + Math.round(((now - createdAt) * prng.next()) / 1000) * 1000 : spanEnd;
    const email = withEmail[i]
      ? `${slug(firstName)}.${slug(lastName)}.${i + 1}@${emailDomains[prng.int(emailDomains.length)]}`
      : null;
    const favouriteReason = reasons.pick(prng);
    const u = prng.next();
    plans.push({
      row: {
        id,
        name: `${firstName} ${lastName}`,
        email,
        createdAt: new Date(createdAt),
        updatedAt: new Date(updatedAt),
        isActive: active[i]!,
      },
      truth: { tutorId: id, tier, targetRate, favouriteReasonCode: o.reasons[favouriteReason]!.code },
      band,
      spanStart,
      spanEnd,
      firstDay: dayIndexOf(calendar, spanStart),
      lastDay: dayIndexOf(calendar, spanEnd),
      intensity: 1 - o.tutorVolumeSpread + 3 * o.tutorVolumeSpread * u * u,
      favouriteReason,
      sessions: 0,
      tutorReschedules: 0,
      studentReschedules: 0,
    });
  }
  return plans;
}

/**
 * Spreads `o.sessions` over the tutors in proportion to intensity × the calendar weight of their span (so a tutor
 * who joined recently, or left, has fewer), then fixes each tutor's tutor-initiated reschedules from its target rate,
 * and spreads the student-initiated ones (`(1 − tutorInitiatedShare) / tutorInitiatedShare` of all tutor-initiated
 * ones, rounded) at random over the remaining sessions.
 */
export function allocateSessions(o: ResolvedGenerateOptions, calendar: Calendar, plans: TutorPlan[], prng: Prng): void {
  const weights = plans.map((p) => p.intensity * daysWeight(calendar, p.firstDay, p.lastDay));
  let total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) {
    for (let i = 0; i < plans.length; i++) weights[i] = plans[i]!.spanEnd - plans[i]!.spanStart;
    total = weights.reduce((a, b) => a + b, 0);
  }
  let cumulative = 0;
  let previous = 0;
  let tutorReschedules = 0;
  for (let i = 0; i < plans.length; i++) {
    cumulative += weights[i]!;
    const boundary = i === plans.length - 1 ? o.sessions : Math.round((o.sessions * cumulative) / total);
    const plan = plans[i]!;
    plan.sessions = boundary - previous;
    previous = boundary;
    plan.tutorReschedules = rescheduleCount(plan.truth.targetRate, plan.sessions, plan.band);
    tutorReschedules += plan.tutorReschedules;
  }

  const remaining = o.sessions - tutorReschedules;
  const studentTotal = Math.min(
    remaining,
    Math.round((tutorReschedules * (1 - o.tutorInitiatedShare)) / o.tutorInitiatedShare),
  );
  // Floyd's algorithm: `studentTotal` distinct positions among the sessions no tutor rescheduled.
  const chosen = new Set<number>();
  for (let j = remaining - studentTotal; j < remaining; j++) {
    const t = prng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  const positions = [...chosen].sort((a, b) => a - b);
  let next = 0;
  let offset = 0;
  for (const plan of plans) {
    offset += plan.sessions - plan.tutorReschedules;
    while (next < positions.length && positions[next]! < offset) {
      plan.studentReschedules++;
      next++;
    }
  }
}
