import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, migrate, migrationStatus, queryRows, readMigrations } from '../src';
import { decodeSnapshotFile, encodeSnapshotFile } from '../src/db/pglite/snapshot-file';
import { packageSnapshotOrigin, shippedDataDir, shippedSnapshotPath, startsPackageDataDir } from '../src/db/pglite/shipped-data-dir';
import { openEmptyDatabase } from './support/databases';

/*
 * A new PGlite data directory starts from the migrated snapshot shipped in dist/ (no initdb, no migrations): it holds
 * what createDatabase() + migrate() made before, and migrate() applies only migrations newer than the snapshot.
 */

const scratch = mkdtempSync(join(tmpdir(), 'tqs-data-dir-snapshot-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const journal = (db: Awaited<ReturnType<typeof createDatabase>>) =>
  queryRows<{ hash: string; created_at: string }>(
    db,
    sql`select hash, created_at::text from drizzle.__drizzle_migrations order by created_at`,
  );

describe('a new PGlite data directory', () => {
  it('starts migrated from the shipped snapshot, missing or empty, with the journal migrate() writes', async () => {
    const memory = await openEmptyDatabase({ name: 'pglite' }); // initdb's cluster, migrated the slow way
    await migrate(memory);
    const expected = await journal(memory);
    await memory.close();

    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    for (const dataDir of [join(scratch, 'missing', 'db'), empty]) {
      const db = await createDatabase({ dataDir });
      try {
        expect(await migrationStatus(db)).toMatchObject({ pending: [] });
        expect(await journal(db)).toEqual(expected);
        expect((await migrate(db)).applied).toEqual([]);
        const [row] = await queryRows<{ setting: string }>(db, sql`select setting from pg_settings where name = 'shared_buffers'`);
        expect(row?.setting).toBe('2048'); // 16 MB: the snapshot's setting, not initdb's 128 MB
      } finally {
        await db.close();
      }
      expect(existsSync(`${dataDir}.creating`)).toBe(false);
      expect(existsSync(`${dataDir}.lock`)).toBe(false);
    }
  });

  it('accepts a snapshot of this PGlite with the first migrations only, and refuses any other', () => {
    const current = packageSnapshotOrigin();
    expect(current.migrations).toEqual(readMigrations().map((m) => m.hash));
    expect(startsPackageDataDir(current)).toBe(true);
    expect(startsPackageDataDir({ ...current, migrations: current.migrations.slice(0, 2) })).toBe(true);
    expect(startsPackageDataDir({ ...current, migrations: [...current.migrations.slice(1)] })).toBe(false);
    expect(startsPackageDataDir({ ...current, migrations: [...current.migrations, 'f'.repeat(64)] })).toBe(false);
    expect(startsPackageDataDir({ ...current, pglite: '0.0.1' })).toBe(false);
    expect(startsPackageDataDir({})).toBe(false);
  });

  it('falls back to initdb when the shipped file is of another PGlite or damaged', () => {
    const decoded = decodeSnapshotFile(readFileSync(shippedSnapshotPath()), () => true);
    if (!('tar' in decoded)) throw new Error(`dist snapshot unusable: ${JSON.stringify(decoded)}; run npm run build`);
    const origin = packageSnapshotOrigin();
    const file = (name: string, bytes: Uint8Array) => {
      const path = join(scratch, name);
      writeFileSync(path, bytes);
      return path;
    };
    expect(shippedDataDir(file('ok.bin', encodeSnapshotFile('k', decoded.tar, 'none', origin)))?.files.length).toBeGreaterThan(100);
    expect(shippedDataDir(file('other.bin', encodeSnapshotFile('k', decoded.tar, 'none', { ...origin, pglite: 'x' })))).toBeUndefined();
    const damaged = encodeSnapshotFile('k', decoded.tar, 'none', origin);
    damaged[damaged.length - 1000] = (damaged[damaged.length - 1000] ?? 0) ^ 1;
    expect(shippedDataDir(file('damaged.bin', damaged))).toBeUndefined();
    expect(shippedDataDir(join(scratch, 'none.bin'))).toBeUndefined();
  });
});
