import { execFile } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../src';
import { buildInputs, repoRoot, staleBuild } from './support/build';

/*
 * The package as a consumer gets it: built, packed with `npm pack`, unpacked into a consumer project's node_modules.
 * The consumer's other dependencies are symlinks to this repository's node_modules, so nothing is downloaded.
 */

const exec = promisify(execFile);
const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
const attw = join(repoRoot, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
const tags = readMigrations().map((m) => m.tag);
const BUILD_TIMEOUT = 600_000;

let work: string;
let tarball: string;
let packedFiles: string[];
let consumer: string;
let installed: string;

async function run(command: string, args: string[], cwd: string, timeout = 120_000) {
  return exec(command, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
}

/** The output of a failed child process, for a readable assertion message. */
function describeFailure(error: unknown): string {
  const e = error as { message?: string; stdout?: string; stderr?: string };
  return [e.message, e.stdout, e.stderr].filter(Boolean).join('\n');
}

/*
 * The folder to pack. When the repository's dist/ is current (the suite's global setup builds it before any file
 * runs), that is the repository itself. Otherwise (a source changed during the run) the package is built in a copy
 * under `work`: rebuilding the repository's own dist/ would pull it from under other test files that run the built
 * CLI at the same time.
 */
async function builtPackageRoot(work: string): Promise<string> {
  if (staleBuild(repoRoot) === undefined) return repoRoot;
  const copy = join(work, 'build');
  mkdirSync(copy);
  for (const entry of [...buildInputs, 'README.md', 'CHANGELOG.md']) {
    cpSync(join(repoRoot, entry), join(copy, entry), { recursive: true });
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
  await run('npm', ['run', 'build'], copy, BUILD_TIMEOUT);
  return copy;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tqs-package-'));
  const packRoot = await builtPackageRoot(work);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], packRoot);
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed!.filename);
  packedFiles = packed!.files.map((f) => f.path);

  consumer = join(work, 'consumer');
  const modules = join(consumer, 'node_modules');
  mkdirSync(join(modules, '@tqs'), { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', work], work);
  installed = join(modules, '@tqs', 'data');
  renameSync(join(work, 'package'), installed);
  for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
    if (entry.startsWith('.') || entry === '@tqs') continue;
    symlinkSync(join(repoRoot, 'node_modules', entry), join(modules, entry));
  }
  // What `npm install` does with the package's `bin`.
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  mkdirSync(join(modules, '.bin'));
  for (const [name, target] of Object.entries(manifest.bin)) {
    if (!existsSync(join(installed, target))) continue;
    chmodSync(join(installed, target), 0o755);
    symlinkSync(join('..', '@tqs', 'data', target), join(modules, '.bin', name));
  }
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
}, BUILD_TIMEOUT + 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds dist/, drizzle/ with the down migrations and the journal, README.md, the docs/ it links to and package.json', () => {
    for (const file of [
      'package.json',
      'README.md',
      ...readdirSync(join(repoRoot, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .map((name) => `docs/${name}`),
      'docs/images/html-report.png',
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
      'dist/testing.js',
      'dist/testing.cjs',
      'dist/cli.js',
      'drizzle/meta/_journal.json',
      ...tags.flatMap((tag) => [
        `drizzle/${tag}.sql`,
        `drizzle/${tag}.down.sql`,
        `drizzle/meta/${tag.slice(0, 4)}_snapshot.json`,
      ]),
    ]) {
      expect(packedFiles, file).toContain(file);
    }
  });

  it('holds nothing else: no src/, test/, .tqs/ or configuration', () => {
    const allowed = /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/.+|drizzle\/.+|docs\/[a-z0-9-]+\.md|docs\/images\/[a-z0-9-]+\.png)$/;
    expect(packedFiles.filter((file) => !allowed.test(file))).toEqual([]);
    expect(packedFiles.filter((file) => /^(src|test|\.tqs)\//.test(file))).toEqual([]);
  });
});

