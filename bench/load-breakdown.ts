/**
 * Where the time of a bulk load goes: the sessions COPY of one scale, timed against the same table with its
 * foreign key, its secondary indexes, then its primary key and CHECKs taken away one layer at a time, and against a
 * bare heap that gets its indexes built afterwards. Every variant runs in its own transaction on a freshly migrated
 * scratch database (the tutors are loaded and committed first, so the foreign key has rows to find), is timed over
 * the COPY (plus the CREATE INDEX statements where they apply), and is rolled back, so the schema is the migrated one
 * each time. The WAL each variant wrote is measured too (PostgreSQL only).
 *
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/load-breakdown.ts --scale large
 *   npx tsx bench/load-breakdown.ts --scale medium --backend pglite
 *   ... --runs 3 --only 1,4     (median of 3; only the first and fourth variants)
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'drizzle-orm';
import { generateDataset, queryRows, rawClient, type TqsDatabase } from '../src';
import { copyLoad, type SerializedTable, serializeDataset } from './copy-floor';
import { datasetOptions } from './generate-figure';
import { formatMs, formatRate, median } from './measure';
import { openScratch, type ScratchDatabase } from './scratch';
import { breakdownOptions, runScript } from './script';

interface Variant {
  name: string;
  /** DDL run inside the transaction before the COPY (untimed). */
  before: string[];
  /** Statements run after the COPY, timed with it. */
  after: string[];
}

const secondaryIndexes = [
  'sessions_tutor_id_scheduled_time_idx',
  'sessions_window_idx',
  'sessions_status_idx',
];
const checks = [
  'sessions_status_valid',
  'sessions_student_id_not_blank',
  'sessions_completed_time_matches_status',
  'sessions_completed_after_scheduled',
  'sessions_duration_positive',
  'sessions_duration_only_when_completed',
];
const noFk = 'alter table sessions drop constraint sessions_tutor_id_fk';
const noSecondary = [
  ...secondaryIndexes.map((i) => `drop index ${i}`),
  // reschedules' composite foreign key hangs on this unique index: dropped with it (inside the rolled-back transaction).
  'alter table sessions drop constraint sessions_id_scheduled_time_unique cascade',
];
const noPk = [
  'alter table sessions drop constraint sessions_pkey cascade',
  ...checks.map((c) => `alter table sessions drop constraint ${c}`),
];

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',').map(Number)) : undefined;

const allVariants: Variant[] = [
  { name: 'as migrated: pk, unique, 3 indexes, FK, 6 CHECKs', before: [], after: [] },
  { name: 'without the foreign key to tutors', before: [noFk], after: [] },
  {
    name: 'without unique (id, scheduled_time) only (the target of reschedules_session_fk)',
    before: [noSecondary[noSecondary.length - 1] as string],
    after: [],
  },
  { name: 'without the 3 secondary indexes only', before: secondaryIndexes.map((i) => `drop index ${i}`), after: [] },
  { name: 'without FK, unique (id, scheduled_time), 3 secondary indexes', before: [noFk, ...noSecondary], after: [] },
  { name: 'bare heap: no FK, no index, no pk, no CHECK', before: [noFk, ...noSecondary, ...noPk], after: [] },
  {
    name: 'bare heap, then pk + unique + 3 indexes built after (CREATE INDEX)',
    before: [noFk, ...noSecondary, ...noPk],
    after: [
      'alter table sessions add constraint sessions_pkey primary key (id)',
      'alter table sessions add constraint sessions_id_scheduled_time_unique unique (id, scheduled_time)',
      'create index sessions_tutor_id_scheduled_time_idx on sessions (tutor_id, scheduled_time)',
      'create index sessions_window_idx on sessions (scheduled_time, tutor_id, id)',
      'create index sessions_status_idx on sessions (status)',
    ],
  },
];
const variants = only ? allVariants.filter((_, i) => only.has(i + 1)) : allVariants;

async function walBytes(db: TqsDatabase): Promise<bigint | undefined> {
  if (rawClient(db).backend !== 'postgres') return undefined;
  const [row] = await queryRows<{ lsn: string }>(db, sql`select pg_current_wal_lsn()::text as lsn`);
  const [hi, lo] = (row?.lsn ?? '0/0').split('/').map((h) => BigInt(`0x${h}`));
  return ((hi ?? 0n) << 32n) + (lo ?? 0n);
}

/** One variant in its own transaction, rolled back; returns the milliseconds of the COPY (and `after`). */
async function runVariant(scratch: ScratchDatabase, variant: Variant, table: SerializedTable): Promise<number> {
  const client = rawClient(scratch.db);
  if (client.backend === 'postgres') {
    let ms = 0;
    await client.sql
      .begin(async (tx) => {
        for (const statement of variant.before) await tx.unsafe(statement);
        const started = performance.now();
        const writable = await tx.unsafe(`${table.statement} stdin`).writable();
        await pipeline(Readable.from(table.parts), writable);
        for (const statement of variant.after) await tx.unsafe(statement);
        ms = performance.now() - started;
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    return ms;
  }
  const blob = new Blob(table.parts);
  let ms = 0;
  await client.pglite.transaction(async (tx) => {
    for (const statement of variant.before) await tx.exec(statement);
    const started = performance.now();
    await tx.query(`${table.statement} '/dev/blob'`, [], { blob });
    for (const statement of variant.after) await tx.exec(statement);
    ms = performance.now() - started;
    await tx.rollback();
  });
  return ms;
}

class Rollback extends Error {}

async function main(): Promise<number> {
  const { scale, backend, url, runs } = breakdownOptions(process.argv.slice(2), 2);

  const dataset = generateDataset(datasetOptions(scale));
  const [tutorsText, sessionsText] = serializeDataset(dataset) as [SerializedTable, SerializedTable];
  process.stdout.write(
    `sessions COPY, ${sessionsText.rows.toLocaleString('en-US')} rows (${(sessionsText.bytes / 2 ** 20).toFixed(0)} MiB of COPY text), ${backend}, median of ${runs}\n`,
  );
  const scratch = await openScratch(backend, url);
  try {
    // The tutors, committed, so the foreign key of the first variants has its rows.
    await copyLoad(scratch.db, [tutorsText], [new Blob(tutorsText.parts)]);
    await scratch.db.execute(sql`analyze tutors`);
    for (const variant of variants) {
      const samples: number[] = [];
      let wal: bigint | undefined;
      for (let i = 0; i < runs; i++) {
        if (backend === 'postgres') await scratch.db.execute(sql`checkpoint`);
        const before = await walBytes(scratch.db);
        samples.push(await runVariant(scratch, variant, sessionsText));
        const after = await walBytes(scratch.db);
        if (before !== undefined && after !== undefined) wal = after - before;
      }
      const m = median(samples);
      process.stdout.write(
        `  ${formatMs(m).padStart(8)}  ${formatRate((sessionsText.rows * 1000) / m).padStart(9)}  ` +
          `${wal === undefined ? '' : `WAL ${(Number(wal) / 2 ** 20).toFixed(0).padStart(5)} MiB  `}${variant.name}\n`,
      );
    }
    return 0;
  } finally {
    await scratch.close();
  }
}

runScript('load-breakdown', main);
