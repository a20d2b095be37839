import { PGlite } from '@electric-sql/pglite';
import { eq, type Logger, sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, type ExistingClient, InvalidOptionError, migrate, type TqsDatabase, tutors } from '../src';
import type { ScratchServerDatabase } from '../bench/support/scratch-database';
import { describeEachBackend, postgresUrl, type TestBackend, useScratchDatabase } from './support/databases';

/** A Drizzle logger that keeps what it is given. */
class RecordingLogger implements Logger {
  readonly queries: { query: string; params: unknown[] }[] = [];
  logQuery(query: string, params: unknown[]): void {
    this.queries.push({ query, params });
  }
}

/** The driver client under a database (Drizzle's `$client`, which `TqsDatabase`'s type does not name). */
const clientOf = (db: TqsDatabase) => (db as unknown as { $client: unknown }).$client;
const poolOf = (db: TqsDatabase) => clientOf(db) as postgres.Sql;

/** A client of the backend's own, opened by the test as a caller would, and a way to tell whether it still works. */
interface OwnClient {
  client: postgres.Sql | PGlite;
  works(): Promise<boolean>;
  end(): Promise<void>;
}

async function openOwnClient(backend: TestBackend, url: string | undefined): Promise<OwnClient> {
  if (backend.name === 'pglite') {
    const pglite = await PGlite.create();
    return {
      client: pglite,
      works: () => pglite.query('select 1').then(() => true, () => false),
      end: async () => {
        if (!pglite.closed) await pglite.close();
      },
    };
  }
  const pool = postgres(url as string, { max: 2, onnotice: () => {} });
  return {
    client: pool,
    works: () => pool`select 1`.then(() => true, () => false),
    end: () => pool.end({ timeout: 1 }),
  };
}

/** Runs `fn` with a client of the backend's own, ended afterwards whatever `fn` did with it. */
async function withOwnClient(backend: TestBackend, url: string | undefined, fn: (own: OwnClient) => Promise<void>) {
  const own = await openOwnClient(backend, url);
  try {
    await fn(own);
  } finally {
    await own.end();
  }
}

describe('createDatabase: options that do not go together', () => {
  const unreachable = postgres('postgres://nobody@127.0.0.1:1/none', { max: 1 });
  afterAll(() => unreachable.end({ timeout: 0 }));

  it.each([
    [{ client: unreachable, url: 'postgres://nobody@127.0.0.1:1/none' }, /client is already open; drop url/],
    [{ client: unreachable, dataDir: '/tmp/x', max: 3 }, /client is already open; drop dataDir, max/],
    [{ client: unreachable, postgres: { ssl: 'require' as const } }, /client is already open; drop postgres/],
    [{ closeClient: true }, /closeClient applies only with client/],
    [{ postgres: { ssl: 'require' as const } }, /postgres options need url/],
    [{ client: {} as unknown as ExistingClient }, /client must be a postgres\.js sql, a PGlite, or a Drizzle database/],
    [{ client: unreachable, readReplicas: ['postgres://nobody@127.0.0.1:1/none'] }, /readReplicas .* not applied over an existing client/],
  ])('refuses %o with INVALID_OPTION naming the option', async (options, message) => {
    await expect(createDatabase(options)).rejects.toThrow(InvalidOptionError);
    await expect(createDatabase(options)).rejects.toThrow(message);
  });

  it.each([
    ['postgres.camel', { transform: postgres.camel }, 'transform.column'],
    ['postgres.toCamel', { transform: postgres.toCamel }, 'transform.column'],
    ['column: fn', { transform: { column: (name: string) => name.toUpperCase() } }, 'transform.column'],
    ['column: { to }', { transform: { column: { to: (name: string) => name } } }, 'transform.column'],
    ['value: fn', { transform: { value: (value: unknown) => value } }, 'transform.value'],
    ['value: { from }', { transform: { value: { from: (value: unknown) => value } } }, 'transform.value'],
    ['row: fn', { transform: { row: (row: unknown) => row } }, 'transform.row'],
  ])('refuses a client with transform %s, as itself or under Drizzle, naming the option and the fix', async (_, options, named) => {
    const transforming = postgres('postgres://nobody@127.0.0.1:1/none', { max: 1, ...(options as object) });
    try {
      for (const client of [transforming, drizzlePostgres({ client: transforming })]) {
        const error: unknown = await createDatabase({ client: client as ExistingClient }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'client' });
        expect((error as Error).message).toContain(named);
        expect((error as Error).message).toMatch(/without transform/);
      }
    } finally {
      await transforming.end({ timeout: 0 });
    }
  });

  it('accepts a client whose transform only maps undefined parameters', async () => {
    const own = postgres('postgres://nobody@127.0.0.1:1/none', { max: 1, transform: { undefined: null } });
    try {
      await using db = await createDatabase({ client: own });
      expect(db.backend).toBe('postgres');
    } finally {
      await own.end({ timeout: 0 });
    }
  });

  it('refuses postgres.transform: the package reads rows by their column names', async () => {
    const options = { url: 'postgres://nobody@127.0.0.1:1/none', postgres: { transform: postgres.camel } };
    // @ts-expect-error: transform is not among the accepted postgres.js options
    await expect(createDatabase(options)).rejects.toThrow(/postgres\.transform is not supported/);
  });
});

