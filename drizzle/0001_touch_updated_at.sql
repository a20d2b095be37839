-- Custom SQL migration (drizzle-kit generate --custom): keep `updated_at` true on every UPDATE, whoever writes it.
-- An UPDATE that sets `updated_at` itself keeps its value; any other UPDATE stamps the transaction's time.
CREATE FUNCTION "tqs_touch_updated_at"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."updated_at" IS NOT DISTINCT FROM OLD."updated_at" THEN
    NEW."updated_at" := now();
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "tutors_touch_updated_at" BEFORE UPDATE ON "tutors" FOR EACH ROW EXECUTE FUNCTION "tqs_touch_updated_at"();
--> statement-breakpoint
CREATE TRIGGER "sessions_touch_updated_at" BEFORE UPDATE ON "sessions" FOR EACH ROW EXECUTE FUNCTION "tqs_touch_updated_at"();
--> statement-breakpoint
CREATE TRIGGER "tutor_scores_touch_updated_at" BEFORE UPDATE ON "tutor_scores" FOR EACH ROW EXECUTE FUNCTION "tqs_touch_updated_at"();
