-- Custom SQL migration (drizzle-kit generate --custom), written by hand: sessions partitioned by month of
-- scheduled_time (UTC), converted in place in the migration's transaction. drizzle-kit cannot express partitioning,
-- so the Drizzle table is unchanged and this file is the layout's only source; never use drizzle-kit push or pull on
-- this schema (they misread partitions and propose dropping them).
--
-- What holds after it, as before it:
-- * a session id is unique across all months: a key on a partitioned table must include the partition key, so
--   "session_ids" holds every id under the primary key (the sessions' statement triggers keep it, a duplicate is
--   refused as sessions_pkey on sessions, as before); email_reports references it;
-- * reschedules (session_id, original_time) references sessions (id, scheduled_time), as before;
-- * every check, default, index, trigger and the reschedule_rule_violations view, on the partitioned parent (indexes
--   and row triggers reach every partition; the statement triggers are also put on each partition, so that an insert
--   straight into a month runs them too);
-- * rows of any time the schemas accept are stored: a month without its partition lands in "sessions_default";
--   "tqs_session_month"() creates a month's partition and moves its rows out of the default one.
DROP VIEW "reschedule_rule_violations";
--> statement-breakpoint
ALTER TABLE "reschedules" DROP CONSTRAINT "reschedules_session_fk";
--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_session_id_fk";
--> statement-breakpoint
ALTER TABLE "sessions" RENAME TO "sessions_unpartitioned";
--> statement-breakpoint
ALTER TABLE "sessions_unpartitioned" DROP CONSTRAINT "sessions_pkey";
--> statement-breakpoint
ALTER TABLE "sessions_unpartitioned" DROP CONSTRAINT "sessions_id_scheduled_time_unique";
--> statement-breakpoint
DROP INDEX "sessions_scheduled_idx", "sessions_status_idx", "sessions_tutor_id_scheduled_time_idx", "sessions_window_idx";
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"tutor_id" uuid NOT NULL,
	"student_id" varchar(255) NOT NULL,
	"scheduled_time" timestamp with time zone NOT NULL,
	"completed_time" timestamp with time zone,
	"status" varchar(50) NOT NULL,
	"duration_minutes" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sessions_tutor_id_fk" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE restrict,
	CONSTRAINT "sessions_status_valid" CHECK ("status" in ('scheduled', 'completed', 'rescheduled', 'no_show')),
	CONSTRAINT "sessions_student_id_not_blank" CHECK ("student_id" ~ '[^ \t\r\n]'),
	CONSTRAINT "sessions_completed_time_matches_status" CHECK (("status" = 'completed') = ("completed_time" is not null)),
	CONSTRAINT "sessions_completed_after_scheduled" CHECK ("completed_time" >= "scheduled_time"),
	CONSTRAINT "sessions_duration_positive" CHECK ("duration_minutes" > 0),
	CONSTRAINT "sessions_duration_only_when_completed" CHECK ("duration_minutes" is null or "status" = 'completed'),
	CONSTRAINT "sessions_timestamps_in_range" CHECK ("scheduled_time" >= '0001-01-01 00:00:00+00'::timestamptz AND "scheduled_time" < '10000-01-01 00:00:00+00'::timestamptz AND "completed_time" >= '0001-01-01 00:00:00+00'::timestamptz AND "completed_time" < '10000-01-01 00:00:00+00'::timestamptz AND "created_at" >= '0001-01-01 00:00:00+00'::timestamptz AND "created_at" < '10000-01-01 00:00:00+00'::timestamptz AND "updated_at" >= '0001-01-01 00:00:00+00'::timestamptz AND "updated_at" < '10000-01-01 00:00:00+00'::timestamptz)
) PARTITION BY RANGE ("scheduled_time");
--> statement-breakpoint
CREATE TABLE "sessions_default" PARTITION OF "sessions" DEFAULT;
--> statement-breakpoint
-- Every session id, whatever its month: the only key that can make an id unique across partitions.
CREATE TABLE "session_ids" ("id" uuid NOT NULL, CONSTRAINT "session_ids_pkey" PRIMARY KEY ("id"));
--> statement-breakpoint
-- The statement triggers of sessions, by name and definition, in one place: the parent gets them here and every
-- partition gets them from "tqs_session_partition_triggers" (a statement runs the triggers of the table it names).
CREATE FUNCTION "tqs_session_statement_triggers"() RETURNS TABLE ("name" text, "definition" text) LANGUAGE sql IMMUTABLE AS $$
  VALUES
    ('capture_insert', 'AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_changes"()'),
    ('capture_update', 'AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_changes"()'),
    ('capture_delete', 'AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_changes"()'),
    ('capture_truncate', 'AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_truncate"()'),
    ('capture_outcome', 'AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_outcomes"()'),
    ('count_insert', 'AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"()'),
    ('count_update', 'AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"()'),
    ('count_delete', 'AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"()'),
    ('count_truncate', 'AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"()'),
    ('reschedule_rule_insert', 'AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_reschedule_rule_sessions"()'),
    ('reschedule_rule_update', 'AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_reschedule_rule_sessions"()'),
    ('ids_insert', 'AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_session_ids"()'),
    ('ids_update', 'AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_session_ids"()'),
    ('ids_delete', 'AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_session_ids"()'),
    ('ids_truncate', 'AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION "tqs_session_ids"()')
