#!/usr/bin/env node
import { isNullSocketWrite } from '../db';
import { runCli } from './run';
import { stopOnSignals } from './signals';
import { limitHeapGrowth } from './heap-growth';
import { useBaselineWasmCompiler } from './wasm-tier';

useBaselineWasmCompiler();
limitHeapGrowth();

// See null-socket-write.ts: the query behind it fails on its own, and the command reports that in one line.
process.on('uncaughtException', (error) => {
  if (isNullSocketWrite(error)) return;
  process.stderr.write(`tqs-data: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

const stop = stopOnSignals(process.stderr);
const stdio = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: stop.signal };
runCli(process.argv.slice(2), stdio).then(
  (code) => {
    const stopped = stop.exitStatus();
    process.exitCode = stopped ?? code;
    // Stopped by a signal: exit now, even if a connection that stopped answering still holds the event loop.
    if (stopped !== undefined) stop.exit(stopped);
    else stop.dispose();
  },
  (error: unknown) => {
    process.stderr.write(`tqs-data: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = stop.exitStatus() ?? 1;
    stop.dispose();
  },
);
