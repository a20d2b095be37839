CREATE TABLE "email_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"recipient_email" varchar(255) NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"status" varchar(50) NOT NULL,
	"error_message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_reports_status_valid" CHECK ("email_reports"."status" in ('sent', 'failed', 'pending')),
	CONSTRAINT "email_reports_recipient_email_format" CHECK ("email_reports"."recipient_email" ~ '^[^@ \t\r\n]+@[^@ \t\r\n]+$'),
	CONSTRAINT "email_reports_error_message_when_failed" CHECK (("email_reports"."status" = 'failed') = ("email_reports"."error_message" is not null))
);
--> statement-breakpoint
CREATE TABLE "reschedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"initiator" varchar(50) NOT NULL,
	"original_time" timestamp with time zone NOT NULL,
	"new_time" timestamp with time zone,
	"reason" text,
	"reason_code" varchar(100),
	"cancelled_at" timestamp with time zone NOT NULL,
	"hours_before_session" numeric(10, 2) GENERATED ALWAYS AS (round(extract(epoch from ("original_time" - "cancelled_at")) / 3600, 2)) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reschedules_session_id_unique" UNIQUE("session_id"),
	CONSTRAINT "reschedules_initiator_valid" CHECK ("reschedules"."initiator" in ('tutor', 'student')),
	CONSTRAINT "reschedules_new_time_after_original" CHECK ("reschedules"."new_time" > "reschedules"."original_time"),
	CONSTRAINT "reschedules_reason_code_format" CHECK ("reschedules"."reason_code" ~ '^[a-z][a-z0-9_]*$')
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tutor_id" uuid NOT NULL,
	"student_id" varchar(255) NOT NULL,
	"scheduled_time" timestamp with time zone NOT NULL,
	"completed_time" timestamp with time zone,
	"status" varchar(50) NOT NULL,
	"duration_minutes" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sessions_id_scheduled_time_unique" UNIQUE("id","scheduled_time"),
	CONSTRAINT "sessions_status_valid" CHECK ("sessions"."status" in ('completed', 'rescheduled', 'no_show')),
	CONSTRAINT "sessions_student_id_not_blank" CHECK ("sessions"."student_id" ~ '[^ \t\r\n]'),
	CONSTRAINT "sessions_completed_time_matches_status" CHECK (("sessions"."status" = 'completed') = ("sessions"."completed_time" is not null)),
	CONSTRAINT "sessions_completed_after_scheduled" CHECK ("sessions"."completed_time" >= "sessions"."scheduled_time"),
	CONSTRAINT "sessions_duration_positive" CHECK ("sessions"."duration_minutes" > 0),
	CONSTRAINT "sessions_duration_only_when_completed" CHECK ("sessions"."duration_minutes" is null or "sessions"."status" = 'completed')
);
--> statement-breakpoint
CREATE TABLE "tutor_scores" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tutor_id" uuid NOT NULL,
	"reschedule_rate_7d" numeric(5, 2) GENERATED ALWAYS AS (case when "total_sessions_7d" > 0 and "tutor_reschedules_7d" between 0 and "total_sessions_7d" then round(100.0 * "tutor_reschedules_7d" / "total_sessions_7d", 2) end) STORED,
	"reschedule_rate_30d" numeric(5, 2) GENERATED ALWAYS AS (case when "total_sessions_30d" > 0 and "tutor_reschedules_30d" between 0 and "total_sessions_30d" then round(100.0 * "tutor_reschedules_30d" / "total_sessions_30d", 2) end) STORED,
	"reschedule_rate_90d" numeric(5, 2) GENERATED ALWAYS AS (case when "total_sessions_90d" > 0 and "tutor_reschedules_90d" between 0 and "total_sessions_90d" then round(100.0 * "tutor_reschedules_90d" / "total_sessions_90d", 2) end) STORED,
	"total_sessions_7d" integer DEFAULT 0 NOT NULL,
	"total_sessions_30d" integer DEFAULT 0 NOT NULL,
	"total_sessions_90d" integer DEFAULT 0 NOT NULL,
	"tutor_reschedules_7d" integer DEFAULT 0 NOT NULL,
	"tutor_reschedules_30d" integer DEFAULT 0 NOT NULL,
	"tutor_reschedules_90d" integer DEFAULT 0 NOT NULL,
	"is_high_risk" boolean GENERATED ALWAYS AS (("total_sessions_7d" > 0 and round(100.0 * "tutor_reschedules_7d" / "total_sessions_7d", 2) > "risk_threshold") or ("total_sessions_30d" > 0 and round(100.0 * "tutor_reschedules_30d" / "total_sessions_30d", 2) > "risk_threshold") or ("total_sessions_90d" > 0 and round(100.0 * "tutor_reschedules_90d" / "total_sessions_90d", 2) > "risk_threshold")) STORED NOT NULL,
	"risk_threshold" numeric(5, 2) DEFAULT 15 NOT NULL,
	"as_of" timestamp with time zone DEFAULT now() NOT NULL,
	"last_calculated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tutor_scores_tutor_id_unique" UNIQUE("tutor_id"),
	CONSTRAINT "tutor_scores_risk_threshold_in_range" CHECK ("tutor_scores"."risk_threshold" >= 0 and "tutor_scores"."risk_threshold" <= 100),
	CONSTRAINT "tutor_scores_7d_counts_valid" CHECK ("tutor_scores"."tutor_reschedules_7d" >= 0 and "tutor_scores"."tutor_reschedules_7d" <= "tutor_scores"."total_sessions_7d"),
	CONSTRAINT "tutor_scores_30d_counts_valid" CHECK ("tutor_scores"."tutor_reschedules_30d" >= 0 and "tutor_scores"."tutor_reschedules_30d" <= "tutor_scores"."total_sessions_30d"),
	CONSTRAINT "tutor_scores_90d_counts_valid" CHECK ("tutor_scores"."tutor_reschedules_90d" >= 0 and "tutor_scores"."tutor_reschedules_90d" <= "tutor_scores"."total_sessions_90d"),
	CONSTRAINT "tutor_scores_windows_nested" CHECK ("tutor_scores"."total_sessions_7d" <= "tutor_scores"."total_sessions_30d" and "tutor_scores"."total_sessions_30d" <= "tutor_scores"."total_sessions_90d" and "tutor_scores"."tutor_reschedules_7d" <= "tutor_scores"."tutor_reschedules_30d" and "tutor_scores"."tutor_reschedules_30d" <= "tutor_scores"."tutor_reschedules_90d")
);
--> statement-breakpoint
CREATE TABLE "tutors" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"email" varchar(255),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "tutors_email_unique" UNIQUE("email"),
	CONSTRAINT "tutors_name_not_blank" CHECK ("tutors"."name" ~ '[^ \t\r\n]'),
	CONSTRAINT "tutors_email_format" CHECK ("tutors"."email" ~ '^[^@ \t\r\n]+@[^@ \t\r\n]+$')
);
--> statement-breakpoint
ALTER TABLE "email_reports" ADD CONSTRAINT "email_reports_session_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reschedules" ADD CONSTRAINT "reschedules_session_fk" FOREIGN KEY ("session_id","original_time") REFERENCES "public"."sessions"("id","scheduled_time") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_tutor_id_fk" FOREIGN KEY ("tutor_id") REFERENCES "public"."tutors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tutor_scores" ADD CONSTRAINT "tutor_scores_tutor_id_fk" FOREIGN KEY ("tutor_id") REFERENCES "public"."tutors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "email_reports_session_id_idx" ON "email_reports" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "email_reports_sent_at_idx" ON "email_reports" USING btree ("sent_at");--> statement-breakpoint
CREATE INDEX "email_reports_status_idx" ON "email_reports" USING btree ("status");--> statement-breakpoint
CREATE INDEX "reschedules_initiator_idx" ON "reschedules" USING btree ("initiator");--> statement-breakpoint
CREATE INDEX "reschedules_cancelled_at_idx" ON "reschedules" USING btree ("cancelled_at");--> statement-breakpoint
CREATE INDEX "reschedules_reason_code_idx" ON "reschedules" USING btree ("reason_code");--> statement-breakpoint
CREATE INDEX "sessions_tutor_id_scheduled_time_idx" ON "sessions" USING btree ("tutor_id","scheduled_time");--> statement-breakpoint
CREATE INDEX "sessions_scheduled_time_idx" ON "sessions" USING btree ("scheduled_time");--> statement-breakpoint
CREATE INDEX "sessions_status_idx" ON "sessions" USING btree ("status");--> statement-breakpoint
CREATE INDEX "tutor_scores_is_high_risk_idx" ON "tutor_scores" USING btree ("is_high_risk");--> statement-breakpoint
CREATE INDEX "tutor_scores_last_calculated_at_idx" ON "tutor_scores" USING btree ("last_calculated_at");--> statement-breakpoint
CREATE INDEX "tutors_created_at_idx" ON "tutors" USING btree ("created_at");