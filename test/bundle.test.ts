import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRows, rawClient, readMigrations } from '../src';
import { readMigrationsFolder } from '../src/db/migrations';
import { embeddedMigrationsSource } from '../src/db/write-embedded-migrations';
import { openEmptyDatabase, postgresUrl } from './support/databases';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const drizzleFolder = join(repoRoot, 'drizzle');
const sqlJournal = sql`select hash, created_at from drizzle.__drizzle_migrations order by id`;

describe('migrations carried in the code', () => {
  it('src/db/embedded-migrations.ts is what drizzle/ generates (npm run build regenerates it)', () => {
    expect(readFileSync(join(repoRoot, 'src', 'db', 'embedded-migrations.ts'), 'utf8')).toBe(embeddedMigrationsSource(drizzleFolder));
  });

  it("holds drizzle-kit's statements, timestamps and hashes: sha256 of each drizzle/ file", () => {
    const journal = JSON.parse(readFileSync(join(drizzleFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };
    const embedded = readMigrations();
    expect(embedded).toEqual(readMigrationsFolder(drizzleFolder));
    expect(embedded.map((m) => [m.tag, m.when])).toEqual(journal.entries.map((e) => [e.tag, e.when]));
    for (const m of embedded) {
      expect(m.hash).toBe(createHash('sha256').update(readFileSync(join(drizzleFolder, `${m.tag}.sql`), 'utf8')).digest('hex'));
      expect(m.down, `${m.tag}.down.sql`).toBeDefined();
    }
  });
});

describe.skipIf(!postgresUrl)('a single-file esbuild bundle of a service, with nothing beside it [postgres]', () => {
  const work = mkdtempSync(join(tmpdir(), 'tqs-bundle-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('migrates, reports status, asserts, rolls back and migrates again; the journal holds drizzle-kit hashes', async () => {
    // A consumer project: @tqs/data installed (linked to this checkout, whose dist/ the suite built), the service beside.
    const project = join(work, 'project');
    mkdirSync(join(project, 'node_modules', '@tqs'), { recursive: true });
    symlinkSync(repoRoot, join(project, 'node_modules', '@tqs', 'data'), 'dir');
    copyFileSync(join(repoRoot, 'test', 'fixtures', 'bundled-service.ts'), join(project, 'server.ts'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'bundled-service', private: true }));
    await build({
      entryPoints: [join(project, 'server.ts')],
      absWorkingDir: project,
      bundle: true,
      platform: 'node',
      target: 'node20',
      outfile: join(project, 'out', 'server.js'),
      tsconfigRaw: {},
      logLevel: 'error',
    });
    // Deployed: the bundle alone, in a folder with no node_modules and no drizzle/ anywhere above it.
    const deployed = mkdtempSync(join(tmpdir(), 'tqs-deployed-'));
    copyFileSync(join(project, 'out', 'server.js'), join(deployed, 'server.js'));
    const db = await openEmptyDatabase({ name: 'postgres', url: postgresUrl as string });
    try {
      const client = rawClient(db);
      if (client.backend !== 'postgres') throw new Error('expected PostgreSQL');
      const url = new URL(postgresUrl as string);
      url.pathname = `/${client.sql.options.database}`;
      const { stdout } = await exec(process.execPath, ['server.js'], {
        cwd: deployed,
        env: { PATH: process.env.PATH, DATABASE_URL: url.toString() },
        timeout: 120_000,
      });
      const steps = Object.fromEntries(
        stdout.trim().split('\n').map((line) => {
          const { step, value } = JSON.parse(line) as { step: string; value: unknown };
          return [step, value];
        }),
      );
      const tags = readMigrationsFolder(drizzleFolder).map((m) => m.tag);
      expect(steps).toEqual({
        migrate: tags,
        status: { applied: tags, pending: [], current: tags.at(-1), unknown: [] },
        assertMigrated: tags.at(-1),
        rollback: [...tags].reverse(),
        pending: 'MIGRATIONS_PENDING',
        'migrate again': tags.length,
        'assertMigrated again': [],
        migrationsFolder: 'MIGRATIONS_NOT_FOUND',
      });
      const journal = await queryRows<{ hash: string; created_at: string }>(db, sqlJournal);
      expect(journal.map((row) => [row.hash, Number(row.created_at)])).toEqual(readMigrationsFolder(drizzleFolder).map((m) => [m.hash, m.when]));
    } finally {
      await db.close();
      rmSync(deployed, { recursive: true, force: true });
    }
  }, 240_000);
});
