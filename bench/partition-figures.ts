import { sql } from 'drizzle-orm';
import {
  archiveHistory,
  type Dataset,
  generateDataset,
  insertDataset,
  queryRows,
  refreshDueScores,
  refreshTutorScores,
  restoreHistory,
  rollback,
  type TqsDatabase,
} from '../src';
import { monthStart } from '../src/db/utc-month';
import { type Figure, timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { collectGarbageAndSettle, formatMs, progress, timed } from './measure';
import type { BenchBackend, Scale } from './options';
import { queueChanges } from './recording-figures';
import { openScratch } from './scratch';

/** The history the issue states the partitioned layout's speed over: 24 months. */
export const PARTITION_DAYS = 730;
/** Tutors made due before each timed due refresh. */
const DUE_TUTORS = 100;
const DUE_PAIRS = 21;
const FULL_PAIRS = 5;
const LOAD_PAIRS = 3;
const ARCHIVE_PAIRS = 3;

type Layout = 'partitioned' | 'single';

/**
 * Partitioned `sessions` (migration 0015) against the single table (the same database rolled back one migration),
 * side by side in one run: two scratch databases loaded with the same dataset (`scale`, over 24 months), then
 * alternately (the order rotating) the load again (`insertDataset` with `clearExisting`: the months are there, as in
 * a service), the full refresh and the due refresh of 100 tutors. Each refresh moves every score it writes.
 */
export async function partitionFigures(backend: BenchBackend, scale: Scale, postgresUrl: string | undefined): Promise<Figure[]> {
  progress(`partitions ${backend} ${scale.name}: generating ${scale.sessions.toLocaleString('en-US')} sessions over ${PARTITION_DAYS} days`);
  const dataset = generateDataset({ tutors: scale.tutors, sessions: scale.sessions, days: PARTITION_DAYS, seed: 42, now: BENCH_NOW });
  const partitioned = await openScratch(backend, postgresUrl);
  try {
    const single = await openScratch(backend, postgresUrl);
    try {
      await rollback(single.db, { to: '0014_score_history_one_index' });
      const dbs: Record<Layout, TqsDatabase> = { partitioned: partitioned.db, single: single.db };
      const samples = await timeLayouts(dbs, dataset, `${backend} ${scale.name}`);
      const [parts] = await queryRows<{ n: number }>(
        partitioned.db,
        sql`select count(*)::int as n from pg_inherits where inhparent = 'sessions'::regclass`,
      );
      const note = `${parts?.n ?? 0} partitions (months and the default one)`;
      return figureRows(backend, scale, samples, note);
    } finally {
      await single.close();
    }
  } finally {
    await partitioned.close();
  }
}

/** `archiveRows`: the partitioned layout's detach as `partitioned`, its own row moves as `single` (the floor). */
type Samples = Record<'load' | 'full' | 'due' | 'archive' | 'archiveRows', Record<Layout, number[]>>;

async function timeLayouts(dbs: Record<Layout, TqsDatabase>, dataset: Dataset, label: string): Promise<Samples> {
  const samples: Samples = {
    load: { partitioned: [], single: [] },
    full: { partitioned: [], single: [] },
    due: { partitioned: [], single: [] },
    archive: { partitioned: [], single: [] },
    archiveRows: { partitioned: [], single: [] },
  };
  const thresholds: Record<Layout, number> = { partitioned: 15, single: 15 };
  const next = (layout: Layout) => (thresholds[layout] = thresholds[layout] === 15 ? 16 : 15);
  for (const [layout, db] of Object.entries(dbs) as [Layout, TqsDatabase][]) {
    progress(`  partitions ${label} ${layout}: first load (untimed)`);
    await insertDataset(db, dataset);
    await db.execute(sql`vacuum analyze`);
  }
  const ids = (await queryRows<{ id: string }>(dbs.single, sql`select id::text from tutors order by id`)).map((r) => r.id);
  for (let i = 0; i < LOAD_PAIRS; i++) {
    for (const layout of i % 2 ? (['single', 'partitioned'] as const) : (['partitioned', 'single'] as const)) {
      await collectGarbageAndSettle();
      const ms = (await timed(() => insertDataset(dbs[layout], dataset, { clearExisting: true, refreshScores: false }))).ms;
      samples.load[layout].push(ms);
      progress(`  partitions ${label} ${layout} load ${i + 1}: ${formatMs(ms)}`);
    }
  }
  for (const db of Object.values(dbs)) {
    await db.execute(sql`vacuum analyze`);
    await refreshTutorScores(db, { asOf: BENCH_NOW });
    for (let i = 0; i < 100 && (await refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 })).more; i++);
  }
  for (let i = 0; i < Math.max(FULL_PAIRS, DUE_PAIRS); i++) {
    for (const layout of i % 2 ? (['single', 'partitioned'] as const) : (['partitioned', 'single'] as const)) {
      const db = dbs[layout];
      if (i < FULL_PAIRS) {
        await collectGarbageAndSettle();
        samples.full[layout].push((await timed(() => refreshTutorScores(db, { asOf: BENCH_NOW, threshold: next(layout) }))).ms);
      }
      await queueChanges(db, ids.slice((i * DUE_TUTORS) % ids.length).slice(0, DUE_TUTORS));
      await collectGarbageAndSettle();
      samples.due[layout].push((await timed(() => refreshDueScores(db, { asOf: BENCH_NOW, threshold: next(layout), limit: 100_000 }))).ms);
      next(layout);
    }
    progress(`  partitions ${label} refresh pair ${i + 1}`);
  }
  await timeArchive(dbs, samples, label);
  return samples;
}

