import type { TestProject } from 'vitest/node';
import { ensureBuilt, repoRoot } from './build';
import { useLiftoffOnly } from './node-options';
import { createTemplateDatabase, TEMPLATE_KEY } from './template-database';

/** One template per run, shared by the projects of the configuration (each runs this setup). */
let template: ReturnType<typeof createTemplateDatabase> | undefined;
let users = 0;

/**
 * Vitest's global setup: dist/ built once, before any test file runs, when it is missing or out of date; and, with
 * TQS_TEST_DATABASE_URL set, a migrated template database the test files copy (test/support/template-database.ts),
 * dropped when the run ends. It also makes every Node process started from here on compile WebAssembly with V8's
 * baseline compiler only (test/support/liftoff-only.mjs).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await ensureBuilt(repoRoot, (line) => console.log(line));
  useLiftoffOnly();
  const url = process.env.TQS_TEST_DATABASE_URL || undefined;
  if (url === undefined) {
    project.provide(TEMPLATE_KEY, undefined);
    return async () => {};
  }
  template ??= createTemplateDatabase(url);
  users += 1;
  project.provide(TEMPLATE_KEY, (await template).name);
  return async () => {
    users -= 1;
    if (users === 0 && template) await (await template).drop();
  };
}