$$;
--> statement-breakpoint
-- Keeps "session_ids" equal to the ids of sessions. A duplicate is refused as it was before partitioning: SQLSTATE
-- 23505, constraint sessions_pkey, table sessions. TRUNCATE: the rows go (a truncate that names session_ids too
-- leaves nothing to delete).
CREATE FUNCTION "tqs_session_ids"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  detail text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "session_ids" ("id") SELECT "id" FROM "new_rows";
  ELSIF TG_OP = 'DELETE' THEN
    DELETE FROM "session_ids" WHERE "id" IN (SELECT "id" FROM "old_rows");
  ELSIF TG_OP = 'UPDATE' THEN
    DELETE FROM "session_ids" WHERE "id" IN (SELECT "id" FROM "old_rows" EXCEPT SELECT "id" FROM "new_rows");
    INSERT INTO "session_ids" ("id") SELECT "id" FROM "new_rows" EXCEPT SELECT "id" FROM "old_rows";
  ELSE
    DELETE FROM "session_ids";
  END IF;
  RETURN NULL;
EXCEPTION WHEN unique_violation THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RAISE EXCEPTION 'duplicate key value violates unique constraint "sessions_pkey"'
    USING ERRCODE = 'unique_violation', CONSTRAINT = 'sessions_pkey', TABLE = 'sessions', SCHEMA = TG_TABLE_SCHEMA,
      DETAIL = detail;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION "tqs_session_partition_triggers"("p_table" regclass) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t record;
BEGIN
  -- A TRUNCATE of sessions runs the truncate triggers of every partition too: the parent's alone are enough.
  FOR t IN SELECT * FROM "tqs_session_statement_triggers"()
    WHERE "p_table" = '"sessions"'::regclass OR "name" NOT LIKE '%truncate' LOOP
    EXECUTE format('CREATE TRIGGER %I ', 'sessions_' || t."name") || format(t."definition", "p_table");
  END LOOP;
END;
$$;
--> statement-breakpoint
-- Whether the partition is there, read from the catalog with the statement's snapshot (a name looked up earlier in
-- the transaction may be cached as missing; this sees what a worker that held the lock before committed).
CREATE FUNCTION "tqs_session_partition_exists"("p_name" text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c."oid" = i."inhrelid"
    WHERE i."inhparent" = '"sessions"'::regclass AND c."relname" = "p_name");
