CREATE TABLE "tutor_risk_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tutor_risk_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tutor_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"before_is_high_risk" boolean,
	"before_risk_category" varchar(10),
	"after_is_high_risk" boolean NOT NULL,
	"after_risk_category" varchar(10),
	"reschedule_rate_7d" numeric(5, 2),
	"reschedule_rate_30d" numeric(5, 2),
	"reschedule_rate_90d" numeric(5, 2),
	"risk_threshold" numeric(5, 2) NOT NULL,
	"acknowledged_at" timestamp with time zone,
	CONSTRAINT "tutor_risk_events_risk_categories_valid" CHECK ("tutor_risk_events"."before_risk_category" in ('low', 'medium', 'high') and "tutor_risk_events"."after_risk_category" in ('low', 'medium', 'high')),
	CONSTRAINT "tutor_risk_events_timestamps_in_range" CHECK ("tutor_risk_events"."at" >= '0001-01-01 00:00:00+00' and "tutor_risk_events"."at" < '10000-01-01 00:00:00+00' and "tutor_risk_events"."as_of" >= '0001-01-01 00:00:00+00' and "tutor_risk_events"."as_of" < '10000-01-01 00:00:00+00' and "tutor_risk_events"."acknowledged_at" >= '0001-01-01 00:00:00+00' and "tutor_risk_events"."acknowledged_at" < '10000-01-01 00:00:00+00')
);
--> statement-breakpoint
CREATE TABLE "tutor_score_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tutor_score_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tutor_id" uuid NOT NULL,
	"calculated_at" timestamp with time zone NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"reschedule_rate_7d" numeric(5, 2),
	"reschedule_rate_30d" numeric(5, 2),
	"reschedule_rate_90d" numeric(5, 2),
	"is_high_risk" boolean NOT NULL,
	"risk_category" varchar(10),
	"risk_threshold" numeric(5, 2) NOT NULL,
	CONSTRAINT "tutor_score_history_risk_category_valid" CHECK ("tutor_score_history"."risk_category" in ('low', 'medium', 'high')),
	CONSTRAINT "tutor_score_history_timestamps_in_range" CHECK ("tutor_score_history"."calculated_at" >= '0001-01-01 00:00:00+00' and "tutor_score_history"."calculated_at" < '10000-01-01 00:00:00+00' and "tutor_score_history"."as_of" >= '0001-01-01 00:00:00+00' and "tutor_score_history"."as_of" < '10000-01-01 00:00:00+00')
);
--> statement-breakpoint
CREATE INDEX "tutor_risk_events_tutor_id_id_idx" ON "tutor_risk_events" USING btree ("tutor_id","id");--> statement-breakpoint
CREATE INDEX "tutor_risk_events_unacknowledged_idx" ON "tutor_risk_events" USING btree ("id") WHERE "tutor_risk_events"."acknowledged_at" is null;--> statement-breakpoint
CREATE INDEX "tutor_score_history_tutor_id_calculated_at_idx" ON "tutor_score_history" USING btree ("tutor_id","calculated_at");--> statement-breakpoint
CREATE INDEX "tutor_score_history_calculated_at_idx" ON "tutor_score_history" USING btree ("calculated_at");
--> statement-breakpoint
-- Written by hand below this line (drizzle-kit cannot express triggers): score history and risk events, recorded by
-- the database whenever a statement writes "tutor_scores" (the full refresh, the due refresh, or any other writer),
-- so they are the same whoever wrote the sessions. Statement-level triggers read the transition tables: one pass per
-- refresh statement, not one per score. A history row is written for a tutor's first score and whenever the rates,
-- the flag, the risk category or the threshold changed; an event whenever the flag or the risk category changed (for a
-- first score: when it is flagged or has a category, the state "unscored" being not flagged and no category).
CREATE FUNCTION "tqs_record_new_scores"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "tutor_score_history" ("tutor_id", "calculated_at", "as_of", "reschedule_rate_7d", "reschedule_rate_30d",
    "reschedule_rate_90d", "is_high_risk", "risk_category", "risk_threshold")
  SELECT "tutor_id", "last_calculated_at", "as_of", "reschedule_rate_7d", "reschedule_rate_30d", "reschedule_rate_90d",
    "is_high_risk", "risk_category", "risk_threshold"
  FROM "new_rows" ORDER BY "tutor_id";
  INSERT INTO "tutor_risk_events" ("tutor_id", "at", "as_of", "before_is_high_risk", "before_risk_category",
    "after_is_high_risk", "after_risk_category", "reschedule_rate_7d", "reschedule_rate_30d", "reschedule_rate_90d",
    "risk_threshold")
  SELECT "tutor_id", "last_calculated_at", "as_of", NULL, NULL, "is_high_risk", "risk_category", "reschedule_rate_7d",
    "reschedule_rate_30d", "reschedule_rate_90d", "risk_threshold"
  FROM "new_rows" WHERE "is_high_risk" OR "risk_category" IS NOT NULL ORDER BY "tutor_id";
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- An update compares each row with its old version by primary key; unchanged scores (most rows of a full refresh)
-- write nothing.
CREATE FUNCTION "tqs_record_score_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH "changed" AS MATERIALIZED (
    SELECT "n".*, "o"."is_high_risk" AS "old_is_high_risk", "o"."risk_category" AS "old_risk_category",
      ("n"."is_high_risk", "n"."risk_category") IS DISTINCT FROM ("o"."is_high_risk", "o"."risk_category") AS "is_event"
    FROM "new_rows" "n" JOIN "old_rows" "o" ON "o"."id" = "n"."id"
    WHERE ("n"."reschedule_rate_7d", "n"."reschedule_rate_30d", "n"."reschedule_rate_90d", "n"."is_high_risk",
           "n"."risk_category", "n"."risk_threshold", "n"."tutor_id")
      IS DISTINCT FROM ("o"."reschedule_rate_7d", "o"."reschedule_rate_30d", "o"."reschedule_rate_90d",
           "o"."is_high_risk", "o"."risk_category", "o"."risk_threshold", "o"."tutor_id")
  ), "history" AS (
    INSERT INTO "tutor_score_history" ("tutor_id", "calculated_at", "as_of", "reschedule_rate_7d", "reschedule_rate_30d",
      "reschedule_rate_90d", "is_high_risk", "risk_category", "risk_threshold")
    SELECT "tutor_id", "last_calculated_at", "as_of", "reschedule_rate_7d", "reschedule_rate_30d", "reschedule_rate_90d",
      "is_high_risk", "risk_category", "risk_threshold"
    FROM "changed" ORDER BY "tutor_id"
  )
  INSERT INTO "tutor_risk_events" ("tutor_id", "at", "as_of", "before_is_high_risk", "before_risk_category",
    "after_is_high_risk", "after_risk_category", "reschedule_rate_7d", "reschedule_rate_30d", "reschedule_rate_90d",
    "risk_threshold")
  SELECT "tutor_id", "last_calculated_at", "as_of", "old_is_high_risk", "old_risk_category", "is_high_risk",
    "risk_category", "reschedule_rate_7d", "reschedule_rate_30d", "reschedule_rate_90d", "risk_threshold"
  FROM "changed" WHERE "is_event" ORDER BY "tutor_id";
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "tutor_scores_record_insert" AFTER INSERT ON "tutor_scores" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_record_new_scores"();
--> statement-breakpoint
CREATE TRIGGER "tutor_scores_record_update" AFTER UPDATE ON "tutor_scores" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_record_score_changes"();
--> statement-breakpoint
-- No foreign key to "tutors" (it would make TRUNCATE of "tutors", which clearDatabase runs, fail): a tutor's history
-- and events go with the tutor through these triggers instead.
CREATE FUNCTION "tqs_forget_deleted_tutors"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE "tutor_score_history", "tutor_risk_events";
  ELSE
    DELETE FROM "tutor_score_history" WHERE "tutor_id" IN (SELECT "id" FROM "old_rows");
    DELETE FROM "tutor_risk_events" WHERE "tutor_id" IN (SELECT "id" FROM "old_rows");
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "tutors_forget_delete" AFTER DELETE ON "tutors" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_forget_deleted_tutors"();
--> statement-breakpoint
CREATE TRIGGER "tutors_forget_truncate" AFTER TRUNCATE ON "tutors" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_forget_deleted_tutors"();
--> statement-breakpoint
-- Fleet-wide breakdowns read every reschedule of a period by its original time, from the index alone.
CREATE INDEX "reschedules_original_time_idx" ON "reschedules" USING btree ("original_time") INCLUDE ("initiator", "reason_code", "hours_before_session", "new_time");
--> statement-breakpoint
-- The history starts with the scores already stored: each tutor's current score is its first entry (no events).
INSERT INTO "tutor_score_history" ("tutor_id", "calculated_at", "as_of", "reschedule_rate_7d", "reschedule_rate_30d",
  "reschedule_rate_90d", "is_high_risk", "risk_category", "risk_threshold")
SELECT "tutor_id", "last_calculated_at", "as_of", "reschedule_rate_7d", "reschedule_rate_30d", "reschedule_rate_90d",
  "is_high_risk", "risk_category", "risk_threshold"
FROM "tutor_scores" ORDER BY "tutor_id";
