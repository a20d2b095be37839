/*
 * Zod schemas for the five tables (insert, select, update), built by drizzle-zod and refined so that Zod accepts a row
 * if and only if PostgreSQL does, CHECKs and type rules included; foreign keys and unique constraints, which one row
 * cannot show, are left to the database (docs/validation.md).
 */
export {
  type EmailReportCreateRequest,
  emailReportCreateRequestObject,
  emailReportCreateRequestSchema,
  emailReportInsertSchema,
  type EmailReportResponse,
  emailReportResponseObject,
  emailReportResponseSchema,
  emailReportSelectSchema,
  type EmailReportUpdateRequest,
  emailReportUpdateRequestObject,
  emailReportUpdateRequestSchema,
  withEmailReportRules,
  emailReportUpdateSchema,
} from './email-reports';
export { parseRow } from './parse-row';
export { isoTimestamptz, type Jsonified, jsonifyRow, parseIsoInstant } from './wire';
export {
  type RescheduleCreateRequest,
  rescheduleCreateRequestObject,
  rescheduleCreateRequestSchema,
  rescheduleInsertSchema,
  type RescheduleResponse,
  rescheduleResponseObject,
  rescheduleResponseSchema,
  rescheduleSelectSchema,
  type RescheduleUpdateRequest,
  rescheduleUpdateRequestObject,
  rescheduleUpdateRequestSchema,
  withRescheduleRules,
  rescheduleUpdateSchema,
} from './reschedules';
export {
  type SessionCreateRequest,
  sessionCreateRequestObject,
  sessionCreateRequestSchema,
  sessionInsertSchema,
  type SessionResponse,
  sessionResponseObject,
  sessionResponseSchema,
  sessionSelectSchema,
  type SessionUpdateRequest,
  sessionUpdateRequestObject,
  sessionUpdateRequestSchema,
  withSessionRules,
  sessionUpdateSchema,
} from './sessions';
export {
  type TutorScoreCreateRequest,
  tutorScoreCreateRequestObject,
  tutorScoreCreateRequestSchema,
  tutorScoreInsertSchema,
  type TutorScoreResponse,
  tutorScoreResponseObject,
  tutorScoreResponseSchema,
  tutorScoreSelectSchema,
  type TutorScoreUpdateRequest,
  tutorScoreUpdateRequestObject,
  tutorScoreUpdateRequestSchema,
  withTutorScoreRules,
  tutorScoreUpdateSchema,
} from './tutor-scores';
export {
  type TutorCreateRequest,
  tutorCreateRequestObject,
  tutorCreateRequestSchema,
  tutorInsertSchema,
  type TutorResponse,
  tutorResponseObject,
  tutorResponseSchema,
  tutorSelectSchema,
  type TutorUpdateRequest,
  tutorUpdateRequestObject,
  tutorUpdateRequestSchema,
  withTutorRules,
  tutorUpdateSchema,
} from './tutors';
