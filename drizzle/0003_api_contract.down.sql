-- Down migration for 0003_api_contract, written by hand: drizzle-kit generates no down migrations.
ALTER TABLE "tutors" DROP CONSTRAINT "tutors_timestamps_in_range";
--> statement-breakpoint
ALTER TABLE "tutor_scores" DROP CONSTRAINT "tutor_scores_timestamps_in_range";
--> statement-breakpoint
ALTER TABLE "sessions" DROP CONSTRAINT "sessions_timestamps_in_range";
--> statement-breakpoint
ALTER TABLE "reschedules" DROP CONSTRAINT "reschedules_timestamps_in_range";
--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_timestamps_in_range";
--> statement-breakpoint
ALTER TABLE "email_reports" DROP CONSTRAINT "email_reports_claim_only_when_pending";
--> statement-breakpoint
DROP INDEX "tutors_email_unique";
--> statement-breakpoint
ALTER TABLE "tutors" ADD CONSTRAINT "tutors_email_unique" UNIQUE("email");
--> statement-breakpoint
DROP INDEX "tutor_scores_risk_category_idx";
--> statement-breakpoint
DROP INDEX "email_reports_pending_idx";
--> statement-breakpoint
ALTER TABLE "tutor_scores" DROP COLUMN "risk_category";
--> statement-breakpoint
ALTER TABLE "email_reports" DROP COLUMN "claimed_until";
