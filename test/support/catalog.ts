import { sql } from 'drizzle-orm';
import { type Database, MIGRATIONS_SCHEMA, MIGRATIONS_TABLE, queryRows } from '../../src';

/** The tables this package creates. */
export const ourTables = ['email_reports', 'reschedules', 'sessions', 'tutor_scores', 'tutors'] as const;

/** The tables of the archive schema (`tqs_archive`), named as their live counterparts. */
export const archiveTables = ['email_reports', 'reschedules', 'sessions'] as const;

/** The schemas the migrations create objects in: `public`, and the archive's (named `tqs_archive.<name>` below). */
const schemas = sql`('public', 'tqs_archive')`;

/** `relname` as the snapshot names it: bare in `public`, schema-qualified elsewhere. */
const qualified = (namespace: string, relation: string) =>
  sql.raw(`case when ${namespace}.nspname = 'public' then ${relation}.relname else ${namespace}.nspname || '.' || ${relation}.relname end`);

/**
 * Everything the migrations create in the `public` and `tqs_archive` schemas, as the catalog describes it: relations of every kind,
 * columns (type, default, nullability, generation expression), constraints (`pg_get_constraintdef`), indexes
 * (`pg_get_indexdef`), triggers (`pg_get_triggerdef`) and functions (`pg_get_functiondef`). Sorted, and free of oids,
 * so two snapshots of the same schema are deeply equal.
 */
export interface CatalogSnapshot {
  relations: { name: string; kind: string }[];
  columns: {
    table: string;
    column: string;
    /** The column's rank among the table's live columns: a column dropped and added again by a down and up keeps it. */
    position: number;
    type: string;
    notNull: boolean;
    default: string | null;
    generated: string;
    identity: string;
  }[];
  constraints: { table: string; name: string; type: string; definition: string }[];
  indexes: { table: string; name: string; definition: string }[];
  triggers: { table: string; name: string; definition: string }[];
  functions: { name: string; definition: string }[];
}

/** Reads the {@link CatalogSnapshot} of the `public` and `tqs_archive` schemas. */
export async function catalogSnapshot(db: Database): Promise<CatalogSnapshot> {
  const relations = await queryRows<{ name: string; kind: string }>(
    db,
    sql`select ${qualified('n', 'c')} as name, c.relkind::text as kind
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        -- The partitions of sessions (0015), their indexes included, are storage that follows the rows, not schema.
        where n.nspname in ${schemas} and not c.relispartition
        order by 1`,
  );
  const columns = await queryRows<CatalogSnapshot['columns'][number]>(
    db,
    sql`select ${qualified('n', 'c')} as "table", a.attname as "column",
               (row_number() over (partition by a.attrelid order by a.attnum))::int as position,
               format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as "notNull",
               pg_get_expr(d.adbin, d.adrelid) as "default", a.attgenerated::text as generated,
               a.attidentity::text as identity
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where n.nspname in ${schemas} and c.relkind in ('r', 'p') and not c.relispartition and a.attnum > 0 and not a.attisdropped
        order by 1, a.attnum`,
  );
  const constraints = await queryRows<CatalogSnapshot['constraints'][number]>(
    db,
    sql`select ${qualified('n', 'c')} as "table", k.conname as name, k.contype::text as type,
               pg_get_constraintdef(k.oid) as definition
        from pg_constraint k
        join pg_class c on c.oid = k.conrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ${schemas} and not c.relispartition and k.conparentid = 0
        order by 1, k.conname`,
  );
  const indexes = await queryRows<CatalogSnapshot['indexes'][number]>(
    db,
    sql`select ${qualified('n', 't')} as "table", i.relname as name, pg_get_indexdef(x.indexrelid) as definition
        from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join pg_class t on t.oid = x.indrelid
        join pg_namespace n on n.oid = t.relnamespace
        where n.nspname in ${schemas} and not t.relispartition
        order by 1, i.relname`,
  );
  const triggers = await queryRows<CatalogSnapshot['triggers'][number]>(
    db,
    sql`select c.relname as "table", t.tgname as name, pg_get_triggerdef(t.oid) as definition
        from pg_trigger t
        join pg_class c on c.oid = t.tgrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ${schemas} and not t.tgisinternal and not c.relispartition
        order by c.relname, t.tgname, n.nspname`,
  );
  const functions = await queryRows<CatalogSnapshot['functions'][number]>(
    db,
    sql`select p.proname as name, pg_get_functiondef(p.oid) as definition
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ${schemas}
        order by p.proname`,
  );
  return {
    relations: [...relations],
    columns: columns.map((c) => ({ ...c, position: Number(c.position) })),
    constraints: [...constraints],
    indexes: [...indexes],
    triggers: [...triggers],
    functions: [...functions],
  };
}

/** The names of the constraints on this package's tables, NOT NULL ones (PostgreSQL 18 lists them too) left out. */
export async function namedConstraints(db: Database): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select k.conname as name
        from pg_constraint k
        join pg_class c on c.oid = k.conrelid
        join pg_namespace n on n.oid = c.relnamespace
        -- conparentid: the clones PostgreSQL makes of a constraint, one per partition of sessions (0015).
        where n.nspname = 'public' and k.contype <> 'n' and k.conparentid = 0
          -- reschedule_status_rule is the constraint trigger of the table that queues its check at commit.
          and c.relname in ('email_reports', 'reschedules', 'sessions', 'tutor_scores', 'tutors', 'reschedule_rule_checks')
        union
        -- Partitioned sessions (0015): the id key lives on session_ids, and a duplicate is refused as sessions_pkey.
        select 'sessions_pkey' as name from pg_constraint where conname = 'session_ids_pkey'
        union
        -- A unique index on an expression (tutors_email_unique, on lower(email)) enforces a rule by its name too.
        select i.relname as name
        from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join pg_class c on c.oid = x.indrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and x.indisunique
          and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid)
          and c.relname in ('email_reports', 'reschedules', 'sessions', 'tutor_scores', 'tutors')
        order by name`,
  );
  return rows.map((r) => r.name);
}

/** drizzle-kit's journal rows (`hash`, `created_at`), oldest first; empty when the journal table does not exist. */
export async function journal(db: Database): Promise<{ hash: string; createdAt: number }[]> {
  const table = `"${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}"`;
  const [exists] = await queryRows<{ oid: unknown }>(db, sql`select to_regclass(${table}) as oid`);
  if (exists?.oid == null) return [];
  const rows = await queryRows<{ hash: string; created_at: string | number }>(
    db,
    sql`select hash, created_at from ${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(MIGRATIONS_TABLE)}
        order by created_at, id`,
  );
  return rows.map((r) => ({ hash: r.hash, createdAt: Number(r.created_at) }));
}
