import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  entries,
  type ImportEdge,
  importEdges,
  importSpecifiers,
  layers,
  sourceFiles,
  unitOf,
  violation,
} from './support/layers';

const srcDir = fileURLToPath(new URL('../src', import.meta.url));

/**
 * Upward imports known today whose fix has to touch a file that is being rewritten elsewhere. Each stays listed only
 * while the code still has it: the test below fails once it is gone, so the entry is removed with the fix.
 * - `Dataset` holds schema rows, so it belongs above `schema` (e.g. `records/dataset.ts`), which needs the imports
 *   of `load/insert-dataset.ts` and `report/from-dataset.ts` to follow it.
 */
const pending: readonly Pick<ImportEdge, 'from' | 'to'>[] = [];

const isPending = (edge: ImportEdge) => pending.some((p) => p.from === edge.from && p.to === edge.to);

describe('layers of src/', () => {
  const edges = importEdges(srcDir);

  it('reads the imports of every source file', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'errors.ts', to: 'domain/constraints.ts', specifier: './domain/constraints' });
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

describe('the layer checker', () => {
  const edge = (from: string, to: string): ImportEdge => ({ from, to, specifier: '(synthetic)' });

  it('refuses an import from a layer above', () => {
    expect(violation(edge('schema/tutors.ts', 'validation/tutors.ts'))).toBe('schema imports validation, a layer above it');
    expect(violation(edge('db/client.ts', 'scoring/rates.ts'))).toMatch(/a layer above/);
    expect(violation(edge('domain/time.ts', 'schema/index.ts'))).toMatch(/a layer above/);
    expect(violation(edge('errors.ts', 'db/client.ts'))).toMatch(/a layer above/);
    expect(violation(edge('testing/snapshot.ts', 'cli/output.ts'))).toMatch(/a layer above/);
  });

  it('refuses an import between siblings, except on the floor', () => {
    expect(violation(edge('report/render.ts', 'load/index.ts'))).toBe('report imports its sibling load');
    expect(violation(edge('scoring/rates.ts', 'records/sessions.ts'))).toMatch(/sibling/);
    expect(violation(edge('validation/tutors.ts', 'db/client.ts'))).toMatch(/sibling/);
    expect(violation(edge('errors.ts', 'util/error-chain.ts'))).toBeUndefined();
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
    expect(unitOf('errors.ts')).toBe('errors.ts');
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
