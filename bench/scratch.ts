import { sql } from 'drizzle-orm';
import { type Backend, createDatabase, migrate, rawClient, type TqsDatabase } from '../src';
import { createScratchDatabase, type ScratchServerDatabase, withAdminClient } from './support/scratch-database';

/*
 * Every measurement gets freshly migrated tables of its own: a new in-memory PGlite, or on PostgreSQL a scratch
 * database created next to the one TQS_BENCH_DATABASE_URL names and dropped when the measurement is done. Nothing
 * is ever written to the database the URL names itself.
 */

/** A migrated database that exists for one measurement; `close()` drops it (PostgreSQL) or frees it (PGlite). */
export interface ScratchDatabase {
  db: TqsDatabase;
  backend: Backend;
  /** PostgreSQL: the scratch database's URL, for a process of its own to load into. */
  url?: string;
  close(): Promise<void>;
}

const live = new Set<ScratchServerDatabase>();
/** A freshly migrated, empty PGlite data directory: loading it is the same database as migrating, only faster. */
let migratedPglite: Promise<Blob> | undefined;

/** Opens a freshly migrated scratch database on `backend` (`url` required for PostgreSQL). */
export async function openScratch(backend: Backend, url?: string): Promise<ScratchDatabase> {
  if (backend === 'pglite') {
    migratedPglite ??= (async () => {
      const template = await createDatabase();
      try {
        await migrate(template);
        const client = rawClient(template);
        if (client.backend !== 'pglite') throw new Error('unreachable');
        return await client.pglite.dumpDataDir('none');
      } finally {
        await template.close();
      }
    })();
    const db = await createDatabase({ loadDataDir: await migratedPglite });
    return { db, backend, close: () => db.close() };
  }
  if (!url) throw new Error('openScratch: PostgreSQL needs TQS_BENCH_DATABASE_URL');
  const scratch = await createScratchDatabase(url, 'tqs_bench');
  live.add(scratch);
  let db: TqsDatabase;
  try {
    db = await createDatabase({ url: scratch.url });
    await migrate(db);
  } catch (error) {
    await dropScratch(scratch);
    throw error;
  }
  return {
    db,
    backend,
    url: scratch.url,
    close: async () => {
      await db.close();
      await dropScratch(scratch);
    },
  };
}

async function dropScratch(scratch: ScratchServerDatabase): Promise<void> {
  await scratch.drop();
  live.delete(scratch);
}

/** Drops every scratch database still open (after an error or Ctrl-C). */
export async function dropAllScratch(): Promise<void> {
  for (const scratch of [...live]) await dropScratch(scratch).catch(() => {});
}

/**
 * On PostgreSQL: `CHECKPOINT` before a timed load, so that a checkpoint the previous load's WAL triggered does not
 * land in the middle of this one (untimed; the bench's role needs the pg_checkpoint privilege or superuser, and does
 * without it otherwise).
 */
export async function settle(scratch: ScratchDatabase): Promise<void> {
  if (scratch.backend !== 'postgres') return;
  try {
    await scratch.db.execute(sql`checkpoint`);
  } catch {
    // No privilege: the load just runs without the checkpoint before it.
  }
}

/** The server's version string (`PostgreSQL 15.20 ...`). */
export async function serverVersion(url: string): Promise<string> {
  return withAdminClient(url, async (client) => {
    const [row] = await client<{ version: string }[]>`select version() as version`;
    return row?.version ?? 'unknown';
  });
}
