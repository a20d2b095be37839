import { createDatabase, generateDataset, insertDataset, migrate } from '../src';
import { createTestDatabase, TEST_NOW } from '../src/testing';
import { type Figure, timeRatioFigure } from './figure';
import { collectGarbage, formatMs, progress, timed } from './measure';
import type { Runs } from './options';

const FIXTURE = { tutors: 100, sessions: 3_000 } as const;

/**
 * createTestDatabase with a 3,000-session dataset, after its first build (which is timed and reported on its own),
 * against building the same database from scratch: createDatabase() + migrate() + insertDataset() of the same dataset
 * (generated beforehand and untimed, so the scratch side is its fastest; insertDataset with its default score
 * refresh, as createTestDatabase builds its snapshot). Closing is untimed on both sides.
 */
export async function fixtureFigure(runs: Runs): Promise<Figure> {
  const first = await timed(() => createTestDatabase({ dataset: { ...FIXTURE } }));
  await first.value.close();
  progress(`  fixtures pglite: first createTestDatabase (builds the snapshot) ${formatMs(first.ms)}`);

  const samples: number[] = [];
  for (let i = 0; i < runs.fixture; i++) {
    collectGarbage();
    const run = await timed(() => createTestDatabase({ dataset: { ...FIXTURE } }));
    samples.push(run.ms);
    await run.value.close();
  }
  progress(`  fixtures pglite: ${runs.fixture} createTestDatabase calls timed`);

  const dataset = generateDataset({ ...FIXTURE, now: TEST_NOW });
  const scratchSamples: number[] = [];
  for (let i = 0; i < runs.fixtureScratch; i++) {
    collectGarbage();
    const run = await timed(async () => {
      const db = await createDatabase();
      await migrate(db);
      await insertDataset(db, dataset);
      return db;
    });
    scratchSamples.push(run.ms);
    await run.value.close();
    progress(`  fixtures pglite scratch run ${i + 1}/${runs.fixtureScratch}: ${formatMs(run.ms)}`);
  }

  return timeRatioFigure({
    figure: 'fixtures: createTestDatabase vs create + migrate + insert',
    backend: 'pglite',
    scale: 'small',
    samples,
    floorSamples: scratchSamples,
    direction: 'median/floor',
    ratioMeaning: 'createTestDatabase time / scratch build time (lower is better)',
    max: 0.3,
    maxMedianMs: 500,
    notes: [
      `first call (snapshot build): ${formatMs(first.ms)}`,
      'createTestDatabase({ dataset: { tutors: 100, sessions: 3000 } }) after its first build, vs createDatabase() + ' +
        'migrate() + insertDataset() of the same dataset generated beforehand',
    ],
  });
}
