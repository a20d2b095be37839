/**
 * Where the CPU time of a PGlite load goes beyond its bare COPY: the bare COPY (the floor of the load figure), then the
 * load insertDataset runs taken apart, each variant on a freshly migrated in-memory PGlite, in one transaction, timed
 * phase by phase: encoding the rows to COPY text, the COPY statements of each table (in load mode or not, in chunks
 * or one statement per table), the end-of-load pass (`tqs_end_bulk_load`), and the commit (its deferred checks).
 * Variants rotate from run to run, so that none gains from going first. CPU time of the process (user + system)
 * rather than wall time: PGlite runs in this thread, and on a shared machine CPU time moves far less than wall time.
 *
 *   node --expose-gc --import tsx bench/load-phases.ts --scale medium --runs 3
 *   ... --only 1,3     (the floor, then only the first and third variants)
 */
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { generateDataset, rawClient } from '../src';
import { planLoad } from '../src/load/load-plan';
import { blobsFor, copyLoad, serializeDataset } from './copy-floor';
import { datasetOptions } from './generate-figure';
import { collectGarbage, formatMs, median } from './measure';
import { openScratch } from './scratch';
import { breakdownOptions, runScript } from './script';

interface Variant {
  name: string;
  /** Rows per COPY statement as a share of the table (0.02: insertDataset's 50 chunks), 1 for one statement. */
  chunkShare: number;
  loadMode: boolean;
  /** Every trigger but the foreign keys' disabled first (untimed): the COPY without any trigger work. */
  noTriggers?: boolean;
}

const allVariants: Variant[] = [
  { name: 'load mode, chunks of 2% (insertDataset today)', chunkShare: 0.02, loadMode: true },
  { name: 'load mode, one COPY per table', chunkShare: 1, loadMode: true },
  { name: 'no load mode, chunks of 2%', chunkShare: 0.02, loadMode: false },
  { name: 'no load mode, one COPY per table (bare COPY + encoding)', chunkShare: 1, loadMode: false },
  { name: 'no trigger but the foreign keys, one COPY per table', chunkShare: 1, loadMode: false, noTriggers: true },
];

type Phases = Record<string, number>;

/** CPU time of this process (user + system), in milliseconds: on a shared machine it moves far less than wall time. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** One load taken apart: encoding and each statement timed on their own, in one transaction. */
async function runVariant(pglite: PGlite, dataset: ReturnType<typeof generateDataset>, variant: Variant): Promise<Phases> {
  const phases: Phases = {};
  const add = (key: string, ms: number) => {
    phases[key] = (phases[key] ?? 0) + ms;
  };
  const started = cpuMs();
  await pglite.transaction(async (tx: Transaction) => {
    if (variant.loadMode) {
      const t = cpuMs();
      await tx.query('select tqs_begin_bulk_load()');
      add('begin', cpuMs() - t);
    }
    for (const table of planLoad(dataset)) {
      const rows = table.rowsTotal();
      const step = Math.max(1000, Math.ceil(rows * variant.chunkShare));
      let t = cpuMs();
      const chunks: Buffer[][] = [];
      for await (const chunk of table.chunks()) chunks.push(chunk.data);
      // planLoad's own chunks are 2%; regroup them into the variant's statements.
      const statements: Buffer[][] = [];
      const perStatement = Math.max(1, Math.round(step / Math.max(1000, Math.ceil(rows / 50))));
      for (let i = 0; i < chunks.length; i += perStatement) statements.push(chunks.slice(i, i + perStatement).flat());
      add('encode', cpuMs() - t);
      for (const data of statements) {
        t = cpuMs();
        const blob = new Blob(data);
        await tx.query(`copy ${table.target} from '/dev/blob'`, [], { blob });
        add(`copy ${table.table}`, cpuMs() - t);
      }
    }
    if (variant.loadMode) {
      const t = cpuMs();
      await tx.query('select tqs_end_bulk_load()');
      add('end pass', cpuMs() - t);
    }
    phases.commitStart = cpuMs();
  });
  add('commit', cpuMs() - (phases.commitStart as number));
  delete phases.commitStart;
  phases.total = cpuMs() - started;
  return phases;
}

async function main(): Promise<number> {
  const { scale, runs } = breakdownOptions(process.argv.slice(2), 3);
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg >= 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',').map(Number)) : undefined;
  const variants = only ? allVariants.filter((_, i) => only.has(i + 1)) : allVariants;
  const dataset = generateDataset(datasetOptions(scale));
  const tables = serializeDataset(dataset);
  const blobs = blobsFor(tables);
  const names = ['bare COPY (the floor)', ...variants.map((v) => v.name)];
  const samples: Phases[][] = names.map(() => []);
  // One untimed round: the first COPY of a process pays for compiling its code paths.
  for (let round = -1; round < runs; round++) {
    for (let k = 0; k < names.length; k++) {
      const i = (k + Math.max(round, 0)) % names.length;
      const scratch = await openScratch('pglite');
      try {
        const client = rawClient(scratch.db);
        if (client.backend !== 'pglite') throw new Error('PGlite only');
        collectGarbage();
        let phases: Phases;
        if (i === 0) {
          const t = cpuMs();
          await copyLoad(scratch.db, tables, blobs);
          phases = { total: cpuMs() - t };
        } else {
          const variant = variants[i - 1] as Variant;
          if (variant.noTriggers) {
            for (const table of ['tutors', 'sessions', 'reschedules', 'email_reports']) {
              await client.pglite.exec(`alter table "${table}" disable trigger user`);
            }
            // session_ids holds the key email_reports references (partitioned sessions): its trigger stays, as the
            // foreign keys' do.
            await client.pglite.exec('alter table "sessions" enable trigger "sessions_ids_insert"');
          }
          phases = await runVariant(client.pglite, dataset, variant);
        }
        if (round >= 0) samples[i]?.push(phases);
      } finally {
        await scratch.close();
      }
    }
  }
  process.stdout.write(`${scale.name}: ${dataset.sessions.length.toLocaleString('en-US')} sessions, PGlite, CPU time of the process, median of ${runs}\n`);
  const floor = median(samples[0]?.map((p) => p.total ?? 0) ?? []);
  for (const [i, name] of names.entries()) {
    const list = samples[i] ?? [];
    const keys = Object.keys(list[0] ?? {}).filter((k) => k !== 'total');
    const total = median(list.map((p) => p.total ?? 0));
    const parts = keys.map((k) => `${k} ${formatMs(median(list.map((p) => p[k] ?? 0)))}`).join(', ');
    process.stdout.write(`  ${formatMs(total).padStart(8)}  ${(floor / total).toFixed(2)} of floor  ${name}${parts ? `: ${parts}` : ''}\n`);
  }
  return 0;
}

runScript('load-phases', main);
