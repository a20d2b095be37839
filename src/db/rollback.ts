import { type SQL, sql } from 'drizzle-orm';
import { InvalidOptionError, LockTimeoutError, MigrationError, RollbackRefusedError, translateDatabaseError } from '../errors';
import { checkOptions, isBoolean, isNonEmptyString, isSignal, isWholeNumber } from '../errors/check-options';
import { inCall } from './call';
import type { Database } from './client';
import { abortable, type AbortableOptions } from './abortable';
import { queryRows } from './client';
import { type MigrationFile, MIGRATIONS_SCHEMA, MIGRATIONS_TABLE, readMigrations } from './migrations';
import { ensureJournal, lockMigrations, type JournalRow, readJournal } from './journal';

/** Options of {@link rollback}. */
export interface RollbackOptions extends AbortableOptions {
  /** How many of the newest applied migrations to undo. Default 1. */
  steps?: number;
  /**
   * `'base'` undoes every applied migration; a migration's name as written in the folder (e.g.
   * `'0000_initial_schema'`) undoes every migration applied after it, and keeps it. Anything else is refused.
   */
  to?: 'base' | (string & {});
  /** Undo even when rows would be dropped. Without it such a rollback refuses and changes nothing. */
  force?: boolean;
  /** A drizzle-kit migrations folder. Default: the package's own, carried in its code. */
  migrationsFolder?: string;
}

/** What {@link rollback} undid. */
export interface RollbackResult {
  /** The tags undone by this call, newest first. */
  rolledBack: string[];
  /** The rows the undone migrations dropped (only ever non-empty with `force: true`). */
  rowsDropped: { table: string; rows: number }[];
}

const quoted = '"((?:[^"]|"")+)"';
const dropTable = new RegExp(`^drop\\s+table\\s+(?:if\\s+exists\\s+)?(?:${quoted}\\.)?${quoted}`, 'i');
const dropColumn = new RegExp(
  `^alter\\s+table\\s+(?:${quoted}\\.)?${quoted}\\s+drop\\s+column\\s+(?:if\\s+exists\\s+)?${quoted}`,
  'i',
);
const unquote = (name: string) => name.replace(/""/g, '"');

/**
 * A statement of a down migration whose comment holds this marker drops derived data only (a queue or a cache that
 * the package recomputes), which is not counted as rows at risk.
 */
const DERIVED_MARKER = /^--\s*tqs:derived\b/m;

/** The rows each statement of a down migration would drop, counted inside the rollback's own transaction. */
async function rowsAtRisk(tx: Database, statements: string[]): Promise<{ table: string; rows: number }[]> {
  const found: { table: string; rows: number }[] = [];
  for (const statement of statements) {
    if (DERIVED_MARKER.test(statement)) continue;
    const stripped = statement.replace(/^--.*$/gm, '').trim();
    const table = dropTable.exec(stripped);
    const column = dropColumn.exec(stripped);
    let count: SQL | undefined;
    let label = '';
    if (table) {
      const [, schemaName, tableName] = table as unknown as [string, string | undefined, string];
      const ident = sql`${schemaName ? sql`${sql.identifier(unquote(schemaName))}.` : sql``}${sql.identifier(unquote(tableName))}`;
      if (!(await relationExists(tx, schemaName, tableName))) continue;
      count = sql`select count(*)::int as n from ${ident}`;
      // Schema-qualified when the down names the schema: tqs_archive.sessions is not sessions.
      label = schemaName ? `${unquote(schemaName)}.${unquote(tableName)}` : unquote(tableName);
    } else if (column) {
      const [, schemaName, tableName, columnName] = column as unknown as [string, string | undefined, string, string];
      const ident = sql`${schemaName ? sql`${sql.identifier(unquote(schemaName))}.` : sql``}${sql.identifier(unquote(tableName))}`;
      if (!(await relationExists(tx, schemaName, tableName))) continue;
      // A generated column is derived from the row's other columns: dropping it loses nothing.
      if (await isGenerated(tx, schemaName, tableName, columnName)) continue;
      count = sql`select count(${sql.identifier(unquote(columnName))})::int as n from ${ident}`;
      label = `${schemaName ? `${unquote(schemaName)}.` : ''}${unquote(tableName)}.${unquote(columnName)}`;
    }
    if (!count) continue;
    const [row] = await queryRows<{ n: number }>(tx, count);
    if (row && row.n > 0) found.push({ table: label, rows: row.n });
  }
  return found;
}

async function isGenerated(tx: Database, schemaName: string | undefined, tableName: string, columnName: string): Promise<boolean> {
  const name = `${schemaName ? `"${schemaName}".` : ''}"${tableName}"`;
  const [row] = await queryRows<{ generated: boolean }>(
    tx,
    sql`select attgenerated <> '' as generated from pg_attribute where attrelid = to_regclass(${name}) and attname = ${unquote(columnName)}`,
  );
  return row?.generated === true;
}

async function relationExists(tx: Database, schemaName: string | undefined, tableName: string): Promise<boolean> {
  const name = `${schemaName ? `"${schemaName}".` : ''}"${tableName}"`;
  const [row] = await queryRows<{ oid: unknown }>(tx, sql`select to_regclass(${name}) as oid`);
  return row?.oid != null;
}


