-- Custom SQL migration (drizzle-kit generate --custom): the archive that archiveHistory moves old history into and
-- restoreHistory brings it back from. Its own schema, "tqs_archive", with a table of the same name and the same
-- columns (types, nullability, generated expressions) and checks as each of "sessions", "reschedules" and
-- "email_reports": a row moves as it is, every value kept. No triggers: nothing is captured, touched or scored here.
--
-- Keys: the primary keys, and within the archive the same foreign keys as the live tables, so an archived reschedule
-- or email report always has its archived session. No foreign key to "tutors": the live tables' TRUNCATE (clearing
-- a database) must not need to know about the archive; restoring a session whose tutor is gone is refused by the
-- live "sessions_tutor_id_fk". Defaults are left out: every row comes with every value.
--
-- A migration that changes a column of one of the three live tables changes it here too (test/archive.test.ts
-- compares the two catalogs).
CREATE SCHEMA "tqs_archive";
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
	CONSTRAINT "sessions_status_valid" CHECK ("status" in ('completed', 'rescheduled', 'no_show')),
	CONSTRAINT "sessions_student_id_not_blank" CHECK ("student_id" ~ '[^ \t\r\n]'),
	CONSTRAINT "sessions_completed_time_matches_status" CHECK (("status" = 'completed') = ("completed_time" is not null)),
	CONSTRAINT "sessions_completed_after_scheduled" CHECK ("completed_time" >= "scheduled_time"),
	CONSTRAINT "sessions_duration_positive" CHECK ("duration_minutes" > 0),
	CONSTRAINT "sessions_duration_only_when_completed" CHECK ("duration_minutes" is null or "status" = 'completed'),
	CONSTRAINT "sessions_timestamps_in_range" CHECK ("scheduled_time" >= '0001-01-01 00:00:00+00' and "scheduled_time" < '10000-01-01 00:00:00+00' and "completed_time" >= '0001-01-01 00:00:00+00' and "completed_time" < '10000-01-01 00:00:00+00' and "created_at" >= '0001-01-01 00:00:00+00' and "created_at" < '10000-01-01 00:00:00+00' and "updated_at" >= '0001-01-01 00:00:00+00' and "updated_at" < '10000-01-01 00:00:00+00')
);
--> statement-breakpoint
CREATE TABLE "tqs_archive"."reschedules" (
	"id" uuid PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"initiator" varchar(50) NOT NULL,
	"original_time" timestamp with time zone NOT NULL,
	"new_time" timestamp with time zone,
	"reason" text,
	"reason_code" varchar(100),
	"cancelled_at" timestamp with time zone NOT NULL,
	"hours_before_session" numeric(10, 2) GENERATED ALWAYS AS (round(extract(epoch from ("original_time" - "cancelled_at")) / 3600, 2)) STORED,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "reschedules_session_id_unique" UNIQUE("session_id"),
	CONSTRAINT "reschedules_initiator_valid" CHECK ("initiator" in ('tutor', 'student')),
	CONSTRAINT "reschedules_new_time_after_original" CHECK ("new_time" > "original_time"),
	CONSTRAINT "reschedules_reason_code_format" CHECK ("reason_code" ~ '^[a-z][a-z0-9_]*$'),
	CONSTRAINT "reschedules_timestamps_in_range" CHECK ("original_time" >= '0001-01-01 00:00:00+00' and "original_time" < '10000-01-01 00:00:00+00' and "new_time" >= '0001-01-01 00:00:00+00' and "new_time" < '10000-01-01 00:00:00+00' and "cancelled_at" >= '0001-01-01 00:00:00+00' and "cancelled_at" < '10000-01-01 00:00:00+00' and "created_at" >= '0001-01-01 00:00:00+00' and "created_at" < '10000-01-01 00:00:00+00'),
	CONSTRAINT "reschedules_session_fk" FOREIGN KEY ("session_id","original_time") REFERENCES "tqs_archive"."sessions"("id","scheduled_time") ON DELETE cascade ON UPDATE no action
);
--> statement-breakpoint
CREATE TABLE "tqs_archive"."email_reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"session_id" uuid NOT NULL,
	"recipient_email" varchar(255) NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"status" varchar(50) NOT NULL,
	"error_message" text,
	"created_at" timestamp with time zone NOT NULL,
	"claimed_until" timestamp with time zone,
	CONSTRAINT "email_reports_status_valid" CHECK ("status" in ('sent', 'failed', 'pending')),
	CONSTRAINT "email_reports_recipient_email_format" CHECK ("recipient_email" ~ '^[^@ \t\r\n]+@[^@ \t\r\n]+$'),
	CONSTRAINT "email_reports_error_message_when_failed" CHECK (("status" = 'failed') = ("error_message" is not null)),
	CONSTRAINT "email_reports_claim_only_when_pending" CHECK ("claimed_until" is null or "status" = 'pending'),
	CONSTRAINT "email_reports_timestamps_in_range" CHECK ("sent_at" >= '0001-01-01 00:00:00+00' and "sent_at" < '10000-01-01 00:00:00+00' and "created_at" >= '0001-01-01 00:00:00+00' and "created_at" < '10000-01-01 00:00:00+00' and "claimed_until" >= '0001-01-01 00:00:00+00' and "claimed_until" < '10000-01-01 00:00:00+00'),
	CONSTRAINT "email_reports_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "tqs_archive"."sessions"("id") ON DELETE restrict ON UPDATE no action
);
--> statement-breakpoint
-- restoreHistory takes the oldest archived sessions of a range first; the foreign keys look reports up by session.
CREATE INDEX "sessions_scheduled_time_idx" ON "tqs_archive"."sessions" USING btree ("scheduled_time");
--> statement-breakpoint
CREATE INDEX "email_reports_session_id_idx" ON "tqs_archive"."email_reports" USING btree ("session_id");
