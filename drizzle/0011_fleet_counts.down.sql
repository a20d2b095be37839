-- Down migration for 0011_fleet_counts, written by hand: drizzle-kit generates no down migrations. The counts are
-- derived from the sessions and reschedules and rebuilt by the up migration: nothing is lost.
DROP TRIGGER "reschedules_count_truncate" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "reschedules_count_delete" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "reschedules_count_update" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "reschedules_count_insert" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "sessions_count_truncate" ON "sessions";
--> statement-breakpoint
DROP TRIGGER "sessions_count_delete" ON "sessions";
--> statement-breakpoint
DROP TRIGGER "sessions_count_update" ON "sessions";
--> statement-breakpoint
DROP TRIGGER "sessions_count_insert" ON "sessions";
--> statement-breakpoint
DROP FUNCTION "tqs_recount_fleet_counts"();
--> statement-breakpoint
DROP FUNCTION "tqs_count_reschedules"();
--> statement-breakpoint
DROP FUNCTION "tqs_count_sessions"();
--> statement-breakpoint
DROP FUNCTION "tqs_add_fleet_counts"("fleet_counts"[]);
--> statement-breakpoint
DROP FUNCTION "tqs_lead_time_group"(numeric);
--> statement-breakpoint
DROP FUNCTION "tqs_quarter_hour"(timestamptz);
--> statement-breakpoint
-- tqs:derived: counts of the sessions and reschedules, recounted by the up migration.
DROP TABLE "fleet_counts";
