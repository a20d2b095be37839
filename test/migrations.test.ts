import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
import { archiveTables, type CatalogSnapshot, catalogSnapshot, journal, ourTables } from './support/catalog';
import { describeEachBackend, openEmptyDatabase, type TestBackend, useDatabase } from './support/databases';
import { createScratchDatabase } from '../bench/support/scratch-database';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const drizzleKit = join(repoRoot, 'node_modules', 'drizzle-kit', 'bin.cjs');
const tags = readMigrations().map((m) => m.tag);
const hashes = readMigrations().map((m) => m.hash);

interface JournalFile {
  entries: { idx: number; when: number; tag: string }[];
}

/** drizzle-kit's journal of `folder`, read directly: the list of migrations every expectation derives from. */
const journalFile = (folder = defaultMigrationsFolder()): JournalFile =>
  JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as JournalFile;
const journalTags = journalFile().entries.map((entry) => entry.tag);
const newest = journalTags[journalTags.length - 1] as string;
/** The tag of a migration added after the last one: `0002_broken` while the journal holds two. */
const brokenTag = `${String(journalTags.length).padStart(4, '0')}_broken`;

/** A copy of drizzle/ whose journal lists only its first `count` migrations. */
function migrationsPrefixFolder(count: number): string {
  const folder = mkdtempSync(join(tmpdir(), 'tqs-prefix-migrations-'));
  cpSync(defaultMigrationsFolder(), folder, { recursive: true });
  const meta = journalFile(folder);
  meta.entries = meta.entries.slice(0, count);
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(meta, null, 2));
  return folder;
}