$$;
--> statement-breakpoint
-- The partition of the month (UTC) holding p_at: created when missing, with the rows of that month moved out of the
-- default partition (deleted and inserted again with their reschedules, in this transaction: ids, times and
-- timestamps unchanged; their email reports wait under the deferred foreign key). Callers hold the partition lock
-- ("tqs_lock_session_partitions"). Returns the partition's name and whether it was created, and how many rows moved.
CREATE FUNCTION "tqs_session_month"("p_at" timestamptz, OUT "partition" text, OUT "created" boolean, OUT "moved" bigint)
LANGUAGE plpgsql AS $$
DECLARE
  lo timestamptz := date_trunc('month', "p_at", 'UTC');
  hi timestamptz := (date_trunc('month', "p_at", 'UTC') AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
BEGIN
  "partition" := 'sessions_' || to_char(lo AT TIME ZONE 'UTC', 'YYYY_MM');
  "moved" := 0;
  "created" := NOT "tqs_session_partition_exists"("partition");
  IF NOT "created" THEN RETURN; END IF;
  IF EXISTS (SELECT 1 FROM "sessions_default" WHERE "scheduled_time" >= lo AND "scheduled_time" < hi) THEN
    SET CONSTRAINTS "email_reports_session_id_fk", "reschedules_session_fk" DEFERRED;
    CREATE TEMP TABLE "tqs_moving_reschedules" ON COMMIT DROP AS
      SELECT r."id", r."session_id", r."initiator", r."original_time", r."new_time", r."reason", r."reason_code",
        r."cancelled_at", r."created_at"
      FROM "reschedules" r WHERE r."original_time" >= lo AND r."original_time" < hi
        AND r."session_id" IN (SELECT "id" FROM "sessions_default" WHERE "scheduled_time" >= lo AND "scheduled_time" < hi);
    CREATE TEMP TABLE "tqs_moving_sessions" ON COMMIT DROP AS
      SELECT * FROM "sessions_default" WHERE "scheduled_time" >= lo AND "scheduled_time" < hi;
    DELETE FROM "sessions" WHERE "scheduled_time" >= lo AND "scheduled_time" < hi;
    GET DIAGNOSTICS "moved" = ROW_COUNT;
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF "sessions" FOR VALUES FROM (%L) TO (%L)', "partition", lo, hi);
  PERFORM "tqs_session_partition_triggers"(format('%I', "partition")::regclass);
  IF "moved" > 0 THEN
    INSERT INTO "sessions" SELECT * FROM "tqs_moving_sessions";
    INSERT INTO "reschedules" ("id", "session_id", "initiator", "original_time", "new_time", "reason", "reason_code",
      "cancelled_at", "created_at")
    SELECT * FROM "tqs_moving_reschedules";
    DROP TABLE "tqs_moving_sessions", "tqs_moving_reschedules";
    SET CONSTRAINTS "email_reports_session_id_fk", "reschedules_session_fk" IMMEDIATE;
  END IF;
END;
$$;
--> statement-breakpoint
-- One caller at a time creates partitions (two workers calling at once: the second waits, then finds them made):
-- SHARE UPDATE EXCLUSIVE on sessions conflicts with itself, not with reads and writes of the rows.
CREATE FUNCTION "tqs_lock_session_partitions"() RETURNS void LANGUAGE sql AS $$
  LOCK TABLE "sessions" IN SHARE UPDATE EXCLUSIVE MODE;
$$;
--> statement-breakpoint
-- The months from p_from's to p_to's (both included, UTC), each created when missing. When every one is there, no
-- lock is taken (the common case: a load or a migrate into months made earlier).
CREATE FUNCTION "tqs_ensure_session_months"("p_from" timestamptz, "p_to" timestamptz)
RETURNS TABLE ("partition" text, "created" boolean, "moved" bigint) LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM generate_series(date_trunc('month', "p_from" AT TIME ZONE 'UTC'),
      date_trunc('month', "p_to" AT TIME ZONE 'UTC'), interval '1 month') AS "month"
    WHERE NOT "tqs_session_partition_exists"('sessions_' || to_char("month", 'YYYY_MM'))
  ) THEN
    RETURN QUERY
    SELECT 'sessions_' || to_char("month", 'YYYY_MM'), false, 0::bigint FROM generate_series(
      date_trunc('month', "p_from" AT TIME ZONE 'UTC'), date_trunc('month', "p_to" AT TIME ZONE 'UTC'), interval '1 month') AS "month";
    RETURN;
  END IF;
  PERFORM "tqs_lock_session_partitions"();
  RETURN QUERY
  SELECT m.* FROM generate_series(date_trunc('month', "p_from" AT TIME ZONE 'UTC'),
    date_trunc('month', "p_to" AT TIME ZONE 'UTC'), interval '1 month') AS "month",
    LATERAL "tqs_session_month"("month" AT TIME ZONE 'UTC') AS m;
