-- Rows that break a rule this migration adds would make it fail half-way with a bare error: count them first and
-- refuse with every count, before anything changes (the migration's transaction rolls back; no row is touched).
DO $$
DECLARE
  problems text[] := '{}';
  n bigint;
BEGIN
  SELECT count(*) INTO n FROM (SELECT lower(email) FROM tutors WHERE email IS NOT NULL GROUP BY 1 HAVING count(*) > 1) AS same;
  IF n > 0 THEN problems := problems || format('%s email addresses are held by several tutors when case is ignored (tutors_email_unique)', n); END IF;
  SELECT count(*) INTO n FROM tutors WHERE created_at < '0001-01-01 00:00:00+00' OR created_at >= '10000-01-01 00:00:00+00' OR updated_at < '0001-01-01 00:00:00+00' OR updated_at >= '10000-01-01 00:00:00+00';
  IF n > 0 THEN problems := problems || format('%s tutors rows have a timestamp outside the years 1 to 9999 UTC (tutors_timestamps_in_range)', n); END IF;
  SELECT count(*) INTO n FROM sessions WHERE scheduled_time < '0001-01-01 00:00:00+00' OR scheduled_time >= '10000-01-01 00:00:00+00' OR completed_time < '0001-01-01 00:00:00+00' OR completed_time >= '10000-01-01 00:00:00+00' OR created_at < '0001-01-01 00:00:00+00' OR created_at >= '10000-01-01 00:00:00+00' OR updated_at < '0001-01-01 00:00:00+00' OR updated_at >= '10000-01-01 00:00:00+00';
  IF n > 0 THEN problems := problems || format('%s sessions rows have a timestamp outside the years 1 to 9999 UTC (sessions_timestamps_in_range)', n); END IF;
  SELECT count(*) INTO n FROM reschedules WHERE original_time < '0001-01-01 00:00:00+00' OR original_time >= '10000-01-01 00:00:00+00' OR new_time < '0001-01-01 00:00:00+00' OR new_time >= '10000-01-01 00:00:00+00' OR cancelled_at < '0001-01-01 00:00:00+00' OR cancelled_at >= '10000-01-01 00:00:00+00' OR created_at < '0001-01-01 00:00:00+00' OR created_at >= '10000-01-01 00:00:00+00';
  IF n > 0 THEN problems := problems || format('%s reschedules rows have a timestamp outside the years 1 to 9999 UTC (reschedules_timestamps_in_range)', n); END IF;
  SELECT count(*) INTO n FROM tutor_scores WHERE as_of < '0001-01-01 00:00:00+00' OR as_of >= '10000-01-01 00:00:00+00' OR last_calculated_at < '0001-01-01 00:00:00+00' OR last_calculated_at >= '10000-01-01 00:00:00+00' OR created_at < '0001-01-01 00:00:00+00' OR created_at >= '10000-01-01 00:00:00+00' OR updated_at < '0001-01-01 00:00:00+00' OR updated_at >= '10000-01-01 00:00:00+00';
  IF n > 0 THEN problems := problems || format('%s tutor_scores rows have a timestamp outside the years 1 to 9999 UTC (tutor_scores_timestamps_in_range)', n); END IF;
  SELECT count(*) INTO n FROM email_reports WHERE sent_at < '0001-01-01 00:00:00+00' OR sent_at >= '10000-01-01 00:00:00+00' OR created_at < '0001-01-01 00:00:00+00' OR created_at >= '10000-01-01 00:00:00+00';
  IF n > 0 THEN problems := problems || format('%s email_reports rows have a timestamp outside the years 1 to 9999 UTC (email_reports_timestamps_in_range)', n); END IF;
  IF cardinality(problems) > 0 THEN
    RAISE EXCEPTION 'cannot apply 0003_api_contract: %', array_to_string(problems, '; ')
      USING ERRCODE = '23514', HINT = 'Correct or delete those rows, then migrate again. Nothing was changed.';
  END IF;
END $$;--> statement-breakpoint
