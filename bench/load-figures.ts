import { sql } from 'drizzle-orm';
import { type Dataset, insertDataset } from '../src';
import { blobsFor, copyLoad, serializeDataset } from './copy-floor';
import { drizzleSeedLoad, tableCounts } from './drizzle-seed-load';
import { absoluteFigure, type Figure, throughputFigure, timeRatioFigure } from './figure';
import { totalRows } from './generate-figure';
import { collectGarbage, formatMs, median, progress, timed } from './measure';
import type { BenchBackend, Runs, Scale } from './options';
import { openScratch, type ScratchDatabase, settle } from './scratch';

type Method = 'copy' | 'insert' | 'full' | 'nocapture' | 'norule';

async function expectCounts(scratch: ScratchDatabase, dataset: Dataset, what: string): Promise<void> {
  const counts = await tableCounts(scratch.db);
  const expected = {
    tutors: dataset.tutors.length,
    sessions: dataset.sessions.length,
    reschedules: dataset.reschedules.length,
    emailReports: dataset.emailReports.length,
  };
  for (const [table, n] of Object.entries(expected)) {
    if (counts[table] !== n) throw new Error(`${what} wrote ${counts[table]} ${table} rows, expected ${n}`);
  }
}

/** The floor of the capture figure: the same database with the score change capture triggers disabled (untimed). */
async function disableCapture(scratch: ScratchDatabase): Promise<void> {
  for (const [table, ops] of [
    ['tutors', ['insert']],
    ['sessions', ['insert', 'update', 'delete', 'truncate']],
    ['reschedules', ['insert', 'update', 'delete', 'truncate']],
  ] as const) {
    for (const op of ops) await scratch.db.execute(sql.raw(`alter table "${table}" disable trigger "${table}_capture_${op}"`));
  }
}

/**
 * The floor of the rule figure: the same database with the statement triggers of reschedule_status_rule disabled
 * (untimed). Nothing is noted then, so the check at commit never runs either.
 */
async function disableRule(scratch: ScratchDatabase): Promise<void> {
  for (const [table, ops] of [
    ['sessions', ['insert', 'update']],
    ['reschedules', ['insert', 'update', 'delete', 'truncate']],
  ] as const) {
    for (const op of ops) await scratch.db.execute(sql.raw(`alter table "${table}" disable trigger "${table}_reschedule_rule_${op}"`));
  }
}

/** A method's untimed preparation of its freshly migrated database. */
async function prepare(method: Method, scratch: ScratchDatabase): Promise<void> {
  if (method === 'nocapture') await disableCapture(scratch);
  if (method === 'norule') await disableRule(scratch);
}

export interface LoadResult {
  figures: Figure[];
  /** The database of the last full load (insertDataset with the score refresh), kept open for the score figures. */
  loaded: ScratchDatabase;
}

/**
 * The load figures of one backend and scale. Each run loads the dataset three ways, each into its own freshly
 * migrated database (in a rotating order, so that neither gains from going first): the COPY floor, insertDataset
 * with `refreshScores: false`, and insertDataset as called by default (with the refresh). drizzle-seed follows.
 */
