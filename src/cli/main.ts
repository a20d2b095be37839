import { runCli } from './run';
import { stopOnSignals } from './signals';

const stop = stopOnSignals(process.stderr);
const stdio = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: stop.signal };
runCli(process.argv.slice(2), stdio).then(
  (code) => {
    process.exitCode = stop.exitStatus() ?? code;
    stop.dispose();
  },
  (error: unknown) => {
    process.stderr.write(`tqs-data: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = stop.exitStatus() ?? 1;
    stop.dispose();
  },
);
