import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Figure, timeRatioFigure } from './figure';
import { median, progress } from './measure';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** What a service on PostgreSQL needs from the ecosystem anyway: the floor of the import figures. */
export const BASELINE_MODULES = ['drizzle-orm', 'drizzle-orm/pg-core', 'drizzle-orm/postgres-js', 'postgres', 'zod', 'drizzle-zod'];

/** Modules that must not load with `import('@tqs/data')`: they load when a dataset or a PGlite database is made. */
const HEAVY = /[\\/]node_modules[\\/](@faker-js[\\/]faker|@electric-sql[\\/]pglite)[\\/]/;

/*
 * One fresh `node` per sample, run from the repository so that `@tqs/data` resolves to its own built dist/ (a
 * package may import itself by name). The child times its imports with performance.now() and reports the RSS after
 * them. A separate run with a resolve hook (its worker thread would inflate the RSS of timed samples) lists the
 * files ESM loaded, so that an import that loads Faker or PGlite fails the bench.
 */
const timedScript = (specifiers: string[]) => `
  const cpu = process.cpuUsage();
  const started = performance.now();
  ${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ')}
  const ms = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  console.log(JSON.stringify({ ms, cpuMs: (user + system) / 1000, rss: process.memoryUsage().rss }));
`;

const listingScript = (specifiers: string[]) => `
  import { register } from 'node:module';
  import { MessageChannel } from 'node:worker_threads';
  const { port1, port2 } = new MessageChannel();
  const loaded = [];
  port1.on('message', (url) => loaded.push(url));
  port1.unref();
  register('data:text/javascript,' + encodeURIComponent(
    'let port; export function initialize(data) { port = data.port; }' +
    'export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }'),
    { data: { port: port2 }, transferList: [port2] });
  ${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ')}
  await new Promise((resolve) => setImmediate(resolve));
  console.log(JSON.stringify(loaded));
`;

interface Sample {
  /** Wall-clock time of the imports. */
  ms: number;
  /** CPU time (user + system, all threads) the process spent on them. */
  cpuMs: number;
  rss: number;
}

async function child<T>(script: string): Promise<T> {
  const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as T;
}

/** Refuses to time a dist/ older than the sources it is built from: the figures would describe old code. */
export function checkBuilt(): void {
  const built = join(repoRoot, 'dist', 'index.js');
  if (!existsSync(built)) throw new Error('import figures: dist/ is missing; run `npm run build` first');
  const newest = (path: string): number => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.mtimeMs;
    return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newest(join(path, entry))));
  };
  if (statSync(built).mtimeMs < newest(join(repoRoot, 'src'))) {
    throw new Error('import figures: dist/ is older than src/; run `npm run build` first');
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/**
 * Cold import of `@tqs/data` (its built ESM entry) against the production baseline ({@link BASELINE_MODULES}), each
 * in a fresh node process, alternating so that both see the same load on the machine: the import time and the RSS
 * after it, as medians, each as a ratio to the baseline's. Targets: CPU time <= 1.15x, RSS <= 1.2x.
 */
export async function importFigures(runs: number): Promise<Figure[]> {
  checkBuilt();
  const ours: Sample[] = [];
  const baseline: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    baseline.push(await child<Sample>(timedScript(BASELINE_MODULES)));
    ours.push(await child<Sample>(timedScript(['@tqs/data'])));
  }
  const loaded = await child<string[]>(listingScript(['@tqs/data']));
  const heavy = loaded.filter((url) => HEAVY.test(url));
  if (heavy.length > 0) throw new Error(`import figures: import('@tqs/data') loaded ${heavy.join(', ')}`);
  progress(`  import: ${runs} fresh processes each; no Faker or PGlite module loaded`);

  // On a machine shared with other work, wall time measures the neighbours as much as the import (samples of one
  // side spread 4x apart); CPU time is the work the import itself does, so the target is on it.
  const cpu = timeRatioFigure({
    figure: 'import: @tqs/data vs production baseline (CPU time)',
    backend: 'node',
    scale: '-',
    samples: ours.map((s) => s.cpuMs),
    floorSamples: baseline.map((s) => s.cpuMs),
    direction: 'median/floor',
    ratioMeaning: 'CPU time of importing @tqs/data / of importing the baseline modules, fresh processes (lower is better)',
    max: 1.15,
    notes: [`baseline: ${BASELINE_MODULES.join(', ')}`, `${loaded.length} modules resolved by ESM, none of Faker or PGlite`],
  });
  const wall = timeRatioFigure({
    figure: 'import: @tqs/data vs production baseline (wall time)',
    backend: 'node',
    scale: '-',
    samples: ours.map((s) => s.ms),
    floorSamples: baseline.map((s) => s.ms),
    direction: 'median/floor',
    ratioMeaning: 'wall time of importing @tqs/data / of importing the baseline modules (lower is better; noisy when busy)',
    notes: ['no target: on a shared machine it varies with the load; the CPU-time figure carries the target'],
  });
  const rss = median(ours.map((s) => s.rss));
  const baselineRss = median(baseline.map((s) => s.rss));
  const ratio = rss / baselineRss;
  const memory: Figure = {
    figure: 'import: @tqs/data vs production baseline (RSS)',
    backend: 'node',
    scale: '-',
    median: rss,
    floor: baselineRss,
    ratio,
    ratioMeaning: 'RSS after importing @tqs/data / RSS after importing the baseline modules (bytes; lower is better)',
    display: { median: mb(rss), floor: mb(baselineRss), ratio: `${ratio.toFixed(2)}x` },
    target: '<= 1.2x',
    met: ratio <= 1.2,
    samples: ours.map((s) => s.rss),
    floorSamples: baseline.map((s) => s.rss),
    notes: ['median and floor in bytes'],
  };
  return [cpu, wall, memory];
}