/** The journal rows applied after the migration `tag`, which must itself be applied. */
function newerThan(journal: JournalRow[], migrations: MigrationFile[], tag: string): JournalRow[] {
  const kept = migrations.find((m) => m.tag === tag)!;
  if (!journal.some((row) => row.created_at === kept.when)) {
    throw new InvalidOptionError('to', `rollback: ${tag} is not applied, so there is nothing to roll back to; nothing was changed`);
  }
  return journal.filter((row) => row.created_at > kept.when);
}

/**
 * Undoes the newest applied migrations with their hand-written down files, newest first, in one transaction. A
 * rollback that would drop rows refuses, changing nothing, unless `force: true`; its error says how many rows of
 * which tables would be lost. A `drop` preceded in its statement by a `-- tqs:derived` comment line drops derived data
 * (e.g. the score change queue, which a full score refresh makes unnecessary) and is not counted.
 *
 * @throws {RollbackRefusedError} rows would be dropped and `force` is not set.
 * @throws {InvalidOptionError} an option is unknown or of the wrong kind, or `to` is neither `'base'` nor an applied
 *   migration's name; nothing was changed.
 * @throws {MigrationError} a migration has no down file, or its down SQL failed (nothing is undone).
 * @example
 * await rollback(db);                              // the newest migration, if that drops no rows
 * await rollback(db, { to: '0000_initial_schema' }); // every migration after the first
 * await rollback(db, { to: 'base', force: true }); // everything, data included
 */
export async function rollback(db: Database, options: RollbackOptions = {}): Promise<RollbackResult> {
  const migrations = checkRollbackOptions(options);
  const undo = () => db.transaction(async (tx) => {
    await lockMigrations(tx);
    // Only under the lock: concurrent `create ... if not exists` of the journal race on the catalog and one fails.
    await ensureJournal(tx);
    const plan = planRollback(await readJournal(tx), migrations, options);
    const atRisk: { table: string; rows: number }[] = [];
    for (const step of plan) atRisk.push(...(await rowsAtRisk(tx, step.down)));
    if (atRisk.length > 0 && !options.force) {
      const total = atRisk.reduce((sum, r) => sum + r.rows, 0);
      throw new RollbackRefusedError(
        `rollback would drop ${total} row${total === 1 ? '' : 's'} (${atRisk
          .map((r) => `${r.table}: ${r.rows}`)
          .join(', ')}); nothing was changed. Pass force: true (--force) to drop them.`,
        atRisk,
      );
    }
    for (const { row, migration, down } of plan) {
      try {
        for (const statement of down) await tx.execute(sql.raw(statement));
      } catch (error) {
        const cause = translateDatabaseError(error);
        if (cause instanceof LockTimeoutError) throw cause;
        throw new MigrationError(`${migration.tag}.down`, cause instanceof Error ? cause.message : String(cause), {
          cause,
        });
      }
      await tx.execute(
        sql`delete from ${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(MIGRATIONS_TABLE)} where id = ${row.id}`,
      );
    }
    return { rolledBack: plan.map((s) => s.migration.tag), rowsDropped: atRisk };
  });
  return inCall(db, 'rollback', () =>
    abortable('rollback', options.signal, undo, () => 'the rollback was rolled back, every migration stays'),
  );
}

/**
 * Checks every option before the transaction, so that a rollback never does something other than what was written,
 * and returns the migrations of the folder.
 */
function checkRollbackOptions(options: RollbackOptions): MigrationFile[] {
  checkOptions('rollback', options, {
    steps: isWholeNumber(1),
    to: isNonEmptyString,
    force: isBoolean,
    migrationsFolder: isNonEmptyString,
    signal: isSignal,
  });
  if (options.steps !== undefined && options.to !== undefined) {
    throw new InvalidOptionError('to', 'rollback: give steps or to, not both; nothing was changed');
  }
  const migrations = readMigrations(options.migrationsFolder);
  const { to } = options;
  if (to !== undefined && to !== 'base' && !migrations.some((m) => m.tag === to)) {
    throw new InvalidOptionError(
      'to',
      `rollback: to must be 'base' or the name of a migration as written (${migrations.map((m) => m.tag).join(', ')}); ` +
        `got ${JSON.stringify(to.length > 60 ? `${to.slice(0, 60)}…` : to)}. Nothing was changed.`,
    );
  }
  return migrations;
}

/** The applied migrations to undo, newest first, each with its down file; refused when one has none. */
function planRollback(journal: JournalRow[], migrations: MigrationFile[], options: RollbackOptions) {
  const { to } = options;
  const steps = options.steps ?? 1;
  if (to === undefined && options.steps !== undefined && steps > journal.length) {
    throw new InvalidOptionError(
      'steps',
      `rollback: steps is ${steps}, but ${journal.length} migration${journal.length === 1 ? ' is' : 's are'} applied ` +
        "(to: 'base' undoes them all); nothing was changed",
    );
  }
  const byWhen = new Map<number, MigrationFile>(migrations.map((m) => [m.when, m]));
  const targets = to === undefined ? journal.slice(0, steps) : to === 'base' ? journal : newerThan(journal, migrations, to);
  return targets.map((row) => {
    const migration = byWhen.get(row.created_at);
    if (!migration) {
      throw new MigrationError(
        `journal entry ${row.id}`,
        `applied at ${row.created_at}, but no migration in the folder has that timestamp`,
      );
    }
    if (!migration.down) {
      throw new MigrationError(migration.tag, `has no down migration (${migration.tag}.down.sql)`);
    }
    return { row, migration, down: migration.down };
  });
}
