import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * Every export of the package's entries has a doc comment, and every field of the row types documents its column:
 * read from the emitted declarations (dist/*.d.ts, what an editor shows a consumer), with the TypeScript compiler.
 */

const dist = join(import.meta.dirname, '..', 'dist');
const entries = ['index.d.ts', 'testing.d.ts'];
const program = ts.createProgram(
  entries.map((entry) => join(dist, entry)),
  { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
);
const checker = program.getTypeChecker();

/** The exports of one emitted entry, each resolved through its re-export aliases. */
function exportsOf(entry: string): ts.Symbol[] {
  const source = program.getSourceFile(join(dist, entry));
  if (!source) throw new Error(`dist/${entry} is missing: build first (npm run build)`);
  const module = checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`dist/${entry} exports nothing`);
  return checker.getExportsOfModule(module);
}

/** The doc comment of an export (its own, or that of the declaration it re-exports), as text. */
function docOf(symbol: ts.Symbol): string {
  const own = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  if (own) return own;
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
}

describe('doc comments of the public API', () => {
  for (const entry of entries) {
    it(`every export of dist/${entry} has a doc comment`, () => {
      const exported = exportsOf(entry);
      expect(exported.length).toBeGreaterThan(entry === 'index.d.ts' ? 200 : 4);
      const undocumented = exported.filter((symbol) => docOf(symbol) === '').map((symbol) => symbol.name);
      expect(undocumented).toEqual([]);
    });
  }

  it('every field of every row type documents its column', () => {
    const rows = ['Tutor', 'NewTutor', 'Session', 'NewSession', 'Reschedule', 'NewReschedule', 'TutorScore', 'NewTutorScore', 'TutorScoreChange', 'EmailReport', 'NewEmailReport'];
    const exported = new Map(exportsOf('index.d.ts').map((symbol) => [symbol.name, symbol]));
    const undocumented: string[] = [];
    let fields = 0;
    for (const name of rows) {
      const symbol = exported.get(name);
      if (!symbol) throw new Error(`${name} is not exported`);
      const type = checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(symbol));
      for (const field of type.getProperties()) {
        fields += 1;
        if (ts.displayPartsToString(field.getDocumentationComment(checker)).trim() === '') undocumented.push(`${name}.${field.name}`);
      }
    }
    expect(undocumented).toEqual([]);
    expect(fields).toBeGreaterThan(80);
  });
  it('the declarations name no file outside the package (src/, test/, examples/, bench/, a spec section)', () => {
    const found: string[] = [];
    for (const file of readdirSync(dist).filter((name) => name.endsWith('.d.ts'))) {
      const text = readFileSync(join(dist, file), 'utf8');
      for (const match of text.matchAll(/(?<![\w@/.-])(?:src|test|examples|bench)\/[\w./-]+|spec §[\d.]+/g)) found.push(`${file}: ${match[0]}`);
    }
    expect(found).toEqual([]);
  });
});
