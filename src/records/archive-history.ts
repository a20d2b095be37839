import { getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { abortable, abortPoint, type AbortableOptions, inCall, isPartitioned, partitionsOf, retryTransient, sessionsArePartitioned } from '../db';
import { monthStart } from '../db/utc-month';
import { type Database, queryRows } from '../db/client';
import { DestructiveOperationRefusedError, InvalidOptionError } from '../errors';
import { emailReports, reschedules, scoreWindows, sessions, tutorScores } from '../schema';
import { checkOptions, isBoolean, isSignal, type OptionCheck } from '../errors/check-options';

/**
 * The PostgreSQL schema of the archive tables (migration `archive_history`): `tqs_archive.sessions`,
 * `tqs_archive.reschedules` and `tqs_archive.email_reports`, with the columns and checks of the live tables of the
 * same names. Read them with SQL, e.g. `select count(*) from tqs_archive.sessions`.
 */
export const ARCHIVE_SCHEMA = 'tqs_archive';

/** Sessions moved per batch (one transaction each) unless `batchSize` says otherwise. */
export const DEFAULT_ARCHIVE_BATCH_SIZE = 5_000;
/** The most sessions one batch may move: a batch's ids travel as one array parameter and its rows in one statement. */
export const MAX_ARCHIVE_BATCH_SIZE = 50_000;

const DAY_MS = 86_400_000;
const LONGEST_WINDOW_DAYS = Math.max(...scoreWindows);

/** How far a run has got, after each batch it committed. */
export interface HistoryMoveProgress {
  /** Batches committed so far by this call. */
  batches: number;
  /** Rows moved so far by this call, per table. */
  sessions: number;
  reschedules: number;
  emailReports: number;
  /** Of the batches, those that moved a whole month by its partition. */
  months: number;
  /** The sessions there were to move when the call began (more may come if others write meanwhile). */
  sessionsTotal: number;
}

/** What {@link archiveHistory} or {@link restoreHistory} moved (or, with `dryRun`, would move). */
export interface HistoryMoveResult {
  sessions: number;
  reschedules: number;
  emailReports: number;
  /** Transactions committed, one per batch (with `dryRun`: how many a run would take). */
  batches: number;
  /**
   * Of the batches, those that moved a whole month (UTC) by moving its partition between `sessions` and
   * `tqs_archive.sessions` (with `dryRun`: the months a run would try to move so).
   */
  months: number;
  /** Nothing was changed: the counts are what a run would move now. */
  dryRun: boolean;
}

/** What {@link archiveHistory} did, with the cutoff it was checked against. */
export interface ArchiveHistoryResult extends HistoryMoveResult {
  /** The cutoff used: sessions scheduled before it were moved. */
  before: Date;
  /**
   * The latest cutoff that changes no stored score: the start of the longest window (90 days) of the oldest stored
   * score's `as_of`, or of now when that is earlier or no score is stored.
   */
  safeBefore: Date;
}

interface MoveOptions extends AbortableOptions {
  batchSize?: number;
  wholeMonths?: boolean;
  dryRun?: boolean;
  onProgress?: (progress: HistoryMoveProgress) => void | Promise<void>;
}

/** Options of {@link archiveHistory}. */
export interface ArchiveHistoryOptions extends MoveOptions {
  /** Required. Sessions with `scheduled_time` before this instant move, with their reschedules and email reports. */
  before: Date;
  /** Sessions per batch (one transaction each), 1 to 50,000. Default 5,000. */
  batchSize?: number;
  /**
   * Archive even when `before` is later than `safeBefore` (stored scores would then count sessions that are no
   * longer live). Default false: such a call refuses and changes nothing.
   */
  force?: boolean;
  /** Count what would move and change nothing. */
  dryRun?: boolean;
  /**
   * When `before` is the first instant of a month (UTC), move each whole month before it by detaching its partition
   * from `sessions` and attaching it to `tqs_archive.sessions` (one transaction a month; its reschedules and email
   * reports move as rows), and only the rest row by row. Default true; false moves every row in batches.
   */
  wholeMonths?: boolean;
  /** Called after each committed batch. If it throws, the call stops there; what was committed stays. */
  onProgress?: (progress: HistoryMoveProgress) => void | Promise<void>;
}

/** Options of {@link restoreHistory}. With neither `from` nor `before`, every archived session comes back. */
export interface RestoreHistoryOptions extends MoveOptions {
  /** Only archived sessions with `scheduled_time` at or after this instant. */
  from?: Date;
  /** Only archived sessions with `scheduled_time` before this instant. */
  before?: Date;
  /** Sessions per batch (one transaction each), 1 to 50,000. Default 5,000. */
  batchSize?: number;
  /** Count what would come back and change nothing. */
  dryRun?: boolean;
  /**
   * Bring each archived whole month inside the range back by moving its partition (one transaction a month), and
   * only the rest row by row. Default true; false moves every row in batches.
   */
  wholeMonths?: boolean;
  /** Called after each committed batch. If it throws, the call stops there; what was committed stays. */
  onProgress?: (progress: HistoryMoveProgress) => void | Promise<void>;
}

const isDate: OptionCheck = (v) => (v instanceof Date && !Number.isNaN(v.getTime()) ? undefined : 'a valid Date');
const isFunction: OptionCheck = (v) => (typeof v === 'function' ? undefined : 'a function');
const isBatchSize: OptionCheck = (v) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= MAX_ARCHIVE_BATCH_SIZE
    ? undefined
    : `a whole number from 1 to ${MAX_ARCHIVE_BATCH_SIZE}`;

/** An instant as a `timestamptz` parameter, sent as ISO 8601 UTC text so that no driver or TimeZone reinterprets it. */
const at = (date: Date): SQL => sql`${date.toISOString()}::timestamptz`;

/** One table on both sides: its live name and its archive name. */
interface TablePair {
  live: SQL;
  archive: SQL;
  /** The columns a move writes, from the Drizzle table: every one but the generated ones, which the target recomputes. */
  columns: SQL;
}

function pair(table: PgTable, name: string): TablePair {
  const written = Object.values(getTableColumns(table)).filter((column) => column.generated === undefined);
  return {
    live: sql`${sql.identifier(name)}`,
    archive: sql`${sql.identifier(ARCHIVE_SCHEMA)}.${sql.identifier(name)}`,
    columns: sql.join(
      written.map((column) => sql.identifier(column.name)),
      sql`, `,
    ),
  };
}

const tables = {
  sessions: pair(sessions, 'sessions'),
  reschedules: pair(reschedules, 'reschedules'),
  emailReports: pair(emailReports, 'email_reports'),
};

type Side = 'live' | 'archive';

/**
 * The statement that moves the sessions `ids` (locked by the caller's transaction) from `from` to the other side,
 * with their reschedules and email reports: three `delete ... returning` feeding three `insert ... select`, one
 * statement, so one snapshot reads every row it moves. Child rows are deleted by the statement itself, so neither
 * the `on delete cascade` of reschedules nor the `restrict` of email reports finds anything left to do.
 */
function moveStatement(ids: string[], span: { first: string; last: string }, from: Side): SQL {
  const to: Side = from === 'live' ? 'archive' : 'live';
  const idList = sql`any(${sql.param(ids)}::uuid[])`;
  // The batch's first and last scheduled_time: on a table partitioned by month, only the months between are probed
  // for the ids (by id alone, every month's partition would be).
  const within = sql`"scheduled_time" between ${span.first}::timestamptz and ${span.last}::timestamptz`;
  const { sessions: s, reschedules: r, emailReports: e } = tables;
  return sql`with "moved_email_reports" as (
  delete from ${e[from]} where "session_id" = ${idList} returning ${e.columns}
), "moved_reschedules" as (
  delete from ${r[from]} where "session_id" = ${idList} returning ${r.columns}
), "moved_sessions" as (
  delete from ${s[from]} where "id" = ${idList} and ${within} returning ${s.columns}
), "put_sessions" as (
  insert into ${s[to]} (${s.columns}) select ${s.columns} from "moved_sessions" returning 1
), "put_reschedules" as (
  insert into ${r[to]} (${r.columns}) select ${r.columns} from "moved_reschedules" returning 1
), "put_email_reports" as (
  insert into ${e[to]} (${e.columns}) select ${e.columns} from "moved_email_reports" returning 1
)
select (select count(*)::int from "put_sessions") as "sessions",
       (select count(*)::int from "put_reschedules") as "reschedules",
       (select count(*)::int from "put_email_reports") as "email_reports"`;
}

/** `scheduled_time` conditions of a range, for the sessions table aliased `s`. */
function rangeOf(range: { from?: Date | undefined; before?: Date | undefined }): SQL {
  const conditions: SQL[] = [];
  if (range.from) conditions.push(sql`"s"."scheduled_time" >= ${at(range.from)}`);
  if (range.before) conditions.push(sql`"s"."scheduled_time" < ${at(range.before)}`);
  return conditions.length > 0 ? sql.join(conditions, sql` and `) : sql`true`;
}

interface Counts {
  sessions: number;
  reschedules: number;
  emailReports: number;
}

/** The rows of a range on one side: its sessions, and their reschedules and email reports. */
async function countRange(db: Database, side: Side, where: SQL): Promise<Counts> {
  const { sessions: s, reschedules: r, emailReports: e } = tables;
  const [row] = await queryRows<{ sessions: number; reschedules: number; email_reports: number }>(
    db,
    sql`select (select count(*)::int from ${s[side]} "s" where ${where}) as "sessions",
       (select count(*)::int from ${r[side]} "r" join ${s[side]} "s" on "s"."id" = "r"."session_id" where ${where}) as "reschedules",
       (select count(*)::int from ${e[side]} "e" join ${s[side]} "s" on "s"."id" = "e"."session_id" where ${where}) as "email_reports"`,
  );
  return { sessions: Number(row?.sessions ?? 0), reschedules: Number(row?.reschedules ?? 0), emailReports: Number(row?.email_reports ?? 0) };
}

/** A month (UTC) whose partition moves whole: its first instant, and the first instant after it. */
interface WholeMonth {
  from: Date;
  to: Date;
}

/**
 * The whole months a move takes by their partitions: the months (UTC) of the `from` side's partitions that lie
 * entirely inside the range, oldest first. None when `wholeMonths` is false, or before migration `archive_months`
 * (which partitions the archive's sessions, after `partitioned_sessions` did the live ones).
 */
async function wholeMonthsOf(
  db: Database,
  from: Side,
  range: { from?: Date | undefined; before?: Date | undefined },
  options: MoveOptions,
): Promise<WholeMonth[]> {
  if (options.wholeMonths === false) return [];
  if (!(await isPartitioned(db, `${ARCHIVE_SCHEMA}.sessions`))) return [];
  const parts = await partitionsOf(db, from === 'live' ? 'sessions' : `${ARCHIVE_SCHEMA}.sessions`);
  return parts
    .flatMap((p) => (p.from && p.to ? [{ from: p.from, to: p.to }] : []))
    .filter((m) => (!range.from || m.from.getTime() >= range.from.getTime()) && (!range.before || m.to.getTime() <= range.before.getTime()))
    .sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** The sessions of `months` on one side's partitions, with their reschedules and email reports. */
async function countMonths(db: Database, side: Side, months: WholeMonth[]): Promise<Counts> {
  if (months.length === 0) return { sessions: 0, reschedules: 0, emailReports: 0 };
  const where = sql`(${sql.join(
    months.map((m) => sql`("s"."scheduled_time" >= ${at(m.from)} and "s"."scheduled_time" < ${at(m.to)})`),
    sql` or `,
  )})`;
  return countRange(db, side, where);
}

/** Attempts at one month whose transaction a deadlock ended (with a writer of that month: docs/operations.md). */
const MONTH_ATTEMPTS = 3;

/**
 * Moves one whole month by its partition, in one transaction (SQL functions of migration `archive_months`); undefined
 * when the month cannot go whole (see the functions' comments), and nothing was changed. A deadlock rolls the
 * month's transaction back whole, so it is tried again, up to {@link MONTH_ATTEMPTS} times in all (not inside a
 * transaction of the caller's, whose locks would meet the same deadlock).
 */
async function moveMonth(db: Database, from: Side, month: WholeMonth): Promise<Counts | undefined> {
  const fn = from === 'live' ? sql`tqs_archive_session_month` : sql`tqs_restore_session_month`;
  const [row] = await retryTransient(db, MONTH_ATTEMPTS - 1, () =>
    db.transaction((tx) =>
      queryRows<{ sessions: string | number | null; reschedules: string | number | null; email_reports: string | number | null }>(
        tx,
        sql`select "sessions", "reschedules", "email_reports" from ${fn}(${at(month.from)})`,
      ),
    ),
  );
  if (row?.sessions == null) return undefined;
  return { sessions: Number(row.sessions), reschedules: Number(row.reschedules), emailReports: Number(row.email_reports) };
}

/**
 * Moves a range of sessions from one side to the other: first the whole months of `months`, each by moving its
 * partition in a transaction of its own, then what is left of the range a batch per transaction: lock the batch's
 * oldest sessions (`for update`, so no reschedule or email report can be added to them until the batch commits:
 * their foreign key checks wait, then fail), then move them and their children in one statement. A rerun takes up
 * where an interrupted one stopped: whatever is still on the `from` side in the range is what is left to move.
 */
async function moveHistory(
  db: Database,
  from: Side,
  where: SQL,
  options: MoveOptions,
  moved = { sessions: 0, reschedules: 0, emailReports: 0, batches: 0, months: 0 },
  months: WholeMonth[] = [],
): Promise<HistoryMoveResult> {
  const batchSize = options.batchSize ?? DEFAULT_ARCHIVE_BATCH_SIZE;
  const total = await countRange(db, from, where);
  if (options.dryRun) {
    const whole = await countMonths(db, from, months);
    return { ...total, batches: months.length + Math.ceil((total.sessions - whole.sessions) / batchSize), months: months.length, dryRun: true };
  }
  for (const month of months) {
    await abortPoint();
    const counts = await moveMonth(db, from, month);
    if (!counts) continue; // moved row by row below
    moved.batches += 1;
    moved.months += 1;
    moved.sessions += counts.sessions;
    moved.reschedules += counts.reschedules;
    moved.emailReports += counts.emailReports;
    await options.onProgress?.({ ...moved, sessionsTotal: total.sessions });
  }
  const source = tables.sessions[from];
  // Partitioned sessions (0015): an email report's foreign key checks session_ids, so its rows are locked too.
  const lockIds = from === 'live' && (await sessionsArePartitioned(db));
  for (;;) {
    await abortPoint(); // PGlite: an abort takes effect here, between batches
    const batch = await db.transaction(async (tx) => {
      const locked = await queryRows<{ id: string; at: string }>(
        tx,
        sql`select "s"."id", "s"."scheduled_time"::text as "at" from ${source} "s" where ${where} order by "s"."scheduled_time" limit ${batchSize} for update of "s"`,
      );
      if (locked.length === 0) return undefined;
      if (lockIds) {
        await tx.execute(sql`select 1 from "session_ids" where "id" = any(${sql.param(locked.map((r) => r.id))}::uuid[]) order by "id" for update`);
      }
      const [row] = await queryRows<{ sessions: number; reschedules: number; email_reports: number }>(
        tx,
        moveStatement(
          locked.map((r) => r.id),
          { first: (locked[0] as { at: string }).at, last: (locked[locked.length - 1] as { at: string }).at },
          from,
        ),
      );
      return { sessions: Number(row?.sessions ?? 0), reschedules: Number(row?.reschedules ?? 0), emailReports: Number(row?.email_reports ?? 0) };
    });
    if (!batch) break;
    moved.batches += 1;
    moved.sessions += batch.sessions;
    moved.reschedules += batch.reschedules;
    moved.emailReports += batch.emailReports;
    await options.onProgress?.({ ...moved, sessionsTotal: total.sessions });
  }
  return { ...moved, dryRun: false };
}

/**
 * Runs a move under `options.signal`: aborted, it rejects with an `AbortedError` saying what stays (the batches
 * committed before the abort) and that the same call continues from there.
 */
function movedAbortably<T>(
  db: Database,
  call: string,
  verb: string,
  options: MoveOptions,
  move: (moved: { sessions: number; reschedules: number; emailReports: number; batches: number; months: number }) => Promise<T>,
): Promise<T> {
  const moved = { sessions: 0, reschedules: 0, emailReports: 0, batches: 0, months: 0 };
  const outcome = () =>
    moved.batches === 0
      ? 'the running batch was cancelled and rolled back, nothing was moved'
      : `the running batch was cancelled and rolled back; ${moved.sessions} sessions were ${verb} in ` +
        `${moved.batches} committed batch${moved.batches === 1 ? '' : 'es'}, which stay: call it again to continue`;
  return inCall(db, call, () => abortable(call, options.signal, () => move(moved), outcome));
}

/**
 * The latest cutoff that changes no stored score: the start of the longest window ending at the oldest stored
 * `as_of`, or at `now` when that is earlier (a refresh run now) or no score is stored. A session scheduled before it
 * is in no window of any stored score, nor of a refresh run now or later.
 */
async function safeCutoff(db: Database, now: Date): Promise<Date> {
  const [row] = await queryRows<{ oldest: string | Date | null }>(
    db,
    sql`select min(${tutorScores.asOf}) as "oldest" from ${tutorScores}`,
  );
  const oldest = row?.oldest == null ? now : new Date(row.oldest);
  const end = oldest.getTime() < now.getTime() ? oldest : now;
  return new Date(end.getTime() - LONGEST_WINDOW_DAYS * DAY_MS);
}

/**
 * Moves the sessions scheduled before `before`, with their reschedules and email reports, into the archive tables
 * (`tqs_archive.*`, same columns), oldest first, one atomic transaction per `batchSize` sessions; stopped half-way,
 * it keeps what it committed and a second call moves the rest. It refuses a cutoff later than `safeBefore` unless
 * `force: true`, since below it no session counts in any stored score; the moved sessions' tutors are queued for the
 * next `refreshDueScores` (docs/operations.md).
 *
 * When `before` is the first instant of a month (UTC) and `sessions` is partitioned by month, each whole month
 * before it first moves by its partition, one transaction a month (`months` in the result): its reschedules and email
 * reports move as rows, the partition is detached from `sessions` and attached to `tqs_archive.sessions`
 * (`select * from tqs_archive_session_month($month)`, migration `archive_months`); the transaction holds an
 * `ACCESS EXCLUSIVE` lock on `sessions`. `wholeMonths: false` moves every row in batches.
 *
 * SQL of one batch, in one transaction:
 * ```sql
 * select s.id from sessions s where s.scheduled_time < $before order by s.scheduled_time limit $batchSize for update of s;
 * with moved_email_reports as (delete from email_reports where session_id = any($ids::uuid[]) returning ...),
 *      moved_reschedules as (delete from reschedules where session_id = any($ids::uuid[]) returning ...),
 *      moved_sessions as (delete from sessions where id = any($ids::uuid[]) returning ...),
 *      put_sessions as (insert into tqs_archive.sessions (...) select ... from moved_sessions returning 1),
 *      put_reschedules as (insert into tqs_archive.reschedules (...) select ... from moved_reschedules returning 1),
 *      put_email_reports as (insert into tqs_archive.email_reports (...) select ... from moved_email_reports returning 1)
 * select count(put_sessions), count(put_reschedules), count(put_email_reports);
 * ```
 *
 * @throws {DestructiveOperationRefusedError} `before` is later than `safeBefore` and `force` is not set; nothing
 *   was changed.
 * @throws {InvalidOptionError} `before` is missing or not a valid Date, or another option is unknown or of the wrong
 *   kind; nothing was changed.
 * @example
 * const result = await archiveHistory(db, { before: new Date('2025-01-01T00:00:00Z') });
 * // { sessions: 52000, reschedules: 6100, emailReports: 5900, batches: 11, months: 0, dryRun: false, before, safeBefore }
 * await archiveHistory(db, { before, dryRun: true });  // counts only
 * await restoreHistory(db);                            // everything back
 */
export async function archiveHistory(db: Database, options: ArchiveHistoryOptions): Promise<ArchiveHistoryResult> {
  checkOptions('archiveHistory', options, {
    before: isDate,
    batchSize: isBatchSize,
    force: isBoolean,
    dryRun: isBoolean,
    wholeMonths: isBoolean,
    onProgress: isFunction,
    signal: isSignal,
  });
  if (options?.before === undefined) {
    throw new InvalidOptionError('before', 'archiveHistory: before is required (the instant before which sessions are archived); nothing was changed');
  }
  const before = new Date(options.before.getTime());
  return movedAbortably(db, 'archiveHistory', 'archived', options, async (moved) => {
    const safeBefore = await safeCutoff(db, new Date());
    if (before.getTime() > safeBefore.getTime() && !options.force) {
      throw new DestructiveOperationRefusedError(
        `archiveHistory: before ${before.toISOString()} is later than ${safeBefore.toISOString()}, the start of the ` +
          `${LONGEST_WINDOW_DAYS}-day window of the oldest stored score (or of now): archiving would change scores. ` +
          `Give a cutoff at or before ${safeBefore.toISOString()}, or force: true (--force) to archive anyway. Nothing was changed.`,
      );
    }
    // Whole months only when the cutoff is a month's first instant (UTC): then no month is split.
    const onMonth = before.getTime() === monthStart(before, 0).getTime();
    const months = onMonth ? await wholeMonthsOf(db, 'live', { before }, options) : [];
    const result = await moveHistory(db, 'live', rangeOf({ before }), options, moved, months);
    return { ...result, before, safeBefore };
  });
}

/**
 * Moves archived sessions (all, or those scheduled in `[from, before)`) back into the live tables with their
 * reschedules and email reports, the way {@link archiveHistory} moved them out, and as resumable. An archived whole
 * month inside the range comes back by its partition (`tqs_restore_session_month`), unless `sessions` has a
 * partition or rows of that month again; the rest in batches. A session whose
 * tutor was deleted since is refused by `sessions_tutor_id_fk` and its batch rolled back.
 *
 * @throws {ConstraintViolationError} a live table refused a row (e.g. the session's tutor no longer exists); the
 *   batch was rolled back, earlier batches stay restored.
 * @throws {InvalidOptionError} an option is unknown or of the wrong kind, or `from` is not before `before`; nothing
 *   was changed.
 * @example
 * await restoreHistory(db);                                               // everything
 * await restoreHistory(db, { from: new Date('2024-10-01T00:00:00Z') });  // the newest part of the archive
 */
export async function restoreHistory(db: Database, options: RestoreHistoryOptions = {}): Promise<HistoryMoveResult> {
  checkOptions('restoreHistory', options, {
    from: isDate,
    before: isDate,
    batchSize: isBatchSize,
    dryRun: isBoolean,
    wholeMonths: isBoolean,
    onProgress: isFunction,
    signal: isSignal,
  });
  if (options.from && options.before && options.from.getTime() >= options.before.getTime()) {
    throw new InvalidOptionError(
      'from',
      `restoreHistory: from (${options.from.toISOString()}) must be before before (${options.before.toISOString()}); nothing was changed`,
    );
  }
  return movedAbortably(db, 'restoreHistory', 'restored', options, async (moved) => {
    const range = { from: options.from, before: options.before };
    return moveHistory(db, 'archive', rangeOf(range), options, moved, await wholeMonthsOf(db, 'archive', range, options));
  });
}
