import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Dataset,
  generateDataset,
  insertDataset,
  type QualityReport,
  queryRows,
  qualityReport,
  qualityReportFromDatabase,
  refreshTutorScores,
  renderQualityReport,
  reportTargets,
  specTargets,
  type TargetId,
  type TqsDatabase,
  InvalidOptionError,
} from '../src';
import { TEST_NOW } from '../src/testing';
import { describeEachBackend, useDatabase } from './support/databases';

const DAY = 86_400_000;
const SMALL = { tutors: 24, sessions: 480 } as const;

const target = (report: QualityReport, id: TargetId) => report.targets.results.find((r) => r.id === id)!;
const check = (report: QualityReport, id: string) => report.integrity.checks.find((c) => c.id === id)!;

/**
 * A report without what only one source can know: the database has tutor_scores rows and stored-score checks; the
 * dataset computes its scores. Everything else must be equal, JSON for JSON.
 */
function comparable(report: QualityReport) {
  const json = JSON.parse(JSON.stringify(report));
  delete json.source;
  delete json.counts.tutorScores;
  delete json.rescheduleRates.source;
  json.integrity.checks = json.integrity.checks.filter((c: { status: string }) => c.status !== 'n/a');
  json.integrity.checks = json.integrity.checks.filter(
    (c: { id: string }) => !['tutor_scores_without_tutor', 'tutors_without_score', 'stored_scores_differ'].includes(c.id),
  );
  return json;
}

