-- Back to one sessions table (the layout of 0000-0014): every row copied back, the id key, indexes, triggers, foreign
-- keys and the view as they were; the partitions, session_ids and the partition functions dropped.
DROP VIEW "reschedule_rule_violations";
--> statement-breakpoint
ALTER TABLE "reschedules" DROP CONSTRAINT "reschedules_session_fk";
--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_session_id_fk";
--> statement-breakpoint
ALTER TABLE "sessions" RENAME TO "sessions_partitioned";
--> statement-breakpoint
ALTER TABLE "sessions_partitioned" DROP CONSTRAINT "sessions_id_scheduled_time_unique";
--> statement-breakpoint
DROP INDEX "sessions_scheduled_idx", "sessions_status_idx", "sessions_tutor_id_scheduled_time_idx", "sessions_window_idx";
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
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
);
--> statement-breakpoint
INSERT INTO "sessions" SELECT * FROM "sessions_partitioned";
--> statement-breakpoint
-- tqs:derived: its rows were copied into sessions by the statement above.
DROP TABLE "sessions_partitioned";
--> statement-breakpoint
-- tqs:derived: the ids of sessions, which keeps them under its primary key again.
DROP TABLE "session_ids";
--> statement-breakpoint
DROP FUNCTION "tqs_ensure_session_months"(timestamptz, timestamptz), "tqs_lock_session_partitions"(),
  "tqs_session_month"(timestamptz), "tqs_session_partition_triggers"(regclass), "tqs_session_ids"(),
  "tqs_session_statement_triggers"(), "tqs_session_partition_exists"(text);
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
CREATE TRIGGER "sessions_touch_updated_at" BEFORE UPDATE ON "sessions" FOR EACH ROW EXECUTE FUNCTION "tqs_touch_updated_at"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "sessions_status_transition" AFTER UPDATE OF "status" ON "sessions" NOT DEFERRABLE INITIALLY IMMEDIATE
  FOR EACH ROW WHEN (OLD."status" <> 'scheduled' AND NEW."status" = 'scheduled') EXECUTE FUNCTION "tqs_sessions_status_transition"();
--> statement-breakpoint
CREATE TRIGGER "sessions_capture_insert" AFTER INSERT ON "sessions" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_changes"();
--> statement-breakpoint
CREATE TRIGGER "sessions_capture_update" AFTER UPDATE ON "sessions" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_changes"();
--> statement-breakpoint
CREATE TRIGGER "sessions_capture_delete" AFTER DELETE ON "sessions" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_changes"();
--> statement-breakpoint
CREATE TRIGGER "sessions_capture_truncate" AFTER TRUNCATE ON "sessions" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_truncate"();
--> statement-breakpoint
CREATE TRIGGER "sessions_capture_outcome" AFTER UPDATE ON "sessions" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_outcomes"();
--> statement-breakpoint
CREATE TRIGGER "sessions_count_insert" AFTER INSERT ON "sessions" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"();
--> statement-breakpoint
CREATE TRIGGER "sessions_count_update" AFTER UPDATE ON "sessions" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"();
--> statement-breakpoint
CREATE TRIGGER "sessions_count_delete" AFTER DELETE ON "sessions" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"();
--> statement-breakpoint
CREATE TRIGGER "sessions_count_truncate" AFTER TRUNCATE ON "sessions" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"();
--> statement-breakpoint
CREATE TRIGGER "sessions_reschedule_rule_insert" AFTER INSERT ON "sessions" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_reschedule_rule_sessions"();
--> statement-breakpoint
CREATE TRIGGER "sessions_reschedule_rule_update" AFTER UPDATE ON "sessions" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "tqs_reschedule_rule_sessions"();
--> statement-breakpoint
ALTER TABLE "reschedules" ADD CONSTRAINT "reschedules_session_fk" FOREIGN KEY ("session_id", "original_time")
  REFERENCES "sessions" ("id", "scheduled_time") ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE;
--> statement-breakpoint
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_session_id_fk" FOREIGN KEY ("session_id")
  REFERENCES "sessions" ("id") ON DELETE restrict;
--> statement-breakpoint
CREATE VIEW "reschedule_rule_violations" AS
SELECT s."id" AS "session_id", s."status", r."id" AS "reschedule_id"
FROM "sessions" s LEFT JOIN "reschedules" r ON r."session_id" = s."id"
WHERE (s."status" = 'rescheduled') <> (r."id" IS NOT NULL);
