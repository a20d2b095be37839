import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { type Dataset, ingestSessions, refreshDueScores, sessions, type SessionPayload } from '../src';
import type { Figure } from './figure';
import { timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { collectGarbageAndSettle, formatMs, formatRate, progress, timed } from './measure';
import type { BenchBackend, Scale } from './options';
import type { ScratchDatabase } from './scratch';
import { runTimed } from './timed-process';

/*
 * The ingest figures (docs/ingest.md): ingestSessions of 10,000 payloads into the loaded database, against a plain
 * multi-row INSERT of the same new sessions in the same run, then the due refresh it leaves; and (PostgreSQL)
 * `tqs-data ingest` of a 100,000-line file in a process of its own, its peak RSS from /usr/bin/time -v.
 */

const PAYLOADS = 10_000;
const CLI_LINES = 100_000;
const MIN_RATE = 2_000;
const RSS_LIMIT_MB = 300;
const HOUR = 3_600_000;

/**
 * A platform's stream of `n` payloads for the dataset's tutors: half new bookings of the coming days, a third of those
 * getting their outcome (completed, no-show, or a tutor's cancellation), and the rest second deliveries, shuffled
 * as deliveries arrive (a session's outcome after its booking). A tenth of the bookings name a new tutor with details.
 */
export function payloadStream(dataset: Dataset, n: number, seed = 1): SessionPayload[] {
  let x = seed;
  const rand = () => {
    x = (x * 48271) % 2147483647;
    return x / 2147483647;
  };
  const tutorIds = dataset.tutors.map((t) => t.id);
  // Bookings still waiting for their outcome, and each session's latest payload (a second delivery repeats it).
  const bookings: SessionPayload[] = [];
  const latest = new Map<string, SessionPayload>();
  const out: SessionPayload[] = [];
  while (out.length < n) {
    const r = rand();
    if (r < 0.5 || bookings.length === 0) {
      const newTutor = rand() < 0.1;
      const tutorId = newTutor ? randomUUID() : tutorIds[Math.floor(rand() * tutorIds.length)]!;
      const booking: SessionPayload = {
        id: randomUUID(),
        tutorId,
        ...(newTutor ? { tutor: { name: `New tutor ${out.length}`, email: `new-${tutorId}@example.org` } } : {}),
        studentId: `student-${Math.floor(rand() * 5000)}`,
        scheduledTime: new Date(BENCH_NOW.getTime() + Math.floor(rand() * 14 * 24) * HOUR).toISOString(),
        status: 'scheduled',
      };
      bookings.push(booking);
      latest.set(booking.id, booking);
      out.push(booking);
    } else if (r < 0.8) {
      const pick = Math.floor(rand() * bookings.length);
      const booking = bookings[pick]!;
      bookings[pick] = bookings[bookings.length - 1]!;
      bookings.pop();
      const kind = rand();
      const at = new Date(booking.scheduledTime).getTime();
      const outcome: SessionPayload =
        kind < 0.8
          ? { ...booking, status: 'completed', completedTime: new Date(at + HOUR).toISOString(), durationMinutes: 60 }
          : kind < 0.9
            ? { ...booking, status: 'no_show' }
            : { ...booking, status: 'rescheduled', reschedule: { initiator: 'tutor', newTime: null, cancelledAt: new Date(at - 2 * HOUR).toISOString() } };
      latest.set(booking.id, outcome);
      out.push(outcome);
    } else {
      out.push(latest.get(out[Math.floor(rand() * out.length)]!.id)!);
    }
  }
  return out;
}

/** The ingest figures of one backend and scale, on the database the load figures left (scores refreshed). */
export async function ingestFigures(
  backend: BenchBackend,
  scale: Scale,
  loaded: ScratchDatabase,
  dataset: Dataset,
  fullRefreshSamples: number[],
): Promise<Figure[]> {
  const { db } = loaded;
  const figures: Figure[] = [];
  const samples: number[] = [];
  const floorSamples: number[] = [];
  const dueSamples: number[] = [];
  let refreshed = 0;
  for (let run = 0; run < 2; run++) {
    // The floor: the same number of new sessions by a plain multi-row INSERT, 250 a statement, one transaction.
    const floorRows = [...new Map(payloadStream(dataset, PAYLOADS, 1000 + run).map((p) => [p.id, p])).values()]
      .filter((p) => p.status === 'scheduled' && !p.tutor)
      .map((p) => ({ id: p.id, tutorId: p.tutorId, studentId: p.studentId, scheduledTime: new Date(p.scheduledTime), status: 'scheduled' as const }));
    await collectGarbageAndSettle();
    const floor = await timed(() =>
      db.transaction(async (tx) => {
        for (let i = 0; i < floorRows.length; i += 250) await tx.insert(sessions).values(floorRows.slice(i, i + 250));
      }),
    );
    // Scaled to PAYLOADS rows, so that the two are compared per row.
    floorSamples.push((floor.ms * PAYLOADS) / floorRows.length);
    for (let i = 0; i < 100 && (await refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 })).more; i++);

    const payloads = payloadStream(dataset, PAYLOADS, 1 + run);
    await collectGarbageAndSettle();
    const ingest = await timed(() => ingestSessions(db, payloads));
    const refused = ingest.value.filter((r) => r.outcome === 'refused');
    if (refused.length > 0) throw new Error(`ingest figure: ${refused.length} payloads refused, e.g. ${refused[0]!.error?.message}`);
    samples.push(ingest.ms);
    const due = await timed(async () => {
      let n = 0;
      for (let i = 0; i < 100; i++) {
        const batch = await refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 });
        n += batch.refreshed;
        if (!batch.more) break;
      }
      return n;
    });
    dueSamples.push(due.ms);
    refreshed = due.value;
    progress(`  ingest ${backend} ${scale.name} run ${run + 1}/2: ${formatMs(ingest.ms)} (${formatRate((PAYLOADS * 1000) / ingest.ms)}), due refresh ${formatMs(due.ms)} (${refreshed} tutors)`);
  }
  const ingestFigure = timeRatioFigure({
    figure: 'ingest: ingestSessions (10,000 payloads) vs plain INSERT',
    backend,
    scale: scale.name,
    samples,
    floorSamples,
    direction: 'median/floor',
    ratioMeaning: 'ingestSessions time / a plain multi-row INSERT of as many new sessions (per row)',
    notes: [],
  });
  const rate = (PAYLOADS * 1000) / ingestFigure.median;
  figures.push({
    ...ingestFigure,
    display: { ...ingestFigure.display, median: `${formatMs(ingestFigure.median)} (${formatRate(rate)})` },
    target: `>= ${formatRate(MIN_RATE)} sessions`,
    met: rate >= MIN_RATE,
    rows: PAYLOADS,
    notes: [`${Math.round(rate)} sessions/s on one connection: half new bookings, outcomes, second deliveries, a tenth new tutors`],
  });
  figures.push(
    timeRatioFigure({
      figure: 'ingest: refreshDueScores after ingestSessions (10,000 payloads) vs full refresh',
      backend,
      scale: scale.name,
      samples: dueSamples,
      floorSamples: fullRefreshSamples,
      direction: 'median/floor',
      ratioMeaning: 'due refresh time after the ingest / full refreshTutorScores time',
      notes: [`${refreshed} tutors refreshed (every tutor a payload touched)`],
    }),
  );
  if (backend === 'postgres' && loaded.url) figures.push(await cliFigure(scale, dataset, loaded.url));
  await db.execute(sql`analyze`);
  return figures;
}

