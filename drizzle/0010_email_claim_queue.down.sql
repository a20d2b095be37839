-- Down migration for 0010_email_claim_queue, written by hand: drizzle-kit generates no down migrations.
-- A 'dead' report has no status the older schema accepts: refuse, with the count, while any exists (the migration's
-- transaction rolls back; no row is touched). Revive them (reviveEmailReport) or delete them first.
DO $$
DECLARE
  n bigint;
  example uuid;
BEGIN
  SELECT count(*), min("id"::text)::uuid INTO n, example
    FROM (SELECT "id" FROM "email_reports" WHERE "status" = 'dead'
          UNION ALL SELECT "id" FROM "tqs_archive"."email_reports" WHERE "status" = 'dead') dead;
  IF n > 0 THEN
    RAISE EXCEPTION 'cannot roll back email_claim_queue: % email reports have status ''dead'' (e.g. report %)', n, example
      USING ERRCODE = '23514', CONSTRAINT = 'email_reports_status_valid',
        HINT = 'Revive those reports (reviveEmailReport) or delete them, then roll back again. Nothing was changed.';
  END IF;
END $$;
--> statement-breakpoint
-- A pending report waiting for a retry carries its last attempt's error, which the older schema refuses on a pending
-- report: the report stays pending (the older queue takes it again at once) and that diagnostic line goes.
UPDATE "email_reports" SET "error_message" = NULL WHERE "status" = 'pending' AND "error_message" IS NOT NULL;
--> statement-breakpoint
UPDATE "tqs_archive"."email_reports" SET "error_message" = NULL WHERE "status" = 'pending' AND "error_message" IS NOT NULL;
--> statement-breakpoint
DROP TRIGGER "email_reports_notify_update" ON "email_reports";
--> statement-breakpoint
DROP TRIGGER "email_reports_notify_insert" ON "email_reports";
--> statement-breakpoint
DROP FUNCTION "tqs_notify_email_reports"();
--> statement-breakpoint
DROP TRIGGER "email_reports_count_truncate" ON "email_reports";
--> statement-breakpoint
DROP TRIGGER "email_reports_count_delete" ON "email_reports";
--> statement-breakpoint
DROP TRIGGER "email_reports_count_update" ON "email_reports";
--> statement-breakpoint
DROP TRIGGER "email_reports_count_insert" ON "email_reports";
--> statement-breakpoint
DROP FUNCTION "tqs_count_email_report_statuses"();
--> statement-breakpoint
DROP FUNCTION "tqs_add_email_report_counts"(jsonb);
--> statement-breakpoint
-- tqs:derived: the counts are recomputed from email_reports by the migration.
DROP TABLE "email_report_status_counts";
--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" DROP CONSTRAINT "email_reports_timestamps_in_range";--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" DROP CONSTRAINT "email_reports_error_message_when_failed";--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" DROP CONSTRAINT "email_reports_status_valid";--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" DROP CONSTRAINT "email_reports_available_only_when_pending";--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" DROP CONSTRAINT "email_reports_attempts_valid";
--> statement-breakpoint
-- tqs:derived: the claim queue's bookkeeping (attempt counts, the latest fencing token, a retry's delay), which the
-- older schema has no use for; the reports themselves are kept.
ALTER TABLE "tqs_archive"."email_reports" DROP COLUMN "available_at";
--> statement-breakpoint
-- tqs:derived: as above.
ALTER TABLE "tqs_archive"."email_reports" DROP COLUMN "claim_token";
--> statement-breakpoint
-- tqs:derived: as above.
ALTER TABLE "tqs_archive"."email_reports" DROP COLUMN "attempts";
--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD CONSTRAINT "email_reports_status_valid" CHECK ("status" in ('sent', 'failed', 'pending'));--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD CONSTRAINT "email_reports_error_message_when_failed" CHECK (("status" = 'failed') = ("error_message" is not null));--> statement-breakpoint
ALTER TABLE "tqs_archive"."email_reports" ADD CONSTRAINT "email_reports_timestamps_in_range" CHECK ("sent_at" >= '0001-01-01 00:00:00+00' and "sent_at" < '10000-01-01 00:00:00+00' and "created_at" >= '0001-01-01 00:00:00+00' and "created_at" < '10000-01-01 00:00:00+00' and "claimed_until" >= '0001-01-01 00:00:00+00' and "claimed_until" < '10000-01-01 00:00:00+00');
--> statement-breakpoint
DROP INDEX "email_reports_failed_idx";--> statement-breakpoint
DROP INDEX "email_reports_dead_idx";--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_timestamps_in_range";--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_error_message_when_failed";--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_status_valid";--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_available_only_when_pending";--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_attempts_valid";
--> statement-breakpoint
-- tqs:derived: as above.
ALTER TABLE "email_reports" DROP COLUMN "available_at";
--> statement-breakpoint
-- tqs:derived: as above.
ALTER TABLE "email_reports" DROP COLUMN "claim_token";
--> statement-breakpoint
-- tqs:derived: as above.
ALTER TABLE "email_reports" DROP COLUMN "attempts";
--> statement-breakpoint
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_status_valid" CHECK ("status" in ('sent', 'failed', 'pending'));--> statement-breakpoint
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_error_message_when_failed" CHECK (("status" = 'failed') = ("error_message" is not null));--> statement-breakpoint
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_timestamps_in_range" CHECK ("sent_at" >= '0001-01-01 00:00:00+00' and "sent_at" < '10000-01-01 00:00:00+00' and "created_at" >= '0001-01-01 00:00:00+00' and "created_at" < '10000-01-01 00:00:00+00' and "claimed_until" >= '0001-01-01 00:00:00+00' and "claimed_until" < '10000-01-01 00:00:00+00');