describe('qualityReport over a generated dataset at the default options', () => {
  const reports = [42, 7].map((seed) => qualityReport(generateDataset({ seed, now: TEST_NOW })));

  it('passes every integrity check that a dataset can make, the others n/a', () => {
    for (const report of reports) {
      expect(report.integrity.passed).toBe(true);
      for (const c of report.integrity.checks) {
        const storedOnly = ['tutor_scores_without_tutor', 'tutors_without_score', 'stored_scores_differ'].includes(c.id);
        expect(c.status, c.id).toBe(storedOnly ? 'n/a' : 'pass');
        expect(c.violations).toBe(storedOnly ? null : 0);
      }
    }
  });

  it('meets every spec target it can judge; the 25% rescheduled share is n/a (docs/design.md), the season n/a over 90 days', () => {
    for (const report of reports) {
      expect(report.targets.passed).toBe(true);
      const statuses = Object.fromEntries(report.targets.results.map((r) => [r.id, r.status]));
      expect(statuses).toEqual({
        tutors: 'pass',
        sessions: 'pass',
        tier_mix_intended: 'pass',
        tier_mix_measured: 'pass',
        very_high_rates: 'pass',
        active_share: 'pass',
        rescheduled_share: 'n/a',
        tutor_initiated_share: 'pass',
        completed_no_show_ratio: 'pass',
        last_minute_share: 'pass',
        weekday_vs_weekend: 'pass',
        peak_hours_share: 'pass',
        season: 'n/a', // Oct 17 - Jan 15: autumn and winter only
        durations: 'pass',
      });
      const rescheduled = target(report, 'rescheduled_share');
      expect(rescheduled.note).toMatch(/docs\/design\.md/);
      expect(rescheduled.value).toBeGreaterThan(0.09);
      expect(rescheduled.value).toBeLessThan(0.16);
      expect(target(report, 'tier_mix_intended').achieved).toBe('60/25/15%');
    }
  });

  it('judges the season over a range that covers both halves of the year', () => {
    const report = qualityReport(
      generateDataset({ now: TEST_NOW, days: 365, sessions: 12_000, tutorCreatedDaysAgo: { min: 380, max: 500 }, activeShare: 1 }),
    );
    expect(target(report, 'season').status).toBe('pass');
    expect(target(report, 'sessions').status).toBe('pass'); // 12,000 >= 3,000
    expect(target(report, 'tutors').status).toBe('pass');
  });

  it('counts, covers and histograms the rows', () => {
    const [report] = reports as [QualityReport];
    expect(report.counts).toMatchObject({ tutors: 100, activeTutors: 90, sessions: 3000, tutorScores: null });
    const { completed, rescheduled, noShow } = report.sessionsByStatus;
    expect(completed + rescheduled + noShow).toBe(3000);
    expect(report.reschedules.tutorInitiated + report.reschedules.studentInitiated).toBe(report.counts.reschedules);
    expect(report.coverage.firstScheduled!.getTime()).toBeGreaterThan(TEST_NOW.getTime() - 90 * DAY);
    expect(report.coverage.lastScheduled!.getTime()).toBeLessThanOrEqual(TEST_NOW.getTime());
    expect(report.coverage.days).toBeGreaterThanOrEqual(90);
    expect(report.weekdays.map((w) => w.label)).toEqual(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
    expect(report.weekdays.reduce((a, w) => a + w.count, 0)).toBe(3000);
    expect(report.hours).toHaveLength(24);
    expect(report.hours.reduce((a, h) => a + h.count, 0)).toBe(3000);
    expect(report.rescheduleRates.bands.map((b) => b.label)).toEqual(['0–10%', '10–20%', '20–40%', '40–60%', '60%+', 'no sessions']);
    expect(report.rescheduleRates.bands.reduce((a, b) => a + b.count, 0)).toBe(100);
    expect(report.rescheduleRates).toMatchObject({ source: 'computed', asOf: TEST_NOW, threshold: 15, scored: 100 });
  });

  it('trends the weeks, lists the worst flagged tutors, and breaks reschedules down by reason and lead time', () => {
    const [report, other] = reports as [QualityReport, QualityReport];
    const weeks = report.weeklyTrend;
    expect(weeks.reduce((a, w) => a + w.sessions, 0)).toBe(3000);
    expect(weeks.reduce((a, w) => a + w.tutorReschedules, 0)).toBe(report.reschedules.tutorInitiated);
    for (const [i, w] of weeks.entries()) {
      expect(new Date(`${w.week}T00:00:00Z`).getUTCDay(), w.week).toBe(1);
      if (i > 0) expect(Date.parse(w.week) - Date.parse(weeks[i - 1]!.week)).toBe(7 * DAY);
    }
    expect(weeks.length).toBeGreaterThanOrEqual(13);
    expect(report.leadTimes.map((b) => b.label)).toEqual(['under 24 h', '1–3 days', '3–7 days', '7 days or more']);
    expect(report.leadTimes.reduce((a, b) => a + b.count, 0)).toBe(report.counts.reschedules);
    expect(report.leadTimes[0]!.count).toBe(report.reschedules.lastMinute);
    expect(report.reasonCodes.reduce((a, b) => a + b.count, 0)).toBe(report.counts.reschedules);
    const counts = report.reasonCodes.map((b) => b.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    for (const r of [report, other]) {
      expect(r.highRiskTutors).toHaveLength(Math.min(10, r.highRisk.flagged));
      const highest = r.highRiskTutors.map((t) => Math.max(...[t.rate7d, t.rate30d, t.rate90d].map((x) => x ?? -1)));
      expect(highest).toEqual([...highest].sort((a, b) => b - a));
      expect(highest.every((h) => h > 15)).toBe(true);
    }
  });

  it('says how well the flags recover the intended tiers: every high tutor flagged, some medium ones too', () => {
    for (const report of reports) {
      const g = report.groundTruth!;
      expect(g.byTier.high).toMatchObject({ tutors: 15, flagged: 15, notFlagged: 0, unscored: 0 });
      expect(g.byTier.medium.tutors).toBe(25);
      expect(g.byTier.low.tutors).toBe(60);
      expect(g.recall).toBe(1);
      expect(g.precision).toBeGreaterThan(0);
      expect(g.precision).toBeLessThan(1); // medium tutors at 15-20% are flagged by design
      expect(g.tierAgreement).toBeGreaterThanOrEqual(0.97);
      expect(g.note).toMatch(/15-20%/);
      expect(report.highRisk.flagged).toBe(g.byTier.low.flagged + g.byTier.medium.flagged + g.byTier.high.flagged);
    }
  });

  it('makes size targets informative when the sizes were chosen, and judges against changed options', () => {
    const dataset = generateDataset({ now: TEST_NOW, ...SMALL, lastMinuteShare: 0.2 });
    const report = qualityReport(dataset);
    expect(target(report, 'tutors')).toMatchObject({ status: 'info', value: 24 });
    expect(target(report, 'sessions').status).toBe('info');
    expect(target(report, 'last_minute_share').target).toBe('20.0%');
    expect(reportTargets(dataset.options).sizesInformative).toBe(true);
    expect(reportTargets().sizesInformative).toBe(false);
    // Against the spec's 40%, a 20% generation fails.
    expect(target(qualityReport(dataset, { targets: { lastMinuteShare: specTargets.lastMinuteShare } }), 'last_minute_share').status).toBe(
      'fail',
    );
  });

  it('reports an empty dataset without failing an integrity check', () => {
    const report = qualityReport(generateDataset({ now: TEST_NOW, tutors: 0, sessions: 0 }));
    expect(report.integrity.passed).toBe(true);
    expect(report.coverage).toEqual({ firstScheduled: null, lastScheduled: null, days: 0, daysWithSessions: 0 });
    expect(report.groundTruth).toBeNull();
    expect(renderQualityReport(report)).toMatch(/Integrity checks {2}PASS/);
  });

  it('finds what a hand-broken dataset gets wrong', () => {
    const dataset = generateDataset({ now: TEST_NOW, ...SMALL, seed: 3 });
    const broken: Dataset = structuredClone(dataset);
    broken.sessions[0]!.tutorId = '00000000-0000-4000-8000-000000000000';
    const r = broken.reschedules[0]!;
    r.originalTime = new Date(r.originalTime.getTime() + 60_000);
    const completed = broken.sessions.find((s) => s.status === 'completed')!;
    completed.completedTime = null;
    const report = qualityReport(broken);
    expect(report.integrity.passed).toBe(false);
    expect(check(report, 'sessions_without_tutor').violations).toBe(1);
    expect(check(report, 'reschedule_original_time_mismatch').violations).toBe(1);
    expect(check(report, 'completed_time_mismatch')).toMatchObject({ violations: 1, status: 'fail' });
  });
});

describe('renderQualityReport', () => {
  const report = qualityReport(generateDataset({ now: TEST_NOW }));

  it('renders sections, aligned tables, PASS/FAIL marks and block histograms within the width', () => {
    for (const width of [60, 80, 120]) {
      const text = renderQualityReport(report, { width });
      for (const title of ['Counts', 'Date coverage', 'Integrity checks', 'Spec targets', 'Reschedule rates', 'Sessions by weekday', 'Sessions by hour', 'High risk', 'Ground truth']) {
        expect(text).toContain(title);
      }
      expect(text).toMatch(/PASS/);
      expect(text).toMatch(/█/);
      expect(text).toMatch(/[▁▂▃▄▅▆▇]/);
      const bars = text.split('\n').filter((line) => /[█▏▎▍▌▋▊▉▁▂▃▄▅▆▇]/.test(line));
      for (const line of bars) expect(line.length, line).toBeLessThanOrEqual(width);
    }
    expect(renderQualityReport(report)).not.toMatch(/\x1b\[/);
    expect(renderQualityReport(report, { color: true })).toMatch(/\x1b\[32mPASS\x1b\[0m/);
  });

  it('has a JSON form with dates as ISO strings', () => {
    const json = JSON.parse(JSON.stringify(report));
    expect(json.coverage.firstScheduled).toBe(report.coverage.firstScheduled!.toISOString());
    expect(json.rescheduleRates.asOf).toBe(TEST_NOW.toISOString());
  });
});

describeEachBackend('qualityReportFromDatabase', (backend) => {
  let db: TqsDatabase;
  const dataset = generateDataset({ now: TEST_NOW, ...SMALL, seed: 11, timeZone: 'America/New_York' });

  useDatabase(backend, (opened) => (db = opened));
  beforeAll(async () => {
    await insertDataset(db, dataset);
  });

  const fromDatabase = (options = {}) =>
    qualityReportFromDatabase(db, {
      groundTruth: dataset.groundTruth,
      targets: reportTargets(dataset.options),
      timeZone: dataset.options.timeZone,
      ...options,
    });

  it('agrees with the report of the dataset it holds (stored scores as of the dataset now)', async () => {
    const report = await fromDatabase();
    expect(report.source).toBe('database');
    expect(report.integrity.passed).toBe(true);
    for (const c of report.integrity.checks) expect(c.status, c.id).toBe('pass');
    expect(report.counts.tutorScores).toBe(SMALL.tutors);
    expect(report.rescheduleRates).toMatchObject({ source: 'stored', asOf: TEST_NOW, mixedAsOf: false, threshold: 15, unscored: 0 });
    expect(comparable(report)).toEqual(comparable(qualityReport(dataset)));
  });

  it('agrees with it as of another instant too, computing the scores without writing them', async () => {
    const asOf = new Date(TEST_NOW.getTime() - 20 * DAY);
    const report = await fromDatabase({ asOf, threshold: 20 });
    expect(report.rescheduleRates).toMatchObject({ source: 'computed', asOf, threshold: 20 });
    expect(comparable(report)).toEqual(comparable(qualityReport(dataset, { asOf, threshold: 20 })));
    // Nothing written: every stored score is still as of the dataset's now.
    const [stored] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from tutor_scores where as_of = ${TEST_NOW.toISOString()}::timestamptz`,
    );
    expect(Number(stored!.n)).toBe(SMALL.tutors);
  });

  it('counts ground-truth tutors the database does not know as unscored; no ground truth, no agreement', async () => {
    const stranger = { tutorId: '00000000-0000-4000-8000-00000000abcd', tier: 'high' as const };
    const report = await fromDatabase({ groundTruth: [...dataset.groundTruth, stranger] });
    expect(report.groundTruth!.byTier.high.unscored).toBe(1);
    const bare = await qualityReportFromDatabase(db);
    expect(bare.groundTruth).toBeNull();
    expect(target(bare, 'tier_mix_intended').status).toBe('n/a');
    expect(bare.timeZone).toBe('UTC');
    await expect(qualityReportFromDatabase(db, { timeZone: 'Mars/Olympus' })).rejects.toThrow(InvalidOptionError);
    await expect(qualityReportFromDatabase(db, { groundTruth: [{ tutorId: 'x', tier: 'low' }] })).rejects.toThrow(InvalidOptionError);
  });

  it('fails "stored scores equal a recomputation" when a score row is corrupted, and passes again after a refresh', async () => {
    await db.execute(
      sql`update tutor_scores set total_sessions_90d = total_sessions_90d + 3
          where tutor_id = (select tutor_id from tutor_scores order by tutor_id limit 1)`,
    );
    const report = await fromDatabase();
    expect(check(report, 'stored_scores_differ')).toMatchObject({ violations: 1, status: 'fail' });
    expect(report.integrity.passed).toBe(false);
    expect(renderQualityReport(report)).toMatch(/Integrity checks {2}FAIL/);
    await refreshTutorScores(db, { asOf: TEST_NOW });
    expect(check(await fromDatabase(), 'stored_scores_differ')).toMatchObject({ violations: 0, status: 'pass' });
  });

  it('reports tutors without a score row', async () => {
    await db.execute(sql`delete from tutor_scores where tutor_id = (select tutor_id from tutor_scores order by tutor_id limit 1)`);
    const report = await fromDatabase();
    expect(check(report, 'tutors_without_score')).toMatchObject({ violations: 1, status: 'fail' });
    expect(report.rescheduleRates.unscored).toBe(1);
    await refreshTutorScores(db, { asOf: TEST_NOW });
  });
});
