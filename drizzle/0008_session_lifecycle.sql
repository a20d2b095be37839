ALTER TABLE "sessions" DROP CONSTRAINT "sessions_status_valid";--> statement-breakpoint
DROP INDEX "sessions_window_idx";--> statement-breakpoint
CREATE INDEX "sessions_scheduled_idx" ON "sessions" USING btree ("scheduled_time","id") WHERE "sessions"."status" = 'scheduled';--> statement-breakpoint
CREATE INDEX "sessions_window_idx" ON "sessions" USING btree ("scheduled_time","tutor_id","id","status");--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_status_valid" CHECK ("sessions"."status" in ('scheduled', 'completed', 'rescheduled', 'no_show'));--> statement-breakpoint
-- Written by hand below this line (drizzle-kit cannot express triggers): the session lifecycle.
-- A session booked ahead is 'scheduled' (no completion time, no duration, no reschedule: the CHECKs above and
-- reschedule_status_rule already say so for every status other than 'completed' and 'rescheduled'), and later gets its
-- outcome: 'completed', 'rescheduled' or 'no_show'. An outcome may be corrected to another outcome, but a session that
-- has one never goes back to 'scheduled'. That rule compares a row before and after an update, which no CHECK can:
-- a constraint trigger named sessions_status_transition refuses it, with SQLSTATE 23T02 and its name, as every
-- constraint is reported. Its WHEN clause is evaluated as the row is written, so other updates queue nothing.
CREATE FUNCTION "tqs_sessions_status_transition"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'session % has status ''%'' and cannot go back to ''scheduled''', NEW."id", OLD."status"
    USING ERRCODE = '23T02', CONSTRAINT = 'sessions_status_transition', TABLE = 'sessions', COLUMN = 'status',
      DETAIL = 'A scheduled session may get an outcome (completed, rescheduled, no_show); a session with an outcome is never scheduled again.',
      HINT = 'Keep its outcome, or insert a new session for a new booking.';
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "sessions_status_transition" AFTER UPDATE OF "status" ON "sessions" FOR EACH ROW
  WHEN (OLD."status" <> 'scheduled' AND NEW."status" = 'scheduled') EXECUTE FUNCTION "tqs_sessions_status_transition"();
--> statement-breakpoint
-- The scores leave out sessions still 'scheduled' (they have no outcome yet), so a session that gets its outcome, or
-- (through an update that the rule above lets pass: none today) loses it, changes its tutor's counts: capture its tutor
-- for refreshDueScores, as tqs_capture_session_changes does for the columns it compares.
CREATE FUNCTION "tqs_capture_session_outcomes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "tutor_score_changes" ("tutor_id")
  SELECT DISTINCT "n"."tutor_id" FROM "new_rows" "n" JOIN "old_rows" "o" ON "o"."id" = "n"."id"
  WHERE ("n"."status" = 'scheduled') <> ("o"."status" = 'scheduled');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "sessions_capture_outcome" AFTER UPDATE ON "sessions" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_outcomes"();
--> statement-breakpoint
-- The archive's sessions mirror the live table's rules: an archived booking keeps its status.
ALTER TABLE "tqs_archive"."sessions" DROP CONSTRAINT "sessions_status_valid";
--> statement-breakpoint
ALTER TABLE "tqs_archive"."sessions" ADD CONSTRAINT "sessions_status_valid" CHECK ("status" in ('scheduled', 'completed', 'rescheduled', 'no_show'));
