import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  defaultMigrationsFolder,
  MigrationError,
  migrate,
  readMigrations,
  RollbackRefusedError,
  rollback,
  sessions,
  type TqsDatabase,
  tutors,
} from '../src';
import { type CatalogSnapshot, catalogSnapshot, journal, ourTables } from './support/catalog';
import { describeEachBackend, openEmptyDatabase, type TestBackend } from './support/databases';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const drizzleKit = join(repoRoot, 'node_modules', 'drizzle-kit', 'bin.cjs');
const tags = readMigrations().map((m) => m.tag);
const hashes = readMigrations().map((m) => m.hash);

/** A copy of drizzle/ with one more migration that creates a table, adds a column, and then fails. */
function brokenMigrationsFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tqs-broken-migrations-'));
  cpSync(defaultMigrationsFolder(), folder, { recursive: true });
  writeFileSync(
    join(folder, '0003_broken.sql'),
    [
      'CREATE TABLE "half_applied" ("id" integer);',
      'ALTER TABLE "tutors" ADD COLUMN "nickname" text;',
      'SELECT * FROM "no_such_table";',
    ].join('\n--> statement-breakpoint\n'),
  );
  const journalPath = join(folder, 'meta', '_journal.json');
  const meta = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { when: number }[] };
  const last = meta.entries[meta.entries.length - 1]!;
  meta.entries.push({ ...last, idx: meta.entries.length, when: last.when + 1000, tag: '0003_broken' } as never);
  writeFileSync(journalPath, JSON.stringify(meta, null, 2));
  return folder;
}

/** A PostgreSQL database of its own, for tests that need its URL (several connections, drizzle-kit). */
async function scratchDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tqs_migrations_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = postgres(baseUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** Runs `drizzle-kit migrate` from the repository, as `npx drizzle-kit migrate` would. */
async function drizzleKitMigrate(options: { databaseUrl?: string; config?: string }): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  await run(process.execPath, [drizzleKit, 'migrate', ...(options.config ? ['--config', options.config] : [])], {
    cwd: repoRoot,
    env,
    timeout: 110_000,
  });
}

const emptyCatalog: CatalogSnapshot = {
  relations: [],
  columns: [],
  constraints: [],
  indexes: [],
  triggers: [],
  functions: [],
};

