import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The layers of `src/`, top to bottom. A folder (or a file at the top of `src/`) imports only from the rows below its
 * own; the names in one row are siblings and never import each other, except on the floor (the last row), whose
 * members may use each other.
 */
export const layers: readonly (readonly string[])[] = [
  ['cli'],
  ['testing'],
  ['report', 'load', 'generator'],
  ['read-model', 'ingest'],
  ['scoring', 'records'],
  ['db', 'validation'],
  ['schema'],
  ['errors.ts', 'domain', 'util'],
];

/** Files that only gather the public API (package entries): they import from every layer by design. */
export const entries: readonly string[] = ['index.ts', 'testing/index.ts'];

/** One relative import: the importing file and the imported file, both relative to `src/`, `/`-separated. */
export interface ImportEdge {
  from: string;
  to: string;
  specifier: string;
}

/** Which part of `src/` a path (relative to `src/`) belongs to: its first folder, or the file's name at the top. */
export function unitOf(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? path : path.slice(0, slash);
}

function rankOf(unit: string): number | undefined {
  const rank = layers.findIndex((row) => row.includes(unit));
  return rank === -1 ? undefined : rank;
}

/** Why an edge breaks the layering, or `undefined` when it keeps to it. */
export function violation(edge: ImportEdge): string | undefined {
  if (entries.includes(edge.from)) return undefined;
  const from = unitOf(edge.from);
  const to = unitOf(edge.to);
  if (from === to) return undefined;
  const fromRank = rankOf(from);
  if (fromRank === undefined) return `${from} has no layer: add it to the layers table`;
  if (entries.includes(edge.to)) return `${from} imports the package entry ${edge.to}`;
  const toRank = rankOf(to);
  if (toRank === undefined) return `${to} has no layer: add it to the layers table`;
  if (toRank < fromRank) return `${from} imports ${to}, a layer above it`;
  if (toRank === fromRank && fromRank !== layers.length - 1) return `${from} imports its sibling ${to}`;
  return undefined;
}

/**
 * The module specifiers a TypeScript source imports: static `import` (type-only too), `export ... from`, `require`
 * and `import()` with a string literal. Comments and strings are not read as imports.
 */
export function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
}

function resolveRelative(srcDir: string, fromFile: string, specifier: string): string {
  const base = resolve(dirname(fromFile), specifier.replace(/\.js$/, ''));
  const candidates = [`${base}.ts`, join(base, 'index.ts'), base];
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  if (!found) throw new Error(`${relative(srcDir, fromFile)}: cannot resolve import '${specifier}'`);
  return found;
}

/** Every `.ts` file below `dir`, sorted. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name))
    .sort();
}

/** The relative imports of every `.ts` file below `srcDir`, as edges between paths relative to `srcDir`. */
export function importEdges(srcDir: string): ImportEdge[] {
  const toSrcPath = (file: string) => relative(srcDir, file).split(sep).join('/');
  return sourceFiles(srcDir).flatMap((file) =>
    importSpecifiers(readFileSync(file, 'utf8'))
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ({
        from: toSrcPath(file),
        to: toSrcPath(resolveRelative(srcDir, file, specifier)),
        specifier,
      })),
  );
}

/** Which unit imports which, from the edges: `{ cli: ['db', 'domain', ...], ... }`, sorted, own folder left out. */
export function importTable(edges: readonly ImportEdge[]): Record<string, string[]> {
  const table: Record<string, Set<string>> = {};
  for (const edge of edges) {
    if (entries.includes(edge.from)) continue;
    const from = unitOf(edge.from);
    const to = unitOf(edge.to);
    table[from] ??= new Set();
    if (from !== to) table[from].add(to);
  }
  return Object.fromEntries(
    Object.keys(table)
      .sort()
      .map((unit) => [unit, [...(table[unit] ?? [])].sort()]),
  );
}
