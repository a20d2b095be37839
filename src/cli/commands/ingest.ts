import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { type IngestOutcome, type IngestResult, ingestSessions } from '../../ingest';
import { AbortedError } from '../../errors';
import { formatCount } from '../../util/format';
import { type Command, type CommandIo, databaseOptions, signalOf, UsageError } from '../command';
import { throwIfInterrupted } from '../signals';
import { resolveTarget, withMigratedTarget } from '../target';

/** Payloads sent to the database per call: memory stays bounded by this many lines, whatever the file's size. */
const BATCH_LINES = 500;
/** How often, at most, a progress line is written when stderr is not a terminal. */
const PLAIN_LINE_EVERY_MS = 10_000;

type Tally = Record<IngestOutcome, number>;

const summary = (lines: number, tally: Tally) =>
  `${formatCount(lines)} lines: ${formatCount(tally.inserted)} inserted, ${formatCount(tally.updated)} updated, ` +
  `${formatCount(tally.unchanged)} unchanged, ${formatCount(tally.refused)} refused`;

/** A line's payload, or the refusal of a line that is not JSON (the line number says where). */
function parseLine(text: string): { payload: unknown } | { refusal: string } {
  try {
    return { payload: JSON.parse(text) as unknown };
  } catch (error) {
    return { refusal: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

function progress(io: CommandIo) {
  const tty = io.stderr.isTTY === true;
  let last = performance.now();
  return {
    update(lines: number, tally: Tally) {
      const now = performance.now();
      if (tty) io.stderr.write(`\r\x1b[2Kingesting: ${summary(lines, tally)}`);
      else if (now - last >= PLAIN_LINE_EVERY_MS) io.stderr.write(`ingesting: ${summary(lines, tally)}\n`);
      else return;
      last = now;
    },
    done() {
      if (tty) io.stderr.write('\n');
    },
  };
}

/** `tqs-data ingest FILE`: {@link ingestSessions} over a file of JSON lines, a batch at a time. */
export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Store session payloads from the platform (JSON lines), each in its own transaction, idempotently.',
  positional: { name: 'FILE', description: "a file of JSON lines, one session payload per line ('-': standard input)" },
  details: [
    'Each line is one payload (docs/ingest.md): a new session is inserted, a booked session that gets its outcome is',
    'updated, a payload already stored changes nothing, and one that contradicts the stored session is refused.',
    'Each refusal is printed with its line number; the summary counts each outcome. Exit 1 when any line was refused.',
    "Blank lines are skipped. Run 'tqs-data score --due' afterwards to bring the scores up to date.",
  ].join('\n'),
  options: { ...databaseOptions },
  async run(options, io) {
    const file = String(options.FILE);
    let input: NodeJS.ReadableStream = io.stdin;
    if (file !== '-') {
      // A missing file is found before the database is opened.
      const stream = createReadStream(file);
      await new Promise<void>((resolveOpen, rejectOpen) => {
        stream.once('open', () => resolveOpen());
        stream.once('error', (error: NodeJS.ErrnoException) =>
          rejectOpen(new UsageError(`cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`)),
        );
      });
      input = stream;
    }
    const target = resolveTarget(options, io.env);
    const tally: Tally = { inserted: 0, updated: 0, unchanged: 0, refused: 0 };
    let lines = 0;
    await withMigratedTarget(target, async (db) => {
      const shown = progress(io);
      // In line order: a line that is not JSON waits in the batch, so refusals print in the order of the file.
      let batch: { line: number; parsed: ReturnType<typeof parseLine> }[] = [];
      const refuse = (line: number, sessionId: string | null, why: string) => {
        tally.refused += 1;
        io.stdout.write(`line ${line}: refused${sessionId ? ` session ${sessionId}` : ''}: ${why.split('\n')[0]}\n`);
      };
      const flush = async () => {
        const firstLine = batch[0]?.line ?? lines;
        const sent = batch.flatMap((b) => ('payload' in b.parsed ? [b.parsed.payload] : []));
        const results: IngestResult[] = await ingestSessions(db, sent, signalOf(io)).catch((error: unknown) => {
          if (!(error instanceof AbortedError)) throw error;
          throwIfInterrupted(io.signal, `the lines before line ${firstLine} are stored; run the same command again to go on (stored lines say unchanged)`);
          throw error;
        });
        let next = 0;
        for (const { line, parsed } of batch) {
          if ('refusal' in parsed) {
            refuse(line, null, parsed.refusal);
            continue;
          }
          const result = results[next++]!;
          if (result.outcome === 'refused') refuse(line, result.sessionId, result.error?.message ?? 'refused');
          else tally[result.outcome] += 1;
        }
        batch = [];
        shown.update(lines, tally);
        throwIfInterrupted(io.signal, `the lines up to line ${lines} are stored; run the same command again to go on (stored lines say unchanged)`);
      };
      const reader = createInterface({ input, crlfDelay: Infinity });
      for await (const text of reader) {
        lines += 1;
        if (text.trim() === '') continue;
        batch.push({ line: lines, parsed: parseLine(text) });
        if (batch.length >= BATCH_LINES) await flush();
      }
      if (batch.length > 0) await flush();
      shown.done();
    });
    io.stdout.write(`ingested ${summary(lines, tally)}\n`);
    return tally.refused > 0 ? 1 : 0;
  },
};
