import { formatCount } from '../util/format';
import type { InsertProgress } from '../load';
import type { HistoryMoveProgress } from '../records';
import type { CommandIo } from './command';

const BAR_WIDTH = 30;
const LABEL_WIDTH = 'email_reports'.length;


/**
 * An `onProgress` callback for `insertDataset` that reports on `io.stderr`: on a terminal, one bar per table redrawn
 * in place with an estimate of the time left in the table (`sessions      [██████████░░░░]  4,100,000/10,000,000
 * ~1 min 23 s left`); elsewhere (a pipe, a log file), one plain line per table when it is done, and one every 10 s
 * with the estimate while a long table loads, so logs stay readable. A stop (Ctrl-C) is the load's `signal`, not this.
 *
 * @example
 * await insertDataset(db, dataset, { onProgress: loadProgress(io) });
 * // tutors: 100 rows (4 ms)
 * // sessions: 3,000 rows (61 ms)
 */
export function loadProgress(io: Pick<CommandIo, 'stderr'>): (progress: InsertProgress) => void {
  return progressLines(io);
}

/** How often a load that is not on a terminal prints where it is, once a table has taken longer than that. */
const PLAIN_LINE_EVERY_MS = 10_000;
/** No estimate before a table has run this long: the first chunks say little about the rest. */
const ESTIMATE_AFTER_MS = 2_000;

/**
 * A duration for people, rounded to what an estimate can promise.
 *
 * @example
 * formatTimeLeft(83_000); // '1 min 23 s'
 */
export function formatTimeLeft(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/**
 * What is left of a table at the rate so far, `~1 min 23 s left`, or '' while too early to tell.
 *
 * @example
 * estimate(4_000, 1_000_000, 10_000_000); // '~36 s left'
 */
export function estimate(elapsedMs: number, rowsDone: number, rowsTotal: number): string {
  if (elapsedMs < ESTIMATE_AFTER_MS || rowsDone <= 0 || rowsDone >= rowsTotal) return '';
  return `~${formatTimeLeft((elapsedMs * (rowsTotal - rowsDone)) / rowsDone)} left`;
}

function progressLines(io: Pick<CommandIo, 'stderr'>): (progress: InsertProgress) => void {
  const started = new Map<string, number>();
  let lastPlainLine = 0;
  const tty = io.stderr.isTTY === true;
  return ({ table, phase, rowsDone, rowsTotal }) => {
    const now = performance.now();
    if (phase === 'start') {
      started.set(table, now);
      lastPlainLine = now;
    }
    const elapsed = now - (started.get(table) ?? now);
    const ms = Math.round(elapsed);
    const scoring = table === 'tutor_scores';
    const left = phase === 'copying' ? estimate(elapsed, rowsDone, rowsTotal) : '';
    if (!tty) {
      if (phase === 'done') {
        io.stderr.write(scoring ? `scored ${formatCount(rowsDone)} tutors (${ms} ms)\n` : `${table}: ${formatCount(rowsTotal)} rows (${ms} ms)\n`);
      } else if (phase === 'copying' && now - lastPlainLine >= PLAIN_LINE_EVERY_MS) {
        // A long table (millions of rows) says where it is every 10 s; a short one only when done.
        lastPlainLine = now;
        io.stderr.write(`${table}: ${formatCount(rowsDone)}/${formatCount(rowsTotal)} rows${left ? `, ${left}` : ''}\n`);
      }
      return;
    }
    const share = rowsTotal > 0 ? rowsDone / rowsTotal : phase === 'done' ? 1 : 0;
    const filled = Math.round(Math.min(1, share) * BAR_WIDTH);
    const bar = `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
    const figures = `${formatCount(rowsDone).padStart(formatCount(rowsTotal).length)}/${formatCount(rowsTotal)}${scoring ? ' tutors' : ''}`;
    const tail = phase === 'done' ? `  ${ms} ms\n` : left ? `  ${left}` : '';
    // \r and erase-line: the bar is redrawn in place until the table is done.
    io.stderr.write(`\r\x1b[2K${table.padEnd(LABEL_WIDTH)}  ${bar}  ${figures}${tail}`);
  };
}

/**
 * An `onProgress` callback for `archiveHistory`/`restoreHistory` that reports on `io.stderr`: on a terminal, one bar
 * redrawn in place after each batch; elsewhere, a plain line at most every 2 seconds and after the last batch. A stop
 * (Ctrl-C) is the call's `signal`: the running batch rolls back, the batches done stay done, and the same command
 * continues from there.
 *
 * @example
 * await archiveHistory(db, { before, onProgress: historyMoveProgress(io, 'archived') });
 * // archived 5,000/12,000 sessions (1 batch, 601 reschedules, 577 email reports)
 */
export function historyMoveProgress(
  io: Pick<CommandIo, 'stderr'>,
  verb: string,
): (progress: HistoryMoveProgress) => void {
  const tty = io.stderr.isTTY === true;
  let lastLine = 0;
  return ({ batches, sessions, reschedules, emailReports, sessionsTotal }) => {
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
  };
}
