import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { usesDefaultLockTimeout } from '../src/cli/target';
import { createExclusive } from '../src/util/lock-file';
import { runCliCaptured } from './support/run-cli';

/*
 * Values the CLI must refuse while parsing, naming the flag, before it opens anything: integers that are not plain
 * digits, instants PostgreSQL cannot store; and a lock file whose folder cannot be written, named with the reason.
 */
const dir = mkdtempSync(join(tmpdir(), 'tqs-cli-parsing-'));
const dataDir = join(dir, 'db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI parsing', () => {
  it.each([
    [['generate', '--tutors', '+5'], /^tqs-data: --tutors must be a whole number at least 0 \(got '\+5'\)/],
    [['generate', '--seed', '+0'], /^tqs-data: --seed must be a whole number/],
    [['generate', '--sessions=-0'], /^tqs-data: --sessions must be a whole number/],
    [['score', '--limit', '+10'], /^tqs-data: --limit must be a whole number/],
    [['rollback', '--steps', '+1'], /^tqs-data: --steps must be a whole number/],
    [['archive', '--before', '2020-01-01', '--batch-size', '+9'], /^tqs-data: --batch-size must be a whole number/],
  ])('refuses an integer with a sign: %j', async (argv, message) => {
    const run = await runCliCaptured([...argv, '--data-dir', dataDir]);
    expect([run.code, run.stderr.split('\n').length]).toEqual([2, 2]);
    expect(run.stderr).toMatch(message);
  });

  it.each([
    ['generate', 'now', '0000-06-01'],
    ['score', 'as-of', '0000-12-31T23:59:59Z'],
    ['report', 'as-of', '0001-01-01T00:30+01:00'], // year 0 in UTC
    ['archive', 'before', '0000-01-01'],
    ['score', 'as-of', '9999-12-31T23:00-05:00'], // year 10000 in UTC
  ])('refuses %s --%s %s, an instant PostgreSQL cannot store, naming the flag', async (command, flag, value) => {
    const run = await runCliCaptured([command, `--${flag}`, value, '--data-dir', dataDir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^tqs-data: --${flag} must lie between 0001-01-01 and 9999-12-31 UTC`));
  });

  it('refuses archive --restore --from before the year 1', async () => {
    const run = await runCliCaptured(['archive', '--restore', '--from', '0000-01-01', '--data-dir', dataDir]);
    expect([run.code, run.stderr]).toEqual([2, expect.stringMatching(/^tqs-data: --from must lie between/)]);
  });

  it('accepts the first and last storable days', async () => {
    // Parsing passes: the run gets as far as the database (not migrated here), not a usage error.
    for (const value of ['0001-01-01', '9999-12-31T23:59:59Z']) {
      const run = await runCliCaptured(['score', '--as-of', value, '--data-dir', join(dir, 'absent')]);
      expect(run.stderr).not.toMatch(/--as-of/);
    }
  }, 60_000);
});

describe('lock files', () => {
  it('says which folder cannot hold a lock file, and why, instead of a raw ENOENT on a temporary name', () => {
    expect(() => createExclusive(join(dir, 'missing', 'x.lock'), '{}')).toThrow(
      `cannot create the lock file ${join(dir, 'missing', 'x.lock')}: the folder ${join(dir, 'missing')} does not exist: create it, or choose another location (ENOENT)`,
    );
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(() => createExclusive(join(file, 'x.lock'), '{}')).toThrow(/the folder .*a-file does not exist.*\(ENOTDIR\)$/);
    expect(createExclusive(join(dir, 'ok.lock'), '{}')).toBe(true);
    expect(createExclusive(join(dir, 'ok.lock'), '{}')).toBe(false);
  });

  it('names the data directory lock in the CLI', async () => {
    const run = await runCliCaptured(['migrate', '--data-dir', '/proc/tqs-data-test']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^tqs-data: cannot create the lock file \/proc\/tqs-data-test\.lock: \/proc cannot be written \(ENOENT\)\n$/);
    expect(run.stderr).not.toMatch(/\.tmp/);
  });
});

describe("the CLI's lock timeout", () => {
  it('is set on a plain URL and on a pooled (prepare=false) one, left to the URL that sets one', () => {
    expect(usesDefaultLockTimeout('postgres://app@db:5432/tqs')).toBe(true);
    expect(usesDefaultLockTimeout('postgres://app@db:5432/tqs?sslmode=require')).toBe(true);
    expect(usesDefaultLockTimeout('postgres://app@db:5432/tqs?options=-c%20lock_timeout%3D5s')).toBe(false);
    expect(usesDefaultLockTimeout('postgres://app@db:6432/tqs?prepare=false')).toBe(true);
    expect(usesDefaultLockTimeout('postgres://app@db:6432/tqs?sslmode=disable&prepare=false&x=1')).toBe(true);
  });
});
