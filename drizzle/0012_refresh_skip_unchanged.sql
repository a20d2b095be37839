CREATE TABLE "tutor_score_refreshes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tutor_score_refreshes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"refreshed_at" timestamp with time zone NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"risk_threshold" numeric(5, 2) NOT NULL,
	"scored" integer NOT NULL,
	"written" integer NOT NULL,
	CONSTRAINT "tutor_score_refreshes_counts_valid" CHECK ("tutor_score_refreshes"."written" >= 0 and "tutor_score_refreshes"."written" <= "tutor_score_refreshes"."scored"),
	CONSTRAINT "tutor_score_refreshes_timestamps_in_range" CHECK ("tutor_score_refreshes"."refreshed_at" >= '0001-01-01 00:00:00+00' and "tutor_score_refreshes"."refreshed_at" < '10000-01-01 00:00:00+00' and "tutor_score_refreshes"."as_of" >= '0001-01-01 00:00:00+00' and "tutor_score_refreshes"."as_of" < '10000-01-01 00:00:00+00')
);
--> statement-breakpoint
-- Written by hand below this line. The counts of the refresh of every tutor, per tutor with a session in the
-- 90-day window ending at "as_of" or one with an outcome after it: the six counts and "next_change_at", exactly as
-- the package's scoring SQL computes them for one tutor (src/scoring/score-query.ts; the windows are exact seconds).
-- A function of its own so that PostgreSQL may run this pass over the sessions with parallel workers: a statement
-- that writes (the refresh's upsert) is never planned in parallel, but a query run inside a function it calls is.
-- RETURN QUERY EXECUTE plans the query for the "as_of" given (a generic plan would guess the window's size). STABLE:
-- it reads the snapshot of the statement that calls it, so the refresh stays one statement over one snapshot.
CREATE FUNCTION "tqs_score_counts"("as_of" timestamptz)
RETURNS TABLE ("tutor_id" uuid, "total_sessions_7d" integer, "tutor_reschedules_7d" integer, "total_sessions_30d" integer,
  "tutor_reschedules_30d" integer, "total_sessions_90d" integer, "tutor_reschedules_90d" integer, "next_change_at" timestamptz)
LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 10000 AS $f$
BEGIN
  RETURN QUERY EXECUTE $q$
  SELECT coalesce("a"."tutor_id", "e"."tutor_id"), coalesce("a"."s7", 0), coalesce("a"."r7", 0), coalesce("a"."s30", 0),
    coalesce("a"."r30", 0), coalesce("a"."s90", 0), coalesce("a"."r90", 0),
    least("e"."enters", "a"."leaves_7d", "a"."leaves_30d", "a"."leaves_90d")
  FROM (
    SELECT "s"."tutor_id",
      (count("s"."id") FILTER (WHERE "s"."scheduled_time" > $1 - interval '604800 seconds'))::int AS "s7",
      (count("r"."session_id") FILTER (WHERE "s"."scheduled_time" > $1 - interval '604800 seconds'))::int AS "r7",
      (count("s"."id") FILTER (WHERE "s"."scheduled_time" > $1 - interval '2592000 seconds'))::int AS "s30",
      (count("r"."session_id") FILTER (WHERE "s"."scheduled_time" > $1 - interval '2592000 seconds'))::int AS "r30",
      count("s"."id")::int AS "s90",
      count("r"."session_id")::int AS "r90",
      min("s"."scheduled_time") FILTER (WHERE "s"."scheduled_time" > $1 - interval '604800 seconds') + interval '604800 seconds' AS "leaves_7d",
      min("s"."scheduled_time") FILTER (WHERE "s"."scheduled_time" > $1 - interval '2592000 seconds') + interval '2592000 seconds' AS "leaves_30d",
      min("s"."scheduled_time") + interval '7776000 seconds' AS "leaves_90d"
    FROM "sessions" "s"
    LEFT JOIN "reschedules" "r" ON "r"."session_id" = "s"."id" AND "r"."initiator" = 'tutor'
      AND "r"."original_time" > $1 - interval '7776000 seconds' AND "r"."original_time" <= $1
    WHERE "s"."scheduled_time" > $1 - interval '7776000 seconds' AND "s"."scheduled_time" <= $1 AND "s"."status" <> 'scheduled'
    GROUP BY "s"."tutor_id"
  ) "a" FULL JOIN (
    SELECT "n"."tutor_id", min("n"."scheduled_time") AS "enters" FROM "sessions" "n"
    WHERE "n"."scheduled_time" > $1 AND "n"."status" <> 'scheduled'
    GROUP BY "n"."tutor_id"
  ) "e" ON "e"."tutor_id" = "a"."tutor_id"
  $q$ USING "as_of";
END;
$f$;
--> statement-breakpoint
-- The recording triggers of "tutor_scores" (0007_read_model) plan their joins of the transition tables with PostgreSQL's
-- default guess of their size, 500,000 joined rows for a refresh of 10,000 scores: over jit_above_cost, so every
-- refresh that changed scores spent ~100 ms compiling the trigger's query, more than writing the history itself.
ALTER FUNCTION "tqs_record_score_changes"() SET jit = off;
--> statement-breakpoint
ALTER FUNCTION "tqs_record_new_scores"() SET jit = off;