export async function loadFigures(
  backend: BenchBackend,
  scale: Scale,
  dataset: Dataset,
  runs: Runs,
  url: string | undefined,
  generateMedianMs: number,
): Promise<LoadResult> {
  const rows = totalRows(dataset);
  progress(`  load ${backend} ${scale.name}: serializing ${rows.toLocaleString('en-US')} rows to COPY text (untimed)`);
  const tables = serializeDataset(dataset);
  const blobs = backend === 'pglite' ? blobsFor(tables) : undefined;
  const samples: Record<Method, number[]> = { copy: [], insert: [], full: [], nocapture: [], norule: [] };
  const methods: Method[] = ['copy', 'insert', 'full', 'nocapture', 'norule'];
  let loaded: ScratchDatabase | undefined;
  try {
    if (scale.name === 'small') {
      // One untimed round first: the first COPY of a process also pays for compiling its code paths (JIT, and
      // PGlite's WebAssembly), which at this scale would be a large part of whichever method ran first.
      for (const method of methods) {
        const scratch = await openScratch(backend, url);
        try {
          await prepare(method, scratch);
          if (method === 'copy') await copyLoad(scratch.db, tables, blobs);
          else await insertDataset(scratch.db, dataset, { refreshScores: method === 'full' });
        } finally {
          await scratch.close();
        }
      }
    }
    const rounds = Math.max(runs.load, runs.loadFull);
    for (let i = 0; i < rounds; i++) {
      // With fewer full loads than rounds, they run in the last rounds; the very last one is kept for the score figures.
      const wanted = methods.filter((m) => (m === 'full' ? i >= rounds - runs.loadFull : i < runs.load));
      const order = wanted.map((_, k) => wanted[(k + i) % wanted.length] as Method);
      for (const method of order) {
        const scratch = await openScratch(backend, url);
        let keep = false;
        try {
          await prepare(method, scratch);
          await settle(scratch);
          collectGarbage();
          const run = await timed(async () => {
            if (method === 'copy') await copyLoad(scratch.db, tables, blobs);
            else await insertDataset(scratch.db, dataset, { refreshScores: method === 'full' });
          });
          samples[method].push(run.ms);
          if (samples[method].length === 1) await expectCounts(scratch, dataset, method);
          progress(`  load ${backend} ${scale.name} round ${i + 1}/${rounds}: ${method} ${formatMs(run.ms)}`);
          if (method === 'full' && i === rounds - 1) {
            keep = true;
            loaded = scratch;
          }
        } finally {
          if (!keep) await scratch.close();
        }
      }
    }

    const seedSamples: number[] = [];
    for (let i = 0; i < runs.drizzleSeed; i++) {
      const scratch = await openScratch(backend, url);
      try {
        // drizzle-seed writes every session as completed and then reschedules for some of them, rows that
        // reschedule_status_rule refuses at commit: its database runs without the rule (less work on its side).
        await disableRule(scratch);
        await settle(scratch);
        collectGarbage();
        const ms = await drizzleSeedLoad(scratch.db, dataset);
        seedSamples.push(ms);
        if (i === 0) await expectCounts(scratch, dataset, 'drizzle-seed');
        progress(`  load ${backend} ${scale.name} drizzle-seed run ${i + 1}/${runs.drizzleSeed}: ${formatMs(ms)}`);
      } finally {
        await scratch.close();
      }
    }

    const volume = `${rows.toLocaleString('en-US')} rows in 4 tables, one transaction`;
    const figures: Figure[] = [
      throughputFigure({
        figure: 'load: insertDataset (no refresh) vs bare COPY',
        backend,
        scale: scale.name,
        samples: samples.insert,
        floorSamples: samples.copy,
        rows,
        floorLabel: 'bare COPY',
        // Issue 26: PGlite at 0.85 of its own COPY; PostgreSQL at 0.80.
        minShare: backend === 'pglite' ? 0.85 : 0.8,
        notes: [
          volume,
          'insertDataset(db, dataset, { refreshScores: false }) vs COPY text serialized before timing, one COPY per table',
        ],
      }),
      throughputFigure({
        figure: 'load: insertDataset with score change capture vs without',
        backend,
        scale: scale.name,
        samples: samples.insert,
        floorSamples: samples.nocapture,
        rows,
        floorLabel: 'the same load with the capture triggers disabled',
        minShare: 0.9,
        notes: [
          'insertDataset(db, dataset, { refreshScores: false }) as migrated (statement-level capture triggers on tutors, ' +
            'sessions, reschedules) vs into a database whose capture triggers are disabled (ALTER TABLE ... DISABLE TRIGGER)',
        ],
      }),
      throughputFigure({
        figure: 'load: insertDataset with the reschedule status rule vs without',
        backend,
        scale: scale.name,
        samples: samples.insert,
        floorSamples: samples.norule,
        rows,
        floorLabel: 'the same load with the rule triggers disabled',
        minShare: 0.9,
        notes: [
          'insertDataset(db, dataset, { refreshScores: false }) as migrated (statement-level triggers note the sessions ' +
            'that disagree, one check at commit) vs into a database whose rule triggers are disabled (ALTER TABLE ... DISABLE TRIGGER)',
          `${dataset.reschedules.length.toLocaleString('en-US')} rescheduled sessions noted by the sessions COPY and checked at commit`,
        ],
      }),
      absoluteFigure({
        figure: 'load: insertDataset (default, with score refresh) vs bare COPY',
        backend,
        scale: scale.name,
        samples: samples.full,
        floorSamples: samples.copy,
        rows,
        ...(backend === 'postgres' && scale.name === 'large' ? { maxMs: 30_000 } : {}),
        notes: [
          `${volume}, then refreshTutorScores in the same transaction`,
          `refresh share: ${formatMs(median(samples.full) - median(samples.insert))} of ${formatMs(median(samples.full))}`,
        ],
      }),
    ];
    if (seedSamples.length === 0) {
      if (!loaded) throw new Error('loadFigures: no full load was kept');
      return { figures, loaded };
    }
    figures.push(
      timeRatioFigure({
        figure: 'load: insertDataset (no refresh) vs drizzle-seed',
        backend,
        scale: scale.name,
        samples: samples.insert,
        floorSamples: seedSamples,
        direction: 'floor/median',
        ratioMeaning: 'drizzle-seed time / insertDataset time: how many times faster insertDataset writes the same volume',
        // Issue 26: 4x on PGlite (its bare COPY itself is 3.6-4.5x drizzle-seed), 5x on PostgreSQL.
        min: backend === 'pglite' ? 4 : 5,
        notes: [
          'drizzle-seed writes the same row counts with every column filled, into the same tables (see bench/drizzle-seed-load.ts)',
          'drizzle-seed time includes drizzle-seed drawing its values; insertDataset gets a dataset made beforehand',
        ],
      }),
      timeRatioFigure({
        figure: 'load: bare COPY (the floor) vs drizzle-seed',
        backend,
        scale: scale.name,
        samples: samples.copy,
        floorSamples: seedSamples,
        direction: 'floor/median',
        ratioMeaning: 'drizzle-seed time / bare COPY time: what COPY itself gains over drizzle-seed into these tables',
        notes: [
          'no target: the bound of the insertDataset vs drizzle-seed figure for a loader at the COPY floor (both pay the ' +
            'same per-row cost inside the database: CHECKs, foreign keys, five B-tree indexes)',
        ],
      }),
      timeRatioFigure({
        figure: 'load: generateDataset + insertDataset vs drizzle-seed',
        backend,
        scale: scale.name,
        samples: samples.insert.map((ms) => ms + generateMedianMs),
        floorSamples: seedSamples,
        direction: 'floor/median',
        ratioMeaning: 'drizzle-seed time / (generate median + insertDataset time): both sides make their values',
        notes: ['no target: the like-for-like view of the row above (values drawn and written on both sides)'],
      }),
    );
    if (!loaded) throw new Error('loadFigures: no full load was kept');
    return { figures, loaded };
  } catch (error) {
    await loaded?.close();
    throw error;
  }
}
