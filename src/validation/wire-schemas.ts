import { getTableColumns, type Table } from 'drizzle-orm';
import type { z } from 'zod';
import { type ColumnSchemas, type RowRule, tableSchemas } from './row-rules';
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
 * update request (JSON in, the row out: ISO 8601 text becomes a `Date`), and a response (a row in, JSON out).
 *
 * @example
 * const { createRequest, updateRequest, response } = wireSchemas(tableSchemas(sessions, columns, rules));
 */
export function wireSchemas<TTable extends Table, TColumns extends ColumnSchemas<TTable>, TSelect extends z.ZodType>(row: {
  select: TSelect;
  parts: { table: TTable; columns: TColumns; rules: readonly RowRule<TTable['$inferSelect']>[] };
}) {
  const { table, columns, rules } = row.parts;
  const select = row.select;
  const wire: Record<string, unknown> = { ...columns };
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    if (column.columnType === 'PgTimestamp') wire[key] = (field: string) => isoTimestamptz(field);
  }
  const { insert, update } = tableSchemas(table, wire as WireColumns<TTable, TColumns>, rules);
  return {
    createRequest: insert,
    updateRequest: update,
    response: select.transform((row) => jsonifyRow(row as object) as ReturnType<typeof jsonifyRow<z.output<TSelect> & object>>),
  };
}
