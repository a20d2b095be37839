/*
 * Zod schemas for the five tables: an insert, a select and an update schema each, built by drizzle-zod from the
 * tables and refined so that Zod accepts a row if and only if PostgreSQL does.
 *
 * - Every CHECK constraint is mirrored, and its issue names the field at fault and the constraint.
 * - PostgreSQL's type rules are mirrored too: varchar lengths in code points (with the trailing spaces PostgreSQL
 *   drops), no NUL in text, the uuid spellings PostgreSQL's input accepts, int4 bounds, timestamps in years 1–9999,
 *   numeric rounding and overflow. A parsed value is the value PostgreSQL stores (canonical uuid, clipped varchar,
 *   rounded numeric).
 * - Deliberately stricter than PostgreSQL in one place: a string with a lone surrogate is refused, because it would
 *   reach the database as U+FFFD, silently changed.
 * - Not checked, because one row cannot show them: foreign keys (including reschedules (session_id, original_time)
 *   → sessions (id, scheduled_time)) and unique constraints. The database reports those as ConstraintViolationError.
 */
export {
  emailReportCreateRequestSchema,
  emailReportInsertSchema,
  emailReportResponseSchema,
  emailReportSelectSchema,
  emailReportUpdateRequestSchema,
  emailReportUpdateSchema,
} from './email-reports';
export { parseRow } from './parse-row';
export { isoTimestamptz, type Jsonified, jsonifyRow, parseIsoInstant } from './wire';
export {
  rescheduleCreateRequestSchema,
  rescheduleInsertSchema,
  rescheduleResponseSchema,
  rescheduleSelectSchema,
  rescheduleUpdateRequestSchema,
  rescheduleUpdateSchema,
} from './reschedules';
export {
  sessionCreateRequestSchema,
  sessionInsertSchema,
  sessionResponseSchema,
  sessionSelectSchema,
  sessionUpdateRequestSchema,
  sessionUpdateSchema,
} from './sessions';
export {
  tutorScoreCreateRequestSchema,
  tutorScoreInsertSchema,
  tutorScoreResponseSchema,
  tutorScoreSelectSchema,
  tutorScoreUpdateRequestSchema,
  tutorScoreUpdateSchema,
} from './tutor-scores';
export {
  tutorCreateRequestSchema,
  tutorInsertSchema,
  tutorResponseSchema,
  tutorSelectSchema,
  tutorUpdateRequestSchema,
  tutorUpdateSchema,
} from './tutors';
