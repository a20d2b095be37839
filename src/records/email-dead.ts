import { and, asc, eq, getTableColumns, gt, or, sql } from 'drizzle-orm';
import { inCall } from '../db/call';
import type { Database } from '../db/client';
import { InvalidOptionError, NotFoundError } from '../errors';
import { checkOptions } from '../errors/check-options';
import type { EmailReport } from '../schema';
import { parseTimestamptz } from '../schema/columns';
import { emailReports } from '../schema/email-reports';
import { decodeCursor, encodeCursor } from '../util/keyset-cursor';
import { isWholeNumberUpTo, UUID } from './email-queue-options';

/** Options of {@link listDeadEmailReports}. */
export interface ListDeadEmailReportsOptions {
  /** Reports per page, from 1 to 1000. Default 100. */
  limit?: number;
  /** The `nextCursor` of the previous page. */
  after?: string;
}

/** A page of {@link listDeadEmailReports}. */
export interface DeadEmailReportsPage {
  /** Dead reports, oldest first (by `created_at`, then `id`). */
  reports: EmailReport[];
  /** Pass it as `after` for the next page; absent on the last page. */
  nextCursor?: string;
}

const e = emailReports;
const isKey = (v: unknown[]): v is [string, string] => v.length === 2 && v.every((x) => typeof x === 'string');

/**
 * The reports the claim queue gave up on (`dead`), oldest first, a page at a time, through the partial index
 * `email_reports_dead_idx` (the dead reports alone are read). Each keeps its last `error_message` and `attempts`.
 *
 * @throws {InvalidOptionError} an unknown option, a bad `limit` or an `after` that is no `nextCursor`.
 * @example
 * const { reports, nextCursor } = await listDeadEmailReports(db, { limit: 50 });
 * for (const report of reports) console.log(report.id, report.attempts, report.errorMessage);
 */
export async function listDeadEmailReports(db: Database, options: ListDeadEmailReportsOptions = {}): Promise<DeadEmailReportsPage> {
  checkOptions('listDeadEmailReports', options, {
    limit: isWholeNumberUpTo(1, 1000),
    after: (v) => (typeof v === 'string' ? undefined : 'a nextCursor of listDeadEmailReports'),
  });
  const limit = options.limit ?? 100;
  const key = options.after === undefined ? undefined : decodeCursor(options.after, isKey);
  if (options.after !== undefined && (!key || Number.isNaN(parseTimestamptz(key[0]).getTime()) || !UUID.test(key[1]))) {
    throw new InvalidOptionError('after', 'listDeadEmailReports: after must be the nextCursor of a previous page');
  }
  const from = key && sql`${key[0]}::timestamptz`;
  const rows = await inCall(db, 'listDeadEmailReports', () =>
    db
      // The key as the database writes it, to the microsecond: a Date would round it to the millisecond.
      .select({ ...getTableColumns(e), key: sql<string>`${e.createdAt}::text` })
      .from(e)
      .where(and(eq(e.status, 'dead'), key && from ? or(gt(e.createdAt, from), and(eq(e.createdAt, from), gt(e.id, key[1]))) : undefined))
      .orderBy(asc(e.createdAt), asc(e.id))
      .limit(limit + 1),
  );
  const reports = rows.slice(0, limit).map(({ key: _key, ...report }) => report);
  const last = rows[limit - 1];
  return rows.length > limit && last ? { reports, nextCursor: encodeCursor([last.key, last.id]) } : { reports };
}

/**
 * Puts a `dead` report back in the queue, explicitly: `pending`, claimable at once, with its attempts reset to 0
 * (a new set of `maxAttempts`) and its last error kept until the next attempt closes it. Any token of its earlier
 * claims stays stale. A waiting worker is woken (NOTIFY on PostgreSQL).
 *
 * @throws {NotFoundError} no email report has that id.
 * @throws {InvalidOptionError} the report is not dead (nothing was changed).
 * @example
 * for (const report of (await listDeadEmailReports(db)).reports) await reviveEmailReport(db, report.id);
 */
export async function reviveEmailReport(db: Database, reportId: string): Promise<EmailReport> {
  if (!UUID.test(reportId)) throw new NotFoundError('email report', reportId);
  const { revived, row } = await inCall(db, 'reviveEmailReport', async (): Promise<{ revived: boolean; row?: EmailReport }> => {
    const [updated] = await db
      .update(e)
      .set({ status: 'pending', attempts: 0, claimToken: null, claimedUntil: null, availableAt: null })
      .where(and(eq(e.id, reportId), eq(e.status, 'dead')))
      .returning();
    return updated ? { revived: true, row: updated } : { revived: false, row: (await db.select().from(e).where(eq(e.id, reportId)))[0] };
  });
  if (revived) return row!;
  if (!row) throw new NotFoundError('email report', reportId);
  throw new InvalidOptionError('reportId', `reviveEmailReport: email report ${reportId} is ${row.status}, not dead: only a dead report is revived; nothing was changed`);
}
