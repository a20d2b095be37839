import { randomBytes } from 'node:crypto';
import { createDatabase, migrate } from '../../src';
import { createScratchDatabase, databaseUrl, dropDatabase, type ScratchServerDatabase, withAdminClient } from '../../bench/support/scratch-database';

/*
 * A migrated PostgreSQL database for the whole run, made once by the global setup (test/support/global-setup.ts) and
 * dropped when the run ends: the tests that need a migrated scratch database get a copy of it (`create database …
 * template …`, a copy of its files on the server) instead of running every migration again in a new database.
 */

/** What the global setup hands the test files (vitest's provide/inject): the template's name, when there is one. */
export const TEMPLATE_KEY = 'tqsTemplateDatabase';

declare module 'vitest' {
  export interface ProvidedContext {
    tqsTemplateDatabase: string | undefined;
  }
}

/**
 * Creates `tqs_template_<pid>_<random>` on the server `url` names and migrates it to the newest schema; every
 * connection to it is closed when this resolves, as a template must have none. `drop()` removes it.
 *
 * @example
 * const template = await createTemplateDatabase(process.env.TQS_TEST_DATABASE_URL!);
 * try { await copyOfTemplate(url, template.name, 'tqs_test'); } finally { await template.drop(); }
 */
export async function createTemplateDatabase(url: string): Promise<ScratchServerDatabase> {
  const scratch = await createScratchDatabase(url, 'tqs_template');
  try {
    const db = await createDatabase({ url: scratch.url, max: 1 });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
  } catch (error) {
    await scratch.drop();
    throw error;
  }
  return scratch;
}

/**
 * A new database on the server `url` names, a copy of the migrated `template` (`create database … template …`),
 * named `<prefix>_<pid>_<random>`; `drop()` removes it. The copy holds the template's schema and migration journal,
 * as `migrate()` on an empty database would leave them.
 *
 * @example
 * const scratch = await copyOfTemplate(url, inject('tqsTemplateDatabase')!, 'tqs_test');
 */
export async function copyOfTemplate(url: string, template: string, prefix: string): Promise<ScratchServerDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;
  await withAdminClient(url, (client) => client.unsafe(`create database ${quote(name)} template ${quote(template)}`));
  return { name, url: databaseUrl(url, name), drop: () => dropDatabase(url, name) };
}
