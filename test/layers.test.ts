import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  entries,
  folderFaces,
  type ImportEdge,
  importEdges,
  importSpecifiers,
  layers,
  type NamedImportEdge,
  namedImportEdges,
  namedImports,
  siblingViolation,
  sourceFiles,
  unitOf,
  violation,
} from './support/layers';

const srcDir = fileURLToPath(new URL('../src', import.meta.url));

/**
 * Upward imports known today whose fix has to touch a file that is being rewritten elsewhere. Each stays listed only
 * while the code still has it: the test below fails once it is gone, so the entry is removed with the fix.
 */
const pending: readonly Pick<ImportEdge, 'from' | 'to'>[] = [];

const isPending = (edge: ImportEdge) => pending.some((p) => p.from === edge.from && p.to === edge.to);

describe('layers of src/', () => {
  const edges = importEdges(srcDir);

  it('reads the imports of every source file', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'errors/server-errors.ts', to: 'errors/classes.ts', specifier: './classes' });
  });

  it('place every folder and top-level file of src/ in a layer', () => {
    const placed = new Set([...layers.flat(), ...entries]);
    const units = readdirSync(srcDir).filter((name) => !name.startsWith('.'));
    expect(units.filter((unit) => !placed.has(unit))).toEqual([]);
  });

  it('import only from the layers below (or from the floor within the floor)', () => {
    const broken = edges
      .filter((edge) => !isPending(edge))
      .flatMap((edge) => {
        const why = violation(edge);
        return why ? [`${edge.from} → '${edge.specifier}': ${why}`] : [];
      });
    expect(broken).toEqual([]);
  });

  it('still have every pending exception (remove the entry once its import is fixed)', () => {
    for (const known of pending) {
      expect(edges.some((edge) => edge.from === known.from && edge.to === known.to)).toBe(true);
    }
  });
});

/**
 * The sibling rule, within one folder (its subfolders count as folders of their own): a file that the folder's
 * `index.ts` takes names from is an entry point of the folder, and the names the index takes are the folder's public
 * vocabulary. A file may take from an entry point of its own folder only those public names; whatever else an entry
 * point exports is its internal. When a sibling needs such an internal, it moves into a helper file of the folder
 * (one the index takes nothing from), which every file of the folder may import. The index itself takes what it likes.
 */
describe('siblings of one folder', () => {
  const named = namedImportEdges(srcDir);
  const faces = folderFaces(named);

  /**
   * Entry points that still share internals, in folders being reorganized elsewhere (`db/`: one folder per backend;
   * `load/`: one load run). Listed by importing file and imported file; each entry must still hold, and goes with its fix.
   */
  const pendingSiblings: readonly Pick<ImportEdge, 'from' | 'to'>[] = [];
  const isPendingSibling = (edge: ImportEdge) => pendingSiblings.some((p) => p.from === edge.from && p.to === edge.to);

  it('knows the public face of the folders', () => {
    expect(faces.get('scoring/refresh-tutor-scores.ts')).toContain('refreshTutorScores');
    expect(faces.get('cli/commands/generate.ts')).toEqual(new Set(['generateCommand']));
  });

  it('take from an entry point of their folder only what its index.ts takes', () => {
    const broken = named.filter((edge) => !isPendingSibling(edge)).flatMap((edge) => siblingViolation(edge, faces) ?? []);
    expect(broken).toEqual([]);
  });

  it('still have every pending exception (remove the entry once its import is fixed)', () => {
    for (const known of pendingSiblings) {
      expect(named.some((edge) => edge.from === known.from && edge.to === known.to && siblingViolation(edge, faces))).toBe(true);
    }
  });
});

describe('the sibling checker', () => {
  const edge = (from: string, to: string, names: string[]): NamedImportEdge => ({ from, to, specifier: '(synthetic)', names });
  const faces = folderFaces([
    edge('scoring/index.ts', 'scoring/rates.ts', ['isHighRisk', 'RescheduleRates']),
    edge('scoring/index.ts', 'scoring/refresh.ts', ['refreshTutorScores']),
    edge('cli/commands/index.ts', 'cli/commands/generate.ts', ['generateCommand']),
    edge('util/index.ts', 'util/format.ts', ['*']),
    edge('index.ts', 'scoring/index.ts', ['*']),
  ]);

  it('reads an index as the public face of its own folder only', () => {
    expect([...faces.keys()].sort()).toEqual(['cli/commands/generate.ts', 'scoring/rates.ts', 'scoring/refresh.ts', 'util/format.ts']);
  });

  it("refuses a file taking an entry point's internals", () => {
    expect(siblingViolation(edge('scoring/due.ts', 'scoring/refresh.ts', ['refreshTutorScores', 'withRetries']), faces)).toBe(
      'scoring/due.ts takes withRetries from scoring/refresh.ts, internals of another entry point of scoring/: move them into a helper file of scoring/',
    );
    expect(siblingViolation(edge('cli/commands/setup.ts', 'cli/commands/generate.ts', ['parseGenerateFlags']), faces)).toMatch(
      /internals of another entry point of cli\/commands\//,
    );
    expect(siblingViolation(edge('scoring/due.ts', 'scoring/refresh.ts', ['*']), faces)).toMatch(/takes \*/);
  });

  it('accepts public names, helpers, other folders, subfolders, the index and wildcard faces', () => {
    expect(siblingViolation(edge('scoring/due.ts', 'scoring/rates.ts', ['isHighRisk', 'RescheduleRates']), faces)).toBeUndefined();
    expect(siblingViolation(edge('scoring/due.ts', 'scoring/retries.ts', ['withRetries']), faces)).toBeUndefined();
    expect(siblingViolation(edge('report/build.ts', 'scoring/refresh.ts', ['withRetries']), faces)).toBeUndefined();
    expect(siblingViolation(edge('cli/run.ts', 'cli/commands/generate.ts', ['parseGenerateFlags']), faces)).toBeUndefined();
    expect(siblingViolation(edge('scoring/index.ts', 'scoring/refresh.ts', ['withRetries']), faces)).toBeUndefined();
    expect(siblingViolation(edge('util/lock-file.ts', 'util/format.ts', ['formatBytes']), faces)).toBeUndefined();
  });

  it('reads the names an import or a re-export takes, as the module exports them', () => {
    const source = [
      "import { a, b as c } from './a';",
      "import type { T } from './t';",
      "import d, * as ns from './d';",
      "export { e as f, g } from './e';",
      "export * from './h';",
      "import './side-effect';",
      "// import { x } from './x';",
    ].join('\n');
    expect(namedImports(source)).toEqual([
      { specifier: './a', names: ['a', 'b'] },
      { specifier: './t', names: ['T'] },
      { specifier: './d', names: ['default', '*'] },
      { specifier: './e', names: ['e', 'g'] },
      { specifier: './h', names: ['*'] },
      { specifier: './side-effect', names: [] },
    ]);
  });
});