END;
$$;
--> statement-breakpoint
SELECT "tqs_session_partition_triggers"('"sessions_default"'::regclass);
--> statement-breakpoint
-- The months that hold sessions, the current month and the next, before the rows arrive (nothing to move).
SELECT "tqs_session_month"("month") FROM (
  SELECT DISTINCT date_trunc('month', "scheduled_time", 'UTC') AS "month" FROM "sessions_unpartitioned"
  UNION SELECT date_trunc('month', now(), 'UTC')
  UNION SELECT (date_trunc('month', now(), 'UTC') AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC'
) AS "months" ORDER BY "month";
--> statement-breakpoint
INSERT INTO "session_ids" ("id") SELECT "id" FROM "sessions_unpartitioned";
--> statement-breakpoint
-- The rows, before the parent's indexes and triggers (built once over the rows; the rows are the same, so nothing is
-- captured, counted or checked again; an insert through the parent runs only the parent's statement triggers).
INSERT INTO "sessions" SELECT * FROM "sessions_unpartitioned";
--> statement-breakpoint
DROP TABLE "sessions_unpartitioned";
--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_id_scheduled_time_unique" UNIQUE ("id", "scheduled_time");
--> statement-breakpoint
CREATE INDEX "sessions_tutor_id_scheduled_time_idx" ON "sessions" USING btree ("tutor_id", "scheduled_time");
--> statement-breakpoint
CREATE INDEX "sessions_window_idx" ON "sessions" USING btree ("scheduled_time", "tutor_id", "id", "status");
--> statement-breakpoint
CREATE INDEX "sessions_status_idx" ON "sessions" USING btree ("status");
--> statement-breakpoint
CREATE INDEX "sessions_scheduled_idx" ON "sessions" USING btree ("scheduled_time", "id") WHERE "status" = 'scheduled';
--> statement-breakpoint
SELECT "tqs_session_partition_triggers"('"sessions"'::regclass);
--> statement-breakpoint
CREATE TRIGGER "sessions_touch_updated_at" BEFORE UPDATE ON "sessions" FOR EACH ROW EXECUTE FUNCTION "tqs_touch_updated_at"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "sessions_status_transition" AFTER UPDATE OF "status" ON "sessions" NOT DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW WHEN (OLD."status" <> 'scheduled' AND NEW."status" = 'scheduled') EXECUTE FUNCTION "tqs_sessions_status_transition"();
--> statement-breakpoint
ALTER TABLE "reschedules" ADD CONSTRAINT "reschedules_session_fk" FOREIGN KEY ("session_id", "original_time")
  REFERENCES "sessions" ("id", "scheduled_time") ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE;
--> statement-breakpoint
-- NO ACTION, deferrable: refused at the end of the statement as RESTRICT was, and deferrable so that moving a month out
-- of the default partition can delete and insert its sessions in one transaction.
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_session_id_fk" FOREIGN KEY ("session_id")
  REFERENCES "session_ids" ("id") DEFERRABLE INITIALLY IMMEDIATE;
--> statement-breakpoint
CREATE VIEW "reschedule_rule_violations" AS
SELECT s."id" AS "session_id", s."status", r."id" AS "reschedule_id"
FROM "sessions" s LEFT JOIN "reschedules" r ON r."session_id" = s."id"
WHERE (s."status" = 'rescheduled') <> (r."id" IS NOT NULL);
