import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDatasetStream } from '../src';
import { type SerializedFile, serializeStreamToFiles } from './copy-floor';
import { type Figure, timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { checkBuilt } from './import-figures';
import { formatMs, median, progress } from './measure';
import type { Scale } from './options';
import { openScratch, settle } from './scratch';
import { runTimed } from './timed-process';

/*
 * `tqs-data generate --database-url` as a user runs it (the built dist/cli.js, a process of its own under GNU time)
 * against `psql` loading the same rows from COPY text files written beforehand (untimed): four `\copy ... from
 * 'file'` in one transaction (`psql -1`). Both sides load into a freshly migrated scratch database with every trigger
 * on, alternately, after a CHECKPOINT. The CLI's wall time is its whole command: start, migration check, generating
 * and loading the rows as they are made, the score refresh in the same transaction, and the quality report.
 */

/** Peak RSS target of the CLI at the large scale. */
const RSS_LIMIT_MIB = 200;
/** Wall time target: the CLI within 1.1x of psql \copy. */
const MAX_RATIO = 1.1;

/** The psql script: the four files, in load order, in one transaction (`-1`). */
function psqlScript(files: SerializedFile[], dir: string): string {
  const lines = files
    .filter((file) => file.rows > 0)
    // `copy "t" ("a", "b") from` -> `\copy "t" ("a", "b") from '/path'` (psql reads the file, the server gets stdin).
    .map((file) => `\\${file.statement} '${file.path.replace(/'/g, "''")}'`);
  const path = join(dir, 'load.sql');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Runs psql on `url` with the script; resolves with its wall time. */
async function runPsql(url: string, script: string): Promise<number> {
  const started = performance.now();
  const child = spawn('psql', ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-f', script, url], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`generate cli: psql exited with ${code}: ${stderr.slice(-2000)}`);
  return performance.now() - started;
}

/** One run of the CLI into `url`: its wall time and peak RSS, and the rows it reports loading. */
async function runCli(scale: Scale, url: string): Promise<{ wallMs: number; rssMiB: number; loadMs: number; rows: number }> {
  const args = ['dist/cli.js', 'generate', '--tutors', String(scale.tutors), '--sessions', String(scale.sessions)];
  args.push('--seed', '42', '--now', BENCH_NOW.toISOString(), '--database-url', url, '--json');
  const run = await runTimed(args);
  // 1: loaded and reported, but an integrity check of the report failed (printed on stderr); the figures stand.
  if (run.code !== 0 && (run.code !== 1 || !run.stdout.trim().startsWith('{'))) {
    throw new Error(`generate cli: tqs-data generate exited with ${run.code}: ${run.stderr.slice(-2000)}`);
  }
  if (run.maxRssBytes === undefined) throw new Error('generate cli: /usr/bin/time is needed for the peak RSS');
  const summary = JSON.parse(run.stdout) as { load: { rows: Record<string, number>; elapsedMs: number } };
  const rows = Object.values(summary.load.rows).reduce((sum, n) => sum + n, 0);
  return { wallMs: run.wallMs, rssMiB: run.maxRssBytes / 1024 ** 2, loadMs: summary.load.elapsedMs, rows };
}

/** Opens a migrated scratch database, checkpoints, runs `work` on its URL and drops it. */
async function inScratch<T>(url: string, work: (scratchUrl: string) => Promise<T>): Promise<T> {
  const scratch = await openScratch('postgres', url);
  try {
    await settle(scratch);
    if (scratch.url === undefined) throw new Error('generate cli: the scratch database has no URL');
    return await work(scratch.url);
  } finally {
    await scratch.close();
  }
}

/**
 * The CLI's `generate --database-url` against psql `\copy` of the same rows: wall time (target <= 1.1x) and the
 * CLI's peak RSS (target < 200 MiB, the highest of its runs), `runs` of each side, alternating.
 */
export async function generateCliFigures(scale: Scale, url: string, runs: number): Promise<Figure[]> {
  checkBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'tqs-bench-cli-'));
  try {
    const options = { tutors: scale.tutors, sessions: scale.sessions, seed: 42, now: BENCH_NOW };
    progress(`  generate cli ${scale.name}: writing the rows as COPY text files for psql (untimed)`);
    const files = serializeStreamToFiles(generateDatasetStream(options), dir);
    const rows = files.reduce((sum, f) => sum + f.rows, 0);
    const script = psqlScript(files, dir);
    const psql: number[] = [];
    const cli: { wallMs: number; rssMiB: number; loadMs: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? ['psql', 'cli'] : ['cli', 'psql'];
      for (const side of order) {
        if (side === 'psql') {
          psql.push(await inScratch(url, (scratchUrl) => runPsql(scratchUrl, script)));
          progress(`  generate cli ${scale.name} run ${i + 1}/${runs}: psql \\copy ${formatMs(psql.at(-1) as number)}`);
        } else {
          const run = await inScratch(url, (scratchUrl) => runCli(scale, scratchUrl));
          if (run.rows !== rows) throw new Error(`generate cli: the CLI loaded ${run.rows} rows, the files hold ${rows}`);
          cli.push(run);
          progress(`  generate cli ${scale.name} run ${i + 1}/${runs}: tqs-data generate ${formatMs(run.wallMs)}, ${run.rssMiB.toFixed(0)} MiB`);
        }
      }
    }
    const peak = Math.max(...cli.map((r) => r.rssMiB));
    const wall = timeRatioFigure({
      figure: 'generate: tqs-data generate --database-url (whole command) vs psql \\copy of the same rows',
      backend: 'postgres',
      scale: scale.name,
      samples: cli.map((r) => r.wallMs),
      floorSamples: psql,
      direction: 'median/floor',
      ratioMeaning: 'wall time of the CLI command / of psql -1 with four \\copy from files (lower is better)',
      max: MAX_RATIO,
      notes: [
        `${rows.toLocaleString('en-US')} rows; the CLI's load (generate + COPY + refresh, one transaction) took ` +
          `${formatMs(median(cli.map((r) => r.loadMs)))} of its ${formatMs(median(cli.map((r) => r.wallMs)))} (median)`,
        'both into a freshly migrated scratch database with every trigger on, alternately, after a CHECKPOINT',
      ],
    });
    const rss: Figure = {
      figure: 'generate: tqs-data generate --database-url peak RSS',
      backend: 'postgres',
      scale: scale.name,
      median: peak,
      floor: RSS_LIMIT_MIB,
      ratio: peak / RSS_LIMIT_MIB,
      ratioMeaning: 'highest peak RSS of the CLI runs / 200 MiB (median and floor in MiB, not ms)',
      display: { median: `${peak.toFixed(0)} MiB`, floor: `${RSS_LIMIT_MIB} MiB`, ratio: (peak / RSS_LIMIT_MIB).toFixed(2) },
      target: `< ${RSS_LIMIT_MIB} MiB`,
      met: peak < RSS_LIMIT_MIB,
      samples: cli.map((r) => r.rssMiB),
      floorSamples: [RSS_LIMIT_MIB],
      notes: [`/usr/bin/time -v around node dist/cli.js; runs: ${cli.map((r) => r.rssMiB.toFixed(0)).join(', ')} MiB`],
    };
    return [wall, rss];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
