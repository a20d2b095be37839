import type { Table } from 'drizzle-orm';
import { z } from 'zod';
import { type BuiltColumn, buildTableSchemas, type ColumnSchemas, type RowRule, type SchemaParts, withRowRules } from './row-rules';
import { isoTimestamptz, jsonifyRow } from './wire';

/** The keys of a table's `timestamptz` columns, read from the row type: the ones JSON carries as text. */
type TimestampKeys<TTable extends Table> = {
  [K in keyof TTable['$inferSelect']]-?: TTable['$inferSelect'][K] extends Date | null ? K : never;
}[keyof TTable['$inferSelect']];

/** The column schemas of a JSON request: the row's, with each timestamp read from ISO 8601 text. */
type WireColumns<TTable extends Table, TColumns> = {
  [K in keyof TColumns]: K extends TimestampKeys<TTable> ? (field: K) => ReturnType<typeof isoTimestamptz> : TColumns[K];
};

/** The shape of an object schema. */
type ShapeOf<S> = S extends z.ZodObject<infer Shape> ? Shape : never;

/** An object schema without the keys `K`, as `.omit` types it. */
type Without<S, K extends PropertyKey> = z.ZodObject<Omit<ShapeOf<S>, K>, z.core.$strip>;

/** A response's field for a timestamp: ISO 8601 text in UTC, as `Date.prototype.toISOString` writes it. */
type IsoField<S> = S extends z.ZodNullable<z.ZodType> ? z.ZodNullable<z.ZodISODateTime> : z.ZodISODateTime;

/** The shape of a JSON response: the row's, with every timestamp as ISO 8601 text. */
type ResponseShape<TTable extends Table, TShape> = {
  [K in keyof TShape]: K extends TimestampKeys<TTable> ? IsoField<TShape[K]> : TShape[K];
};

/** The columns the server sets and a request never does: the key, and the times the database writes. */
const UPDATE_OWNED = ['id', 'createdAt', 'updatedAt'] as const;
type UpdateOwned = (typeof UPDATE_OWNED)[number];

/** A `.omit`/`.pick` mask of the keys of `keys` that `shape` has. */
function maskOf(shape: object, keys: readonly string[]): Record<string, true> {
  return Object.fromEntries(keys.filter((key) => Object.hasOwn(shape, key)).map((key) => [key, true]));
}

/** The JSON response object of a select schema: each timestamp as ISO 8601 text in UTC, the rest as it is. */
function responseObjectOf(select: z.ZodObject, columns: ReadonlyMap<string, BuiltColumn>): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(select.shape)) {
    const built = columns.get(key);
    if (built?.column.columnType !== 'PgTimestamp') {
      shape[key] = field;
      continue;
    }
    const text = z.iso.datetime({ precision: 3, error: `${key}: must be ISO 8601 text in UTC, e.g. 2026-01-15T12:00:00.000Z` });
    shape[key] = built.column.notNull ? text : text.nullable();
  }
  return z.object(shape);
}

/**
 * The JSON schemas of a table, built from the same column schemas and rules as its row schemas: a create and an
 * update request (JSON in, the row out: ISO 8601 text becomes a `Date`), and a response (a row in, JSON out). Only
 * the timestamp columns get new schemas; the others are the row schemas' own.
 *
 * Each comes as a plain object (`…Object`: composable with `.omit`, `.pick`, `.partial`, `.extend`) and as the schema
 * with the row's cross-column rules (`withRules` adds them to a shape made from the object). The server-owned columns
 * are not part of the requests, so a client that sends them has them stripped: `createOwned` on create, and the id
 * and both times on update.
 *
 * @example
 * const wire = wireSchemas(tableSchemas(sessions, columns, rules), ['createdAt', 'updatedAt']);
 */
export function wireSchemas<
  TTable extends Table,
  TColumns extends ColumnSchemas<TTable>,
  TSelect extends z.ZodObject,
  KOwned extends keyof TTable['$inferInsert'] & string,
>(row: { select: TSelect; parts: SchemaParts<TTable, TColumns> }, createOwned: readonly KOwned[]) {
  const { table, columns, rules } = row.parts;
  const wire = new Map<string, BuiltColumn>();
  for (const [key, built] of columns) {
    wire.set(key, built.column.columnType === 'PgTimestamp' ? { column: built.column, schema: isoTimestamptz(key) } : built);
  }
  const objects = buildTableSchemas<TTable, WireColumns<TTable, TColumns>, 'insert' | 'update'>(table, wire, rules, ['insert', 'update'], false);
  type Insert = typeof objects.insert;
  type Update = typeof objects.update;
  const createRequestObject = objects.insert.omit(maskOf(objects.insert.shape, createOwned) as never) as unknown as Without<Insert, KOwned>;
  const updateRequestObject = objects.update.omit(maskOf(objects.update.shape, UPDATE_OWNED) as never) as unknown as Without<Update, UpdateOwned>;
  const responseObject = responseObjectOf(row.select, columns) as unknown as z.ZodObject<ResponseShape<TTable, ShapeOf<TSelect>>, z.core.$strip>;
  const withRules = <S extends z.ZodObject>(schema: S, kind: 'create' | 'update' = 'create'): S =>
    withRowRules(schema, table, kind === 'create' ? 'insert' : 'update', rules as readonly RowRule<never>[]);
  return {
    createRequestObject,
    createRequest: withRules(createRequestObject),
    updateRequestObject,
    updateRequest: withRules(updateRequestObject, 'update'),
    responseObject,
    response: row.select.transform((selected) => jsonifyRow(selected as object)).pipe(responseObject),
    withRules,
  };
}
