import { DAY } from '../domain/time';
import { riskTiers } from '../domain/risk-tiers';
import { rescheduleRate } from '../scoring';
import { LEAD_TIME_LABELS, RATE_BAND_LABELS, type ReportFacts, type WeekCount } from './facts';
import { daysInRange, localClock } from './local-time';
import { sum } from './target-judges';
import { evaluateTargets } from './target-rules';
import type {
  GroundTruthAgreement,
  IntegrityCheck,
  IntegrityCheckId,
  QualityReport,
  ReportTargets,
  TierAgreement,
  WeekBin,
} from './types';

const integrityRules: Record<IntegrityCheckId, string> = {
  sessions_without_tutor: 'orphan sessions (no tutor)',
  reschedules_without_session: 'orphan reschedules (no session)',
  email_reports_without_session: 'orphan email reports (no session)',
  tutor_scores_without_tutor: 'orphan scores (no tutor)',
  reschedule_original_time_mismatch: 'reschedule original_time <> session time',
  completed_time_mismatch: 'completed <=> completed_time broken',
  completed_before_scheduled: 'completed before scheduled time',
  rescheduled_status_mismatch: 'rescheduled <=> reschedule row broken',
  booked_session_overdue: 'booked (scheduled) sessions whose time has passed without an outcome',
  tutors_without_score: 'tutors without a score row',
  stored_scores_differ: 'stored scores <> recomputation at as_of',
};

const notApplicable: Partial<Record<IntegrityCheckId, string>> = {
  tutor_scores_without_tutor: 'a dataset has no stored scores',
  tutors_without_score: 'a dataset has no stored scores',
  stored_scores_differ: 'a dataset has no stored scores',
};

const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

function groundTruthAgreement(f: ReportFacts, t: ReportTargets): GroundTruthAgreement | null {
  if (!f.truth) return null;
  const empty = (): TierAgreement => ({
    tutors: 0,
    flagged: 0,
    notFlagged: 0,
    unscored: 0,
    measured: { low: 0, medium: 0, high: 0, none: 0 },
  });
  const byTier = { low: empty(), medium: empty(), high: empty() };
  for (const cell of f.truth) {
    const tier = byTier[cell.tier];
    tier.tutors += cell.tutors;
    if (cell.flagged === null) tier.unscored += cell.tutors;
    else if (cell.flagged) tier.flagged += cell.tutors;
    else tier.notFlagged += cell.tutors;
    if (cell.measured !== null) tier.measured[cell.measured] += cell.tutors;
  }
  const flagged = sum(riskTiers.map((tier) => byTier[tier].flagged));
  const high = byTier.high;
  const scored = sum(riskTiers.map((tier) => byTier[tier].tutors - byTier[tier].unscored));
  const agreeing = sum(riskTiers.map((tier) => byTier[tier].measured[tier]));
  const threshold = f.scores.threshold ?? 15;
  const { low, medium } = t.tierRates;
  return {
    byTier,
    precision: flagged > 0 ? high.flagged / flagged : null,
    recall: high.flagged + high.notFlagged > 0 ? high.flagged / (high.flagged + high.notFlagged) : null,
    tierAgreement: scored > 0 ? agreeing / scored : null,
    note:
      `A tutor is flagged when any of its 7-, 30- or 90-day rates is above ${threshold}%. ` +
      `Medium-tier tutors (${medium.min}-${medium.max}%) at ${threshold}-${medium.max}% are flagged too, and a short ` +
      `window with few sessions can lift a ${low.min}-${low.max}% tutor above it, so precision against "intended high" ` +
      'is below 1 by design; recall should be 1.',
  };
}

/** Codes in code-point order (as the database's own `C` order would give), reschedules without one last. */
const byCodeNoneLast = (a: string | null, b: string | null) =>
  a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;

/** Every week from the first to the last with sessions, the empty ones at zero, so a chart's x axis is time. */
function weeklyTrend(weeks: WeekCount[]): WeekBin[] {
  if (weeks.length === 0) return [];
  const byMonday = new Map(weeks.map((w) => [w.monday, w]));
  const first = Math.min(...byMonday.keys());
  const last = Math.max(...byMonday.keys());
  const trend: WeekBin[] = [];
  for (let monday = first; monday <= last; monday += 7) {
    const { sessions = 0, tutorReschedules = 0 } = byMonday.get(monday) ?? {};
    const week = new Date(monday * DAY).toISOString().slice(0, 10);
    trend.push({ week, sessions, tutorReschedules, rate: rescheduleRate(tutorReschedules, sessions) });
  }
  return trend;
}

/**
 * Turns the facts of a dataset or a database into the report, judging them against `targets`. Pure.
 *
 * @example
 * const report = buildReport(facts, withSpecTargets({ lastMinuteShare: 0.3 }));
 */
export function buildReport(f: ReportFacts, targets: ReportTargets): QualityReport {
  const checks: IntegrityCheck[] = (Object.keys(integrityRules) as IntegrityCheckId[]).map((id) => {
    const violations = f.violations[id];
    const note = violations === null ? notApplicable[id] : undefined;
    return {
      id,
      description: integrityRules[id],
      violations,
      status: violations === null ? 'n/a' : violations === 0 ? 'pass' : 'fail',
      ...(note ? { note } : {}),
    };
  });

  const clock = localClock(f.timeZone);
  const firstDay = f.firstScheduled ? clock(f.firstScheduled.getTime()).day : 0;
  const lastDay = f.lastScheduled ? clock(f.lastScheduled.getTime()).day : -1;
  const coverage = daysInRange(firstDay, lastDay);
  const results = evaluateTargets({ facts: f, targets, coverage });
  const { bands, flagged, measuredTiers: _measured, veryHigh: _veryHigh, ...scores } = f.scores;

  return {
    source: f.source,
    timeZone: f.timeZone,
    counts: f.counts,
    sessionsByStatus: f.sessionsByStatus,
    reschedules: f.reschedules,
    coverage: {
      firstScheduled: f.firstScheduled,
      lastScheduled: f.lastScheduled,
      days: Math.max(0, lastDay - firstDay + 1),
      daysWithSessions: f.daysWithSessions,
    },
    integrity: { passed: checks.every((c) => c.status !== 'fail'), checks },
    targets: { passed: results.every((r) => r.status !== 'fail'), results },
    rescheduleRates: { ...scores, bands: RATE_BAND_LABELS.map((label, i) => ({ label, count: bands[i] ?? 0 })) },
    weekdays: [1, 2, 3, 4, 5, 6, 0].map((day) => {
      const days = coverage.weekdays[day] ?? 0;
      const sessions = f.weekdays[day] ?? 0;
      return { label: WEEKDAY_NAMES[day]!, count: sessions, days, perDay: days > 0 ? sessions / days : null };
    }),
    hours: f.hours.map((n, hour) => ({ label: String(hour).padStart(2, '0'), count: n })),
    highRisk: { flagged, scored: scores.scored, threshold: scores.threshold },
    groundTruth: groundTruthAgreement(f, targets),
    highRiskTutors: f.highRiskTutors,
    weeklyTrend: weeklyTrend(f.weeks),
    reasonCodes: [...f.reasonCodes]
      .sort((a, b) => b.count - a.count || byCodeNoneLast(a.code, b.code))
      .map(({ code, count }) => ({ label: code ?? '(none)', count })),
    leadTimes: LEAD_TIME_LABELS.map((label, i) => ({ label, count: f.leadTimes[i] ?? 0 })),
  };
}
