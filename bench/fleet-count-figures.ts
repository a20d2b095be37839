import { sql } from 'drizzle-orm';
import { type Dataset, ingestSessions, insertDataset } from '../src';
import { type Figure, timeRatioFigure } from './figure';
import { payloadStream } from './ingest-figure';
import { collectGarbageAndSettle, formatMs, progress, timed } from './measure';
import type { BenchBackend, Scale } from './options';
import { openScratch, type ScratchDatabase } from './scratch';

/** Loads (and ingests) timed per side: the loads take seconds each at the medium scale. */
const RUNS_PER_SIDE = 2;
/** Payloads per timed ingest. */
const INGEST_PAYLOADS = 2_000;

/** Turns the fleet_counts triggers of sessions and reschedules on or off (untimed). */
async function setCountTriggers(scratch: ScratchDatabase, on: boolean): Promise<void> {
  const verb = on ? 'enable' : 'disable';
  for (const table of ['sessions', 'reschedules']) {
    const triggers = ['insert', 'update', 'delete', 'truncate'].map((op) => `${verb} trigger "${table}_count_${op}"`).join(', ');
    await scratch.db.execute(sql.raw(`alter table "${table}" ${triggers}`));
  }
}

/**
 * What keeping fleet_counts costs the writers, side by side in the same run: `insertDataset` (one COPY a table, each
 * a statement whose triggers sum its whole transition table) into a fresh database with the counting triggers and
 * without them, alternately; then `ingestSessions` of a stream of bookings and outcomes into the same loaded
 * database with and without them, alternately. The ratio is the time with the triggers over the time without.
 */
export async function fleetCountCostFigures(backend: BenchBackend, scale: Scale, dataset: Dataset, url: string | undefined): Promise<Figure[]> {
  const load = { on: [] as number[], off: [] as number[] };
  let kept: ScratchDatabase | undefined;
  try {
    if (backend === 'pglite') {
      // One untimed load first: PGlite's first COPY in a process also compiles its code paths.
      kept = await openScratch(backend, url);
      await insertDataset(kept.db, dataset, { refreshScores: false });
    }
    for (let i = 0; i < 2 * RUNS_PER_SIDE; i++) {
      const on = i % 2 === (i >> 1) % 2; // on, off, off, on: neither side always first
      const scratch = await openScratch(backend, url);
      await setCountTriggers(scratch, on);
      await collectGarbageAndSettle();
      const run = await timed(() => insertDataset(scratch.db, dataset, { refreshScores: false }));
      load[on ? 'on' : 'off'].push(run.ms);
      progress(`  fleet counts ${backend} ${scale.name} load ${i + 1}/${2 * RUNS_PER_SIDE} (counting ${on ? 'on' : 'off'}): ${formatMs(run.ms)}`);
      if (kept) await kept.close();
      kept = scratch;
    }
    const ingest = { on: [] as number[], off: [] as number[] };
    // One untimed ingest first: the first after a load also pays for plans, caches and the load's dead rows.
    await ingestSessions(kept!.db, payloadStream(dataset, INGEST_PAYLOADS, 6999));
    for (let i = 0; i < 2 * RUNS_PER_SIDE; i++) {
      const on = i % 2 === (i >> 1) % 2;
      await setCountTriggers(kept!, on);
      const payloads = payloadStream(dataset, INGEST_PAYLOADS, 7000 + i);
      await collectGarbageAndSettle();
      const run = await timed(() => ingestSessions(kept!.db, payloads));
      ingest[on ? 'on' : 'off'].push(run.ms);
      progress(`  fleet counts ${backend} ${scale.name} ingest ${i + 1}/${2 * RUNS_PER_SIDE} (counting ${on ? 'on' : 'off'}): ${formatMs(run.ms)}`);
    }
    const figure = (name: string, samples: { on: number[]; off: number[] }, meaning: string) =>
      timeRatioFigure({ figure: name, backend, scale: scale.name, samples: samples.on, floorSamples: samples.off, direction: 'median/floor', ratioMeaning: meaning });
    return [
      figure('fleet counts: insertDataset with the counting triggers vs without', load, 'insertDataset (no refresh) with the fleet_counts triggers / without them'),
      figure(`fleet counts: ingestSessions (${INGEST_PAYLOADS.toLocaleString('en-US')} payloads) with the counting triggers vs without`, ingest, 'ingestSessions with the fleet_counts triggers / without them, same database'),
    ];
  } finally {
    await kept?.close();
  }
}
