-- Down migration for 0004_score_window_indexes, written by hand: drizzle-kit generates no down migrations.
DROP INDEX "sessions_window_idx";--> statement-breakpoint
DROP INDEX "reschedules_tutor_window_idx";--> statement-breakpoint
CREATE INDEX "sessions_scheduled_time_idx" ON "sessions" USING btree ("scheduled_time");