/** `tqs-data ingest` of a 100,000-line file in a process of its own: time and peak RSS (target < 300 MB). */
async function cliFigure(scale: Scale, dataset: Dataset, url: string): Promise<Figure> {
  const dir = mkdtempSync(join(tmpdir(), 'tqs-bench-ingest-'));
  try {
    const file = join(dir, 'sessions.jsonl');
    writeFileSync(file, `${payloadStream(dataset, CLI_LINES, 77).map((p) => JSON.stringify(p)).join('\n')}\n`);
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'ingest', file, '--database-url', url];
    const { code, stdout, stderr, wallMs, maxRssBytes } = await runTimed(args);
    if (code !== 0) throw new Error(`ingest figure: tqs-data ingest exited with ${code}: ${stdout.slice(-500)} ${stderr.slice(-1000)}`);
    const rssMb = maxRssBytes === undefined ? Number.NaN : maxRssBytes / 1024 / 1024;
    progress(`  ingest cli ${scale.name}: ${formatMs(wallMs)}, peak RSS ${rssMb.toFixed(0)} MB; ${stdout.trim().split('\n').pop()}`);
    return {
      figure: 'ingest: tqs-data ingest (100,000 lines) peak RSS',
      backend: 'postgres',
      scale: scale.name,
      median: rssMb,
      floor: RSS_LIMIT_MB,
      ratio: rssMb / RSS_LIMIT_MB,
      ratioMeaning: 'peak RSS / 300 MB (median and floor in MB, not ms)',
      display: { median: `${rssMb.toFixed(0)} MB`, floor: `${RSS_LIMIT_MB} MB`, ratio: (rssMb / RSS_LIMIT_MB).toFixed(2) },
      target: `< ${RSS_LIMIT_MB} MB`,
      met: rssMb < RSS_LIMIT_MB,
      samples: [rssMb],
      floorSamples: [RSS_LIMIT_MB],
      notes: [`wall time ${formatMs(wallMs)} (${formatRate((CLI_LINES * 1000) / wallMs)}), run under tsx as the xl figure`, stdout.trim().split('\n').pop() ?? ''],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
