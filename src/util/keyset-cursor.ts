/*
 * The cursors of keyset-paged lists: the sort key of a page's last row, as opaque URL-safe text. A page starts right
 * after that key, so paging while rows change neither repeats nor skips a row whose place did not change.
 */

/** One value of a sort key. */
export type CursorValue = string | number | null;

/**
 * The cursor of a sort key: its values as base64url JSON.
 *
 * @example
 * encodeCursor(['2026-01-15T16:00:00.000Z', '5b3c0e9a-…']); // 'WyIyMDI2LTAx…'
 */
export const encodeCursor = (key: readonly CursorValue[]): string => Buffer.from(JSON.stringify(key)).toString('base64url');

/**
 * The sort key of a cursor made by {@link encodeCursor}, when `accepts` takes its values; undefined for anything else
 * (the caller says which call and option it was).
 *
 * @example
 * const key = decodeCursor(after, (v): v is [string, string] => v.length === 2 && v.every((x) => typeof x === 'string'));
 */
export function decodeCursor<T extends readonly CursorValue[]>(cursor: string, accepts: (values: unknown[]) => values is unknown[] & T): T | undefined {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values) && accepts(values)) return values;
  } catch {
    // not a cursor: undefined below
  }
  return undefined;
}
