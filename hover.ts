import ts from 'typescript';
import { readFileSync } from 'node:fs';
const file = process.argv[2]!; const marker = process.argv[3]!;
const text = readFileSync(file, 'utf8');
const options: ts.CompilerOptions = { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true };
const host: ts.LanguageServiceHost = {
  getScriptFileNames: () => [file], getScriptVersion: () => '1',
  getScriptSnapshot: (f) => { try { return ts.ScriptSnapshot.fromString(readFileSync(f, 'utf8')); } catch { return undefined; } },
  getCurrentDirectory: () => process.cwd(), getCompilationSettings: () => options, getDefaultLibFileName: ts.getDefaultLibFilePath,
  fileExists: ts.sys.fileExists, readFile: ts.sys.readFile, readDirectory: ts.sys.readDirectory, directoryExists: ts.sys.directoryExists, getDirectories: ts.sys.getDirectories,
};
const ls = ts.createLanguageService(host);
const pos = text.indexOf(marker);
const info = ls.getQuickInfoAtPosition(file, pos);
console.log(ts.displayPartsToString(info?.displayParts), '|', ts.displayPartsToString(info?.documentation));
