CREATE INDEX "tutor_score_history_calculated_at_idx" ON "tutor_score_history" USING btree ("calculated_at");
