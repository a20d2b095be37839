import { formatCount } from '../util/format';
import type { InsertProgress } from '../load';
import type { HistoryMoveProgress } from '../records';
import type { CommandIo } from './command';
import { throwIfInterrupted } from './signals';

const BAR_WIDTH = 30;
const LABEL_WIDTH = 'email_reports'.length;


/**
 * An `onProgress` callback for `insertDataset` that reports on `io.stderr`: on a terminal, one bar per table redrawn
 * in place (`tutors        [██████████░░░░]  1,234/3,000`); elsewhere (a pipe, a log file), one plain line per
 * table when it is done, so logs stay readable. Once `io.signal` is aborted (Ctrl-C), it throws, and the load rolls back.
 *
 * @example
 * await insertDataset(db, dataset, { onProgress: loadProgress(io) });
 * // tutors: 100 rows (4 ms)
 * // sessions: 3,000 rows (61 ms)
 */
export function loadProgress(
  io: Pick<CommandIo, 'stderr' | 'signal'>,
): (progress: InsertProgress) => void | Promise<void> {
  const report = progressLines(io);
  const { signal } = io;
  if (!signal) return report;
  // PGlite runs a load without ever yielding to the event loop, where signals are handled: yield at each chunk.
  return async (progress) => {
    await new Promise((resolveTurn) => setImmediate(resolveTurn));
    throwIfInterrupted(signal); // a stop asked for: the load rolls back
    report(progress);
  };
}

function progressLines(io: Pick<CommandIo, 'stderr'>): (progress: InsertProgress) => void {
  const started = new Map<string, number>();
  const tty = io.stderr.isTTY === true;
  return ({ table, phase, rowsDone, rowsTotal }) => {
    if (phase === 'start') started.set(table, performance.now());
    const ms = Math.round(performance.now() - (started.get(table) ?? performance.now()));
    const scoring = table === 'tutor_scores';
    if (!tty) {
      if (phase === 'done') {
        io.stderr.write(scoring ? `scored ${formatCount(rowsDone)} tutors (${ms} ms)\n` : `${table}: ${formatCount(rowsTotal)} rows (${ms} ms)\n`);
      }
      return;
    }
    const share = rowsTotal > 0 ? rowsDone / rowsTotal : phase === 'done' ? 1 : 0;
    const filled = Math.round(share * BAR_WIDTH);
    const bar = `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
    const figures = `${formatCount(rowsDone).padStart(formatCount(rowsTotal).length)}/${formatCount(rowsTotal)}${scoring ? ' tutors' : ''}`;
    const tail = phase === 'done' ? `  ${ms} ms\n` : '';
    // \r and erase-line: the bar is redrawn in place until the table is done.
    io.stderr.write(`\r\x1b[2K${table.padEnd(LABEL_WIDTH)}  ${bar}  ${figures}${tail}`);
  };
}

/**
 * An `onProgress` callback for `archiveHistory`/`restoreHistory` that reports on `io.stderr`: on a terminal, one bar
 * redrawn in place after each batch; elsewhere, a plain line at most every 2 seconds and after the last batch. Once
 * `io.signal` is aborted (Ctrl-C), it throws after the batch that just committed: the batches done stay done, and the
 * same command continues from there.
 *
 * @example
 * await archiveHistory(db, { before, onProgress: historyMoveProgress(io, 'archived') });
 * // archived 5,000/12,000 sessions (1 batch, 601 reschedules, 577 email reports)
 */
export function historyMoveProgress(
  io: Pick<CommandIo, 'stderr' | 'signal'>,
  verb: string,
): (progress: HistoryMoveProgress) => Promise<void> {
  const tty = io.stderr.isTTY === true;
  let lastLine = 0;
  return async ({ batches, sessions, reschedules, emailReports, sessionsTotal }) => {
    const done = sessions >= sessionsTotal;
    const figures =
      `${formatCount(sessions)}/${formatCount(sessionsTotal)} sessions (${formatCount(batches)} batch${batches === 1 ? '' : 'es'}, ` +
      `${formatCount(reschedules)} reschedules, ${formatCount(emailReports)} email reports)`;
    if (tty) {
      const share = sessionsTotal > 0 ? Math.min(1, sessions / sessionsTotal) : 1;
      const filled = Math.round(share * BAR_WIDTH);
      io.stderr.write(`\r\x1b[2K${verb}  [${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]  ${figures}${done ? '\n' : ''}`);
    } else if (done || performance.now() - lastLine >= 2_000) {
      lastLine = performance.now();
      io.stderr.write(`${verb} ${figures}\n`);
    }
    // PGlite never yields to the event loop during a batch, where signals are handled: yield between batches.
    await new Promise((resolveTurn) => setImmediate(resolveTurn));
    throwIfInterrupted(
      io.signal,
      `${formatCount(sessions)} sessions were ${verb} in ${formatCount(batches)} committed batch${batches === 1 ? '' : 'es'}, which stay; run the same command again to continue`,
    );
  };
}
