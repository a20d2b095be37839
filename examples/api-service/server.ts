/**
 * Serves the read-model API (app.ts) over HTTP until SIGINT or SIGTERM.
 *
 *   DATABASE_URL=postgres://... npx tsx examples/api-service/server.ts   # a migrated database
 *   npx tsx examples/api-service/server.ts                               # an in-memory PGlite with generated rows
 *   PORT=8080 npx tsx examples/api-service/server.ts
 */
import { serve } from '@hono/node-server';
import { assertMigrated, createDatabase, generateDataset, insertDataset, migrate, type TqsDatabase } from '@tqs/data';
import { createApp } from './app';

async function open(): Promise<TqsDatabase> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const db = await createDatabase({ url });
    await assertMigrated(db);
    return db;
  }
  const db = await createDatabase();
  await migrate(db);
  await insertDataset(db, generateDataset({ tutors: 50, sessions: 2_000, seed: 1, now: new Date() }));
  return db;
}

const db = await open();
const server = serve({ fetch: createApp(db).fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) => {
  console.log(`read-model API on http://127.0.0.1:${info.port} (try /summary, /tutors, /health)`);
});
const stop = () => {
  server.close(() => void db.close().then(() => console.log('stopped')));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
