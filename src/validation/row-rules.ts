import { getTableColumns, getTableName, is, SQL, type Table } from 'drizzle-orm';
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
export type SchemaKind = 'select' | 'insert' | 'update';

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

/**
 * Per column of the table, required for every one, a function building its Zod schema from the column's key (the
 * field named in messages) and the Drizzle column itself, so that lengths, precision and scale are read from the
 * table and never typed twice. No `.nullable()`/`.optional()`: each schema of the table adds them where drizzle-zod
 * would.
 *
 * @example
 * const columns: ColumnSchemas<typeof tutors> = {
 *   id: uuid,
 *   name: (field, column) => notBlankVarchar(field, column, 'tutors_name_not_blank'),
 *   // ... one entry per column of `tutors`, or the table's schemas do not compile
 * };
 */
export type ColumnSchemas<TTable extends Table> = {
  [K in keyof TTable['_']['columns'] & string]: (field: K, column: TTable['_']['columns'][K]) => z.ZodType;
};

/** The refinements drizzle-zod takes: each column's builder with its key and column bound. */
type BoundRefinements<TColumns> = {
  [K in keyof TColumns]: TColumns[K] extends (...args: never[]) => infer S ? () => S : never;
};

/**
 * The column schemas for `createInsertSchema`, with the columns an insert may leave out made optional in the static
 * type. drizzle-zod 0.8.3 makes such a column optional at run time but types a refined one as required; wrapping it
 * here makes the inferred type equal to `typeof table.$inferInsert`.
 */
type InsertRefinements<TTable extends Table, TColumns> = {
  [K in keyof TColumns & keyof TTable['$inferInsert']]: TColumns[K] extends (...args: never[]) => infer S
    ? S extends z.ZodType
      ? K extends OptionalKeys<TTable['$inferInsert']>
        ? () => z.ZodOptional<S>
        : () => S
      : never
    : never;
};

/** What drizzle-zod reads of a column to decide whether a schema has it, and whether it may be null or left out. */
interface ColumnFacts {
  notNull: boolean;
  hasDefault: boolean;
  columnType: string;
  generated?: { type?: string };
  generatedIdentity?: { type?: string };
}

/** A column of a table with its Zod schema, built once and shared by every schema of the table. */
export interface BuiltColumn {
  column: ColumnFacts;
  schema: z.ZodType;
}

/**
 * Each column's schema, built once from its key and Drizzle column. Throws when a column of the table has no
 * builder or a builder names no column: every column is refined, so a new column cannot pass unchecked.
 */
function buildColumnSchemas(table: Table, columns: object): Map<string, BuiltColumn> {
  const tableColumns = getTableColumns(table) as Record<string, ColumnFacts>;
  const builders = columns as Record<string, (field: string, column: unknown) => z.ZodType>;
  const name = getTableName(table);
  const missing = Object.keys(tableColumns).filter((key) => !Object.hasOwn(builders, key));
  if (missing.length > 0) {
    throw new Error(`${name}: no Zod schema for column ${missing.join(', ')} (add one to src/validation for each column)`);
  }
  const unknown = Object.keys(builders).filter((key) => !Object.hasOwn(tableColumns, key));
  if (unknown.length > 0) throw new Error(`${name}: Zod schema for ${unknown.join(', ')}, which is not a column of the table`);
  return new Map(
    Object.entries(tableColumns).map(([key, column]) => [
      key,
      { column, schema: (builders[key] as (field: string, column: unknown) => z.ZodType)(key, column) },
    ]),
  );
}

/**
 * drizzle-zod 0.8.3's rules for each kind of schema (`insertConditions` and its siblings in its source): which
 * columns it leaves out, and which it makes nullable or optional. A column schema handed to drizzle-zod ready-made
 * is taken as it is, so these wrappers are applied here; `test/validation.test.ts` compares the result with
 * drizzle-zod's own schemas column by column.
 */
const CONDITIONS: Record<SchemaKind, { never: (c: ColumnFacts) => boolean; optional: (c: ColumnFacts) => boolean }> = {
  select: { never: () => false, optional: () => false },
  insert: { never: (c) => isGeneratedAlways(c), optional: (c) => !c.notNull || c.hasDefault },
  update: { never: (c) => isGeneratedAlways(c), optional: () => true },
};

function isGeneratedAlways(column: ColumnFacts): boolean {
  return column.generated?.type === 'always' || column.generatedIdentity?.type === 'always';
}

const CREATE = { select: createSelectSchema, insert: createInsertSchema, update: createUpdateSchema } as const;

/**
 * One kind of schema of a table as a plain object, built by drizzle-zod from the columns' ready-made schemas (so it
 * builds no default schema for them and calls no builder again), without the row's cross-column rules: the shape
 * that `.omit`, `.pick`, `.partial` and `.extend` take. {@link withRowRules} adds the rules.
 */
