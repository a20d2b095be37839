-- Down migration for 0001_touch_updated_at, written by hand: drizzle-kit generates no down migrations.
DROP TRIGGER "tutor_scores_touch_updated_at" ON "tutor_scores";
--> statement-breakpoint
DROP TRIGGER "sessions_touch_updated_at" ON "sessions";
--> statement-breakpoint
DROP TRIGGER "tutors_touch_updated_at" ON "tutors";
--> statement-breakpoint
DROP FUNCTION "tqs_touch_updated_at"();
