-- Custom SQL migration (drizzle-kit generate --custom), written by hand: the rule "a session has a reschedules row
-- exactly when its status is 'rescheduled'", checked at commit, so that a session and its reschedule may be written
-- in either order within one transaction.
--
-- Rows that already break the rule would make the migration refuse later with a bare error: count both kinds first and
-- refuse with the counts, before anything changes (the migration's transaction rolls back; no row is touched).
DO $$
DECLARE
  problems text[] := '{}';
  n bigint;
  example uuid;
BEGIN
  SELECT count(*), min(s."id"::text)::uuid INTO n, example FROM "sessions" s
  WHERE s."status" = 'rescheduled' AND NOT EXISTS (SELECT 1 FROM "reschedules" r WHERE r."session_id" = s."id");
  IF n > 0 THEN problems := problems || format('%s sessions have status ''rescheduled'' but no reschedules row (e.g. session %s)', n, example); END IF;
  SELECT count(*), min(s."id"::text)::uuid INTO n, example FROM "reschedules" r JOIN "sessions" s ON s."id" = r."session_id"
  WHERE s."status" <> 'rescheduled';
  IF n > 0 THEN problems := problems || format('%s reschedules rows belong to a session whose status is not ''rescheduled'' (e.g. session %s)', n, example); END IF;
  IF cardinality(problems) > 0 THEN
    RAISE EXCEPTION 'cannot add reschedule_status_rule: %', array_to_string(problems, '; ')
      USING ERRCODE = '23514',
        HINT = 'Give those sessions the status that matches (or add or delete their reschedules rows), then migrate again. Nothing was changed.';
  END IF;
END $$;
--> statement-breakpoint
-- The sessions that break the rule right now. The triggers below read it for the sessions a statement wrote, and the
-- check at commit for the sessions noted in the transaction; on its own it lists every offender.
CREATE VIEW "reschedule_rule_violations" AS
SELECT s."id" AS "session_id", s."status", r."id" AS "reschedule_id"
FROM "sessions" s LEFT JOIN "reschedules" r ON r."session_id" = s."id"
WHERE (s."status" = 'rescheduled') <> (r."id" IS NOT NULL);
--> statement-breakpoint
-- How the check runs once per transaction, not once per row (a COPY of a million sessions must not queue a million
-- deferred trigger calls; PostgreSQL has no statement-level constraint triggers):
-- * statement-level triggers on sessions and reschedules (transition tables, as the change capture) note, at the end
--   of each statement, the sessions it wrote that break the rule at that moment, in "reschedule_rule_pending", tagged
--   with the transaction. A session that agrees when a statement ends can only disagree later through another
--   statement that writes it, which notes it then; so at commit every offender is noted;
-- * the first note of a transaction adds one row to "reschedule_rule_checks", whose constraint trigger is DEFERRABLE
--   INITIALLY DEFERRED: at commit (or at SET CONSTRAINTS ... IMMEDIATE) it checks the noted sessions again, refuses
--   the commit if one still disagrees, and deletes its notes.
-- A transaction writes only rows tagged with its own id, and no unique index is shared: writers never wait on each
-- other. Rows of a rolled-back savepoint vanish with it, with the deferred trigger event they queued. Both tables are
-- empty outside a transaction that is writing, so they are UNLOGGED (nothing to recover after a crash).
CREATE UNLOGGED TABLE "reschedule_rule_pending" (
	"xact" xid8 NOT NULL,
	"session_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE INDEX "reschedule_rule_pending_xact_idx" ON "reschedule_rule_pending" USING btree ("xact");
--> statement-breakpoint
CREATE UNLOGGED TABLE "reschedule_rule_checks" (
	"xact" xid8 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "reschedule_rule_checks_xact_idx" ON "reschedule_rule_checks" USING btree ("xact");
--> statement-breakpoint
-- Called after a statement noted sessions: one marker row per transaction queues the check at commit. Only this
-- transaction ever writes its id, so the NOT EXISTS cannot race.
CREATE FUNCTION "tqs_reschedule_rule_defer"() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "reschedule_rule_checks" ("xact")
  SELECT pg_current_xact_id() WHERE NOT EXISTS (SELECT 1 FROM "reschedule_rule_checks" WHERE "xact" = pg_current_xact_id());
END;
$$;
--> statement-breakpoint
-- sessions: an insert can break the rule only with status 'rescheduled' (a reschedule written earlier in the
-- transaction, under a deferred foreign key, was noted when it was written); an update only where status (or id)
-- changed. A delete cannot: its reschedule goes with it (ON DELETE CASCADE), and so does a TRUNCATE (sessions cannot
-- be truncated without reschedules).
CREATE FUNCTION "tqs_reschedule_rule_sessions"() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- reschedules: a row inserted (or moved onto a session) disagrees unless its session is there with status
-- 'rescheduled'; a session missing yet is noted too, as its row may come later in the transaction when the foreign key
-- is deferred (SET CONSTRAINTS reschedules_session_fk DEFERRED). A row deleted (or moved away) leaves its session
-- disagreeing if the session stays 'rescheduled'. TRUNCATE leaves every 'rescheduled' session without its row (none
-- when sessions were truncated in the same statement).
CREATE FUNCTION "tqs_reschedule_rule_reschedules"() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- The noted sessions drive each look-up (a DISTINCT subquery, joined to the view), not "session_id IN (...)": that
-- form let the planner walk the whole sessions index to find a few noted ids (12,500 of 100k: 350 ms against 65 ms).
-- The check at commit, once per transaction that noted a session: the first session that still disagrees (and how
-- many do) refuses the commit, with SQLSTATE 23T01 and the constraint name reschedule_status_rule.
CREATE FUNCTION "tqs_reschedule_rule_check"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  DELETE FROM "reschedule_rule_checks" WHERE "xact" = NEW."xact";
  WITH "noted" AS (DELETE FROM "reschedule_rule_pending" WHERE "xact" = NEW."xact" RETURNING "session_id")
  SELECT v."session_id", v."status", v."reschedule_id", count(*) OVER () AS "disagreeing" INTO bad
  FROM (SELECT DISTINCT "session_id" FROM "noted") AS "n"
  JOIN "reschedule_rule_violations" v ON v."session_id" = "n"."session_id"
  ORDER BY v."session_id"
  LIMIT 1;
  IF NOT FOUND THEN RETURN NULL; END IF;
  IF bad."reschedule_id" IS NULL THEN
    RAISE EXCEPTION 'session % has status ''rescheduled'' but no reschedules row%', bad."session_id",
      CASE WHEN bad."disagreeing" > 1 THEN format(' (and %s more sessions disagree)', bad."disagreeing" - 1) ELSE '' END
      USING ERRCODE = '23T01', CONSTRAINT = 'reschedule_status_rule', TABLE = 'sessions', COLUMN = 'status',
        DETAIL = 'A session''s status is ''rescheduled'' exactly when it has a reschedules row; checked at commit.',
        HINT = 'Insert its reschedules row in the same transaction (before or after the session), or give the session another status.';
  ELSE
    RAISE EXCEPTION 'session % has a reschedules row (%) but its status is ''%'', not ''rescheduled''%', bad."session_id",
      bad."reschedule_id", bad."status",
      CASE WHEN bad."disagreeing" > 1 THEN format(' (and %s more sessions disagree)', bad."disagreeing" - 1) ELSE '' END
      USING ERRCODE = '23T01', CONSTRAINT = 'reschedule_status_rule', TABLE = 'reschedules', COLUMN = 'session_id',
        DETAIL = 'A session''s status is ''rescheduled'' exactly when it has a reschedules row; checked at commit.',
        HINT = 'Set the session''s status to ''rescheduled'' in the same transaction, or delete its reschedules row.';
  END IF;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "sessions_reschedule_rule_insert" AFTER INSERT ON "sessions" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_reschedule_rule_sessions"();
--> statement-breakpoint
CREATE TRIGGER "sessions_reschedule_rule_update" AFTER UPDATE ON "sessions" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_reschedule_rule_sessions"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_reschedule_rule_insert" AFTER INSERT ON "reschedules" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_reschedule_rule_reschedules"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_reschedule_rule_update" AFTER UPDATE ON "reschedules" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_reschedule_rule_reschedules"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_reschedule_rule_delete" AFTER DELETE ON "reschedules" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_reschedule_rule_reschedules"();
--> statement-breakpoint
CREATE TRIGGER "reschedules_reschedule_rule_truncate" AFTER TRUNCATE ON "reschedules" FOR EACH STATEMENT EXECUTE FUNCTION "tqs_reschedule_rule_reschedules"();
--> statement-breakpoint
-- Deferrable, still checked at each statement by default: a transaction that writes a reschedule before its new
-- session says SET CONSTRAINTS reschedules_session_fk DEFERRED first.
ALTER TABLE "reschedules" ALTER CONSTRAINT "reschedules_session_fk" DEFERRABLE INITIALLY IMMEDIATE;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "reschedule_status_rule" AFTER INSERT ON "reschedule_rule_checks" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "tqs_reschedule_rule_check"();
