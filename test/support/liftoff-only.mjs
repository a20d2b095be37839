/*
 * Preloaded into every Node process the suite starts (NODE_OPTIONS, set by test/support/node-options.ts): WebAssembly
 * compiled by V8's baseline compiler (Liftoff) only. By default V8 also recompiles PGlite's hot functions with its
 * optimising compiler (TurboFan) on background threads, which costs a process that starts PGlite 1.2 to 2.0 s of CPU
 * (measured on Node 20: `node --liftoff-only` cut a README program from 2.9 to 1.3 s of user+sys, and 20,000 sessions
 * inserted and scored five times from 5.0 to 3.8 s); a test process never runs long enough to earn it back. The flag
 * changes how fast code runs, never what it does.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');
