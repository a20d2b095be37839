import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getTableColumns } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { type Dataset, type DatasetStream, emailReports, rawClient, reschedules, sessions, type TqsDatabase, tutors } from '../src';

/*
 * The floor of the load figure: PostgreSQL's own bulk path with nothing of ours in the way. The rows are turned into
 * COPY text (written here, independently of src/generator/copy.ts) BEFORE the clock starts; the timed part is only
 * the four COPY statements in one transaction, on the same kind of connection insertDataset uses (postgres.js from
 * createDatabase, or the PGlite instance), into the same freshly migrated tables with all their constraints,
 * indexes and foreign keys. One COPY per table: the database's best case.
 */

/** One table's rows as COPY text, ready to send. */
export interface SerializedTable {
  table: string;
  statement: string;
  parts: Buffer[];
  rows: number;
  bytes: number;
}

const loadOrder: { key: 'tutors' | 'sessions' | 'reschedules' | 'emailReports'; table: PgTable; name: string }[] = [
  { key: 'tutors', table: tutors, name: 'tutors' },
  { key: 'sessions', table: sessions, name: 'sessions' },
  { key: 'reschedules', table: reschedules, name: 'reschedules' },
  { key: 'emailReports', table: emailReports, name: 'email_reports' },
];

const escapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function field(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'string') return value.replace(/[\\\t\n\r]/g, (ch) => escapes[ch] as string);
  return String(value);
}

/** The claim queue's columns of `email_reports`: no generated row carries them (`DatasetEmailReport` omits them). */
const queueColumns: ReadonlySet<string> = new Set(['attempts', 'claimToken', 'availableAt']);

/** The columns a COPY of generated rows writes: all but the generated ones and the claim queue's (their defaults). */
function copiedColumns(table: PgTable): [string, ReturnType<typeof getTableColumns>[string]][] {
  return Object.entries(getTableColumns(table)).filter(
    ([key, column]) => column.generated === undefined && !(table === emailReports && queueColumns.has(key)),
  );
}

/** Every row of the dataset's four tables as COPY text (text format), in parts of about 1 MiB. */
export function serializeDataset(dataset: Dataset): SerializedTable[] {
  return loadOrder.map(({ key, table, name }) => {
    const columns = copiedColumns(table);
    const rows = dataset[key] as readonly Record<string, unknown>[];
    const parts: Buffer[] = [];
    let pending: string[] = [];
    let pendingLength = 0;
    for (const row of rows) {
      const line = `${columns.map(([k]) => field(row[k])).join('\t')}\n`;
      pending.push(line);
      pendingLength += line.length;
      if (pendingLength >= 1 << 20) {
        parts.push(Buffer.from(pending.join(''), 'utf8'));
        pending = [];
        pendingLength = 0;
      }
    }
    if (pending.length > 0) parts.push(Buffer.from(pending.join(''), 'utf8'));
    const target = `"${name}" (${columns.map(([, column]) => `"${column.name}"`).join(', ')})`;
    return {
      table: name,
      statement: `copy ${target} from`,
      parts,
      rows: rows.length,
      bytes: parts.reduce((sum, part) => sum + part.length, 0),
    };
  });
}

/**
 * The PGlite form of the floor: each table's text as one Blob, made before timing. PGlite reads COPY input from its
 * virtual `/dev/blob` file.
 */
export function blobsFor(tables: SerializedTable[]): Blob[] {
  return tables.map((table) => new Blob(table.parts));
}

/** Runs the four COPY statements in one transaction. Only this is timed. */
export async function copyLoad(db: TqsDatabase, tables: SerializedTable[], blobs: Blob[] | undefined): Promise<void> {
  const client = rawClient(db);
  if (client.backend === 'pglite') {
    if (!blobs) throw new Error('copyLoad: PGlite needs the blobs');
    await client.pglite.transaction(async (tx) => {
      for (const [i, table] of tables.entries()) {
        if (table.rows === 0) continue;
        await tx.query(`${table.statement} '/dev/blob'`, [], { blob: blobs[i] as Blob });
      }
    });
    return;
  }
  await client.sql.begin(async (tx) => {
    for (const table of tables) {
      if (table.rows === 0) continue;
      const writable = await tx.unsafe(`${table.statement} stdin`).writable();
      await pipeline(Readable.from(table.parts), writable);
    }
  });
}

/** One table's rows as COPY text in a file, written before the clock starts. */
export interface SerializedFile {
  table: string;
  statement: string;
  path: string;
  rows: number;
  bytes: number;
}

/**
 * The floor of the xl figure, whose rows do not fit in memory: every row of a {@link DatasetStream} as COPY text, one
 * file per table in `dir`, serialized as the chunks come (untimed). The same text as {@link serializeDataset}.
 */
export function serializeStreamToFiles(stream: DatasetStream, dir: string): SerializedFile[] {
  const files = loadOrder.map(({ key, table, name }) => {
    const columns = copiedColumns(table);
    const path = join(dir, `${name}.copy`);
    const target = `"${name}" (${columns.map(([, column]) => `"${column.name}"`).join(', ')})`;
    return { key, columns, fd: openSync(path, 'w'), file: { table: name, statement: `copy ${target} from`, path, rows: 0, bytes: 0 } };
  });
  try {
    for (const chunk of stream) {
      for (const f of files) {
        const rows = chunk[f.key] as readonly Record<string, unknown>[];
        if (rows.length === 0) continue;
        const text = rows.map((row) => `${f.columns.map(([k]) => field(row[k])).join('\t')}\n`).join('');
        const buffer = Buffer.from(text, 'utf8');
        writeSync(f.fd, buffer);
        f.file.rows += rows.length;
        f.file.bytes += buffer.length;
      }
    }
  } finally {
    for (const f of files) closeSync(f.fd);
  }
  return files.map((f) => f.file);
}

/** The four COPY statements of {@link copyLoad} in one transaction, each fed from its file. Only this is timed. */
export async function copyLoadFiles(db: TqsDatabase, files: SerializedFile[]): Promise<void> {
  const client = rawClient(db);
  if (client.backend !== 'postgres') throw new Error('copyLoadFiles: PostgreSQL only');
  await client.sql.begin(async (tx) => {
    for (const file of files) {
      if (file.rows === 0) continue;
      const writable = await tx.unsafe(`${file.statement} stdin`).writable();
      await pipeline(createReadStream(file.path, { highWaterMark: 1 << 20 }), writable);
    }
  });
}
