import { sql } from 'drizzle-orm';
import { computeTutorScore, type Dataset, queryRows, refreshDueScores, refreshTutorScores, type TqsDatabase } from '../src';
import { type Figure, timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { collectGarbage, collectGarbageAndSettle, formatMs, median, progress, timed } from './measure';
import type { BenchBackend, Runs, Scale } from './options';
import type { ScratchDatabase } from './scratch';

/** The names of the full and the due refresh figures, which the growth figures read back (bench/growth-figures.ts). */
export const FULL_REFRESH_FIGURE = 'score: refreshTutorScores vs bare GROUP BY';
/** The full refresh when every score row changes (another threshold each run). */
export const REWRITE_REFRESH_FIGURE = 'score: refreshTutorScores rewriting every row (new threshold) vs bare GROUP BY';
export const CHANGED_SESSIONS_FIGURE = 'score: refreshDueScores (1,000 changed sessions) vs full refresh';

/** The floor of the score figure: the cheapest pass over sessions that groups them by tutor. */
const bareAggregate = sql`select tutor_id, count(*) from sessions group by tutor_id`;

export interface ScoreResult {
  figures: Figure[];
  refreshSamples: number[];
  aggregateSamples: number[];
}

/**
 * The score figures on a database loaded by insertDataset: refreshTutorScores (all tutors, as of the dataset's
 * `now`) against the bare GROUP BY, and against one computeTutorScore per tutor. The tables are ANALYZEd first and
 * one refresh and one aggregate run untimed, so every timed run sees the same warm cache and an existing
 * tutor_scores row per tutor holding the same values (the steady state of a scheduled refresh: every score recomputed,
 * the unchanged ones left as they are); then the same with every row changing (a new threshold each run).
 */
export async function scoreFigures(
  backend: BenchBackend,
  scale: Scale,
  loaded: ScratchDatabase,
  dataset: Dataset,
  runs: Runs,
  loopSample: number,
): Promise<ScoreResult> {
  const { db } = loaded;
  await db.execute(sql`analyze`);
  await refreshTutorScores(db, { asOf: BENCH_NOW });
  await db.execute(bareAggregate);

  const refreshSamples: number[] = [];
  const aggregateSamples: number[] = [];
  for (let i = 0; i < runs.score; i++) {
    await collectGarbageAndSettle();
    const aggregate = await timed(() => db.execute(bareAggregate));
    aggregateSamples.push(aggregate.ms);
    await collectGarbageAndSettle();
    const refresh = await timed(() => refreshTutorScores(db, { asOf: BENCH_NOW }));
    refreshSamples.push(refresh.ms);
    if (refresh.value.scored !== dataset.tutors.length) {
      throw new Error(`refreshTutorScores scored ${refresh.value.scored} tutors, expected ${dataset.tutors.length}`);
    }
    progress(
      `  score ${backend} ${scale.name} run ${i + 1}/${runs.score}: refresh ${formatMs(refresh.ms)}, ` +
        `bare aggregate ${formatMs(aggregate.ms)}`,
    );
  }

  // The same refresh when every row changes (another threshold each run, as after a change of threshold): every score
  // row rewritten and recorded in the score history. Then back to the default threshold, untimed.
  const rewriteSamples: number[] = [];
  const rewriteFloor: number[] = [];
  for (let i = 0; i < runs.score; i++) {
    await collectGarbageAndSettle();
    rewriteFloor.push((await timed(() => db.execute(bareAggregate))).ms);
    await collectGarbageAndSettle();
    const rewrite = await timed(() => refreshTutorScores(db, { asOf: BENCH_NOW, threshold: i % 2 === 0 ? 16 : 15 }));
    if (rewrite.value.written !== dataset.tutors.length) {
      throw new Error(`refreshTutorScores wrote ${rewrite.value.written} rows, expected every one of ${dataset.tutors.length}`);
    }
    rewriteSamples.push(rewrite.ms);
    progress(`  score ${backend} ${scale.name} rewrite run ${i + 1}/${runs.score}: refresh ${formatMs(rewrite.ms)}, bare aggregate ${formatMs(rewriteFloor.at(-1) as number)}`);
  }
  await refreshTutorScores(db, { asOf: BENCH_NOW });

  const ids = (await queryRows<{ id: string }>(db, sql`select id from tutors order by id`)).map((row) => row.id);
  const sampled = scale.name === 'large' && ids.length > loopSample;
  const loopIds = sampled ? ids.slice(0, loopSample) : ids;
  const scaleUp = ids.length / loopIds.length;
  const loopSamples: number[] = [];
  for (let i = 0; i < runs.perTutorLoop; i++) {
    collectGarbage();
    const loop = await timed(async () => {
      for (const id of loopIds) await computeTutorScore(db, id, { asOf: BENCH_NOW });
    });
    loopSamples.push(loop.ms * scaleUp);
    progress(
      `  score ${backend} ${scale.name} per-tutor loop run ${i + 1}/${runs.perTutorLoop}: ${formatMs(loop.ms)} for ` +
        `${loopIds.length} tutors${sampled ? ` (x${scaleUp} = ${formatMs(loop.ms * scaleUp)} for all ${ids.length})` : ''}`,
    );
  }

  const due = await dueFigures(backend, scale, db, ids, runs, refreshSamples);

  const figures = [
    ...due,
    timeRatioFigure({
      figure: FULL_REFRESH_FIGURE,
      backend,
      scale: scale.name,
      samples: refreshSamples,
      floorSamples: aggregateSamples,
      direction: 'median/floor',
      ratioMeaning: 'refresh time / bare aggregate time: the cost of the real statement over the cheapest grouped pass',
      // PGlite runs the statement and its triggers in the one thread that also serves the client.
      max: backend === 'pglite' ? 3.5 : 3,
      notes: [
        `refreshTutorScores(db, { asOf }) over ${ids.length} tutors vs ` +
          '`select tutor_id, count(*) from sessions group by tutor_id` (rows returned to the client); every run ' +
          'recomputes every score and finds it unchanged (the same asOf), so it writes no row (see the next figure)',
      ],
    }),
    timeRatioFigure({
      figure: REWRITE_REFRESH_FIGURE,
      backend,
      scale: scale.name,
      samples: rewriteSamples,
      floorSamples: rewriteFloor,
      direction: 'median/floor',
      ratioMeaning: 'refresh time when every score row changes / bare aggregate time (no target: the worst case)',
      notes: [
        `refreshTutorScores(db, { asOf, threshold }) with another threshold each run (16, 15, ...): all ${ids.length} ` +
          'rows rewritten and recorded in the score history, alternating with the bare GROUP BY',
      ],
    }),
    timeRatioFigure({
      figure: 'score: refreshTutorScores vs per-tutor computeTutorScore loop',
      backend,
      scale: scale.name,
      samples: refreshSamples,
      floorSamples: loopSamples,
      direction: 'floor/median',
      ratioMeaning: 'loop time / refresh time: how many times faster the one statement is than one query per tutor',
      ...(sampled ? { floorDisplay: `${formatMs(median(loopSamples))} (extrapolated)` } : {}),
      notes: [
        sampled
          ? `loop timed over ${loopIds.length} of ${ids.length} tutors (the first by id) and scaled by ${scaleUp}`
          : `loop over all ${ids.length} tutors, one computeTutorScore (one query, reads only) each`,
        'the loop only reads; the refresh also writes every score row',
      ],
    }),
  ];
  return { figures, refreshSamples, aggregateSamples };
}

const CHANGED_TUTORS = 100;
const CHANGES_PER_TUTOR = 10;

/**
 * Writes 1,000 sessions' worth of changes across 100 tutors (the `round`-th hundred, so each round changes other
 * tutors): 5 new sessions each (in the last 90 days) and 5 existing ones moved by a minute, in two statements, as
 * separate writers would leave them queued.
 */
export async function changeSessions(db: TqsDatabase, ids: string[], round: number): Promise<void> {
  const start = (round * CHANGED_TUTORS) % Math.max(1, ids.length - CHANGED_TUTORS);
  const chosen = ids.slice(start, start + CHANGED_TUTORS);
  const half = CHANGES_PER_TUTOR / 2;
  await db.execute(sql`
    insert into sessions (tutor_id, student_id, scheduled_time, status)
    select t.id, 'bench-' || g, ${BENCH_NOW.toISOString()}::timestamptz - interval '1 hour' * (g * 17 + ${round}), 'no_show'
    from unnest(${sql.param(chosen)}::uuid[]) t(id), generate_series(1, ${half}) g`);
  await db.execute(sql`
    update sessions set scheduled_time = scheduled_time + interval '1 minute'
    where id in (
      select s.id from unnest(${sql.param(chosen)}::uuid[]) t(id)
      cross join lateral (
        select s.id from sessions s
        where s.tutor_id = t.id and not exists (select 1 from reschedules r where r.session_id = s.id)
        order by s.scheduled_time desc limit ${half}
      ) s
    )`);
}

/**
 * The due refresh beside the full one, on the same database in the same run: after 1,000 changed sessions across
 * 100 tutors (target ≤ 5 % of a full refresh), and with nothing due (≤ 1 %: it must not read sessions to find out).
 */
async function dueFigures(
  backend: BenchBackend,
  scale: Scale,
  db: TqsDatabase,
  ids: string[],
  runs: Runs,
  refreshSamples: number[],
): Promise<Figure[]> {
  // Untimed: empty the queue (the load consumed its own changes; the timed full refreshes queue nothing).
  for (let i = 0; i < 100 && (await refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 })).more; i++);
  await db.execute(sql`analyze tutor_score_changes`);
  const dueSamples: number[] = [];
  const idleSamples: number[] = [];
  const changed = Math.min(CHANGED_TUTORS, ids.length);
  for (let i = 0; i < runs.score; i++) {
    await changeSessions(db, ids, i);
    await collectGarbageAndSettle();
    const due = await timed(() => refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 }));
    if (due.value.refreshed !== changed) {
      throw new Error(`refreshDueScores refreshed ${due.value.refreshed} tutors, expected ${changed}`);
    }
    dueSamples.push(due.ms);
    await collectGarbageAndSettle();
    const idle = await timed(() => refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 }));
    if (idle.value.refreshed !== 0) throw new Error(`refreshDueScores refreshed ${idle.value.refreshed} tutors with nothing due`);
    idleSamples.push(idle.ms);
    progress(
      `  score ${backend} ${scale.name} due run ${i + 1}/${runs.score}: ${changed} due tutors ${formatMs(due.ms)}, ` +
        `nothing due ${formatMs(idle.ms)}`,
    );
  }
  const changes = `${changed * CHANGES_PER_TUTOR} changed sessions across ${changed} tutors (half new, half moved by a minute)`;
  return [
    timeRatioFigure({
      figure: CHANGED_SESSIONS_FIGURE,
      backend,
      scale: scale.name,
      samples: dueSamples,
      floorSamples: refreshSamples,
      direction: 'median/floor',
      ratioMeaning: 'due refresh time / full refreshTutorScores time',
      // The targets are set for 1M sessions / 10k tutors: at smaller scales the fixed costs weigh more.
      ...(scale.name === 'large' ? { max: 0.05 } : {}),
      notes: [`refreshDueScores(db, { asOf }) after ${changes}; it refreshes exactly those tutors and consumes their changes`],
    }),
    timeRatioFigure({
      figure: 'score: refreshDueScores (nothing due) vs full refresh',
      backend,
      scale: scale.name,
      samples: idleSamples,
      floorSamples: refreshSamples,
      direction: 'median/floor',
      ratioMeaning: 'due refresh time with an empty queue and no score due by time / full refreshTutorScores time',
      ...(scale.name === 'large' ? { max: 0.01 } : {}),
      notes: ['one small query: the first row of the change queue and the next_change_at index, never sessions'],
    }),
  ];
}
