-- The six statement functions as 0002, 0006 and 0011 made them, then load mode and its pass gone.
-- Written by hand (drizzle-kit generates no down migrations). Nothing is lost: the notes live only inside a transaction.
CREATE OR REPLACE FUNCTION "tqs_capture_session_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION "tqs_capture_reschedule_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION "tqs_reschedule_rule_sessions"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- The inserted rows as they stand (nothing else in the statement can have changed them): no need to read them back.
    INSERT INTO "reschedule_rule_pending" ("xact", "session_id")
    SELECT pg_current_xact_id(), n."id" FROM "new_rows" n
    WHERE n."status" = 'rescheduled' AND NOT EXISTS (SELECT 1 FROM "reschedules" r WHERE r."session_id" = n."id");
  ELSE
    INSERT INTO "reschedule_rule_pending" ("xact", "session_id")
    SELECT pg_current_xact_id(), v."session_id"
    FROM (SELECT "id", "status" FROM "new_rows" EXCEPT SELECT "id", "status" FROM "old_rows") AS "changed"
    JOIN "reschedule_rule_violations" v ON v."session_id" = "changed"."id";
  END IF;
  IF FOUND THEN PERFORM "tqs_reschedule_rule_defer"(); END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "tqs_reschedule_rule_reschedules"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
CREATE OR REPLACE FUNCTION "tqs_count_sessions"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  "added" "fleet_counts"[] := '{}';
  "removed" "fleet_counts"[] := '{}';
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM "fleet_counts" WHERE "kind" = 'status';
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    "added" := ARRAY(SELECT ROW('status', "b", "status", "n")::"fleet_counts" FROM (
      SELECT "tqs_quarter_hour"("scheduled_time") AS "b", "status", count(*) AS "n" FROM "new_rows" GROUP BY 1, 2) "g");
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    "removed" := ARRAY(SELECT ROW('status', "b", "status", -"n")::"fleet_counts" FROM (
      SELECT "tqs_quarter_hour"("scheduled_time") AS "b", "status", count(*) AS "n" FROM "old_rows" GROUP BY 1, 2) "g");
  END IF;
  PERFORM "tqs_add_fleet_counts"("added" || "removed");
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "tqs_count_reschedules"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  "added" "fleet_counts"[] := '{}';
  "removed" "fleet_counts"[] := '{}';
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM "fleet_counts" WHERE "kind" <> 'status';
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    "added" := ARRAY(SELECT ROW("k"."kind", "b", "k"."key", "n")::"fleet_counts" FROM (
      SELECT "tqs_quarter_hour"("original_time") AS "b", "initiator", coalesce("reason_code", '') AS "reason",
        "tqs_lead_time_group"("hours_before_session") AS "lead", count(*) AS "n" FROM "new_rows" GROUP BY 1, 2, 3, 4) "g"
      CROSS JOIN LATERAL (VALUES ('initiator', "g"."initiator"), ('reason', "g"."reason"), ('lead', "g"."lead")) "k"("kind", "key"));
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    "removed" := ARRAY(SELECT ROW("k"."kind", "b", "k"."key", -"n")::"fleet_counts" FROM (
      SELECT "tqs_quarter_hour"("original_time") AS "b", "initiator", coalesce("reason_code", '') AS "reason",
        "tqs_lead_time_group"("hours_before_session") AS "lead", count(*) AS "n" FROM "old_rows" GROUP BY 1, 2, 3, 4) "g"
      CROSS JOIN LATERAL (VALUES ('initiator', "g"."initiator"), ('reason', "g"."reason"), ('lead', "g"."lead")) "k"("kind", "key"));
  END IF;
  PERFORM "tqs_add_fleet_counts"("added" || "removed");
  RETURN NULL;
END;
$$;
--> statement-breakpoint
DROP FUNCTION "tqs_bulk_loading"();
--> statement-breakpoint
DROP TABLE "tqs_bulk_load_notes";
--> statement-breakpoint
DROP FUNCTION "tqs_bulk_load_check"();
--> statement-breakpoint
DROP FUNCTION "tqs_end_bulk_load"();
--> statement-breakpoint
DROP FUNCTION "tqs_begin_bulk_load"();
--> statement-breakpoint
DROP FUNCTION "tqs_bulk_load_finish"(xid8);
--> statement-breakpoint
DROP FUNCTION "tqs_recount_fleet_counts_between"(timestamptz, timestamptz);
--> statement-breakpoint
DROP FUNCTION "tqs_reschedule_rule_refuse"(uuid, text, text, bigint);
--> statement-breakpoint
DROP FUNCTION "tqs_bulk_load_note"(varchar, timestamptz, timestamptz);
