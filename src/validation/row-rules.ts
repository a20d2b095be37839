import { getTableColumns, is, SQL, type Table } from 'drizzle-orm';
import { type BuildSchema, createInsertSchema, createSelectSchema, createUpdateSchema } from 'drizzle-zod';
import type { z } from 'zod';
import { ruleMessage } from './column-types';

/**
 * A CHECK constraint that reads more than one column, mirrored for Zod. Its issue is reported on `field`, the
 * column at fault, with a message naming the field and `constraint`.
 *
 * @example
 * const completedAfterScheduled: RowRule<Session> = {
 *   constraint: 'sessions_completed_after_scheduled',
 *   field: 'completedTime',
 *   reads: ['completedTime', 'scheduledTime'],
 *   requirement: 'must not be before scheduledTime',
 *   holds: (row) => row.completedTime === null || row.completedTime >= row.scheduledTime,
 * };
 */
export interface RowRule<TRow> {
  /** The constraint it mirrors, e.g. `sessions_completed_after_scheduled` (or `generated column`). */
  constraint: string;
  /** The column the issue is reported on. */
  field: keyof TRow & string;
  /** Every column the rule reads. In an update it is checked only when all of them are present. */
  reads: readonly (keyof TRow & string)[];
  /** What `field` must be, in words, e.g. `must not be before scheduledTime`. */
  requirement: string;
  /** Whether the row satisfies the rule. Like a CHECK, it must return true when an operand it compares is null. */
  holds: (row: TRow) => boolean;
  /** Checked only on rows read from the database (generated columns), not on inserts or updates. */
  selectOnly?: boolean;
}

/** The schema kinds drizzle-zod builds: what a row read, inserted or updated may be. */
type SchemaKind = 'select' | 'insert' | 'update';

/**
 * The value PostgreSQL puts in each column an insert leaves out, where it is known without asking the database: a
 * constant default, or null for a nullable column without one. Columns defaulting to SQL (`now()`) are absent.
 */
function insertDefaults(table: Table): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    if (column.defaultFn !== undefined || column.generated !== undefined) continue;
    if (column.hasDefault) {
      if (column.default !== undefined && !is(column.default, SQL)) defaults[key] = column.default;
    } else if (!column.notNull) {
      defaults[key] = null;
    }
  }
  return defaults;
}

/**
 * The `superRefine` callback that checks `rules` on a parsed row of the given kind. On insert a column left out
 * takes its default first (`tutor_reschedules_7d` defaults to 0, so it must not exceed a `total_sessions_7d` that
 * defaults to 0 too); on update a rule is checked only when every column it reads is being set.
 */
function checkRowRules<TRow>(table: Table, kind: SchemaKind, rules: readonly RowRule<TRow>[]) {
  const defaults = kind === 'insert' ? insertDefaults(table) : {};
  const active = rules.filter((rule) => kind === 'select' || !rule.selectOnly);
  return (parsed: object, ctx: z.RefinementCtx): void => {
    const row: Record<string, unknown> = { ...defaults };
    for (const [key, value] of Object.entries(parsed)) if (value !== undefined) row[key] = value;
    for (const rule of active) {
      if (rule.reads.some((key) => row[key] === undefined)) continue;
      if (!rule.holds(row as TRow)) {
        ctx.addIssue({ code: 'custom', path: [rule.field], message: ruleMessage(rule.field, rule.requirement, rule.constraint) });
      }
    }
  };
}

type OptionalKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? K : never }[keyof T];

/** Per column, a function building its Zod schema (without `.nullable()`/`.optional()`: drizzle-zod adds those). */
export type ColumnSchemas<TTable extends Table> = {
  [K in keyof TTable['$inferSelect']]?: () => z.ZodType;
};

/**
 * The column schemas for `createInsertSchema`, with the columns an insert may leave out made optional in the static
 * type. drizzle-zod 0.8.3 makes such a column optional at run time but types a refined one as required; wrapping it
 * here makes the inferred type equal to `typeof table.$inferInsert`.
 */
type InsertRefinements<TTable extends Table, TColumns> = {
  [K in keyof TColumns & keyof TTable['$inferInsert']]: TColumns[K] extends () => infer S
    ? S extends z.ZodType
      ? K extends OptionalKeys<TTable['$inferInsert']>
        ? () => z.ZodOptional<S>
        : () => S
      : never
    : never;
};

function insertRefinements<TTable extends Table, TColumns extends ColumnSchemas<TTable>>(
  table: TTable,
  columns: TColumns,
): InsertRefinements<TTable, TColumns> {
  const tableColumns = getTableColumns(table) as Record<string, { notNull: boolean; hasDefault: boolean; generated?: unknown }>;
  const refinements: Record<string, () => z.ZodType> = {};
  for (const [key, build] of Object.entries(columns) as [string, () => z.ZodType][]) {
    const column = tableColumns[key];
    if (!column || column.generated !== undefined) continue;
    refinements[key] = column.notNull && !column.hasDefault ? build : () => build().optional();
  }
  return refinements as InsertRefinements<TTable, TColumns>;
}

/**
 * The insert, select and update schemas of a table: drizzle-zod's, with each column's schema from `columns` and the
 * row's cross-column CHECK rules in `superRefine`. Generated columns are in the select schema only.
 *
 * @example
 * const { insert, select, update } = tableSchemas(tutors, tutorColumns, []);
 */
export function tableSchemas<TTable extends Table, TColumns extends ColumnSchemas<TTable>>(
  table: TTable,
  columns: TColumns,
  rules: readonly RowRule<TTable['$inferSelect']>[],
): {
  insert: BuildSchema<'insert', TTable['_']['columns'], InsertRefinements<TTable, TColumns>, undefined>;
  select: BuildSchema<'select', TTable['_']['columns'], TColumns, undefined>;
  update: BuildSchema<'update', TTable['_']['columns'], TColumns, undefined>;
  /** What the schemas were built from, for the JSON schemas built beside them (`wireSchemas`). */
  parts: { table: TTable; columns: TColumns; rules: readonly RowRule<TTable['$inferSelect']>[] };
} {
  // drizzle-zod's overloads check refinement keys against a concrete table type, which a generic function does not
  // have, so the calls are cast; the declared return types are drizzle-zod's own, and the tests compare them with the
  // Drizzle row types.
  const build = (create: (table: Table, refine: never) => z.ZodObject, refine: object, kind: SchemaKind) =>
    create(table, refine as never).superRefine(checkRowRules(table, kind, rules)) as never;
  return {
    insert: build(createInsertSchema, insertRefinements(table, columns), 'insert'),
    select: build(createSelectSchema, columns, 'select'),
    update: build(createUpdateSchema, columns, 'update'),
    parts: { table, columns, rules },
  };
}
