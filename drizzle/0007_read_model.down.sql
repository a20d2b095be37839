-- Down migration for 0007_read_model, written by hand: drizzle-kit generates no down migrations.
-- The score history and the risk events are records of the past that no refresh can recompute: a rollback that would
-- drop rows of them refuses unless forced.
DROP TRIGGER "tutors_forget_truncate" ON "tutors";
--> statement-breakpoint
DROP TRIGGER "tutors_forget_delete" ON "tutors";
--> statement-breakpoint
DROP FUNCTION "tqs_forget_deleted_tutors"();
--> statement-breakpoint
DROP TRIGGER "tutor_scores_record_update" ON "tutor_scores";
--> statement-breakpoint
DROP TRIGGER "tutor_scores_record_insert" ON "tutor_scores";
--> statement-breakpoint
DROP FUNCTION "tqs_record_score_changes"();
--> statement-breakpoint
DROP FUNCTION "tqs_record_new_scores"();
--> statement-breakpoint
DROP INDEX "reschedules_original_time_idx";
--> statement-breakpoint
DROP TABLE "tutor_risk_events";
--> statement-breakpoint
DROP TABLE "tutor_score_history";
