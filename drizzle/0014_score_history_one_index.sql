-- Every refresh that changes scores writes one history row per changed score (0007_read_model); an index on
-- "calculated_at" alone was maintained for each of them and read only by pruneScoreHistory, an occasional call that
-- now makes one pass over the table. scoreHistory reads "tutor_score_history_tutor_id_calculated_at_idx".
DROP INDEX "tutor_score_history_calculated_at_idx";
