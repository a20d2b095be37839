import { ensureBuilt, repoRoot } from './build';

/** Vitest's global setup: dist/ built once, before any test file runs, when it is missing or out of date. */
export default async function setup(): Promise<void> {
  await ensureBuilt(repoRoot, (line) => console.log(line));
}
