/*
 * Zod schemas for the five tables (insert, select, update), built by drizzle-zod and refined so that Zod accepts a row
 * if and only if PostgreSQL does, CHECKs and type rules included; foreign keys and unique constraints, which one row
 * cannot show, are left to the database (docs/validation.md).
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