describeEachBackend('createDatabase({ client })', (backend) => {
  let scratch: ScratchServerDatabase | undefined;
  useScratchDatabase(backend.url, (created) => (scratch = created));

  it('uses a client the caller opened, and close() leaves it open', () =>
    withOwnClient(backend, scratch?.url, async (own) => {
      const db = await createDatabase({ client: own.client as ExistingClient });
      expect(db.backend).toBe(backend.name);
      await migrate(db);
      const [row] = await db.insert(tutors).values({ name: 'Own Client' }).returning();
      expect(await db.query.tutors.findFirst({ where: eq(tutors.id, row!.id) })).toMatchObject({ name: 'Own Client' });
      await db.close();
      expect(await own.works()).toBe(true);
    }));

  it('ends the client on close() with closeClient: true', () =>
    withOwnClient(backend, scratch?.url, async (own) => {
      const db = await createDatabase({ client: own.client as ExistingClient, closeClient: true });
      expect(await db.execute(sql`select 1 as one`)).toBeTruthy();
      await db.close();
      expect(await own.works()).toBe(false);
    }));

  it("takes a Drizzle database built without the schema, and adds the package's schema over its client", () =>
    withOwnClient(backend, scratch?.url, async (own) => {
      const plain =
        own.client instanceof PGlite ? drizzlePglite({ client: own.client }) : drizzlePostgres({ client: own.client });
      expect((plain as unknown as { query: Record<string, unknown> }).query.tutors).toBeUndefined();
      await using db = await createDatabase({ client: plain });
      await migrate(db);
      expect(await db.query.tutors.findMany({ limit: 1 })).toBeInstanceOf(Array);
      expect(clientOf(db)).toBe(own.client);
    }));
});

describeEachBackend('createDatabase({ logger })', (backend) => {
  let scratch: ScratchServerDatabase | undefined;
  useScratchDatabase(backend.url, (created) => (scratch = created));

  it("sends every query and its parameters to a Drizzle Logger", async () => {
    const logger = new RecordingLogger();
    let db: TqsDatabase | undefined;
    try {
      db = scratch ? await createDatabase({ url: scratch.url, logger }) : await createDatabase({ logger });
      await migrate(db);
      await db.select().from(tutors).where(eq(tutors.name, 'Logged Name'));
    } finally {
      await db?.close();
    }
    const select = logger.queries.find((q) => q.query.startsWith('select') && q.query.includes('"tutors"'));
    expect(select?.params).toEqual(['Logged Name']);
  });
});

describe.skipIf(!postgresUrl)('createDatabase({ url, postgres })', () => {
  let scratch: ScratchServerDatabase;
  useScratchDatabase(postgresUrl, (created) => (scratch = created));

  it('passes postgres.js options through; they win over the package defaults', async () => {
    await using db = await createDatabase({
      url: scratch.url,
      postgres: {
        max: 3,
        idle_timeout: 7,
        max_lifetime: 600,
        connect_timeout: 4,
        prepare: false,
        connection: { application_name: 'tqs-create-database-test' },
      },
    });
    const options = poolOf(db).options;
    expect(options).toMatchObject({ max: 3, idle_timeout: 7, max_lifetime: 600, connect_timeout: 4, prepare: false });
    const [row] = (await poolOf(db)`select current_setting('application_name') as name`) as { name: string }[];
    expect(row?.name).toBe('tqs-create-database-test');
  });

  it('keeps its defaults where none are given: a pool of 10 (or max) and a 10 s connect timeout', async () => {
    await using db = await createDatabase({ url: scratch.url, max: 4 });
    expect(poolOf(db).options).toMatchObject({ max: 4, connect_timeout: 10 });
  });
});
