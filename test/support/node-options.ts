import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './build';

/** The NODE_OPTIONS entry that preloads test/support/liftoff-only.mjs (why: that file's comment). */
const preload = `--import=${JSON.stringify(pathToFileURL(join(repoRoot, 'test', 'support', 'liftoff-only.mjs')).href)}`;

/**
 * Adds the Liftoff-only preload to process.env.NODE_OPTIONS, once, so that vitest's workers (forked after the global
 * setup) and every process they start inherit it.
 *
 * @example
 * useLiftoffOnly(); // process.env.NODE_OPTIONS === '--import="file:///…/test/support/liftoff-only.mjs"'
 */
export function useLiftoffOnly(): void {
  const current = process.env.NODE_OPTIONS ?? '';
  if (!current.includes(preload)) process.env.NODE_OPTIONS = `${current} ${preload}`.trim();
}

/**
 * `env` without the preload, for a child whose timing stands for a user's (test/testing-readme.test.ts).
 *
 * @example
 * withoutLiftoffOnly(process.env).NODE_OPTIONS; // what it was before useLiftoffOnly()
 */
export function withoutLiftoffOnly(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const options = (env.NODE_OPTIONS ?? '').replace(preload, '').trim();
  const { NODE_OPTIONS: _, ...rest } = env;
  return options === '' ? rest : { ...rest, NODE_OPTIONS: options };
}
