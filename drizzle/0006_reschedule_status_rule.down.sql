-- Down migration for 0006_reschedule_status_rule, written by hand: drizzle-kit generates no down migrations.
-- What it drops holds no data outside a writing transaction: the notes of the check at commit, and a view.
DROP TRIGGER "reschedule_status_rule" ON "reschedule_rule_checks";
--> statement-breakpoint
ALTER TABLE "reschedules" ALTER CONSTRAINT "reschedules_session_fk" NOT DEFERRABLE;
--> statement-breakpoint
DROP TRIGGER "reschedules_reschedule_rule_truncate" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "reschedules_reschedule_rule_delete" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "reschedules_reschedule_rule_update" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "reschedules_reschedule_rule_insert" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "sessions_reschedule_rule_update" ON "sessions";
--> statement-breakpoint
DROP TRIGGER "sessions_reschedule_rule_insert" ON "sessions";
--> statement-breakpoint
DROP FUNCTION "tqs_reschedule_rule_check"();
--> statement-breakpoint
DROP FUNCTION "tqs_reschedule_rule_reschedules"();
--> statement-breakpoint
DROP FUNCTION "tqs_reschedule_rule_sessions"();
--> statement-breakpoint
DROP FUNCTION "tqs_reschedule_rule_defer"();
--> statement-breakpoint
-- tqs:derived: one marker row per transaction that is writing, deleted by the check at its commit.
DROP TABLE "reschedule_rule_checks";
--> statement-breakpoint
-- tqs:derived: the sessions a writing transaction noted for the check at its commit, deleted by it.
DROP TABLE "reschedule_rule_pending";
--> statement-breakpoint
DROP VIEW "reschedule_rule_violations";
