-- Down migration for 0002_score_change_capture, written by hand: drizzle-kit generates no down migrations.
-- What it drops is derived (the queue of tutors to refresh, and when each score next changes by time alone): a full
-- refreshTutorScores after the rollback leaves every score exact.
DROP TRIGGER "reschedules_capture_truncate" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "reschedules_capture_delete" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "reschedules_capture_update" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "reschedules_capture_insert" ON "reschedules";
--> statement-breakpoint
DROP TRIGGER "sessions_capture_truncate" ON "sessions";
--> statement-breakpoint
DROP TRIGGER "sessions_capture_delete" ON "sessions";
--> statement-breakpoint
DROP TRIGGER "sessions_capture_update" ON "sessions";
--> statement-breakpoint
DROP TRIGGER "sessions_capture_insert" ON "sessions";
--> statement-breakpoint
DROP TRIGGER "tutors_capture_insert" ON "tutors";
--> statement-breakpoint
DROP FUNCTION "tqs_capture_truncate"();
--> statement-breakpoint
DROP FUNCTION "tqs_capture_new_tutors"();
--> statement-breakpoint
DROP FUNCTION "tqs_capture_reschedule_changes"();
--> statement-breakpoint
DROP FUNCTION "tqs_capture_session_changes"();
--> statement-breakpoint
DROP INDEX "tutor_scores_next_change_at_idx";
--> statement-breakpoint
-- tqs:derived: when each score next changes by time alone, recomputed by any refresh.
ALTER TABLE "tutor_scores" DROP COLUMN "next_change_at";
--> statement-breakpoint
-- tqs:derived: the queue of tutors to refresh; a full refresh makes it unnecessary.
DROP TABLE "tutor_score_changes";
