-- Down migration for 0005_archive_history, written by hand: drizzle-kit generates no down migrations.
-- Archived history exists nowhere else: rollback() counts the rows of each table dropped here and refuses, naming
-- them, unless forced. To keep them, restore them first (restoreHistory, or tqs-data archive --restore).
DROP TABLE "tqs_archive"."email_reports";
--> statement-breakpoint
DROP TABLE "tqs_archive"."reschedules";
--> statement-breakpoint
DROP TABLE "tqs_archive"."sessions";
--> statement-breakpoint
DROP SCHEMA "tqs_archive";
