import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedScratchDatabase } from './support/databases';

/*
 * The code blocks of README.md and docs/*.md, run as a reader would run them (the convention is in
 * docs/development.md, "Code blocks in the documents"): a ```ts block is a whole program, written to a consumer
 * project in a temporary folder whose node_modules/@tqs/data is a symlink to this repository, so '@tqs/data' resolves
 * through package.json's exports to the built dist/, as it does for a user. Each program is type-checked against the
 * built declarations (one tsc run for all of them), compiled to JavaScript (one esbuild run for all of them: the
 * transform tsx applies, paid once instead of once a process) and run by plain `node` in a process of its own; it must
 * exit 0, print something, and exit by itself within RUN_TIMEOUT (a database left open keeps Node running).
 */

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bin = (path: string) => join(repoRoot, 'node_modules', path);
const postgresUrl = process.env.TQS_TEST_DATABASE_URL || undefined;
/** Generous for a loaded 2-core machine; a program that hangs on an open database is still caught. */
const RUN_TIMEOUT = 90_000;
/** Programs run at once: each starts Node and usually a PGlite. */
const PARALLEL = 2;

/** What a ```ts program may import: this package, its peers, the two drivers it depends on, Node's builtins. */
const allowedImport = /^(@tqs\/data(\/testing|\/migrations)?|drizzle-orm(\/[a-z-]+)*|zod|postgres|@electric-sql\/pglite|node:[a-z/_]+)$/;
/** The info strings a ts block may carry, and what each means. */
const kinds = { ts: 'program', 'ts fragment': 'fragment', 'ts vitest': 'vitest' } as const;

interface Block {
  page: string;
  line: number;
  kind: (typeof kinds)[keyof typeof kinds];
  code: string;
}

const pages = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** The fenced blocks of a page whose info string starts with `ts`; a fence may be indented (inside a list item). */
function tsBlocks(page: string): Block[] {
  const lines = readFileSync(join(repoRoot, page), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const [, indent = '', info = ''] = open;
    const end = lines.findIndex((l, j) => j > i && l.trimEnd() === `${indent}\`\`\``);
    if (end < 0) throw new Error(`${page}:${i + 1}: a code block is never closed`);
    if (/^(ts|typescript|js|javascript)\b/.test(info.trim())) {
      const kind = kinds[info.trim() as keyof typeof kinds];
      if (!kind) throw new Error(`${page}:${i + 1}: unknown code block marker \`\`\`${info} (use ${Object.keys(kinds).join(', ')})`);
      const code = lines.slice(i + 1, end).map((l) => l.slice(indent.length)).join('\n');
      blocks.push({ page, line: i + 1, kind, code: `${code}\n` });
    }
    i = end;
  }
  return blocks;
}

const blocks = pages.flatMap(tsBlocks);
const programs = blocks.filter((b) => b.kind === 'program');
/** Fragments that are whole modules (they import what they use) are type-checked with the programs, never run. */
const checkedFragments = blocks.filter((b) => b.kind === 'fragment' && /^import /m.test(b.code));
const fileOf = (b: Block) => `${b.page.replace(/\W+/g, '_')}_${b.line}.ts`;
/** The JavaScript esbuild writes for a program, beside its source. */
const compiledOf = (b: Block) => fileOf(b).replace(/\.ts$/, '.js');
/** Whether a program reads DATABASE_URL (outside `//` comments, which may mention it). */
const needsServer = (b: Block) => b.code.split('\n').some((line) => line.replace(/(^|\s)\/\/.*$/, '').includes('process.env.DATABASE_URL'));

/** The imports of a program, static and dynamic. */
const importsOf = (code: string) =>
  [...code.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)|^import\s+'([^']+)'/gm)].map((m) => m[1] ?? m[2] ?? m[3]);

function distProblem(): string | undefined {
  const built = ['index.js', 'index.d.ts', 'testing.js', 'testing.d.ts'].map((f) => join(repoRoot, 'dist', f));
  if (!built.every(existsSync)) return 'dist/ is missing: run `npm run build` before this test (it runs the documents against the built package)';
  const newest = (path: string): number => {
    const stat = statSync(path);
    return stat.isDirectory() ? Math.max(stat.mtimeMs, ...readdirSync(path).map((e) => newest(join(path, e)))) : stat.mtimeMs;
  };
  if (newest(join(repoRoot, 'src')) > statSync(built[0] as string).mtimeMs) return 'dist/ is older than src/: run `npm run build` first';
  return undefined;
}

/** A small queue, so that at most PARALLEL programs run at once whatever vitest starts. */
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await fn();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

