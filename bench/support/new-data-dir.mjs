// createDatabase({ dataDir }) on a new folder, then migrate() and close: run by bench/data-dir-figures.ts in a process
// of its own under GNU time. Uses the built package (dist/). argv: <dataDir>
import { createDatabase, migrate } from '../../dist/index.js';

const db = await createDatabase({ dataDir: process.argv[2] });
const { applied } = await migrate(db);
await db.close();
process.stdout.write(`${JSON.stringify({ applied })}\n`);
