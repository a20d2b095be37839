import type { Table } from 'drizzle-orm';
import type { z } from 'zod';
import { type BuiltColumn, buildTableSchemas, type ColumnSchemas, type SchemaParts } from './row-rules';
import { isoTimestamptz, jsonifyRow } from './wire';

/** The keys of a table's `timestamptz` columns, read from the row type: the ones JSON carries as text. */
type TimestampKeys<TTable extends Table> = {
  [K in keyof TTable['$inferSelect']]-?: TTable['$inferSelect'][K] extends Date | null ? K : never;
}[keyof TTable['$inferSelect']];

/** The column schemas of a JSON request: the row's, with each timestamp read from ISO 8601 text. */
type WireColumns<TTable extends Table, TColumns> = {
  [K in keyof TColumns]: K extends TimestampKeys<TTable> ? (field: K) => ReturnType<typeof isoTimestamptz> : TColumns[K];
};

/**
 * The JSON schemas of a table, built from the same column schemas and rules as its row schemas: a create and an
 * update request (JSON in, the row out: ISO 8601 text becomes a `Date`), and a response (a row in, JSON out). Only
 * the timestamp columns get new schemas; the others are the row schemas' own.
 *
 * @example
 * const { createRequest, updateRequest, response } = wireSchemas(tableSchemas(sessions, columns, rules));
 */
export function wireSchemas<TTable extends Table, TColumns extends ColumnSchemas<TTable>, TSelect extends z.ZodType>(row: {
  select: TSelect;
  parts: SchemaParts<TTable, TColumns>;
}) {
  const { table, columns, rules } = row.parts;
  const wire = new Map<string, BuiltColumn>();
  for (const [key, built] of columns) {
    wire.set(key, built.column.columnType === 'PgTimestamp' ? { column: built.column, schema: isoTimestamptz(key) } : built);
  }
  const { insert, update } = buildTableSchemas<TTable, WireColumns<TTable, TColumns>, 'insert' | 'update'>(table, wire, rules, [
    'insert',
    'update',
  ]);
  return {
    createRequest: insert,
    updateRequest: update,
    response: row.select.transform(
      (selected) => jsonifyRow(selected as object) as ReturnType<typeof jsonifyRow<z.output<TSelect> & object>>,
    ),
  };
}