/** The environment of a child: ours without vitest's markers, and without a DATABASE_URL we did not choose. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'DATABASE_URL' && k !== 'DATABASE_REPLICA_URL'),
  );
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

let project: string;

beforeAll(async () => {
  const problem = distProblem();
  if (problem) throw new Error(problem);
  // A consumer project: this package and its peers in node_modules, as `npm install @tqs/data drizzle-orm zod` leaves them.
  project = mkdtempSync(join(tmpdir(), 'tqs-docs-'));
  mkdirSync(join(project, 'node_modules', '@tqs'), { recursive: true });
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  symlinkSync(repoRoot, join(project, 'node_modules', '@tqs', 'data'), 'dir');
  mkdirSync(join(project, 'node_modules', '@electric-sql'), { recursive: true });
  for (const dependency of ['drizzle-orm', 'drizzle-kit', 'zod', 'postgres', '@electric-sql/pglite', '@types/node']) symlinkSync(bin(dependency), join(project, 'node_modules', dependency), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'docs-examples', private: true, type: 'module' }));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'ESNext.Disposable'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: true,
        types: ['node'],
        noEmit: true,
      },
      include: ['*.ts'],
    }),
  );
  for (const b of [...programs, ...checkedFragments]) writeFileSync(join(project, fileOf(b)), b.code);
  // As tsx would for Node 20 (it too runs esbuild): types stripped, `await using` lowered; imports left to Node, so
  // '@tqs/data' still resolves to the built package when the program runs.
  await build({
    entryPoints: programs.map((b) => join(project, fileOf(b))),
    outdir: project,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    logLevel: 'silent',
  });
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('documents', () => {
  it('every page with TypeScript examples has one that runs', () => {
    const shownOnly = pages.filter((p) => blocks.some((b) => b.page === p) && !programs.some((b) => b.page === p));
    expect(shownOnly).toEqual([]);
  });

  it('```ts vitest blocks live only in docs/testing.md, where test/testing-readme.test.ts runs them', () => {
    expect(blocks.filter((b) => b.kind === 'vitest' && b.page !== 'docs/testing.md').map((b) => `${b.page}:${b.line}`)).toEqual([]);
  });

  it('programs import only @tqs/data, its peers and node: builtins', () => {
    const bad = programs.flatMap((b) => importsOf(b.code).filter((s) => !allowedImport.test(s as string)).map((s) => `${b.page}:${b.line}: ${s}`));
    expect(bad).toEqual([]);
  });

  it('relative links point at files that exist, and anchors at headings of the page linked', () => {
    // GitHub's anchors: the heading in lower case, without punctuation, spaces as hyphens.
    const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const anchorsOf = (file: string) =>
      readFileSync(file, 'utf8').split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, '')));
    const broken = pages.flatMap((page) => {
      const text = readFileSync(join(repoRoot, page), 'utf8').replace(/```[\s\S]*?```/g, '');
      return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1] as string)
        .filter((href) => !/^[a-z]+:/.test(href))
        .filter((href) => {
          const [path = '', anchor] = href.split('#');
          const target = path === '' ? join(repoRoot, page) : join(repoRoot, dirname(page), path);
          if (!existsSync(target)) return true;
          return anchor !== undefined && target.endsWith('.md') && !anchorsOf(target).includes(anchor);
        })
        .map((href) => `${page}: ${href}`);
    });
    expect(broken).toEqual([]);
  });

  it('programs (and fragments that are whole modules) type-check against the built declarations', async () => {
    await slot(() =>
      exec(process.execPath, [bin('typescript/bin/tsc'), '-p', project], { cwd: project, timeout: 240_000, maxBuffer: 16 << 20 }).catch(
        (error: { stdout?: string; message: string }) => {
          throw new Error(`tsc failed on the documents' programs (file names are page_line.ts):\n${error.stdout ?? error.message}`);
        },
      ),
    );
  }, 300_000);

  describe.concurrent.each(pages)('%s', (page) => {
    const mine = programs.filter((b) => b.page === page);
    if (mine.length === 0) it.skip('has no program', () => {});
    for (const b of mine) {
      const skip = needsServer(b) && !postgresUrl;
      const title = `line ${b.line}${skip ? ' (skipped: reads DATABASE_URL; set TQS_TEST_DATABASE_URL to run it on PostgreSQL)' : ''}`;
      it.skipIf(skip)(
        title,
        async () => {
          const scratch = needsServer(b) ? await migratedScratchDatabase(postgresUrl as string, 'tqs_docs') : undefined;
          try {
            // A replica's stand-in is the primary itself: what runs is the API and the routing, not replication.
            const env = childEnv(scratch ? { DATABASE_URL: scratch.url, DATABASE_REPLICA_URL: scratch.url } : {});
            const { stdout } = await slot(() =>
              exec(process.execPath, [compiledOf(b)], { cwd: project, env, timeout: RUN_TIMEOUT, maxBuffer: 16 << 20 }),
            ).catch((error: { killed?: boolean; stdout?: string; stderr?: string; message: string }) => {
              const hint = error.killed ? ` (killed after ${RUN_TIMEOUT} ms: does it close every database it opens?)` : '';
              throw new Error(`${b.page}:${b.line} failed${hint}\n${error.stdout ?? ''}\n${error.stderr ?? error.message}`);
            });
            expect(stdout.trim(), `${b.page}:${b.line} prints nothing`).not.toBe('');
          } finally {
            await scratch?.drop();
          }
        },
        // A test may wait for every other program's slot first; its own run is bounded by RUN_TIMEOUT.
        RUN_TIMEOUT * (Math.ceil(programs.length / PARALLEL) + 2),
      );
    }
  });
});
