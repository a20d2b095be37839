-- Down migration for 0000_initial_schema, written by hand: drizzle-kit generates no down migrations.
-- Tables go in reverse dependency order, so no DROP needs CASCADE and nothing outside the package is dropped with them.
DROP TABLE "email_reports";
--> statement-breakpoint
DROP TABLE "reschedules";
--> statement-breakpoint
DROP TABLE "tutor_scores";
--> statement-breakpoint
DROP TABLE "sessions";
--> statement-breakpoint
DROP TABLE "tutors";
