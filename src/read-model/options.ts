import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import { type Database, queryRows } from '../db';
import { readFromReplica } from '../db/replicas';
import { InvalidOptionError, NotFoundError } from '../errors';
import { type CursorValue, decodeCursor as decodeKeysetCursor, encodeCursor, errorChain } from '../util';

/*
 * What every read-model call shares: its options are a Zod schema (also exported, so an API service validates its
 * requests with the same rules), a bad option is refused as an InvalidOptionError naming it, and the call's whole
 * answer comes back from one statement as one JSON text, parsed here. Building the JSON in SQL keeps each call one
 * round trip, and makes its values JSON-ready whatever the driver (ISO instants, numbers).
 */

/** An instant as a `Date` or as ISO 8601 text with an offset; parsed to a `Date`. */
export const instantOption = lazySchema(() =>
  z.union([z.date(), z.iso.datetime({ offset: true })]).transform((value, ctx) => {
    const date = typeof value === 'string' ? new Date(value) : new Date(value.getTime());
    const year = date.getUTCFullYear();
    if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) {
      ctx.addIssue({ code: 'custom', message: 'a valid instant in the years 1–9999' });
      return z.NEVER;
    }
    return date;
  }),
);

/** An id: a UUID as the database writes it (8-4-4-4-12 hex digits, any version). */
export const uuidOption = lazySchema(() => z.guid());

/** A page size: 1–500. */
export const limitOption = lazySchema(() => z.number().int().min(1).max(500));

/** A time zone name (IANA), checked by the database itself in the same statement. */
export const timeZoneOption = lazySchema(() => z.string().min(1).max(64));

/** A half-open period `[from, to)`: `to` after `from`. */
export const periodRefinement = (value: { from?: Date; to?: Date }, ctx: z.RefinementCtx) => {
  if (value.from && value.to && value.to.getTime() <= value.from.getTime()) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'after from (the period is [from, to))' });
  }
};

/**
 * Parses a call's options with its schema; the first problem becomes an {@link InvalidOptionError} that names the
 * option (dotted for a nested one, e.g. `sort.by`) and what it takes.
 */
export function parseOptions<S extends z.ZodType>(fn: string, schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const option = issue.path.length > 0 ? issue.path.join('.') : 'options';
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown option '${issue.keys.join("', '")}'`
      : `option '${option}' must be ${describe(issue)}`;
  throw new InvalidOptionError(issue.code === 'unrecognized_keys' ? (issue.keys[0] ?? option) : option, `${fn}: ${message}`);
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `given (it is required): ${issue.expected}` : `${issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'array' ? `a list of at least ${issue.minimum}` : issue.origin === 'string' ? 'a non-empty string' : `at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array' ? `at most ${issue.maximum} long` : `at most ${issue.maximum}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return 'a Date or ISO 8601 text with an offset (e.g. 2026-01-15T12:00:00Z)';
    case 'invalid_format':
      return issue.format === 'guid' ? 'a UUID' : `a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

/** An id that is not a UUID names no row: refused as not found, as an unknown UUID is, without a query. */
export function checkId(entity: string, id: unknown): string {
  if (typeof id !== 'string' || !uuidOption.safeParse(id).success) throw new NotFoundError(entity, String(id));
  return id.toLowerCase();
}

/** `value` as ISO 8601 text in UTC with milliseconds (`2026-01-15T12:00:00.000Z`), null for null. */
export const isoText = (value: SQL): SQL =>
  sql`to_char(${value} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A `timestamptz` parameter. */
export const instantParam = (date: Date): SQL => sql`${date.toISOString()}::timestamptz`;

/**
 * Runs `query`, which returns one row with one JSON text column `result`, on a read replica when `db` has them.
 * An unknown time zone (SQLSTATE 22023 naming a time zone) is refused as an InvalidOptionError on `timeZone`.
 */
export async function readJson<T>(db: Database, query: SQL, timeZone?: string): Promise<T> {
  try {
    const [row] = await readFromReplica(db, 'read model', (reader) => queryRows<{ result: string }>(reader, query));
    return JSON.parse(row!.result) as T;
  } catch (error) {
    if (timeZone !== undefined && /time zone .* not recognized/i.test(errorText(error))) {
      throw new InvalidOptionError('timeZone', `option 'timeZone' must be a time zone the database knows (got ${JSON.stringify(timeZone)}), e.g. 'Europe/Paris'`);
    }
    throw error;
  }
}

const errorText = (error: unknown): string =>
  [...errorChain(error)].map((link) => (link instanceof Error ? link.message : '')).join(' ');

/** The values of a cursor made by `encodeCursor` that `check` accepts, or an InvalidOptionError on `after`. */
export function decodeCursor(fn: string, cursor: string, check: (values: unknown[]) => boolean): unknown[] {
  const values = decodeKeysetCursor(cursor, (v): v is CursorValue[] => check(v));
  if (values) return values;
  throw new InvalidOptionError('after', `${fn}: option 'after' must be the nextCursor of a previous page of the same call and sort`);
}

/**
 * A keyset page from rows fetched with `limit + 1`: the extra row only says that another page follows, and the
 * cursor is made from the page's last row.
 */
export function keysetPage<R>(rows: R[], limit: number, cursorOf: (last: R) => (string | number | null)[]): { page: R[]; nextCursor?: string } {
  const page = rows.slice(0, limit);
  const last = rows.length > limit ? page[page.length - 1] : undefined;
  return last === undefined ? { page } : { page, nextCursor: encodeCursor(cursorOf(last)) };
}
