CREATE TABLE "fleet_counts" (
	"kind" varchar(16) NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"key" varchar(100) NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "fleet_counts_pkey" PRIMARY KEY("kind","bucket","key"),
	CONSTRAINT "fleet_counts_kind_valid" CHECK ("fleet_counts"."kind" in ('status', 'initiator', 'reason', 'lead'))
);
--> statement-breakpoint
-- Written by hand below this line (drizzle-kit cannot express triggers): the fleet counts, kept by the database.
-- Every statement that writes "sessions" or "reschedules" (this package, psql, another service; COPY included) adds
-- to "fleet_counts" what it changed, per quarter-hour of the scheduled (original) time: statement-level triggers read
-- the transition tables once per statement, sum +1 per new row and -1 per old row by (kind, bucket, key), and upsert
-- the non-zero sums in key order, so two writers lock the rows they share in the same order and never deadlock
-- within a statement. The counts are of the live rows: archiveSessionHistory deletes what it moves, and the delete
-- triggers take it out. "tqs_recount_fleet_counts"() rebuilds the table from the rows.
-- A quarter-hour, UTC-aligned from year 1: every local day, hour, week and month boundary of a zone whose offsets
-- are whole quarter-hours (every zone of the tz database since 1980) is a bucket boundary.
CREATE FUNCTION "tqs_quarter_hour"("at" timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN date_bin('15 minutes', "at", '0001-01-01 00:00:00+00');
--> statement-breakpoint
-- The lead-time group of a reschedule, as rescheduleBreakdown names it.
CREATE FUNCTION "tqs_lead_time_group"("hours" numeric) RETURNS varchar LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN "hours" < 24 THEN 'under24h' WHEN "hours" < 72 THEN '1to3days' ELSE '3daysOrMore' END;
--> statement-breakpoint
-- Adds counts (negative ones subtract): summed by key, the non-zero sums upserted in key order.
CREATE FUNCTION "tqs_add_fleet_counts"("delta" "fleet_counts"[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "fleet_counts" AS "f" ("kind", "bucket", "key", "count")
  SELECT "kind", "bucket", "key", sum("count") FROM unnest("delta")
  GROUP BY 1, 2, 3 HAVING sum("count") <> 0 ORDER BY 1, 2, 3
  ON CONFLICT ("kind", "bucket", "key") DO UPDATE SET "count" = "f"."count" + excluded."count";
$$;
--> statement-breakpoint
-- Sessions: one count per (quarter-hour, status). An update counts its old rows out and its new rows in (a session
-- moved in time or given its outcome moves between keys; other updates sum to nothing and write nothing).
CREATE FUNCTION "tqs_count_sessions"() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- Reschedules: three counts per (quarter-hour of the original time): by initiator, by reason code ('' for none) and
-- by lead-time group. A reschedule deleted by the ON DELETE CASCADE of its session is counted out here as well.
CREATE FUNCTION "tqs_count_reschedules"() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- Rebuilds every count from the rows, with writers of sessions and reschedules held off meanwhile: the migration's
-- first fill, and the repair after a load that ran without these triggers (ALTER TABLE ... DISABLE TRIGGER).
CREATE FUNCTION "tqs_recount_fleet_counts"() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE "sessions", "reschedules" IN SHARE MODE;
  DELETE FROM "fleet_counts";
  INSERT INTO "fleet_counts" ("kind", "bucket", "key", "count")
  SELECT 'status', "tqs_quarter_hour"("scheduled_time"), "status", count(*) FROM "sessions" GROUP BY 2, 3;
  INSERT INTO "fleet_counts" ("kind", "bucket", "key", "count")
  SELECT "k"."kind", "tqs_quarter_hour"("r"."original_time"), "k"."key", count(*) FROM "reschedules" "r"
  CROSS JOIN LATERAL (VALUES ('initiator', "r"."initiator"), ('reason', coalesce("r"."reason_code", '')),
    ('lead', "tqs_lead_time_group"("r"."hours_before_session"))) "k"("kind", "key")
  GROUP BY 1, 2, 3;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "sessions_count_insert" AFTER INSERT ON "sessions" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"();
--> statement-breakpoint
CREATE TRIGGER "sessions_count_update" AFTER UPDATE ON "sessions" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"();
--> statement-breakpoint
CREATE TRIGGER "sessions_count_delete" AFTER DELETE ON "sessions" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"();
--> statement-breakpoint
CREATE TRIGGER "sessions_count_truncate" AFTER TRUNCATE ON "sessions" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_sessions"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_count_insert" AFTER INSERT ON "reschedules" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_reschedules"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_count_update" AFTER UPDATE ON "reschedules" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_reschedules"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_count_delete" AFTER DELETE ON "reschedules" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_reschedules"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_count_truncate" AFTER TRUNCATE ON "reschedules" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_count_reschedules"();
--> statement-breakpoint
-- The rows already stored.
SELECT "tqs_recount_fleet_counts"();
