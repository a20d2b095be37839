-- Down migration for 0009_refresh_speed, written by hand: drizzle-kit generates no down migrations.
ALTER FUNCTION "tqs_record_score_changes"() RESET enable_nestloop;
--> statement-breakpoint
ALTER TABLE "tutor_scores" RESET (fillfactor);
--> statement-breakpoint
CREATE INDEX "tutor_scores_is_high_risk_idx" ON "tutor_scores" USING btree ("is_high_risk");
--> statement-breakpoint
CREATE INDEX "tutor_scores_risk_category_idx" ON "tutor_scores" USING btree ("risk_category");
--> statement-breakpoint
CREATE INDEX "tutor_scores_last_calculated_at_idx" ON "tutor_scores" USING btree ("last_calculated_at");
