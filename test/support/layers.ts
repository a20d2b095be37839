import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/**
 * The layers of `src/`, top to bottom. A folder (or a file at the top of `src/`) imports only from the rows below its
 * own; the names in one row are siblings and never import each other. The floor is two rows: `errors` and `domain`
 * stand on `util`, which imports nothing of the package.
 */
export const layers: readonly (readonly string[])[] = [
  ['cli'],
  ['testing'],
  ['report', 'load', 'generator', 'contract'],
  ['read-model', 'ingest'],
  ['scoring', 'records'],
  ['db', 'validation'],
  ['schema'],
  ['errors', 'domain'],
  ['util'],
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
  if (toRank === fromRank) return `${from} imports its sibling ${to}`;
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

/** What one `import` or `export ... from` takes from a module: the names as the module exports them, `*` for all. */
export interface NamedImport {
  specifier: string;
  names: string[];
}

/** The names each static `import` and `export ... from` of a TypeScript source takes (type-only ones too). */
export function namedImports(source: string): NamedImport[] {
  const file = ts.createSourceFile('source.ts', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: NamedImport[] = [];
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const clause = statement.importClause;
      const names: string[] = [];
      if (clause?.name) names.push('default');
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.push('*');
      if (bindings && ts.isNamedImports(bindings)) {
        names.push(...bindings.elements.map((e) => (e.propertyName ?? e.name).text));
      }
      found.push({ specifier: statement.moduleSpecifier.text, names });
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      const clause = statement.exportClause;
      const names =
        clause && ts.isNamedExports(clause) ? clause.elements.map((e) => (e.propertyName ?? e.name).text) : ['*'];
      found.push({ specifier: statement.moduleSpecifier.text, names });
    }
  }
  return found;
}

/** One relative import with the names it takes, both paths relative to `src/`. */
export interface NamedImportEdge extends ImportEdge {
  names: string[];
}

/** The relative static imports of every `.ts` file below `srcDir`, with the names each takes. */
export function namedImportEdges(srcDir: string): NamedImportEdge[] {
  const toSrcPath = (file: string) => relative(srcDir, file).split(sep).join('/');
  return sourceFiles(srcDir).flatMap((file) =>
    namedImports(readFileSync(file, 'utf8'))
      .filter((found) => found.specifier.startsWith('.'))
      .map((found) => ({
        from: toSrcPath(file),
        to: toSrcPath(resolveRelative(srcDir, file, found.specifier)),
        specifier: found.specifier,
        names: found.names,
      })),
  );
}

/**
 * The public face of every folder that has an `index.ts`: for each file of that same folder the index takes names
 * from (an entry point of the folder), the names it takes (`*` for all). Paths are relative to `src/`.
 */
export function folderFaces(edges: readonly NamedImportEdge[]): Map<string, Set<string>> {
  const faces = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (posix.basename(edge.from) !== 'index.ts' || posix.dirname(edge.to) !== posix.dirname(edge.from)) continue;
    const names = faces.get(edge.to) ?? new Set<string>();
    for (const name of edge.names) names.add(name);
    faces.set(edge.to, names);
  }
  return faces;
}

/**
 * Why an import between two files of one folder reaches into a sibling's internals, or `undefined` when it does not.
 * The rule: within one folder (its subfolders are folders of their own), a file may take from an entry point of the
 * folder (a file its `index.ts` takes names from) only the names the index takes from it, the folder's public
 * vocabulary. A name an entry point exports but the index leaves out is that entry point's internal: when a sibling
 * needs it too, it moves into a helper file of the folder (one the index takes nothing from), which every sibling may
 * import. The index itself imports what it likes.
 */
export function siblingViolation(edge: NamedImportEdge, faces: ReadonlyMap<string, ReadonlySet<string>>): string | undefined {
  const folder = posix.dirname(edge.from);
  if (posix.dirname(edge.to) !== folder || posix.basename(edge.from) === 'index.ts') return undefined;
  const face = faces.get(edge.to);
  if (!face || face.has('*')) return undefined;
  const internals = edge.names.filter((name) => !face.has(name));
  if (internals.length === 0) return undefined;
  return `${edge.from} takes ${internals.join(', ')} from ${edge.to}, internals of another entry point of ${folder}/: move them into a helper file of ${folder}/`;
}
