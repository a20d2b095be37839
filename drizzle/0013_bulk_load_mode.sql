-- Custom SQL migration (drizzle-kit generate --custom), written by hand: a bulk load mode for the statement-level
-- triggers of sessions and reschedules (capture 0002, reschedule_status_rule 0006, fleet counts 0011).
--
-- Why: a load is many COPY statements (PGlite: one per chunk, 50 per table), and each statement's triggers do their
-- work per statement: the capture inserts the distinct tutors of each chunk (most tutors, again and again), the fleet
-- counts upsert every quarter-hour a chunk touches (most of them, again and again), the rule notes every rescheduled
-- session. On PGlite that work was 23-45 % of a load. In load mode the same triggers only note, per statement, the
-- range of times their rows cover (one aggregate over the transition table, one row appended), and ONE set-based pass
-- over that range replaces the per-statement work when the load ends:
-- * capture: the tutors of every session scheduled in the range (a superset of the tutors the load's rows moved);
-- * fleet counts: the quarter-hours of the range recounted from the rows ("tqs_recount_fleet_counts_between");
-- * reschedule_status_rule: every session scheduled in the range checked against its reschedules (a reschedule's
--   original_time is its session's scheduled_time, by reschedules_session_fk), refused with 23T01 as at commit.
-- Each part runs only if its own triggers noted a range (a trigger disabled with ALTER TABLE ... DISABLE TRIGGER
-- leaves its part out, as before).
--
-- What enforces it: entering load mode ("tqs_begin_bulk_load"()) inserts the transaction's 'load' row, whose
-- constraint trigger is DEFERRABLE INITIALLY DEFERRED: the pass runs at commit whatever the session does (no setting
-- turns it off; deleting the 'load' row only ends load mode early, the queued pass still runs). A load ends it
-- earlier with "tqs_end_bulk_load"() (the pass, then load mode is over; the queued pass then finds nothing left).
-- Only INSERT (and COPY) statements use load mode: updates, deletes and truncates run their per-statement work as
-- before (moves of sessions between tutors lock what the capture locks, deletes are counted out exactly).
CREATE UNLOGGED TABLE "tqs_bulk_load_notes" (
	"xact" xid8 NOT NULL,
	"kind" varchar(8) NOT NULL,
	"lo" timestamp with time zone,
	"hi" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "tqs_bulk_load_notes_xact_idx" ON "tqs_bulk_load_notes" USING btree ("xact");
--> statement-breakpoint
-- Whether this transaction is in load mode.
CREATE FUNCTION "tqs_bulk_loading"() RETURNS boolean LANGUAGE sql STABLE
  RETURN EXISTS (SELECT 1 FROM "tqs_bulk_load_notes" WHERE "xact" = pg_current_xact_id() AND "kind" = 'load');
--> statement-breakpoint
-- A statement's range of times, noted for one part of the pass ('capture', 'rule', 'count').
CREATE FUNCTION "tqs_bulk_load_note"("part" varchar, "lo" timestamptz, "hi" timestamptz) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "tqs_bulk_load_notes" ("xact", "kind", "lo", "hi") VALUES (pg_current_xact_id(), "part", "lo", "hi");
$$;
--> statement-breakpoint
-- The refusal of reschedule_status_rule, worded as its check at commit words it.
CREATE FUNCTION "tqs_reschedule_rule_refuse"("session_id" uuid, "status" text, "reschedule_id" text, "disagreeing" bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF "reschedule_id" IS NULL THEN
    RAISE EXCEPTION 'session % has status ''rescheduled'' but no reschedules row%', "session_id",
      CASE WHEN "disagreeing" > 1 THEN format(' (and %s more sessions disagree)', "disagreeing" - 1) ELSE '' END
      USING ERRCODE = '23T01', CONSTRAINT = 'reschedule_status_rule', TABLE = 'sessions', COLUMN = 'status',
        DETAIL = 'A session''s status is ''rescheduled'' exactly when it has a reschedules row; checked at commit.',
        HINT = 'Insert its reschedules row in the same transaction (before or after the session), or give the session another status.';
  END IF;
  RAISE EXCEPTION 'session % has a reschedules row (%) but its status is ''%'', not ''rescheduled''%', "session_id",
    "reschedule_id", "status",
    CASE WHEN "disagreeing" > 1 THEN format(' (and %s more sessions disagree)', "disagreeing" - 1) ELSE '' END
    USING ERRCODE = '23T01', CONSTRAINT = 'reschedule_status_rule', TABLE = 'reschedules', COLUMN = 'session_id',
      DETAIL = 'A session''s status is ''rescheduled'' exactly when it has a reschedules row; checked at commit.',
      HINT = 'Set the session''s status to ''rescheduled'' in the same transaction, or delete its reschedules row.';
END;
$$;
--> statement-breakpoint
-- The fleet counts of the quarter-hours from lo's to hi's rebuilt from the rows, with writers of sessions and
-- reschedules held off until this transaction ends (as "tqs_recount_fleet_counts"() does for the whole table).
CREATE FUNCTION "tqs_recount_fleet_counts_between"("lo" timestamptz, "hi" timestamptz) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  "first" timestamptz := "tqs_quarter_hour"("lo");
  "past" timestamptz := "tqs_quarter_hour"("hi") + interval '15 minutes';
BEGIN
  LOCK TABLE "sessions", "reschedules" IN SHARE MODE;
  DELETE FROM "fleet_counts" WHERE "bucket" >= "first" AND "bucket" < "past";
  INSERT INTO "fleet_counts" ("kind", "bucket", "key", "count")
  SELECT 'status', "tqs_quarter_hour"("scheduled_time"), "status", count(*) FROM "sessions"
  WHERE "scheduled_time" >= "first" AND "scheduled_time" < "past" GROUP BY 2, 3;
  INSERT INTO "fleet_counts" ("kind", "bucket", "key", "count")
  SELECT "k"."kind", "tqs_quarter_hour"("r"."original_time"), "k"."key", count(*) FROM "reschedules" "r"
  CROSS JOIN LATERAL (VALUES ('initiator', "r"."initiator"), ('reason', coalesce("r"."reason_code", '')),
    ('lead', "tqs_lead_time_group"("r"."hours_before_session"))) "k"("kind", "key")
  WHERE "r"."original_time" >= "first" AND "r"."original_time" < "past"
  GROUP BY 1, 2, 3;
END;
$$;
--> statement-breakpoint
-- The pass: every note of the transaction consumed (load mode ends with them), then each part over its range.
CREATE FUNCTION "tqs_bulk_load_finish"("x" xid8) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  "capture_lo" timestamptz; "capture_hi" timestamptz;
  "rule_lo" timestamptz; "rule_hi" timestamptz;
  "count_lo" timestamptz; "count_hi" timestamptz;
  "bad" record;
BEGIN
  WITH "noted" AS (DELETE FROM "tqs_bulk_load_notes" WHERE "xact" = "x" RETURNING "kind", "lo", "hi")
  SELECT min("lo") FILTER (WHERE "kind" = 'capture'), max("hi") FILTER (WHERE "kind" = 'capture'),
    min("lo") FILTER (WHERE "kind" = 'rule'), max("hi") FILTER (WHERE "kind" = 'rule'),
    min("lo") FILTER (WHERE "kind" = 'count'), max("hi") FILTER (WHERE "kind" = 'count')
  INTO "capture_lo", "capture_hi", "rule_lo", "rule_hi", "count_lo", "count_hi"
  FROM "noted";
  IF "rule_lo" IS NOT NULL THEN
    SELECT "s"."id" AS "session_id", "s"."status", "r"."id" AS "reschedule_id", count(*) OVER () AS "disagreeing" INTO "bad"
    FROM "sessions" "s" LEFT JOIN "reschedules" "r" ON "r"."session_id" = "s"."id"
    WHERE "s"."scheduled_time" BETWEEN "rule_lo" AND "rule_hi" AND ("s"."status" = 'rescheduled') <> ("r"."id" IS NOT NULL)
    ORDER BY "s"."id"
    LIMIT 1;
    IF FOUND THEN
      PERFORM "tqs_reschedule_rule_refuse"("bad"."session_id", "bad"."status", "bad"."reschedule_id"::text, "bad"."disagreeing");
    END IF;
  END IF;
  IF "count_lo" IS NOT NULL THEN PERFORM "tqs_recount_fleet_counts_between"("count_lo", "count_hi"); END IF;
  IF "capture_lo" IS NOT NULL THEN
    INSERT INTO "tutor_score_changes" ("tutor_id")
    SELECT DISTINCT "tutor_id" FROM "sessions" WHERE "scheduled_time" BETWEEN "capture_lo" AND "capture_hi";
  END IF;
END;
$$;
--> statement-breakpoint
-- Load mode for the rest of the transaction, with the pass queued for its commit.
CREATE FUNCTION "tqs_begin_bulk_load"() RETURNS void LANGUAGE sql AS $$
  INSERT INTO "tqs_bulk_load_notes" ("xact", "kind") VALUES (pg_current_xact_id(), 'load');
$$;
--> statement-breakpoint
-- The pass now, and load mode over (the pass queued for the commit then finds nothing).
CREATE FUNCTION "tqs_end_bulk_load"() RETURNS void LANGUAGE sql AS $$
  SELECT "tqs_bulk_load_finish"(pg_current_xact_id());
$$;
--> statement-breakpoint
CREATE FUNCTION "tqs_bulk_load_check"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "tqs_bulk_load_finish"(NEW."xact");
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "tqs_bulk_load_check" AFTER INSERT ON "tqs_bulk_load_notes" DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW."kind" = 'load') EXECUTE FUNCTION "tqs_bulk_load_check"();
--> statement-breakpoint
-- The six statement functions of sessions and reschedules, as before but for an INSERT in load mode: the range of
-- its rows noted for the pass, nothing else.
CREATE OR REPLACE FUNCTION "tqs_capture_session_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND "tqs_bulk_loading"() THEN
    PERFORM "tqs_bulk_load_note"('capture', min("scheduled_time"), max("scheduled_time")) FROM "new_rows";
    RETURN NULL;
  END IF;
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
CREATE OR REPLACE FUNCTION "tqs_reschedule_rule_sessions"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' AND "tqs_bulk_loading"() THEN
    PERFORM "tqs_bulk_load_note"('rule', min("scheduled_time"), max("scheduled_time")) FROM "new_rows";
    RETURN NULL;
  END IF;
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
CREATE OR REPLACE FUNCTION "tqs_count_sessions"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  "added" "fleet_counts"[] := '{}';
  "removed" "fleet_counts"[] := '{}';
BEGIN
  IF TG_OP = 'INSERT' AND "tqs_bulk_loading"() THEN
    PERFORM "tqs_bulk_load_note"('count', min("scheduled_time"), max("scheduled_time")) FROM "new_rows";
    RETURN NULL;
  END IF;
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
  IF TG_OP = 'INSERT' AND "tqs_bulk_loading"() THEN
    PERFORM "tqs_bulk_load_note"('count', min("original_time"), max("original_time")) FROM "new_rows";
    RETURN NULL;
  END IF;
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