describeEachBackend('migrations', (backend: TestBackend) => {
  let db: TqsDatabase;
  let migrated: CatalogSnapshot;
  let brokenFolder: string;

  beforeAll(async () => {
    db = await openEmptyDatabase(backend);
    brokenFolder = brokenMigrationsFolder();
  });
  afterAll(async () => {
    await db?.close();
    if (brokenFolder) rmSync(brokenFolder, { recursive: true, force: true });
  });

  it('migrate applies every migration once, and a second call applies nothing', async () => {
    expect(await migrate(db)).toEqual({ applied: tags });
    expect(tags).toEqual(['0000_initial_schema', '0001_touch_updated_at', '0002_score_window_indexes']);
    migrated = await catalogSnapshot(db);
    expect(migrated.relations.filter((r) => r.kind === 'r').map((r) => r.name)).toEqual([...ourTables]);
    expect(migrated.triggers.map((t) => t.name)).toEqual([
      'sessions_touch_updated_at',
      'tutor_scores_touch_updated_at',
      'tutors_touch_updated_at',
    ]);
    expect(migrated.functions.map((f) => f.name)).toEqual(['tqs_touch_updated_at']);
    const hours = migrated.columns.find((c) => c.table === 'reschedules' && c.column === 'hours_before_session');
    expect(hours).toMatchObject({ type: 'numeric(10,2)', generated: 's' });
    expect((await journal(db)).map((j) => j.hash)).toEqual(hashes);

    expect(await migrate(db)).toEqual({ applied: [] });
    expect(await catalogSnapshot(db)).toEqual(migrated);
    expect(await journal(db)).toHaveLength(3);
  });

  it('rollback to base leaves no table, function or trigger of ours, and an empty journal', async () => {
    expect(await rollback(db, { to: 'base' })).toEqual({ rolledBack: [...tags].reverse(), rowsDropped: [] });
    expect(await catalogSnapshot(db)).toEqual(emptyCatalog);
    expect(await journal(db)).toEqual([]);
  });

  it('migrating again gives the same catalog as the first time', async () => {
    expect(await migrate(db)).toEqual({ applied: tags });
    expect(await catalogSnapshot(db)).toEqual(migrated);
    expect((await journal(db)).map((j) => j.hash)).toEqual(hashes);
  });

  it('rollback({ steps: 1 }) undoes only the last migration, and migrate re-applies it', async () => {
    expect(await rollback(db, { steps: 1 })).toEqual({ rolledBack: ['0002_score_window_indexes'], rowsDropped: [] });
    const withoutWindowIndexes = await catalogSnapshot(db);
    const indexNames = withoutWindowIndexes.indexes.map((i) => i.name);
    expect(indexNames).toContain('sessions_scheduled_time_idx');
    expect(indexNames).not.toContain('sessions_window_idx');
    expect(indexNames).not.toContain('reschedules_tutor_window_idx');
    const names = (rows: { name: string }[]) => rows.map((row) => row.name).sort();
    const windowIndexes = ['sessions_window_idx', 'reschedules_tutor_window_idx'];
    expect(names(withoutWindowIndexes.relations)).toEqual(
      names([...migrated.relations.filter((r) => !windowIndexes.includes(r.name)), { name: 'sessions_scheduled_time_idx' }]),
    );
    expect(names(withoutWindowIndexes.indexes)).toEqual(
      names([...migrated.indexes.filter((i) => !windowIndexes.includes(i.name)), { name: 'sessions_scheduled_time_idx' }]),
    );
    expect({ ...withoutWindowIndexes, relations: [], indexes: [] }).toEqual({ ...migrated, relations: [], indexes: [] });
    expect((await journal(db)).map((j) => j.hash)).toEqual(hashes.slice(0, 2));

    expect(await rollback(db, { steps: 1 })).toEqual({ rolledBack: ['0001_touch_updated_at'], rowsDropped: [] });
    const between = await catalogSnapshot(db);
    expect(between.triggers).toEqual([]);
    expect(between.functions).toEqual([]);
    expect(between).toEqual({ ...withoutWindowIndexes, triggers: [], functions: [] });
    expect((await journal(db)).map((j) => j.hash)).toEqual(hashes.slice(0, 1));

    expect(await migrate(db)).toEqual({ applied: ['0001_touch_updated_at', '0002_score_window_indexes'] });
    expect(await catalogSnapshot(db)).toEqual(migrated);
  });

  it('a rollback that would drop rows refuses, saying how many, and changes nothing; force drops them', async () => {
    const tutorId = '00000000-0000-4000-8000-000000000001';
    await db.insert(tutors).values({ id: tutorId, name: 'Ann Tutor' });
    await db.insert(sessions).values(
      [1, 2].map((day) => ({
        tutorId,
        studentId: `student-${day}`,
        scheduledTime: new Date(`2025-01-0${day}T15:00:00Z`),
        status: 'no_show' as const,
      })),
    );
    const journalBefore = await journal(db);

    const error = await rollback(db, { to: 'base' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RollbackRefusedError);
    const refused = error as RollbackRefusedError;
    expect(refused.code).toBe('ROLLBACK_REFUSED');
    expect(refused.message).toMatch(/\b3 rows\b/);
    expect(refused.message).toContain('sessions: 2');
    expect(refused.message).toContain('tutors: 1');
    expect(refused.rowsAtRisk).toEqual([
      { table: 'sessions', rows: 2 },
      { table: 'tutors', rows: 1 },
    ]);
    expect(await catalogSnapshot(db)).toEqual(migrated);
    expect(await journal(db)).toEqual(journalBefore);
    expect(await db.$count(tutors)).toBe(1);
    expect(await db.$count(sessions)).toBe(2);

    // Undoing 0002 and 0001 drops no rows (only indexes, the trigger and its function), so it needs no force.
    expect(await rollback(db, { steps: 2 })).toEqual({
      rolledBack: ['0002_score_window_indexes', '0001_touch_updated_at'],
      rowsDropped: [],
    });
    expect(await db.$count(sessions)).toBe(2);

    expect(await rollback(db, { to: 'base', force: true })).toEqual({
      rolledBack: ['0000_initial_schema'],
      rowsDropped: [
        { table: 'sessions', rows: 2 },
        { table: 'tutors', rows: 1 },
      ],
    });
    expect(await catalogSnapshot(db)).toEqual(emptyCatalog);
    expect(await journal(db)).toEqual([]);
    await migrate(db);
  });

  it('a migration that fails half-way is named, and none of it stays applied', async () => {
    const journalBefore = await journal(db);
    const error = await migrate(db, { migrationsFolder: brokenFolder }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('MIGRATION_FAILED');
    expect((error as MigrationError).migration).toBe('0003_broken');
    expect((error as MigrationError).message).toContain('0003_broken');
    expect((error as MigrationError).message).toContain('no_such_table');
    expect(await catalogSnapshot(db)).toEqual(migrated); // no half_applied table, no tutors.nickname
    expect(await journal(db)).toEqual(journalBefore);
  });

  it('a failing migration run on an empty database applies none of the migrations before it either', async () => {
    const fresh = await openEmptyDatabase(backend);
    try {
      const error = await migrate(fresh, { migrationsFolder: brokenFolder }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as MigrationError).migration).toBe('0003_broken');
      expect(await catalogSnapshot(fresh)).toEqual(emptyCatalog);
      expect(await journal(fresh)).toEqual([]);
      // The same folder without its broken migration applies cleanly afterwards.
      expect(await migrate(fresh)).toEqual({ applied: tags });
      expect(await catalogSnapshot(fresh)).toEqual(migrated);
    } finally {
      await fresh.close();
    }
  });

  if (backend.name === 'postgres') {
    it('concurrent migrate() calls on two connections both succeed and apply each migration once', async () => {
      for (let round = 0; round < 3; round++) {
        const scratch = await scratchDatabase(backend.url as string);
        const [a, b] = await Promise.all([createDatabase({ url: scratch.url }), createDatabase({ url: scratch.url })]);
        try {
          const results = await Promise.all([migrate(a), migrate(b)]);
          expect(results.map((r) => r.applied).sort((x, y) => y.length - x.length)).toEqual([tags, []]);
          expect((await journal(a)).map((j) => j.hash)).toEqual(hashes);
          expect(await catalogSnapshot(a)).toEqual(migrated);
        } finally {
          await a.close();
          await b.close();
          await scratch.drop();
        }
      }
    });

    it('drizzle-kit migrate, then migrate(): nothing left to apply, same catalog', async () => {
      const scratch = await scratchDatabase(backend.url as string);
      try {
        await drizzleKitMigrate({ databaseUrl: scratch.url });
        const other = await createDatabase({ url: scratch.url });
        try {
          expect((await journal(other)).map((j) => j.hash)).toEqual(hashes);
          expect(await catalogSnapshot(other)).toEqual(migrated);
          expect(await migrate(other)).toEqual({ applied: [] });
          expect(await journal(other)).toHaveLength(3);
        } finally {
          await other.close();
        }
      } finally {
        await scratch.drop();
      }
    });

    it('migrate(), then drizzle-kit migrate: a no-op', async () => {
      const scratch = await scratchDatabase(backend.url as string);
      try {
        const other = await createDatabase({ url: scratch.url });
        try {
          await migrate(other);
          const before = await journal(other);
          await drizzleKitMigrate({ databaseUrl: scratch.url });
          expect(await journal(other)).toEqual(before);
          expect(await catalogSnapshot(other)).toEqual(migrated);
        } finally {
          await other.close();
        }
      } finally {
        await scratch.drop();
      }
    });
  } else {
    describe('drizzle-kit on a PGlite data directory', () => {
      let dir: string;
      const configFor = (dataDir: string) => {
        const path = join(dir, `drizzle.config.${randomBytes(4).toString('hex')}.ts`);
        // No imports: the file is outside the repository, where `drizzle-kit` cannot be resolved.
        writeFileSync(
          path,
          `export default ${JSON.stringify({
            dialect: 'postgresql',
            schema: join(repoRoot, 'src', 'schema', 'index.ts'),
            out: join(repoRoot, 'drizzle'),
            migrations: { table: '__drizzle_migrations', schema: 'drizzle' },
            driver: 'pglite',
            dbCredentials: { url: dataDir },
          })};\n`,
        );
        return path;
      };

      beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), 'tqs-drizzle-kit-'));
      });
      afterAll(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it('drizzle-kit migrate, then migrate(): nothing left to apply, same catalog', async () => {
        const dataDir = join(dir, 'kit-first');
        await drizzleKitMigrate({ config: configFor(dataDir) });
        const other = await createDatabase({ dataDir });
        try {
          expect((await journal(other)).map((j) => j.hash)).toEqual(hashes);
          expect(await catalogSnapshot(other)).toEqual(migrated);
          expect(await migrate(other)).toEqual({ applied: [] });
          expect(await journal(other)).toHaveLength(3);
        } finally {
          await other.close();
        }
      });

      it('migrate(), then drizzle-kit migrate: a no-op', async () => {
        const dataDir = join(dir, 'ours-first');
        const first = await createDatabase({ dataDir });
        let before: Awaited<ReturnType<typeof journal>>;
        try {
          await migrate(first);
          before = await journal(first);
        } finally {
          await first.close();
        }
        await drizzleKitMigrate({ config: configFor(dataDir) });
        const again = await createDatabase({ dataDir });
        try {
          expect(await journal(again)).toEqual(before);
          expect(await catalogSnapshot(again)).toEqual(migrated);
        } finally {
          await again.close();
        }
      });
    });
  }
});
