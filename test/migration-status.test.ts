import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import {
  assertMigrated,
  defaultMigrationsFolder,
  migrate,
  migrationStatus,
  MigrationsPendingError,
  queryRows,
  readMigrations,
  rollback,
  type TqsDatabase,
  TqsError,
} from '../src';
import { describeEachBackend, openEmptyDatabase } from './support/databases';

/** The shipped migrations, oldest first; `newest` is the last, `older` the ones before it. */
const tags = readMigrations().map((m) => m.tag);
const newest = tags[tags.length - 1] as string;
const older = tags.slice(0, -1);

/** A copy of drizzle/ with one more migration after the shipped ones. */
function folderWithOneMore(): string {
  const folder = mkdtempSync(join(tmpdir(), 'tqs-status-migrations-'));
  cpSync(defaultMigrationsFolder(), folder, { recursive: true });
  writeFileSync(join(folder, '0002_status_probe.sql'), 'CREATE TABLE "status_probe" ("id" integer);');
  const journalPath = join(folder, 'meta', '_journal.json');
  const meta = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { when: number }[] };
  const last = meta.entries[meta.entries.length - 1]!;
  meta.entries.push({ ...last, idx: meta.entries.length, when: last.when + 1000, tag: '0002_status_probe' } as never);
  writeFileSync(journalPath, JSON.stringify(meta, null, 2));
  return folder;
}
const extraFolder = folderWithOneMore();
afterAll(() => rmSync(extraFolder, { recursive: true, force: true }));

describeEachBackend('migrationStatus and assertMigrated', (backend) => {
  let db: TqsDatabase;
  beforeEach(async () => {
    db = await openEmptyDatabase(backend);
  });
  afterEach(async () => {
    await db.close();
  });

  it('an empty database: everything pending, nothing created by asking', async () => {
    expect(await migrationStatus(db)).toEqual({ applied: [], pending: tags, current: null, unknown: [] });
    const [journal] = await queryRows<{ oid: unknown }>(db, sql`select to_regclass('drizzle.__drizzle_migrations') as oid`);
    expect(journal?.oid).toBeNull();
    const error = await assertMigrated(db).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationsPendingError);
    expect(error).toBeInstanceOf(TqsError);
    expect((error as MigrationsPendingError).code).toBe('MIGRATIONS_PENDING');
    expect((error as MigrationsPendingError).pending).toEqual(tags);
    expect((error as Error).message).toBe(
      `the database is not migrated (pending: ${tags.join(', ')}): call migrate(db) or run 'tqs-data migrate'`,
    );
  });

  it('migrate applies exactly what the status called pending; then nothing is pending', async () => {
    const before = await migrationStatus(db);
    expect((await migrate(db)).applied).toEqual(before.pending);
    const after = { applied: tags, pending: [], current: newest, unknown: [] };
    expect(await migrationStatus(db)).toEqual(after);
    expect(await assertMigrated(db)).toEqual(after);
  });

  it('after a rollback, the undone migration is pending and assertMigrated names it', async () => {
    await migrate(db);
    await rollback(db);
    expect(await migrationStatus(db)).toEqual({ applied: older, pending: [newest], current: older[older.length - 1], unknown: [] });
    await expect(assertMigrated(db)).rejects.toThrow(
      `the database is not fully migrated (pending: ${newest}): call migrate(db) or run 'tqs-data migrate'`,
    );
  });

  it('a newer migrations folder: its new migration is pending until applied', async () => {
    await migrate(db);
    const options = { migrationsFolder: extraFolder };
    expect((await migrationStatus(db, options)).pending).toEqual(['0002_status_probe']);
    await expect(assertMigrated(db, options)).rejects.toMatchObject({ pending: ['0002_status_probe'] });
    await migrate(db, options);
    expect(await migrationStatus(db, options)).toMatchObject({ pending: [], current: '0002_status_probe' });
    // The shipped folder does not know 0002: the database is ahead of it, which is not an error.
    const shipped = await migrationStatus(db);
    expect(shipped).toMatchObject({ applied: tags, pending: [], current: newest });
    expect(shipped.unknown).toHaveLength(1);
    await expect(assertMigrated(db)).resolves.toMatchObject({ pending: [] });
  });
});
