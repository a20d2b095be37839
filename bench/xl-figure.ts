import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDatasetStream } from '../src';
import { copyLoadFiles, serializeStreamToFiles } from './copy-floor';
import { type Figure, throughputFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { xlRefreshFigures } from './growth-figures';
import { collectGarbage, formatMs, formatRate, progress, timed } from './measure';
import type { Scale } from './options';
import { openScratch, settle } from './scratch';
import { runTimed } from './timed-process';

/*
 * The xl scale (50,000 tutors, 10,000,000 sessions): too large to hold in memory, so it is measured as a user runs it,
 * `tqs-data generate --database-url ...` in a process of its own (generateDatasetStream feeding insertDatasetStream),
 * against the bare COPY floor of the same rows in the same run: the rows serialized to COPY text files first
 * (untimed), then four COPY statements in one transaction fed from those files, into a freshly migrated database.
 * Peak RSS comes from `/usr/bin/time -v` around the CLI process.
 */

const RSS_LIMIT_BYTES = 1.5 * 1024 ** 3;

interface CliRun {
  wallMs: number;
  loadMs: number;
  generateMs: number;
  rows: { tutors: number; sessions: number; reschedules: number; emailReports: number };
  maxRssBytes: number | undefined;
}

/** Runs the CLI's generate into `url`, its progress lines passed through to stderr. */
async function runGenerate(scale: Scale, url: string): Promise<CliRun> {
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'generate',
    '--tutors',
    String(scale.tutors),
    '--sessions',
    String(scale.sessions),
    '--seed',
    '42',
    '--now',
    BENCH_NOW.toISOString(),
    '--database-url',
    url,
    '--json',
  ];
  const { code, stdout, stderr, wallMs, maxRssBytes } = await runTimed(args, (text) => {
    for (const line of text.split('\n')) if (/^(tutors|sessions|reschedules|email_reports|scored|applied)/.test(line)) progress(`  xl cli: ${line}`);
  });
  // 1: loaded and reported, but an integrity check of the report failed (printed on stderr); the figures stand.
  if (code !== 0 && (code !== 1 || !stdout.trim().startsWith('{'))) {
    const said = stderr.split('\n').filter((l) => l.startsWith('tqs-data')).join(' ');
    throw new Error(`xl: tqs-data generate exited with ${code}: ${said || stderr.slice(-2000)}`);
  }
  const summary = JSON.parse(stdout) as { generated: { elapsedMs: number }; load: { rows: CliRun['rows']; elapsedMs: number } };
  return {
    wallMs,
    loadMs: summary.load.elapsedMs,
    generateMs: summary.generated.elapsedMs,
    rows: summary.load.rows,
    maxRssBytes,
  };
}

/** The xl figures: the CLI's streaming generate + load vs bare COPY of the same rows, time, rows/s and peak RSS. */
export async function xlFigures(scale: Scale, url: string): Promise<Figure[]> {
  const options = { tutors: scale.tutors, sessions: scale.sessions, seed: 42, now: BENCH_NOW };
  const dir = mkdtempSync(join(tmpdir(), 'tqs-bench-xl-'));
  try {
    progress(`  xl: serializing ${scale.sessions.toLocaleString('en-US')} sessions and their rows to COPY text files (untimed)`);
    const files = serializeStreamToFiles(generateDatasetStream(options), dir);
    const rows = files.reduce((sum, f) => sum + f.rows, 0);
    const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
    progress(`  xl: ${rows.toLocaleString('en-US')} rows, ${(bytes / 1024 ** 3).toFixed(2)} GB of COPY text`);

    const floorDb = await openScratch('postgres', url);
    let floorMs: number;
    try {
      await settle(floorDb);
      collectGarbage();
      floorMs = (await timed(() => copyLoadFiles(floorDb.db, files))).ms;
    } finally {
      await floorDb.close();
    }
    progress(`  xl: bare COPY ${formatMs(floorMs)} (${formatRate((rows * 1000) / floorMs)})`);
    rmSync(dir, { recursive: true, force: true });

    const target = await openScratch('postgres', url);
    let run: CliRun;
    let refreshes: Figure[];
    try {
      await settle(target);
      if (target.url === undefined) throw new Error('xl: the scratch database has no URL');
      run = await runGenerate(scale, target.url);
      // The full and the due refresh at 10M sessions, for the growth figures (bench/growth-figures.ts).
      refreshes = await xlRefreshFigures(target.db, 2);
    } finally {
      await target.close();
    }
    const loaded = run.rows.tutors + run.rows.sessions + run.rows.reschedules + run.rows.emailReports;
    if (loaded !== rows) throw new Error(`xl: the CLI loaded ${loaded} rows, the floor ${rows}`);
    const rss = run.maxRssBytes === undefined ? 'unknown (no /usr/bin/time)' : `${(run.maxRssBytes / 1024 ** 2).toFixed(0)} MB`;
    const figures: Figure[] = [
      throughputFigure({
        figure: 'xl: tqs-data generate (streamed) load vs bare COPY',
        backend: 'postgres',
        scale: scale.name,
        samples: [run.loadMs],
        floorSamples: [floorMs],
        rows,
        floorLabel: 'bare COPY (from files serialized beforehand)',
        minShare: 0.8,
        notes: [
          `${rows.toLocaleString('en-US')} rows in 4 tables (${scale.tutors.toLocaleString('en-US')} tutors, ` +
            `${scale.sessions.toLocaleString('en-US')} sessions), one transaction; the CLI's load time includes generating ` +
            `the rows as they go (${formatMs(run.generateMs)} inside the generator) and the score refresh`,
          `whole command (start, migrate check, generate + load + refresh, quality report): ${formatMs(run.wallMs)}`,
          `peak RSS of the CLI process: ${rss} (target < 1.5 GB${run.maxRssBytes === undefined ? '' : run.maxRssBytes < RSS_LIMIT_BYTES ? ': met' : ': NOT met'})`,
        ],
      }),
    ];
    if (run.maxRssBytes !== undefined) {
      const rssMb = run.maxRssBytes / 1024 ** 2;
      figures.push({
        figure: 'xl: tqs-data generate peak RSS',
        backend: 'postgres',
        scale: scale.name,
        median: rssMb,
        floor: RSS_LIMIT_BYTES / 1024 ** 2,
        ratio: run.maxRssBytes / RSS_LIMIT_BYTES,
        ratioMeaning: 'peak RSS / 1.5 GB (median and floor in MB, not ms)',
        display: { median: `${rssMb.toFixed(0)} MB`, floor: '1536 MB', ratio: (run.maxRssBytes / RSS_LIMIT_BYTES).toFixed(2) },
        target: '< 1.5 GB',
        met: run.maxRssBytes < RSS_LIMIT_BYTES,
        samples: [rssMb],
        floorSamples: [RSS_LIMIT_BYTES / 1024 ** 2],
        notes: [`/usr/bin/time -v around the CLI process (Maximum resident set size); whole command ${formatMs(run.wallMs)}`],
      });
    }
    return [...figures, ...refreshes];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