/**
 * Archiving the dataset's second month (its first, often partial, archived before, untimed): on the partitioned
 * layout by detaching the month's partition (archiveHistory with the cutoff on the month's end), on the single table
 * by moving its rows (archiveHistory as it was before 0016, 5,000 sessions a batch); each restored, untimed, before
 * the next pair. The partitioned layout also moves the same month's rows (`wholeMonths: false`) after each detach,
 * for the second figure. The restores' times are shown in the progress lines.
 */
async function timeArchive(dbs: Record<Layout, TqsDatabase>, samples: Samples, label: string): Promise<void> {
  const [first] = await queryRows<{ at: string }>(dbs.single, sql`select min(scheduled_time)::text as at from sessions`);
  const start = new Date(first!.at);
  const firstEnd = monthStart(start, 1);
  const secondEnd = monthStart(start, 2);
  for (const db of Object.values(dbs)) await archiveHistory(db, { before: firstEnd });
  for (let i = 0; i < ARCHIVE_PAIRS; i++) {
    for (const layout of i % 2 ? (['single', 'partitioned'] as const) : (['partitioned', 'single'] as const)) {
      const db = dbs[layout];
      await collectGarbageAndSettle();
      const archived = await timed(() => archiveHistory(db, { before: secondEnd }));
      samples.archive[layout].push(archived.ms);
      const restored = await timed(() => restoreHistory(db, { from: firstEnd }));
      progress(
        `  partitions ${label} ${layout} archive of ${archived.value.sessions.toLocaleString('en-US')} sessions` +
          ` (${archived.value.months} whole months): ${formatMs(archived.ms)}, restore ${formatMs(restored.ms)} (${restored.value.months} whole months)`,
      );
      if (layout === 'partitioned') {
        samples.archiveRows.partitioned.push(archived.ms);
        await collectGarbageAndSettle();
        const rows = await timed(() => archiveHistory(db, { before: secondEnd, wholeMonths: false }));
        samples.archiveRows.single.push(rows.ms);
        const back = await timed(() => restoreHistory(db, { from: firstEnd, wholeMonths: false }));
        progress(`  partitions ${label} partitioned rows moved: ${formatMs(rows.ms)}, restored by rows ${formatMs(back.ms)}`);
      }
    }
  }
}

/** The targets are stated for PostgreSQL at 1M sessions over 24 months; elsewhere the rows are shown without them. */
function figureRows(backend: BenchBackend, scale: Scale, samples: Samples, note: string): Figure[] {
  const targeted = backend === 'postgres' && scale.name === 'large';
  const row = (figure: string, key: keyof Samples, meaning: string, target: { min?: number; max?: number }, direction: 'median/floor' | 'floor/median') =>
    timeRatioFigure({
      figure,
      backend,
      scale: scale.name,
      samples: samples[key].partitioned,
      floorSamples: samples[key].single,
      direction,
      ratioMeaning: meaning,
      notes: [note],
      ...(targeted ? target : {}),
    });
  return [
    row('partitions: load, partitioned vs single table', 'load', 'single-table time / partitioned time (share of the single table throughput)', { min: 0.95 }, 'floor/median'),
    row('partitions: full refresh, partitioned vs single table', 'full', 'partitioned time / single-table time', { max: 1.0 }, 'median/floor'),
    row(`partitions: due refresh (${DUE_TUTORS} tutors), partitioned vs single table`, 'due', 'partitioned time / single-table time', { max: 1.0 }, 'median/floor'),
    row(
      'partitions: archive one month, detached vs its rows moved',
      'archive',
      'single-table row move time / partitioned detach time (how many times faster)',
      { min: 50 },
      'floor/median',
    ),
    row(
      'partitions: archive one month, detached vs its rows moved, both partitioned',
      'archiveRows',
      'partitioned row move time / partitioned detach time (how many times faster)',
      {},
      'floor/median',
    ),
  ];
}
