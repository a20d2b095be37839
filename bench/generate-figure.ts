import { type Dataset, generateDataset } from '../src';
import { type Figure, throughputFigure } from './figure';
import { collectGarbage, formatMs, progress, timed } from './measure';
import type { Scale } from './options';

/** The reference time of every bench dataset, so that runs are comparable. */
export const BENCH_NOW = new Date('2026-01-15T12:00:00.000Z');

export const datasetOptions = (scale: Scale) => ({
  tutors: scale.tutors,
  sessions: scale.sessions,
  seed: 42,
  now: BENCH_NOW,
});

export const totalRows = (d: Dataset) => d.tutors.length + d.sessions.length + d.reschedules.length + d.emailReports.length;

/*
 * The floor of the generate figure: materializing the same rows with no logic at all, i.e. a copy of every row
 * object of the dataset (same keys, strings shared, a new Date per timestamp). What generateDataset costs above it is
 * its drawing of values: the PRNG, calendars, Faker names, the tier arithmetic.
 */
function copyRows(d: Dataset): number {
  let n = 0;
  for (const rows of [d.tutors, d.sessions, d.reschedules, d.emailReports] as readonly Record<string, unknown>[][]) {
    const copy = new Array<Record<string, unknown>>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key in row) {
        const value = row[key];
        out[key] = value instanceof Date ? new Date(value.getTime()) : value;
      }
      copy[i] = out;
    }
    n += copy.length;
  }
  return n;
}

/** Times generateDataset at one scale; returns the figure and the last dataset made (for the load figures). */
export async function generateFigure(scale: Scale, runs: number): Promise<{ figure: Figure; dataset: Dataset }> {
  const samples: number[] = [];
  const floorSamples: number[] = [];
  let dataset: Dataset | undefined;
  for (let i = 0; i < runs; i++) {
    dataset = undefined;
    collectGarbage();
    const run = await timed(() => generateDataset(datasetOptions(scale)));
    dataset = run.value;
    samples.push(run.ms);
    collectGarbage();
    const floor = await timed(() => copyRows(run.value));
    floorSamples.push(floor.ms);
    progress(`  generate ${scale.name} run ${i + 1}/${runs}: ${formatMs(run.ms)} (copy floor ${formatMs(floor.ms)})`);
  }
  if (!dataset) throw new Error('generateFigure: runs must be at least 1');
  const rows = totalRows(dataset);
  const figure = throughputFigure({
    figure: 'generate: generateDataset rows/s vs copying the rows',
    backend: 'node',
    scale: scale.name,
    samples,
    floorSamples,
    rows,
    floorLabel: 'a plain row copy',
    notes: [
      `${rows.toLocaleString('en-US')} rows (tutors ${dataset.tutors.length}, sessions ${dataset.sessions.length}, ` +
        `reschedules ${dataset.reschedules.length}, email_reports ${dataset.emailReports.length})`,
      'floor: copying every row object of the dataset (no logic), so the ratio is the share of raw allocation speed',
    ],
  });
  return { figure, dataset };
}
