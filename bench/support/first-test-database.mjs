// The first createTestDatabase() call of a new process, with no cacheDir: run by bench/data-dir-figures.ts under GNU
// time. Uses the built package (dist/). argv: <json options>; prints the call's own time in ms.
import { createTestDatabase } from '../../dist/testing.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const started = performance.now();
const db = await createTestDatabase(options);
const ms = performance.now() - started;
await db.close();
process.stdout.write(`${JSON.stringify({ ms })}\n`);
