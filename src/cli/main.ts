#!/usr/bin/env node
import { runCli } from './run';

const stdio = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
runCli(process.argv.slice(2), stdio).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tqs-data: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
