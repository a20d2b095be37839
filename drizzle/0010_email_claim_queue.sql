CREATE TABLE "email_report_status_counts" (
	"status" varchar(50) PRIMARY KEY NOT NULL,
	"reports" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_status_valid";--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_error_message_when_failed";--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_timestamps_in_range";--> statement-breakpoint
ALTER TABLE "email_reports" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "email_reports" ADD COLUMN "claim_token" uuid;--> statement-breakpoint
ALTER TABLE "email_reports" ADD COLUMN "available_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "email_reports_dead_idx" ON "email_reports" USING btree ("created_at","id") WHERE "email_reports"."status" = 'dead';--> statement-breakpoint
CREATE INDEX "email_reports_failed_idx" ON "email_reports" USING btree ("sent_at") WHERE "email_reports"."status" = 'failed';--> statement-breakpoint
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_attempts_valid" CHECK ("email_reports"."attempts" >= 0);--> statement-breakpoint
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_available_only_when_pending" CHECK ("email_reports"."available_at" is null or "email_reports"."status" = 'pending');--> statement-breakpoint
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_status_valid" CHECK ("email_reports"."status" in ('sent', 'failed', 'pending', 'dead'));--> statement-breakpoint
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_error_message_when_failed" CHECK (("email_reports"."status" <> 'sent' or "email_reports"."error_message" is null) and ("email_reports"."status" not in ('failed', 'dead') or "email_reports"."error_message" is not null));--> statement-breakpoint
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_timestamps_in_range" CHECK ("email_reports"."sent_at" >= '0001-01-01 00:00:00+00' and "email_reports"."sent_at" < '10000-01-01 00:00:00+00' and "email_reports"."created_at" >= '0001-01-01 00:00:00+00' and "email_reports"."created_at" < '10000-01-01 00:00:00+00' and "email_reports"."claimed_until" >= '0001-01-01 00:00:00+00' and "email_reports"."claimed_until" < '10000-01-01 00:00:00+00' and "email_reports"."available_at" >= '0001-01-01 00:00:00+00' and "email_reports"."available_at" < '10000-01-01 00:00:00+00');--> statement-breakpoint
-- Written by hand below this line (drizzle-kit cannot express triggers, NOTIFY or the archive schema).
-- The claim queue's columns (attempts, claim_token, available_at) and rules on the archived reports too, so that a
-- report moves between email_reports and tqs_archive.email_reports with every value kept.
ALTER TABLE "tqs_archive"."email_reports" DROP CONSTRAINT "email_reports_status_valid";--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" DROP CONSTRAINT "email_reports_error_message_when_failed";--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" DROP CONSTRAINT "email_reports_timestamps_in_range";--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD COLUMN "claim_token" uuid;--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD COLUMN "available_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD CONSTRAINT "email_reports_attempts_valid" CHECK ("attempts" >= 0);--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD CONSTRAINT "email_reports_available_only_when_pending" CHECK ("available_at" is null or "status" = 'pending');--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD CONSTRAINT "email_reports_status_valid" CHECK ("status" in ('sent', 'failed', 'pending', 'dead'));--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD CONSTRAINT "email_reports_error_message_when_failed" CHECK (("status" <> 'sent' or "error_message" is null) and ("status" not in ('failed', 'dead') or "error_message" is not null));--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD CONSTRAINT "email_reports_timestamps_in_range" CHECK ("sent_at" >= '0001-01-01 00:00:00+00' and "sent_at" < '10000-01-01 00:00:00+00' and "created_at" >= '0001-01-01 00:00:00+00' and "created_at" < '10000-01-01 00:00:00+00' and "claimed_until" >= '0001-01-01 00:00:00+00' and "claimed_until" < '10000-01-01 00:00:00+00' and "available_at" >= '0001-01-01 00:00:00+00' and "available_at" < '10000-01-01 00:00:00+00');
--> statement-breakpoint
-- The count of reports in each status, kept by statement-level triggers (one upsert per status a statement moved,
-- whoever writes: a COPY of a million reports adds one row per status), so operationsStatus never counts the table.
-- The statuses are upserted in their sort order, so two statements moving reports between the same statuses lock the
-- count rows in the same order and never deadlock on them.
CREATE FUNCTION "tqs_add_email_report_counts"("moved" jsonb) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "email_report_status_counts" AS "c" ("status", "reports")
  SELECT "key", "value"::bigint FROM jsonb_each_text("moved") WHERE "value"::bigint <> 0 ORDER BY "key"
  ON CONFLICT ("status") DO UPDATE SET "reports" = "c"."reports" + "excluded"."reports";
$$;
--> statement-breakpoint
CREATE FUNCTION "tqs_count_email_report_statuses"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM "email_report_status_counts";
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM "tqs_add_email_report_counts"((SELECT jsonb_object_agg("status", "n") FROM (SELECT "status", count(*) AS "n" FROM "new_rows" GROUP BY "status") AS "s"));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM "tqs_add_email_report_counts"((SELECT jsonb_object_agg("status", -"n") FROM (SELECT "status", count(*) AS "n" FROM "old_rows" GROUP BY "status") AS "s"));
  ELSE
    PERFORM "tqs_add_email_report_counts"((SELECT jsonb_object_agg("status", "n") FROM (
      SELECT "status", sum("d") AS "n" FROM (
        SELECT "status", 1 AS "d" FROM "new_rows" UNION ALL SELECT "status", -1 AS "d" FROM "old_rows"
      ) AS "m" GROUP BY "status") AS "s"));
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "email_reports_count_insert" AFTER INSERT ON "email_reports" REFERENCING NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_email_report_statuses"();
--> statement-breakpoint
CREATE TRIGGER "email_reports_count_update" AFTER UPDATE ON "email_reports" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_email_report_statuses"();
--> statement-breakpoint
CREATE TRIGGER "email_reports_count_delete" AFTER DELETE ON "email_reports" REFERENCING OLD TABLE AS "old_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_email_report_statuses"();
--> statement-breakpoint
CREATE TRIGGER "email_reports_count_truncate" AFTER TRUNCATE ON "email_reports"
  FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_email_report_statuses"();
--> statement-breakpoint
-- The counts of the reports already there (this migration's transaction holds the table while it counts them).
LOCK TABLE "email_reports" IN SHARE MODE;
--> statement-breakpoint
INSERT INTO "email_report_status_counts" ("status", "reports")
SELECT "status", count(*) FROM "email_reports" GROUP BY "status";
--> statement-breakpoint
-- A waiting mail worker wakes up (waitForEmailReports, LISTEN "tqs_email_reports") when a statement leaves a report
-- claimable now: inserted pending, or put back to pending with no retry delay (revived, released). One NOTIFY per
-- statement, delivered at commit; a retry delayed by available_at is found by the worker's own timer.
CREATE FUNCTION "tqs_notify_email_reports"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "new_rows" WHERE "status" = 'pending' AND "claimed_until" IS NULL AND "available_at" IS NULL) THEN
    PERFORM pg_notify('tqs_email_reports', '');
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "email_reports_notify_insert" AFTER INSERT ON "email_reports" REFERENCING NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "tqs_notify_email_reports"();
--> statement-breakpoint
CREATE TRIGGER "email_reports_notify_update" AFTER UPDATE ON "email_reports" REFERENCING NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "tqs_notify_email_reports"();
