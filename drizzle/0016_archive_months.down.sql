-- Down migration for 0016_archive_months, written by hand: the archive's sessions back to one table (the layout of
-- 0005-0015), every archived row copied back (months archived whole included), the id key, index and foreign keys
-- as they were; tqs_archive.session_ids and the month functions dropped.
DROP FUNCTION "tqs_restore_session_month"(timestamptz);
--> statement-breakpoint
DROP FUNCTION "tqs_archive_session_month"(timestamptz);
--> statement-breakpoint
DROP FUNCTION "tqs_archive_partition_exists"(text);
--> statement-breakpoint
DROP FUNCTION "tqs_written_columns"(regclass);
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