function rowObject(table: Table, built: ReadonlyMap<string, BuiltColumn>, kind: SchemaKind): z.ZodObject {
  const { never, optional } = CONDITIONS[kind];
  const shape: Record<string, z.ZodType> = {};
  for (const [key, { column, schema }] of built) {
    if (never(column)) continue;
    const nullable = column.notNull ? schema : schema.nullable();
    shape[key] = optional(column) ? nullable.optional() : nullable;
  }
  // drizzle-zod's overloads check refinement keys against a concrete table type, which a generic function does not
  // have, so the call is cast; the declared types are drizzle-zod's own (see TableSchemas).
  const create = CREATE[kind] as (table: Table, refine: object) => z.ZodObject;
  return create(table, shape);
}

/**
 * `schema` (an object schema of `table`'s columns, or a shape made from one with `.omit`, `.pick`, `.partial` or
 * `.extend`) with the row's cross-column `rules` checked on its output, as a `kind` schema checks them: a rule is
 * checked only when every column it reads is present (on insert, after the columns left out take their defaults).
 */
export function withRowRules<S extends z.ZodObject>(
  schema: S,
  table: Table,
  kind: SchemaKind,
  rules: readonly RowRule<never>[],
): S {
  return schema.superRefine(checkRowRules(table, kind, rules)) as S;
}

/** One kind of schema of a table: its {@link rowObject} with the row's cross-column rules. */
function rowSchema(table: Table, built: ReadonlyMap<string, BuiltColumn>, kind: SchemaKind, rules: readonly RowRule<never>[]) {
  return withRowRules(rowObject(table, built, kind), table, kind, rules);
}

/**
 * The schemas {@link tableSchemas} returns, typed as drizzle-zod types them for the same column builders, so that an
 * inferred row type is drizzle-zod's (the type tests compare them with the Drizzle row types).
 */
export interface TableSchemas<TTable extends Table, TColumns> {
  insert: BuildSchema<'insert', TTable['_']['columns'], InsertRefinements<TTable, TColumns>, undefined>;
  select: BuildSchema<'select', TTable['_']['columns'], BoundRefinements<TColumns>, undefined>;
  update: BuildSchema<'update', TTable['_']['columns'], BoundRefinements<TColumns>, undefined>;
}

/** What a table's schemas were built from, for the JSON schemas built beside them (`wireSchemas`). */
export interface SchemaParts<TTable extends Table, TColumns> {
  table: TTable;
  /** The column builders the schemas were built by (their types type the JSON schemas). */
  builders: TColumns;
  /** Each column's schema, as built by its builder. */
  columns: ReadonlyMap<string, BuiltColumn>;
  rules: readonly RowRule<TTable['$inferSelect']>[];
}

/**
 * The schemas of `kinds` for `table` from its columns' schemas, as {@link TableSchemas} types them, with the row's
 * rules or (`withRules` false) as plain objects. `tableSchemas` builds all three; `wireSchemas` only insert and update.
 */
export function buildTableSchemas<TTable extends Table, TColumns, K extends SchemaKind>(
  table: TTable,
  columns: ReadonlyMap<string, BuiltColumn>,
  rules: readonly RowRule<TTable['$inferSelect']>[],
  kinds: readonly K[],
  withRules = true,
): Pick<TableSchemas<TTable, TColumns>, K> {
  const schemas: Partial<Record<SchemaKind, unknown>> = {};
  for (const kind of kinds) {
    schemas[kind] = withRules ? rowSchema(table, columns, kind, rules as readonly RowRule<never>[]) : rowObject(table, columns, kind);
  }
  return schemas as Pick<TableSchemas<TTable, TColumns>, K>;
}

/**
 * The insert, select and update schemas of a table: drizzle-zod's, with each column's schema built by `columns` (one
 * entry per column, see {@link ColumnSchemas}) and the row's cross-column CHECK rules in `superRefine`. Generated
 * columns are in the select schema only. Each column's schema is built once and shared by the three.
 *
 * @example
 * const { insert, select, update } = tableSchemas(tutors, tutorColumns, []);
 */
export function tableSchemas<TTable extends Table, TColumns extends ColumnSchemas<TTable>>(
  table: TTable,
  columns: TColumns,
  rules: readonly RowRule<TTable['$inferSelect']>[],
): TableSchemas<TTable, TColumns> & { parts: SchemaParts<TTable, TColumns> } {
  const built = buildColumnSchemas(table, columns);
  const schemas = buildTableSchemas<TTable, TColumns, SchemaKind>(table, built, rules, ['insert', 'select', 'update']);
  return { ...schemas, parts: { table, builders: columns, columns: built, rules } };
}