/** A copy of drizzle/ with one more migration that creates a table, adds a column, and then fails. */
function brokenMigrationsFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tqs-broken-migrations-'));
  cpSync(defaultMigrationsFolder(), folder, { recursive: true });
  writeFileSync(
    join(folder, `${brokenTag}.sql`),
    [
      'CREATE TABLE "half_applied" ("id" integer);',
      'ALTER TABLE "tutors" ADD COLUMN "nickname" text;',
      'SELECT * FROM "no_such_table";',
    ].join('\n--> statement-breakpoint\n'),
  );
  const meta = journalFile(folder);
  const last = meta.entries[meta.entries.length - 1]!;
  meta.entries.push({ ...last, idx: meta.entries.length, when: last.when + 1000, tag: brokenTag });
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(meta, null, 2));
  return folder;
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
  /** The catalog of a database migrated with every migration but the newest. */
  let beforeNewest: CatalogSnapshot;
  let brokenFolder: string;

  useDatabase(backend, (opened) => (db = opened), { migrated: false });
  beforeAll(async () => {
    brokenFolder = brokenMigrationsFolder();
    const prefixFolder = migrationsPrefixFolder(journalTags.length - 1);
    const prefix = await openEmptyDatabase(backend);
    try {
      await migrate(prefix, { migrationsFolder: prefixFolder });
      beforeNewest = await catalogSnapshot(prefix);
    } finally {
      await prefix.close();
      rmSync(prefixFolder, { recursive: true, force: true });
    }
  });
  afterAll(() => {
    if (brokenFolder) rmSync(brokenFolder, { recursive: true, force: true });
  });

  /** After `drizzle-kit migrate`: the journal and catalog migrate() makes, and nothing left for migrate() to apply. */
  async function expectMigratedByDrizzleKit(other: TqsDatabase): Promise<void> {
    expect((await journal(other)).map((j) => j.hash)).toEqual(hashes);
    expect(await catalogSnapshot(other)).toEqual(migrated);
    expect(await migrate(other)).toEqual({ applied: [] });
    expect(await journal(other)).toHaveLength(journalTags.length);
  }

  it('migrate applies every migration once, and a second call applies nothing', async () => {
    expect(await migrate(db)).toEqual({ applied: tags });
    expect(tags).toEqual(journalTags);
    migrated = await catalogSnapshot(db);
    // Sorted here: the catalog's order of names with '_' depends on the server's collation.
    const sorted = (names: string[]) => [...names].sort();
    // The partitions of sessions (0015) are its rows' storage, listed by listPartitions, not tables of the schema.
    const partition = /^(?:tqs_archive\.)?sessions_(?:default|\d{4}_\d{2})$/;
    expect(sorted(migrated.relations.filter((r) => (r.kind === 'r' || r.kind === 'p') && !partition.test(r.name)).map((r) => r.name))).toEqual(
      sorted([
        ...ourTables,
        'tutor_score_changes',
        'tutor_score_history',
        'tutor_score_refreshes',
        'tutor_risk_events',
        'email_report_status_counts',
        'fleet_counts',
        'reschedule_rule_checks',
        'reschedule_rule_pending',
        'tqs_bulk_load_notes',
        'session_ids',
        'tqs_archive.session_ids',
        ...archiveTables.map((table) => `tqs_archive.${table}`),
      ]),
    );
    expect(migrated.relations.filter((r) => r.kind === 'v').map((r) => r.name)).toEqual(['reschedule_rule_violations']);
    expect(sorted(migrated.triggers.filter((t) => !partition.test(t.table)).map((t) => t.name))).toEqual(
      sorted([
        ...['delete', 'insert', 'truncate', 'update'].map((op) => `reschedules_capture_${op}`),
        ...['delete', 'insert', 'truncate', 'update'].map((op) => `reschedules_reschedule_rule_${op}`),
        ...['delete', 'insert', 'truncate', 'update'].map((op) => `sessions_capture_${op}`),
        ...['insert', 'update'].map((op) => `sessions_reschedule_rule_${op}`),
        ...['delete', 'insert', 'truncate', 'update'].map((op) => `sessions_ids_${op}`),
        // tqs_archive.session_ids' (0016)
        ...['delete', 'insert', 'truncate', 'update'].map((op) => `sessions_ids_${op}`),
        'sessions_capture_outcome',
        'sessions_status_transition',
        'reschedule_status_rule',
        'tqs_bulk_load_check',
        'sessions_touch_updated_at',
        'tutor_scores_touch_updated_at',
        'tutors_capture_insert',
        'tutors_touch_updated_at',
        'tutor_scores_record_insert',
        'tutor_scores_record_update',
        'tutors_forget_delete',
        'tutors_forget_truncate',
        ...['delete', 'insert', 'truncate', 'update'].map((op) => `email_reports_count_${op}`),
        ...['insert', 'update'].map((op) => `email_reports_notify_${op}`),
        ...['delete', 'insert', 'truncate', 'update'].flatMap((op) => [`sessions_count_${op}`, `reschedules_count_${op}`]),
      ]),
    );
    expect(sorted(migrated.functions.map((f) => f.name))).toEqual(
      sorted([
        'tqs_capture_new_tutors',
        'tqs_ensure_session_months',
        'tqs_lock_session_partitions',
        'tqs_session_ids',
        'tqs_session_month',
        'tqs_session_partition_exists',
        'tqs_session_partition_triggers',
        'tqs_session_statement_triggers',
        'tqs_capture_reschedule_changes',
        'tqs_capture_session_changes',
        'tqs_capture_session_outcomes',
        'tqs_capture_truncate',
        'tqs_reschedule_rule_check',
        'tqs_reschedule_rule_defer',
        'tqs_reschedule_rule_reschedules',
        'tqs_reschedule_rule_sessions',
        'tqs_score_counts',
        'tqs_forget_deleted_tutors',
        'tqs_record_new_scores',
        'tqs_record_score_changes',
        'tqs_add_email_report_counts',
        'tqs_count_email_report_statuses',
        'tqs_notify_email_reports',
        'tqs_sessions_status_transition',
        'tqs_touch_updated_at',
        'tqs_quarter_hour',
        'tqs_lead_time_group',
        'tqs_add_fleet_counts',
        'tqs_count_sessions',
        'tqs_count_reschedules',
        'tqs_recount_fleet_counts',
        'tqs_bulk_loading',
        'tqs_bulk_load_note',
        'tqs_reschedule_rule_refuse',
        'tqs_recount_fleet_counts_between',
        'tqs_bulk_load_finish',
        'tqs_begin_bulk_load',
        'tqs_end_bulk_load',
        'tqs_bulk_load_check',
        'tqs_archive_session_ids',
        'tqs_archive_partition_exists',
        'tqs_archive_session_month',
        'tqs_restore_session_month',
        'tqs_written_columns',
      ]),
    );
    const hours = migrated.columns.find((c) => c.table === 'reschedules' && c.column === 'hours_before_session');
    expect(hours).toMatchObject({ type: 'numeric(10,2)', generated: 's' });
    expect((await journal(db)).map((j) => j.hash)).toEqual(hashes);

    expect(await migrate(db)).toEqual({ applied: [] });
    expect(await catalogSnapshot(db)).toEqual(migrated);
    expect(await journal(db)).toHaveLength(journalTags.length);
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

  it('rollback({ steps: 1 }) undoes only the newest migration, and migrate re-applies it', async () => {
    expect(await rollback(db, { steps: 1 })).toEqual({ rolledBack: [newest], rowsDropped: [] });
    const between = await catalogSnapshot(db);
    expect(between).not.toEqual(migrated);
    expect(between).toEqual(beforeNewest);
    expect((await journal(db)).map((j) => j.hash)).toEqual(hashes.slice(0, -1));

    expect(await migrate(db)).toEqual({ applied: [newest] });
    // A column dropped and added again gets a new position (PostgreSQL keeps the dropped one's number): equal apart
    // from positions, and equal outright once rebuilt from the base.
    const positionless = (catalog: CatalogSnapshot) => ({
      ...catalog,
      columns: catalog.columns.map(({ position: _position, ...column }) => column),
    });
    expect(positionless(await catalogSnapshot(db))).toEqual(positionless(migrated));
    await rollback(db, { to: 'base' });
    await migrate(db);
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

    // The rows live in the first migration's tables: undoing every later one drops none, so it needs no force.
    expect(await rollback(db, { steps: journalTags.length - 1 })).toEqual({
      rolledBack: journalTags.slice(1).reverse(),
      rowsDropped: [],
    });
    expect(await db.$count(sessions)).toBe(2);

    expect(await rollback(db, { to: 'base', force: true })).toEqual({
      rolledBack: journalTags.slice(0, 1),
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
    expect((error as MigrationError).migration).toBe(brokenTag);
    expect((error as MigrationError).message).toContain(brokenTag);
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
      expect((error as MigrationError).migration).toBe(brokenTag);
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
        const scratch = await createScratchDatabase(backend.url as string, 'tqs_migrations');
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
      const scratch = await createScratchDatabase(backend.url as string, 'tqs_migrations');
      try {
        await drizzleKitMigrate({ databaseUrl: scratch.url });
        const other = await createDatabase({ url: scratch.url });
        try {
          await expectMigratedByDrizzleKit(other);
        } finally {
          await other.close();
        }
      } finally {
        await scratch.drop();
      }
    });

    it('migrate(), then drizzle-kit migrate: a no-op', async () => {
      const scratch = await createScratchDatabase(backend.url as string, 'tqs_migrations');
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
          await expectMigratedByDrizzleKit(other);
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