describe('a consumer', () => {
  const names = '{ createDatabase, migrate, migrationStatus, tutors, defaultMigrationsFolder, isRescheduled }';
  const imports = {
    esm: `import ${names} from '@tqs/data'; import * as testing from '@tqs/data/testing';`,
    cjs: `const ${names} = require('@tqs/data'); const testing = require('@tqs/data/testing');`,
  };
  const script = (kind: 'esm' | 'cjs') => `
    ${imports[kind]}
    async function main() {
      const db = await createDatabase();
      try {
        const { applied } = await migrate(db);
        const [tutor] = await db.insert(tutors).values({ name: 'Ann Tutor' }).returning();
        console.log(JSON.stringify({
          applied,
          status: (await migrationStatus(db)).applied,
          again: (await migrate(db)).applied,
          backend: db.backend,
          tutor: tutor.name,
          migrations: defaultMigrationsFolder(),
          entry: ${kind === 'esm' ? "import.meta.resolve('@tqs/data')" : "require.resolve('@tqs/data')"},
          testing: typeof testing.createTestDatabase,
          rescheduled: isRescheduled({ status: 'rescheduled' }),
        }));
      } finally {
        await db.close();
      }
    }
    ${kind === 'esm' ? 'await main();' : 'main().catch((e) => { console.error(e); process.exitCode = 1; });'}
  `;

  it.each([
    ['esm', ['--input-type=module', '-e'], 'dist/index.js'],
    ['cjs', ['--input-type=commonjs', '-e'], 'dist/index.cjs'],
  ] as const)('imports it as %s, opens an in-memory PGlite migrated with the shipped drizzle/, and closes', async (
    kind,
    flags,
    entry,
  ) => {
    const { stdout } = await run(process.execPath, [...flags, script(kind)], consumer).catch((error: unknown) => {
      throw new Error(describeFailure(error));
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    // An in-memory database starts from the shipped migrated snapshot: migrate() finds every migration of the packed
    // drizzle/ journal applied (their hashes match), and applies nothing.
    expect(result).toMatchObject({
      applied: [],
      status: tags,
      again: [],
      backend: 'pglite',
      tutor: 'Ann Tutor',
      migrations: join(installed, 'drizzle'),
      testing: 'function',
      rescheduled: true,
    });
    const resolved = String(result.entry).replace(/^file:\/\//, '');
    expect(resolved).toBe(join(installed, entry));
  });

  it('runs the bin: tqs-data --help', async () => {
    const bin = join(consumer, 'node_modules', '.bin', 'tqs-data');
    expect(existsSync(bin), 'dist/cli.js was not packed').toBe(true);
    const { stdout } = await run(bin, ['--help'], consumer).catch((error: unknown) => {
      throw new Error(describeFailure(error));
    });
    expect(stdout).toContain('tqs-data');
    expect(stdout).toMatch(/\bmigrate\b/);
    expect(stdout).toMatch(/\brollback\b/);
  });

  // A typed use of the API; the @ts-expect-error lines fail the check if the types resolve to `any`.
  const consumerSource = `
    import {
      ConstraintViolationError,
      createDatabase,
      type Database,
      isRescheduled,
      markSent,
      migrate,
      type NewTutor,
      type Tutor,
      tutors,
    } from '@tqs/data';
    import { createTestDatabase } from '@tqs/data/testing';

    export async function main(): Promise<string> {
      const db = await createDatabase();
      const asDatabase: Database = db;
      const { applied } = await migrate(asDatabase);
      const row: NewTutor = { name: 'Ann Tutor' };
      const [tutor] = await db.insert(tutors).values(row).returning();
      const typed: Tutor | undefined = tutor;
      const flag: boolean = isRescheduled({ status: 'completed' });
      // @ts-expect-error: not a session status
      isRescheduled({ status: 'cancelled' });
      // @ts-expect-error: a name is a string
      const wrong: NewTutor = { name: 42 };
      // @ts-expect-error: the database comes first
      void markSent('00000000-0000-4000-8000-000000000001', db);
      void createTestDatabase;
      await db.close();
      return [applied.join(','), typed?.name, flag, wrong, ConstraintViolationError.name].join(' ');
    }
  `;

  it.each([
    ['node16, "type": "module"', 'node16', 'module'],
    ['node16, CommonJS', 'node16', 'commonjs'],
    ['bundler', 'bundler', 'module'],
  ] as const)('type-checks against the packed types under moduleResolution %s', async (_title, resolution, type) => {
    const dir = join(consumer, `tsc-${resolution}-${type}`);
    mkdirSync(dir, { recursive: true });
    const manifest = { name: `consumer-${resolution}-${type}`, private: true, type };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
    writeFileSync(join(dir, 'main.ts'), consumerSource);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022'],
          module: resolution === 'node16' ? 'node16' : 'esnext',
          moduleResolution: resolution,
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
          verbatimModuleSyntax: resolution === 'bundler',
        },
        files: ['main.ts'],
      }),
    );
    const result = await run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--traceResolution'], dir).catch(
      (error: unknown) => {
        throw new Error(describeFailure(error).slice(-4000));
      },
    );
    // The types came from the unpacked tarball, through the condition the mode selects.
    const declaration = type === 'commonjs' && resolution === 'node16' ? 'index.d.cts' : 'index.d.ts';
    expect(result.stdout).toContain(
      `Module name '@tqs/data' was successfully resolved to '${join(installed, 'dist', declaration)}'`,
    );
  });

  it('passes attw (arethetypeswrong) with the node16 profile', async () => {
    // attw exits non-zero when the profile finds a problem, and run() then throws with its report.
    const { stdout } = await run(
      process.execPath,
      [attw, tarball, '--profile', 'node16', '--format', 'json', '--no-definitely-typed'],
      work,
    ).catch((error: unknown) => {
      throw new Error(describeFailure(error).slice(0, 4000));
    });
    const report = JSON.parse(stdout) as {
      problems: Record<string, { resolutionKind?: string; entrypoint?: string }[]>;
      analysis: { entrypoints: Record<string, unknown> };
    };
    // The node16 profile leaves out node10 (`moduleResolution: node`), which has no subpath exports at all.
    const problems = Object.values(report.problems)
      .flat()
      .filter((p) => p.resolutionKind !== 'node10');
    expect(problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints)).toEqual(expect.arrayContaining(['.', './testing']));
  });
});

