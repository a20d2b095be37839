-- Down migration for 0008_session_lifecycle, written by hand: drizzle-kit generates no down migrations.
-- A 'scheduled' session has no status the older schema accepts: refuse, with the count, while any exists (the
-- migration's transaction rolls back; no row is touched). Give them their outcome or delete them first.
DO $$
DECLARE
  n bigint;
  example uuid;
BEGIN
  SELECT count(*), min("id"::text)::uuid INTO n, example
    FROM (SELECT "id" FROM "sessions" WHERE "status" = 'scheduled'
          UNION ALL SELECT "id" FROM "tqs_archive"."sessions" WHERE "status" = 'scheduled') booked;
  IF n > 0 THEN
    RAISE EXCEPTION 'cannot roll back session_lifecycle: % sessions have status ''scheduled'' (e.g. session %)', n, example
      USING ERRCODE = '23514', CONSTRAINT = 'sessions_status_valid',
        HINT = 'Give those sessions their outcome (completed, rescheduled or no_show) or delete them, then roll back again. Nothing was changed.';
  END IF;
END $$;
--> statement-breakpoint
DROP TRIGGER "sessions_capture_outcome" ON "sessions";
--> statement-breakpoint
DROP FUNCTION "tqs_capture_session_outcomes"();
--> statement-breakpoint
DROP TRIGGER "sessions_status_transition" ON "sessions";
--> statement-breakpoint
DROP FUNCTION "tqs_sessions_status_transition"();
--> statement-breakpoint
ALTER TABLE "sessions" DROP CONSTRAINT "sessions_status_valid";--> statement-breakpoint
DROP INDEX "sessions_scheduled_idx";--> statement-breakpoint
DROP INDEX "sessions_window_idx";--> statement-breakpoint
CREATE INDEX "sessions_window_idx" ON "sessions" USING btree ("scheduled_time","tutor_id","id");--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_status_valid" CHECK ("sessions"."status" in ('completed', 'rescheduled', 'no_show'));
--> statement-breakpoint
ALTER TABLE "tqs_archive"."sessions" DROP CONSTRAINT "sessions_status_valid";
--> statement-breakpoint
ALTER TABLE "tqs_archive"."sessions" ADD CONSTRAINT "sessions_status_valid" CHECK ("status" in ('completed', 'rescheduled', 'no_show'));
