import { DEFAULT_RISK_THRESHOLD } from '../../schema';
import { type HighRiskTutor, listHighRiskTutors, refreshDueScores, refreshTutorScores, riskThresholdProblem } from '../../scoring';
import { type Command, databaseOptions, dateOption, integerOption, numberOption, signalOf, UsageError } from '../command';
import { renderTable } from '../../util/format';
import { resolveTarget, withMigratedTarget } from '../target';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const percent = (rate: number | null) => (rate === null ? '-' : `${rate.toFixed(2)}%`);

function flaggedTable(tutors: HighRiskTutor[]): string {
  return renderTable(
    ['tutor', '7d', '30d', '90d', 'sessions 7d/30d/90d', 'tutor reschedules 7d/30d/90d'],
    tutors.map((t) => [
      t.name,
      percent(t.rescheduleRate7d),
      percent(t.rescheduleRate30d),
      percent(t.rescheduleRate90d),
      `${t.totalSessions7d}/${t.totalSessions30d}/${t.totalSessions90d}`,
      `${t.tutorReschedules7d}/${t.tutorReschedules30d}/${t.tutorReschedules90d}`,
    ]),
    { align: ['left', 'right', 'right', 'right', 'left', 'left'] },
  );
}

/** `tqs-data score`: {@link refreshTutorScores}, then the first page of {@link listHighRiskTutors} as a table. */
export const scoreCommand: Command = {
  name: 'score',
  summary: "Recompute every tutor's reschedule rates and risk flag in one statement, then list the worst flagged.",
  details: [
    'A rate is 100 x tutor-initiated reschedules / sessions scheduled in (as-of - N days, as-of], for N = 7, 30, 90.',
    'A tutor is flagged when any rate is above the threshold. The table lists every flagged tutor in tutor_scores,',
    'worst first: with --due or --stale-only, some rows may come from earlier runs.',
    '--due refreshes exactly the tutors whose score may have changed (a write captured by the database since their',
    'last score, or a session entering or leaving a window by now), a worker\'s round; --stale-only is deprecated.',
  ].join('\n'),
  options: {
    'as-of': { type: 'string', value: 'ISO', description: 'end of the scoring windows, ISO 8601 (default: now)' },
    threshold: {
      type: 'string',
      value: 'N',
      description: `flag a tutor when a rate is above N percent, 0-100, 2 decimals at most (default ${DEFAULT_RISK_THRESHOLD})`,
    },
    due: {
      type: 'boolean',
      description: 'refresh only the due tutors (captured changes, windows moved by time), all of them, and consume their changes',
    },
    'stale-only': {
      type: 'boolean',
      description: 'deprecated (misses deletes, moves, back-dated writes and time): use --due',
    },
    limit: { type: 'string', value: 'N', description: 'how many flagged tutors to list, worst first (default 10; 0: none)' },
    ...databaseOptions,
  },
  async run(options, io) {
    // Every argument is checked before the database is opened: a typo never costs a refresh.
    const asOf = dateOption(options, 'as-of');
    const threshold = numberOption(options, 'threshold', DEFAULT_RISK_THRESHOLD, { min: 0, max: 100 }) as number;
    const problem = riskThresholdProblem(threshold);
    if (problem !== undefined) throw new UsageError(`--threshold ${problem}`);
    const limit = integerOption(options, 'limit', 10, { min: 0 }) as number;
    const due = options.due === true;
    if (due && options['stale-only'] === true) throw new UsageError('--due and --stale-only cannot be combined: use --due');
    const target = resolveTarget(options, io.env);
    const { result, page } = await withMigratedTarget(target, async (db) => {
      const when = asOf !== undefined ? { asOf } : {};
      let result: { scored: number; flagged: number; threshold: number; asOf: Date };
      if (due) {
        // Every due tutor, a batch at a time, so that a large backlog never holds one long transaction.
        let scored = 0;
        let flagged = 0;
        const at = asOf ?? new Date();
        for (let round = 0; round < 1_000_000; round++) {
          const batch = await refreshDueScores(db, { threshold, asOf: at, ...signalOf(io) });
          scored += batch.refreshed;
          flagged += batch.flagged;
          if (!batch.more) break;
        }
        result = { scored, flagged, threshold, asOf: at };
      } else {
        result = await refreshTutorScores(db, { threshold, staleOnly: options['stale-only'] === true, ...when, ...signalOf(io) });
      }
      return { result, page: limit > 0 ? await listHighRiskTutors(db, { limit }) : undefined };
    });
    io.stdout.write(
      `${due ? 'refreshed the due scores: ' : ''}scored ${plural(result.scored, 'tutor')}, flagged ${result.flagged} ` +
        `(threshold ${result.threshold.toFixed(2)}, as of ${result.asOf.toISOString()})\n`,
    );
    if (!page) return;
    if (page.total === 0) {
      io.stdout.write('\nno tutor is flagged\n');
      return;
    }
    io.stdout.write(`\nworst ${page.tutors.length} of ${plural(page.total, 'flagged tutor')}:\n`);
    io.stdout.write(flaggedTable(page.tutors));
  },
};
