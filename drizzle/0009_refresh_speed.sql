DROP INDEX "tutor_scores_is_high_risk_idx";--> statement-breakpoint
DROP INDEX "tutor_scores_risk_category_idx";--> statement-breakpoint
DROP INDEX "tutor_scores_last_calculated_at_idx";--> statement-breakpoint
-- Written by hand below this line. The refresh rewrites every "tutor_scores" row, and "last_calculated_at" and
-- "as_of" change each time: with no index on them (dropped above; the flag and category indexes were read by no
-- query of the package, see BENCHMARKS.md) and half of each page left free, those updates are HOT, writing no index
-- entry. The fillfactor applies to pages written from now on (a table already full gains room as rows move).
ALTER TABLE "tutor_scores" SET (fillfactor = 50);
--> statement-breakpoint
-- The recording trigger joins the statement's old and new rows. PL/pgSQL plans that join once per session, with the
-- row counts of its first call: after a first call of one row (a due refresh of one tutor), a full refresh of 10,000
-- rows ran it as a nested loop over both transition tables, 7x the whole refresh at 2,000 tutors. Without nested
-- loops the plan is a hash or merge join whatever the first call's size.
ALTER FUNCTION "tqs_record_score_changes"() SET enable_nestloop = off;
