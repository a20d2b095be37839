import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

/*
 * Scratch PostgreSQL databases for the benchmarks and the tests (no vitest here: the benchmarks stand on their own
 * support, and test/support imports this file): each is created next to the database a URL names, under a name of
 * its own, and dropped afterwards, so parallel runs never see each other's rows and nothing is written to the
 * database the URL names.
 */

/**
 * Runs `fn` with a one-connection postgres.js client on `url`, and closes it afterwards.
 *
 * @example
 * const version = await withAdminClient(url, async (client) => (await client`select version()`)[0]?.version);
 */
export async function withAdminClient<T>(url: string, fn: (client: postgres.Sql) => Promise<T>): Promise<T> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(client);
  } finally {
    await client.end({ timeout: 5 });
  }
}

/**
 * `url` with its database name replaced by `database`.
 *
 * @example
 * databaseUrl('postgres://postgres@127.0.0.1:5432/test', 'tqs_x'); // 'postgres://postgres@127.0.0.1:5432/tqs_x'
 */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * Drops the database `name` on the server `url` points at, if it exists, closing the connections still open to it.
 *
 * @example
 * await dropDatabase(process.env.TQS_TEST_DATABASE_URL!, 'TqsCli-1234');
 */
export async function dropDatabase(url: string, name: string): Promise<void> {
  await withAdminClient(url, (client) => client.unsafe(`drop database if exists "${name.replace(/"/g, '""')}" with (force)`));
}

/** An empty database of its own on a PostgreSQL server; `drop()` removes it. */
export interface ScratchServerDatabase {
  name: string;
  /** The URL of the scratch database: the base URL with its database name replaced. */
  url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database `<prefix>_<pid>_<random>` on the server `url` points at.
 *
 * @example
 * const scratch = await createScratchDatabase(url, 'tqs_test');
 * try { await use(scratch.url); } finally { await scratch.drop(); }
 */
export async function createScratchDatabase(url: string, prefix: string): Promise<ScratchServerDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(url, (client) => client.unsafe(`create database "${name}"`));
  return { name, url: databaseUrl(url, name), drop: () => dropDatabase(url, name) };
}
