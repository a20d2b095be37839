-- Down migration for 0016_archive_months, written by hand: the archive's sessions back to one table (the layout of
-- 0005-0015), every archived row copied back (months archived whole included), the id key, index and foreign keys
-- as they were; tqs_archive.session_ids and the month functions dropped.
-- tqs_session_ids as 0015 left it.
CREATE OR REPLACE FUNCTION "tqs_session_ids"() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- The reschedules' capture and rule triggers as 0013 left them.
CREATE OR REPLACE FUNCTION "tqs_capture_reschedule_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND "tqs_bulk_loading"() THEN
    PERFORM "tqs_bulk_load_note"('capture', min("original_time"), max("original_time")) FROM "new_rows";
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "tutor_score_changes" ("tutor_id")
    SELECT DISTINCT "s"."tutor_id" FROM "sessions" "s" WHERE "s"."id" IN (SELECT "session_id" FROM "new_rows");
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "tutor_score_changes" ("tutor_id")
    SELECT DISTINCT "s"."tutor_id" FROM "sessions" "s" WHERE "s"."id" IN (SELECT "session_id" FROM "old_rows");
  ELSE
    INSERT INTO "tutor_score_changes" ("tutor_id")
    SELECT DISTINCT "s"."tutor_id" FROM "sessions" "s" WHERE "s"."id" IN (
      SELECT "session_id" FROM (
        (SELECT "id", "session_id", "initiator" FROM "old_rows" EXCEPT SELECT "id", "session_id", "initiator" FROM "new_rows")
        UNION ALL
        (SELECT "id", "session_id", "initiator" FROM "new_rows" EXCEPT SELECT "id", "session_id", "initiator" FROM "old_rows")
      ) AS "changed"
    );
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "tqs_reschedule_rule_reschedules"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND "tqs_bulk_loading"() THEN
    PERFORM "tqs_bulk_load_note"('rule', min("original_time"), max("original_time")) FROM "new_rows";
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "reschedule_rule_pending" ("xact", "session_id")
    SELECT pg_current_xact_id(), n."session_id" FROM "new_rows" n
    WHERE NOT EXISTS (SELECT 1 FROM "sessions" s WHERE s."id" = n."session_id" AND s."status" = 'rescheduled');
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "reschedule_rule_pending" ("xact", "session_id")
    SELECT pg_current_xact_id(), v."session_id"
    FROM (SELECT DISTINCT "session_id" FROM "old_rows") AS "left_behind"
    JOIN "reschedule_rule_violations" v ON v."session_id" = "left_behind"."session_id";
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO "reschedule_rule_pending" ("xact", "session_id")
    SELECT pg_current_xact_id(), "session_id" FROM (
      SELECT "session_id" FROM (SELECT "id", "session_id" FROM "new_rows" EXCEPT SELECT "id", "session_id" FROM "old_rows") AS "arrived"
      WHERE NOT EXISTS (SELECT 1 FROM "sessions" s WHERE s."id" = "arrived"."session_id" AND s."status" = 'rescheduled')
      UNION
      SELECT v."session_id"
      FROM (SELECT "session_id" FROM "old_rows" EXCEPT SELECT "session_id" FROM "new_rows") AS "left_behind"
      JOIN "reschedule_rule_violations" v ON v."session_id" = "left_behind"."session_id"
    ) AS "noted";
  ELSE
    INSERT INTO "reschedule_rule_pending" ("xact", "session_id")
    SELECT pg_current_xact_id(), "id" FROM "sessions" WHERE "status" = 'rescheduled';
  END IF;
  IF FOUND THEN PERFORM "tqs_reschedule_rule_defer"(); END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
DROP FUNCTION "tqs_restore_session_month"(timestamptz);
--> statement-breakpoint
DROP FUNCTION "tqs_archive_session_month"(timestamptz);
--> statement-breakpoint
DROP FUNCTION "tqs_archive_partition_exists"(text);
--> statement-breakpoint
DROP FUNCTION "tqs_written_columns"(regclass, text);
--> statement-breakpoint
ALTER TABLE "tqs_archive"."reschedules" DROP CONSTRAINT "reschedules_session_fk";
--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" DROP CONSTRAINT "email_reports_session_id_fk";
--> statement-breakpoint
ALTER TABLE "tqs_archive"."sessions" RENAME TO "sessions_partitioned";
--> statement-breakpoint
ALTER TABLE "tqs_archive"."sessions_partitioned" DROP CONSTRAINT "sessions_id_scheduled_time_unique";
--> statement-breakpoint
DROP INDEX "tqs_archive"."sessions_scheduled_time_idx";
--> statement-breakpoint
CREATE TABLE "tqs_archive"."sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tutor_id" uuid NOT NULL,
	"student_id" varchar(255) NOT NULL,
	"scheduled_time" timestamp with time zone NOT NULL,
	"completed_time" timestamp with time zone,
	"status" varchar(50) NOT NULL,
	"duration_minutes" integer,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sessions_id_scheduled_time_unique" UNIQUE("id","scheduled_time"),
	CONSTRAINT "sessions_status_valid" CHECK ("status" in ('scheduled', 'completed', 'rescheduled', 'no_show')),
	CONSTRAINT "sessions_student_id_not_blank" CHECK ("student_id" ~ '[^ \t\r\n]'),
	CONSTRAINT "sessions_completed_time_matches_status" CHECK (("status" = 'completed') = ("completed_time" is not null)),
	CONSTRAINT "sessions_completed_after_scheduled" CHECK ("completed_time" >= "scheduled_time"),
	CONSTRAINT "sessions_duration_positive" CHECK ("duration_minutes" > 0),
	CONSTRAINT "sessions_duration_only_when_completed" CHECK ("duration_minutes" is null or "status" = 'completed'),
	CONSTRAINT "sessions_timestamps_in_range" CHECK ("scheduled_time" >= '0001-01-01 00:00:00+00' and "scheduled_time" < '10000-01-01 00:00:00+00' and "completed_time" >= '0001-01-01 00:00:00+00' and "completed_time" < '10000-01-01 00:00:00+00' and "created_at" >= '0001-01-01 00:00:00+00' and "created_at" < '10000-01-01 00:00:00+00' and "updated_at" >= '0001-01-01 00:00:00+00' and "updated_at" < '10000-01-01 00:00:00+00')
);
--> statement-breakpoint
INSERT INTO "tqs_archive"."sessions" SELECT * FROM "tqs_archive"."sessions_partitioned";
--> statement-breakpoint
-- tqs:derived: its rows were copied into tqs_archive.sessions by the statement above.
DROP TABLE "tqs_archive"."sessions_partitioned";
--> statement-breakpoint
-- tqs:derived: the ids of the archived sessions, which keeps them under its primary key again.
DROP TABLE "tqs_archive"."session_ids";
--> statement-breakpoint
DROP FUNCTION "tqs_archive_session_ids"();
--> statement-breakpoint
CREATE INDEX "sessions_scheduled_time_idx" ON "tqs_archive"."sessions" USING btree ("scheduled_time");
--> statement-breakpoint
ALTER TABLE "tqs_archive"."reschedules" ADD CONSTRAINT "reschedules_session_fk" FOREIGN KEY ("session_id", "original_time") REFERENCES "tqs_archive"."sessions"("id", "scheduled_time") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD CONSTRAINT "email_reports_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "tqs_archive"."sessions"("id") ON DELETE restrict ON UPDATE no action;
