import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, sessions } from '../src';
import { runCliCaptured } from './support/run-cli';

const scratch = mkdtempSync(join(tmpdir(), 'tqs-cli-ingest-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const tutorId = randomUUID();
const ids = [randomUUID(), randomUUID(), randomUUID()];
const booked = (id: string) => ({
  id,
  tutorId,
  tutor: { name: 'Ada Byron', email: 'ada@example.org' },
  studentId: 'student-1',
  scheduledTime: '2031-01-15T16:00:00Z',
  status: 'scheduled',
});
const completed = (id: string) => ({ ...booked(id), status: 'completed', completedTime: '2031-01-15T17:00:00Z', durationMinutes: 60 });

const lines = [
  JSON.stringify(booked(ids[0]!)),
  JSON.stringify(booked(ids[1]!)),
  '',
  JSON.stringify(completed(ids[2]!)),
  JSON.stringify(booked(ids[0]!)), // again: unchanged
  JSON.stringify(completed(ids[1]!)), // forward: updated
  JSON.stringify(booked(ids[2]!)), // back to scheduled: refused
  '{"id": oops',
  JSON.stringify({ ...booked(randomUUID()), status: 'rescheduled' }), // no reschedule: refused
];

describe('tqs-data ingest', () => {
  const dir = join(scratch, 'pglite');
  const file = join(scratch, 'sessions.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  beforeAll(async () => {
    const migrated = await runCliCaptured(['migrate', '--data-dir', dir]);
    expect(migrated.code, migrated.stderr).toBe(0);
  });

  it('stores each line, prints each refusal with its line number and a summary, and exits 1 when any was refused', async () => {
    const { code, stdout, stderr } = await runCliCaptured(['ingest', file, '--data-dir', dir]);
    expect(code, stderr).toBe(1);
    expect(stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(new RegExp(`^line 7: refused session ${ids[2]}: session ${ids[2]} contradicts what is stored: status: is 'completed' in the database: a session with an outcome never goes back to 'scheduled'`)),
      expect.stringMatching(/^line 8: refused: not JSON \(/),
      expect.stringMatching(/^line 9: refused session [0-9a-f-]{36}: .*reschedule: must be given exactly when status is 'rescheduled'/),
      'ingested 9 lines: 3 inserted, 1 updated, 1 unchanged, 3 refused',
    ]);
    const db = await createDatabase({ dataDir: dir });
    try {
      const rows = await db.select({ id: sessions.id, status: sessions.status }).from(sessions);
      expect(new Map(rows.map((r) => [r.id, r.status]))).toEqual(
        new Map([
          [ids[0], 'scheduled'],
          [ids[1], 'completed'],
          [ids[2], 'completed'],
        ]),
      );
    } finally {
      await db.close();
    }
  });

  it("reads standard input with '-', and a second delivery of the same lines changes nothing (exit 0)", async () => {
    const input = `${[lines[0], lines[3], lines[5]].join('\n')}\n`;
    const { code, stdout, stderr } = await runCliCaptured(['ingest', '-', '--data-dir', dir], { input });
    expect(code, stderr).toBe(0);
    expect(stdout).toBe('ingested 3 lines: 0 inserted, 0 updated, 3 unchanged, 0 refused\n');
  });

  it('a missing file or a missing FILE is a usage error (exit 2), and the database is not opened', async () => {
    const missing = await runCliCaptured(['ingest', join(scratch, 'nope.jsonl'), '--data-dir', join(scratch, 'never')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl: no such file/);
    const none = await runCliCaptured(['ingest', '--data-dir', dir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('ingest takes one FILE (got 0)');
    const help = await runCliCaptured(['ingest', '--help']);
    expect(help.stdout).toContain('Usage: tqs-data ingest [options] FILE');
  });
});