describe('the layer checker', () => {
  const edge = (from: string, to: string): ImportEdge => ({ from, to, specifier: '(synthetic)' });

  it('refuses an import from a layer above', () => {
    expect(violation(edge('schema/tutors.ts', 'validation/tutors.ts'))).toBe('schema imports validation, a layer above it');
    expect(violation(edge('db/client.ts', 'scoring/rates.ts'))).toMatch(/a layer above/);
    expect(violation(edge('domain/time.ts', 'schema/index.ts'))).toMatch(/a layer above/);
    expect(violation(edge('errors/classes.ts', 'db/client.ts'))).toMatch(/a layer above/);
    expect(violation(edge('util/check-options.ts', 'errors/classes.ts'))).toBe('util imports errors, a layer above it');
    expect(violation(edge('testing/snapshot.ts', 'cli/output.ts'))).toMatch(/a layer above/);
  });

  it('refuses an import between siblings, on the floor too', () => {
    expect(violation(edge('report/render.ts', 'load/index.ts'))).toBe('report imports its sibling load');
    expect(violation(edge('scoring/rates.ts', 'records/sessions.ts'))).toMatch(/sibling/);
    expect(violation(edge('validation/tutors.ts', 'db/client.ts'))).toMatch(/sibling/);
    expect(violation(edge('errors/server-errors.ts', 'domain/index.ts'))).toBe('errors imports its sibling domain');
    expect(violation(edge('errors/server-errors.ts', 'util/error-chain.ts'))).toBeUndefined();
    expect(violation(edge('domain/generate-options.ts', 'util/freeze.ts'))).toBeUndefined();
  });

  it('refuses an import of the package entry and a folder with no layer', () => {
    expect(violation(edge('cli/run.ts', 'index.ts'))).toMatch(/package entry/);
    expect(violation(edge('cli/run.ts', 'plugins/x.ts'))).toBe('plugins has no layer: add it to the layers table');
    expect(violation(edge('plugins/x.ts', 'schema/index.ts'))).toMatch(/plugins has no layer/);
  });

  it('accepts imports downwards, within a folder, and from the entries', () => {
    expect(violation(edge('cli/commands/score.ts', 'schema/index.ts'))).toBeUndefined();
    expect(violation(edge('cli/commands/score.ts', 'cli/command.ts'))).toBeUndefined();
    expect(violation(edge('schema/tutors.ts', 'domain/time.ts'))).toBeUndefined();
    expect(violation(edge('index.ts', 'cli/run.ts'))).toBeUndefined();
    expect(violation(edge('testing/index.ts', 'cli/run.ts'))).toBeUndefined();
    expect(violation(edge('testing/snapshot.ts', 'cli/run.ts'))).toMatch(/a layer above/);
  });

  it('reads static, type-only, re-export and dynamic imports, and skips comments and strings', () => {
    const source = [
      "import { a } from '../a';",
      "import type { B } from '../b';",
      "export * from './c';",
      "export { d } from '../d';",
      'const e = await import("../e");',
      "// import { f } from '../f';",
      "/** @example import { g } from '../g'; */",
      "const h = \"import { h } from '../h'\";",
      "import postgres from 'postgres';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['../a', '../b', './c', '../d', '../e', 'postgres']);
  });

  it('names the unit of a path', () => {
    expect(unitOf('db/postgres-js/socket.ts')).toBe('db');
    expect(unitOf('errors/classes.ts')).toBe('errors');
    expect(unitOf('index.ts')).toBe('index.ts');
  });
});

describe('bench/', () => {
  it('stands on its own support: nothing under bench/ imports from test/', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const inTest = (file: string, specifier: string) =>
      specifier.startsWith('.') && relative(root, resolve(dirname(file), specifier)).split(sep)[0] === 'test';
    const fromTest = sourceFiles(join(root, 'bench')).flatMap((file) =>
      importSpecifiers(readFileSync(file, 'utf8'))
        .filter((specifier) => inTest(file, specifier))
        .map((specifier) => `${relative(root, file)} → '${specifier}'`),
    );
    expect(fromTest).toEqual([]);
  });
});