/*
 * An npm-workspaces monorepo, installed with npm itself as a user would: the tarball and the peers in one workspace,
 * hoisted to the root's node_modules, then drizzle-kit as a dev dependency, as the README's install lines say.
 * `--prefer-offline` uses npm's cache (filled on a machine's first run), so later runs download nothing.
 */
describe('an npm-workspaces consumer', () => {
  const NPM_TIMEOUT = 240_000;
  let root: string;
  let app: string;

  /** Where `import('@tqs/data')` must not go: Faker and PGlite load only when a dataset or a PGlite database is made. */
  const heavy = /[\\/]node_modules[\\/](@faker-js[\\/]faker|@electric-sql[\\/]pglite)[\\/]/;

  beforeAll(async () => {
    root = join(work, 'monorepo');
    app = join(root, 'packages', 'api');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'monorepo', private: true, workspaces: ['packages/*'] }));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'api', private: true, type: 'module' }));
    const npm = (args: string[]) =>
      run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--workspace', 'api'], root, NPM_TIMEOUT).catch(
        (error: unknown) => {
          throw new Error(describeFailure(error).slice(-4000));
        },
      );
    // The README's install lines, with the packed tarball in place of the registry's @tqs/data.
    await npm(['install', tarball, 'drizzle-orm@0.45', 'zod@4']);
    await npm(['install', '-D', 'drizzle-kit@0.31']);
  }, 2 * NPM_TIMEOUT + 60_000);

  it('hoists the package to the root node_modules, where @tqs/data/migrations finds its drizzle/', async () => {
    expect(existsSync(join(root, 'node_modules', '@tqs', 'data', 'package.json'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', '@tqs', 'data'))).toBe(false);
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', "console.log((await import('@tqs/data/migrations')).migrationsFolder)"],
      app,
    );
    expect(stdout.trim()).toBe(join(root, 'node_modules', '@tqs', 'data', 'drizzle'));
  });

  it('imports the root as ESM and as CommonJS without loading Faker or PGlite; errors match across the two copies', async () => {
    const script = `
      import { register, createRequire } from 'node:module';
      import { MessageChannel } from 'node:worker_threads';
      const { port1, port2 } = new MessageChannel();
      const loaded = [];
      port1.on('message', (url) => loaded.push(url));
      port1.unref();
      register('data:text/javascript,' + encodeURIComponent(
        'let port; export function initialize(data) { port = data.port; }' +
        'export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }'),
        { data: { port: port2 }, transferList: [port2] });
      const esm = await import('@tqs/data');
      const require = createRequire(import.meta.url);
      const cjs = require('@tqs/data');
      await new Promise((resolve) => setImmediate(resolve));
      const fromCjs = new cjs.NotFoundError('tutor', 'x');
      const fromEsm = new esm.ConstraintViolationError({ message: 'm', sqlState: '23514' });
      console.log(JSON.stringify({
        twoCopies: esm.TqsError !== cjs.TqsError,
        loaded: [...loaded, ...Object.keys(require.cache)],
        cjsInEsm: [fromCjs instanceof esm.TqsError, fromCjs instanceof esm.NotFoundError, esm.isTqsError(fromCjs)],
        esmInCjs: [fromEsm instanceof cjs.TqsError, fromEsm instanceof cjs.ConstraintViolationError, cjs.isTqsError(fromEsm)],
        wrongClass: [fromCjs instanceof esm.ValidationError, fromEsm instanceof cjs.NotFoundError],
        plain: [new Error('x') instanceof esm.TqsError, cjs.isTqsError(new Error('x'))],
      }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], app).catch((error: unknown) => {
      throw new Error(describeFailure(error));
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { loaded: string[] } & Record<string, unknown>;
    expect(result.loaded.some((url) => url.includes(join('@tqs', 'data', 'dist', 'index.cjs')))).toBe(true);
    expect(result.loaded.filter((url) => heavy.test(url))).toEqual([]);
    expect(result).toMatchObject({
      twoCopies: true,
      cjsInEsm: [true, true, true],
      esmInCjs: [true, true, true],
      wrongClass: [false, false],
      plain: [false, false],
    });
  });

  it('bundles the tables and scoring for a bundler build without PGlite or Faker', async () => {
    writeFileSync(
      join(app, 'service.ts'),
      "import { tutors, rescheduleRate, isTqsError } from '@tqs/data';\nconsole.log(tutors, rescheduleRate(1, 4), isTqsError);\n",
    );
    const esbuild = join(repoRoot, 'node_modules', 'esbuild', 'bin', 'esbuild');
    await run(esbuild, ['service.ts', '--bundle', '--platform=node', '--format=esm', '--outfile=bundle.js'], app);
    const bundle = readFileSync(join(app, 'bundle.js'), 'utf8');
    expect(bundle).toContain('tutor_scores');
    expect(bundle).not.toMatch(/@electric-sql\/pglite|@faker-js\/faker|PGlite/);
  });

  it.skipIf(!process.env.TQS_TEST_DATABASE_URL)(
    "runs the README's drizzle-kit steps literally: drizzle.config.ts with migrationsFolder, npx drizzle-kit migrate",
    async () => {
      const admin = new URL(process.env.TQS_TEST_DATABASE_URL!);
      const name = `tqs_pkg_${process.pid}_${Date.now()}`;
      const url = new URL(admin);
      url.pathname = `/${name}`;
      writeFileSync(join(app, 'drizzle.config.ts'), readmeDrizzleConfig());
      const adminSql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
      await adminSql.unsafe(`create database "${name}"`);
      try {
        const env = { ...process.env, DATABASE_URL: url.toString(), NO_COLOR: '1' };
        const migrate = await exec('npx', ['drizzle-kit', 'migrate'], { cwd: app, env, timeout: 120_000 }).catch(
          (error: unknown) => {
            throw new Error(describeFailure(error));
          },
        );
        expect(migrate.stdout + migrate.stderr).toMatch(/migrations applied successfully/i);
        const check = `
          import { createDatabase, migrate } from '@tqs/data';
          const db = await createDatabase({ url: process.env.DATABASE_URL });
          try {
            console.log(JSON.stringify(await migrate(db)));
          } finally {
            await db.close();
          }
        `;
        const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', check], { cwd: app, env });
        expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ applied: [] });
      } finally {
        await adminSql.unsafe(`drop database if exists "${name}" with (force)`);
        await adminSql.end();
      }
    },
    300_000,
  );
});

/** The consumer drizzle.config.ts block of docs/database.md, as written there. */
function readmeDrizzleConfig(): string {
  const readme = readFileSync(join(repoRoot, 'docs', 'database.md'), 'utf8');
  const block = /```ts fragment\n(\/\/ drizzle\.config\.ts in your project\n[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('docs/database.md has no "// drizzle.config.ts in your project" block');
  return block[1]!;
}
