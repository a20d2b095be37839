/** Timing helpers of the benchmarks: wall-clock milliseconds, medians, and a GC between runs when it is exposed. */

/** Milliseconds `fn` took, and what it returned. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** The median of `samples` (the mean of the two middle ones for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * A full collection before a timed run, so that garbage left by the previous run is not charged to this one. Only
 * when node runs with `--expose-gc` (the `bench` script passes it).
 */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/**
 * {@link collectGarbage}, then a pause while V8 finishes the collection's work on its background threads (sweeping),
 * which on 2 cores otherwise competes with a short timed call right after it. Measured: with a 1M-session dataset held
 * (as the bench holds it), an idle `refreshDueScores` took 8.0–11.3 ms right after `gc()` and 3.2–4.5 ms after a
 * 300 ms pause. For timed calls of a few milliseconds; longer ones hardly notice.
 */
export async function collectGarbageAndSettle(): Promise<void> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 300));
}

/** `1.23 s`, `456 ms` or `7.8 ms`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/** `1.2M/s`, `345k/s`, `980/s`. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '–';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`;
  if (perSecond >= 1e3) return `${Math.round(perSecond / 1e3)}k/s`;
  return `${Math.round(perSecond)}/s`;
}

/** Writes a progress line to stderr, so stdout keeps the results only. */
export function progress(line: string): void {
  const clock = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[${clock}] ${line}\n`);
}
