import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMigrationsFolder } from '../src';
import type { Figure } from './figure';
import { formatMs, median, progress } from './measure';
import { runTimed, type TimedRun } from './timed-process';

/*
 * A new PGlite data directory and a first test database, each in a process of its own under GNU time (wall time,
 * CPU time and peak RSS), with the built package (dist/): `tqs-data generate` with defaults into a new --data-dir,
 * `report` on it, `createDatabase({ dataDir })` + `migrate()` on a new folder, and the first createTestDatabase() of a
 * process for a consumer's migrations folder and for a dataset. Targets are absolute (issue 26 items 3 and 4): a wall
 * time on a quiet machine and a peak RSS; the CPU time (user + system) is noted beside, since on a busy machine the
 * wall time mostly measures the wait for a core.
 */

const MiB = 1024 * 1024;
const CLI = 'dist/cli.js';

/** User + system CPU seconds GNU time printed, in ms. */
function cpuMs(run: TimedRun): number {
  const user = /User time \(seconds\): ([\d.]+)/.exec(run.stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(run.stderr);
  return (Number(user?.[1] ?? Number.NaN) + Number(system?.[1] ?? Number.NaN)) * 1000;
}

function checked(what: string, run: TimedRun): TimedRun {
  if (run.code !== 0) throw new Error(`data dir: ${what} exited with ${run.code}: ${run.stderr.slice(-1500)}`);
  return run;
}

interface Absolute {
  figure: string;
  scale: string;
  samples: number[];
  unit: 'ms' | 'MiB';
  max: number;
  notes: string[];
}

/** A figure with an absolute bound on its median (the floor column shows the bound). */
function absolute(input: Absolute): Figure {
  const m = median(input.samples);
  const show = (v: number) => (input.unit === 'ms' ? formatMs(v) : `${Math.round(v)} MiB`);
  return {
    figure: input.figure,
    backend: 'pglite',
    scale: input.scale,
    median: m,
    floor: input.max,
    ratio: m / input.max,
    ratioMeaning: `median / the bound (${show(input.max)}); below 1 meets it`,
    display: { median: show(m), floor: `bound ${show(input.max)}`, ratio: (m / input.max).toFixed(2) },
    target: `< ${show(input.max)}`,
    met: m < input.max,
    samples: input.samples,
    floorSamples: [input.max],
    notes: input.notes,
  };
}

/** A consumer's drizzle folder: the package's migrations and one of its own. */
function consumerFolder(root: string): string {
  const folder = join(root, 'consumer-drizzle');
  const source = defaultMigrationsFolder();
  mkdirSync(join(folder, 'meta'), { recursive: true });
  const journal = JSON.parse(readFileSync(join(source, 'meta', '_journal.json'), 'utf8')) as {
    entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
  };
  for (const { tag } of journal.entries) {
    for (const suffix of ['.sql', '.down.sql']) copyFileSync(join(source, `${tag}${suffix}`), join(folder, `${tag}${suffix}`));
  }
  const last = journal.entries.at(-1) as { idx: number; when: number };
  const tag = `${String(last.idx + 1).padStart(4, '0')}_consumer_notes`;
  writeFileSync(join(folder, `${tag}.sql`), 'create table "consumer_notes" ("id" integer primary key, "body" text not null);\n');
  writeFileSync(join(folder, `${tag}.down.sql`), 'drop table "consumer_notes";\n');
  journal.entries.push({ idx: last.idx + 1, version: '7', when: last.when + 1000, tag, breakpoints: true });
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
  return folder;
}

interface Series {
  wall: number[];
  /** The call's own time, when the child prints it (`{"ms": ...}`). */
  call: number[];
  cpu: number[];
  rss: number[];
}

async function series(runs: number, what: string, args: (i: number) => string[]): Promise<Series> {
  const out: Series = { wall: [], call: [], cpu: [], rss: [] };
  for (let i = 0; i < runs; i++) {
    const run = checked(what, await runTimed(args(i)));
    out.wall.push(run.wallMs);
    const printed = /"ms":([\d.]+)/.exec(run.stdout);
    if (printed) out.call.push(Number(printed[1]));
    out.cpu.push(cpuMs(run));
    out.rss.push((run.maxRssBytes ?? Number.NaN) / MiB);
  }
  progress(`  data dir: ${what}: median ${formatMs(median(out.wall))} wall, ${formatMs(median(out.cpu))} CPU, ${Math.round(median(out.rss))} MiB peak`);
  return out;
}

const cpuNote = (s: Series) => `CPU (user + system) median ${formatMs(median(s.cpu))}; wall ${s.wall.map((v) => formatMs(v)).join(', ')}`;

/** The rows of issue 26 items 3 and 4: a new data directory and a first test database. */
export async function dataDirFigures(runs: number): Promise<Figure[]> {
  const root = mkdtempSync(join(tmpdir(), 'tqs-bench-data-dir-'));
  try {
    const dir = (i: number) => join(root, `generate-${i}`);
    const generate = await series(runs, 'generate (defaults) into a new --data-dir', (i) => [CLI, 'generate', '--data-dir', dir(i)]);
    const report = await series(runs, 'report on that data dir', (i) => [CLI, 'report', '--data-dir', dir(i)]);
    const create = await series(runs, 'createDatabase({ dataDir }) + migrate() on a new folder', (i) => [
      'bench/support/new-data-dir.mjs',
      join(root, `create-${i}`),
    ]);
    const folder = consumerFolder(root);
    const consumer = await series(runs, 'first createTestDatabase({ migrationsFolder }) of a process', () => [
      'bench/support/first-test-database.mjs',
      JSON.stringify({ migrationsFolder: folder }),
    ]);
    const dataset = await series(runs, 'first createTestDatabase({ dataset }) of a process', (i) => [
      'bench/support/first-test-database.mjs',
      JSON.stringify({ dataset: { tutors: 100, sessions: 3000, seed: 1000 + i } }),
    ]);
    const lean = ['--liftoff-only', 'bench/support/first-test-database.mjs'];
    const consumerLean = await series(runs, 'the same with node --liftoff-only', () => [...lean, JSON.stringify({ migrationsFolder: folder })]);
    const datasetLean = await series(runs, 'first createTestDatabase({ dataset }) with node --liftoff-only', (i) => [
      ...lean,
      JSON.stringify({ dataset: { tutors: 100, sessions: 3000, seed: 2000 + i } }),
    ]);
    const figure = (name: string, s: Series, unit: 'ms' | 'MiB', max: number, notes: string[] = []) => {
      const samples = unit === 'MiB' ? s.rss : s.call.length > 0 ? s.call : s.wall;
      return absolute({ figure: name, scale: 'new', samples, unit, max, notes: [cpuNote(s), ...notes] });
    };
    return [
      figure('new data dir: tqs-data generate (defaults), wall', generate, 'ms', 1000, ['target on a quiet machine']),
      figure('new data dir: tqs-data generate (defaults), peak RSS', generate, 'MiB', 300),
      figure('new data dir: tqs-data report, peak RSS', report, 'MiB', 200),
      figure('new data dir: createDatabase + migrate, wall', create, 'ms', 1000, ['target on a quiet machine']),
      figure('new data dir: createDatabase + migrate, peak RSS', create, 'MiB', 300),
      figure('first createTestDatabase: consumer migrations, wall', consumer, 'ms', 2000, [
        'the package snapshot plus the consumer migration (no initdb); the call alone, target on a quiet machine',
      ]),
      figure('first createTestDatabase: new dataset, wall', dataset, 'ms', 2000, [
        '{ tutors: 100, sessions: 3000 }, generated while PGlite starts; the call alone, target on a quiet machine',
      ]),
      figure('first createTestDatabase: consumer migrations, node --liftoff-only', consumerLean, 'ms', 2000, [
        'V8 baseline wasm compiler only (as the CLI runs): no TurboFan compile of PGlite in the background',
      ]),
      figure('first createTestDatabase: new dataset, node --liftoff-only', datasetLean, 'ms', 2000),
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
