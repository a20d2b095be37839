import { setFlagsFromString } from 'node:v8';

/**
 * Called first by the CLI's entry (main.ts), for its own process only: PGlite's WebAssembly runs on V8's baseline
 * compiler (Liftoff) alone. By default V8 also compiles the 9 MB module with its optimizing compiler (TurboFan) in the
 * background, which a command of a few seconds never earns back: measured on `tqs-data generate` with defaults into a
 * new data directory, peak RSS 297 -> 181 MiB and CPU 2.95 -> 1.77 s; at 100,000 sessions, 471 -> 359 MiB and
 * CPU 9.0 -> 8.3 s (BENCHMARKS.md). A library never sets a V8 flag in its caller's process: this is the CLI's. It
 * must run before PGlite is first loaded (commands load it with a dynamic import).
 *
 * @example
 * useBaselineWasmCompiler(); // then runCli(...)
 */
export function useBaselineWasmCompiler(): void {
  setFlagsFromString('--liftoff-only');
}
