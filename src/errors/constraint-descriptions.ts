/**
 * What each named constraint of the schema requires, in words. Error messages quote it, and the test suite checks
 * that every constraint in the database has an entry here.
 */
export const constraintDescriptions: Readonly<Record<string, string>> = {
  tutors_pkey: 'tutors.id must be unique',
  tutors_email_unique: 'tutors.email must be unique regardless of case (an index on lower(email))',
  tutors_timestamps_in_range: 'tutors timestamps must be within the years 1 to 9999 (UTC)',
  tutors_name_not_blank: 'tutors.name must contain a character other than space, tab, CR or LF',
  tutors_email_format: 'tutors.email must be one "@" between a non-empty local part and domain, with no whitespace',
  sessions_pkey: 'sessions.id must be unique',
  sessions_tutor_id_fk: 'sessions.tutor_id must reference an existing tutor (and a tutor with sessions cannot be deleted)',
  sessions_id_scheduled_time_unique: 'sessions (id, scheduled_time) must be unique',
  sessions_status_valid: "sessions.status must be one of 'scheduled', 'completed', 'rescheduled', 'no_show'",
  sessions_status_transition:
    "a session with an outcome ('completed', 'rescheduled', 'no_show') never goes back to 'scheduled' (SQLSTATE 23T02, a rule across the row before and after an update)",
  sessions_student_id_not_blank: 'sessions.student_id must contain a character other than space, tab, CR or LF',
  sessions_completed_time_matches_status:
    "sessions.completed_time must be set when status is 'completed', and null otherwise",
  sessions_completed_after_scheduled: 'sessions.completed_time must not be before scheduled_time',
  sessions_duration_positive: 'sessions.duration_minutes must be greater than 0',
  sessions_duration_only_when_completed: "sessions.duration_minutes must be null unless status is 'completed'",
  sessions_timestamps_in_range: 'sessions timestamps must be within the years 1 to 9999 (UTC)',
  reschedules_pkey: 'reschedules.id must be unique',
  reschedules_session_id_unique: 'a session has at most one reschedule (reschedules.session_id must be unique)',
  reschedules_session_fk:
    "reschedules (session_id, original_time) must match an existing session's (id, scheduled_time), and a session with a reschedule cannot be moved",
  reschedules_initiator_valid: "reschedules.initiator must be 'tutor' or 'student'",
  reschedules_new_time_after_original: 'reschedules.new_time must be after original_time (or null for a cancellation)',
  reschedules_reason_code_format: 'reschedules.reason_code must be lowercase snake_case (^[a-z][a-z0-9_]*$)',
  reschedules_timestamps_in_range: 'reschedules timestamps must be within the years 1 to 9999 (UTC)',
  reschedule_status_rule:
    "a session has a reschedules row exactly when its status is 'rescheduled' (SQLSTATE 23T01, checked at commit: write the session and its reschedule in one transaction, in either order)",
  tutor_scores_pkey: 'tutor_scores.id must be unique',
  tutor_scores_tutor_id_unique: 'a tutor has one score row (tutor_scores.tutor_id must be unique)',
  tutor_scores_tutor_id_fk: 'tutor_scores.tutor_id must reference an existing tutor',
  tutor_scores_risk_threshold_in_range: 'tutor_scores.risk_threshold must be between 0 and 100',
  tutor_scores_7d_counts_valid: 'tutor_scores.tutor_reschedules_7d must be between 0 and total_sessions_7d',
  tutor_scores_30d_counts_valid: 'tutor_scores.tutor_reschedules_30d must be between 0 and total_sessions_30d',
  tutor_scores_90d_counts_valid: 'tutor_scores.tutor_reschedules_90d must be between 0 and total_sessions_90d',
  tutor_scores_timestamps_in_range: 'tutor_scores timestamps must be within the years 1 to 9999 (UTC)',
  tutor_scores_windows_nested:
    'tutor_scores counts must not shrink as the window grows (7d <= 30d <= 90d, for sessions and for reschedules)',
  email_reports_pkey: 'email_reports.id must be unique',
  email_reports_session_id_fk:
    'email_reports.session_id must reference an existing session (and a session with reports cannot be deleted)',
  email_reports_status_valid: "email_reports.status must be one of 'sent', 'failed', 'pending', 'dead'",
  email_reports_recipient_email_format:
    'email_reports.recipient_email must be one "@" between a non-empty local part and domain, with no whitespace',
  email_reports_error_message_when_failed:
    "email_reports.error_message must be set when status is 'failed' or 'dead', and null when it is 'sent'",
  email_reports_attempts_valid: 'email_reports.attempts must be 0 or more',
  email_reports_available_only_when_pending: "email_reports.available_at must be null unless status is 'pending'",
  email_reports_claim_only_when_pending: "email_reports.claimed_until must be null unless status is 'pending'",
  email_reports_timestamps_in_range: 'email_reports timestamps must be within the years 1 to 9999 (UTC)',
};
