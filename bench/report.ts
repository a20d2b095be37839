import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Figure, figureKey } from './figure';
import type { MachineInfo } from './machine';
import { formatMs } from './measure';

/** What a bench run writes to bench/results/<timestamp>.json. */
export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: MachineInfo;
  notes: string[];
  figures: Figure[];
}

const header = ['figure', 'backend', 'scale', 'median', 'floor', 'ratio', 'target', 'met?'];

function cells(f: Figure): string[] {
  const met = f.met === undefined ? '-' : f.met ? 'yes' : 'NO';
  return [f.figure, f.backend, f.scale, f.display.median, f.display.floor, f.display.ratio, f.target, met];
}

/** The final table, as plain text with aligned columns. */
export function formatTable(figures: Figure[]): string {
  const rows = [header, ...figures.map(cells)];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c] as number)).join(' | ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [line(header), rule, ...rows.slice(1).map(line)].join('\n');
}

/** The same table in Markdown, for BENCHMARKS.md. */
export function formatMarkdownTable(figures: Figure[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...figures.map((f) => `| ${cells(f).map(esc).join(' | ')} |`),
  ].join('\n');
}

const benchDir = dirname(fileURLToPath(import.meta.url));

/** Writes the results as JSON (and the table as Markdown beside it); returns the JSON path. */
export function writeResults(results: BenchResults): string {
  const folder = join(benchDir, 'results');
  mkdirSync(folder, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const file = join(folder, `${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(folder, `${stamp}.md`), `${formatMarkdownTable(results.figures)}\n`);
  return relative(process.cwd(), file) || file;
}

/** The change of every figure present in both runs: medians and ratios, before → now. */
export function formatComparison(previousFile: string, figures: Figure[]): string {
  const previous = JSON.parse(readFileSync(previousFile, 'utf8')) as BenchResults;
  const before = new Map(previous.figures.map((f) => [figureKey(f), f]));
  const pct = (now: number, then: number) => {
    const change = ((now - then) / then) * 100;
    return `${change >= 0 ? '+' : ''}${change.toFixed(0)}%`;
  };
  const lines = [`compared with ${previousFile} (${previous.startedAt}, load average ${previous.machine.loadAverageAtStart.join(', ')}):`];
  let matched = 0;
  for (const f of figures) {
    const old = before.get(figureKey(f));
    if (!old) continue;
    matched++;
    lines.push(
      `  ${f.figure} [${f.backend}, ${f.scale}]: median ${formatMs(old.median)} -> ${formatMs(f.median)} ` +
        `(${pct(f.median, old.median)}), ratio ${old.display.ratio} -> ${f.display.ratio}`,
    );
  }
  if (matched === 0) lines.push('  no figure in common');
  return lines.join('\n');
}
