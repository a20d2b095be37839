DROP INDEX "sessions_scheduled_time_idx";--> statement-breakpoint
CREATE INDEX "reschedules_tutor_window_idx" ON "reschedules" USING btree ("original_time","session_id","id") WHERE "reschedules"."initiator" = 'tutor';--> statement-breakpoint
CREATE INDEX "sessions_window_idx" ON "sessions" USING btree ("scheduled_time","tutor_id","id");