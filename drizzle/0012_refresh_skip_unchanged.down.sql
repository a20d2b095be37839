-- Down migration for 0012_refresh_skip_unchanged, written by hand: drizzle-kit generates no down migrations.
ALTER FUNCTION "tqs_record_new_scores"() RESET jit;
--> statement-breakpoint
ALTER FUNCTION "tqs_record_score_changes"() RESET jit;
--> statement-breakpoint
DROP FUNCTION "tqs_score_counts"(timestamptz);
--> statement-breakpoint
DROP TABLE "tutor_score_refreshes";
