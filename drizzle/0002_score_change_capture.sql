CREATE TABLE "tutor_score_changes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tutor_score_changes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tutor_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tutor_scores" ADD COLUMN "next_change_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "tutor_score_changes_tutor_id_idx" ON "tutor_score_changes" USING btree ("tutor_id");--> statement-breakpoint
CREATE INDEX "tutor_scores_next_change_at_idx" ON "tutor_scores" USING btree ("next_change_at");
--> statement-breakpoint
-- Written by hand below this line (drizzle-kit cannot express triggers): change capture for refreshDueScores.
-- Every statement that writes tutors, sessions or reschedules appends the ids of the tutors whose counts it may
-- have moved to "tutor_score_changes", once per tutor per statement (statement-level triggers read the transition
-- tables, so a COPY of a million sessions adds one row per tutor, not per session). Writers only ever insert there,
-- so the capture makes no writer wait for another.
--
-- What a score counts (src/scoring/score-query.ts): a session's tutor_id and scheduled_time, and whether it has a
-- reschedule with initiator 'tutor'. Updates are captured when one of those can have moved: sessions.tutor_id or
-- scheduled_time (or id), reschedules.session_id or initiator. Inserts and deletes always are. Should a score ever
-- read another column, capture it here as well.
CREATE FUNCTION "tqs_capture_session_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "tutor_score_changes" ("tutor_id") SELECT DISTINCT "tutor_id" FROM "new_rows";
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "tutor_score_changes" ("tutor_id") SELECT DISTINCT "tutor_id" FROM "old_rows";
  ELSE
    -- Both tutors of a session that moved: the rows that differ on what a score reads, before and after.
    INSERT INTO "tutor_score_changes" ("tutor_id")
    SELECT DISTINCT "tutor_id" FROM (
      (SELECT "id", "tutor_id", "scheduled_time" FROM "old_rows" EXCEPT SELECT "id", "tutor_id", "scheduled_time" FROM "new_rows")
      UNION ALL
      (SELECT "id", "tutor_id", "scheduled_time" FROM "new_rows" EXCEPT SELECT "id", "tutor_id", "scheduled_time" FROM "old_rows")
    ) AS "changed";
    -- A session moved to another tutor: wait for the transactions still writing its reschedule (they resolved the
    -- session to its old tutor, and the new tutor's score must not be refreshed before they commit) and make those
    -- that start now wait for this one (FOR UPDATE conflicts with the foreign key check of a reschedule insert; FOR
    -- SHARE with an update or delete of its reschedule). Only moves lock anything, and only the moved sessions.
    PERFORM 1 FROM "sessions" WHERE "id" IN (
      SELECT "n"."id" FROM "new_rows" "n" JOIN "old_rows" "o" ON "o"."id" = "n"."id" WHERE "n"."tutor_id" <> "o"."tutor_id"
    ) ORDER BY "id" FOR UPDATE;
    PERFORM 1 FROM "reschedules" WHERE "session_id" IN (
      SELECT "n"."id" FROM "new_rows" "n" JOIN "old_rows" "o" ON "o"."id" = "n"."id" WHERE "n"."tutor_id" <> "o"."tutor_id"
    ) ORDER BY "id" FOR SHARE;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- A reschedule counts for its session's tutor, read when the statement ends. A session deleted in the same statement
-- (ON DELETE CASCADE) is no longer there to read: its own trigger captured its tutor.
CREATE FUNCTION "tqs_capture_reschedule_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
-- A new tutor has no score yet: it is due at once (its row says 0 sessions, null rates).
CREATE FUNCTION "tqs_capture_new_tutors"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "tutor_score_changes" ("tutor_id") SELECT "id" FROM "new_rows";
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- TRUNCATE has no transition table: every tutor is due.
CREATE FUNCTION "tqs_capture_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "tutor_score_changes" ("tutor_id") SELECT "id" FROM "tutors";
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "tutors_capture_insert" AFTER INSERT ON "tutors" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_new_tutors"();
--> statement-breakpoint
CREATE TRIGGER "sessions_capture_insert" AFTER INSERT ON "sessions" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_changes"();
--> statement-breakpoint
CREATE TRIGGER "sessions_capture_update" AFTER UPDATE ON "sessions" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_changes"();
--> statement-breakpoint
CREATE TRIGGER "sessions_capture_delete" AFTER DELETE ON "sessions" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_session_changes"();
--> statement-breakpoint
CREATE TRIGGER "sessions_capture_truncate" AFTER TRUNCATE ON "sessions" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_truncate"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_capture_insert" AFTER INSERT ON "reschedules" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_reschedule_changes"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_capture_update" AFTER UPDATE ON "reschedules" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_reschedule_changes"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_capture_delete" AFTER DELETE ON "reschedules" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_reschedule_changes"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_capture_truncate" AFTER TRUNCATE ON "reschedules" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_capture_truncate"();
--> statement-breakpoint
-- Scores written before this migration have no next_change_at: every tutor is due once.
INSERT INTO "tutor_score_changes" ("tutor_id") SELECT "id" FROM "tutors";
