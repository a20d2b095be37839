import type { Sql } from 'postgres';
import { InvalidOptionError } from '../../errors';

/*
 * postgres.js keeps a client's `transform` option parsed in `sql.options.transform` (3.4: `parseTransform`), each of
 * `column`, `value` and `row` as `{ from, to }`, functions or undefined; `postgres.camel` and the like fill `column`,
 * a function given alone is `from`. Any of them changes the names or values of the rows this package reads (and
 * drizzle's own mapping, which reads columns by name), so a client that has one is refused. `undefined` (what a
 * parameter left undefined is sent as) changes no row read and is accepted.
 */
type Transform = Record<'column' | 'value' | 'row', { from?: unknown; to?: unknown } | undefined>;

/**
 * Refuses a postgres.js client whose `transform` renames columns or changes values or rows.
 *
 * @throws {InvalidOptionError} on `client`, naming the transform and the fix.
 * @example
 * assertNoTransform(postgres(url, { transform: postgres.camel })); // InvalidOptionError: ... transform.column ...
 */
export function assertNoTransform(sql: Sql): void {
  const transform = (sql as { options?: { transform?: Partial<Transform> } }).options?.transform;
  if (transform === undefined) return;
  const set = (['column', 'value', 'row'] as const).filter((part) => {
    const fns = transform[part];
    return typeof fns === 'function' || (fns !== undefined && (fns.from !== undefined || fns.to !== undefined));
  });
  if (set.length === 0) return;
  throw new InvalidOptionError(
    'client',
    `createDatabase: client has transform.${set.join(', transform.')} set, which changes the column names or values the package reads; open the client without transform (postgres(url) or postgres(url, { ... }) with no transform), and keep a transforming client of your own for your other queries`,
  );
}
