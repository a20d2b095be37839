import { getTableName } from 'drizzle-orm';
import { emailReports } from './email-reports';
import { emailReportsRelations, reschedulesRelations, sessionsRelations, tutorScoresRelations, tutorsRelations } from './relations';
import { reschedules } from './reschedules';
import { sessions } from './sessions';
import { tutorScores } from './tutor-scores';
import { tutors } from './tutors';

export { fleetCountKinds, fleetCounts, type FleetCountKind } from './fleet-counts';
export { emailReportStatuses, emailReports, type EmailReportStatus } from './email-reports';
export { emailReportStatusCounts } from './email-report-status-counts';
export {
  emailReportsRelations,
  reschedulesRelations,
  sessionsRelations,
  tutorScoresRelations,
  tutorsRelations,
} from './relations';
export { rescheduleInitiators, reschedules, type RescheduleInitiator } from './reschedules';
export { sessionStatuses, sessions, type SessionStatus } from './sessions';
export { DEFAULT_RISK_THRESHOLD, scoreWindows, tutorScores, type ScoreWindow } from './tutor-scores';
export { tutorScoreChanges } from './tutor-score-changes';
export { tutorRiskEvents } from './tutor-risk-events';
export { tutorScoreHistory } from './tutor-score-history';
export { tutorScoreRefreshes } from './tutor-score-refreshes';
export { tutors } from './tutors';

/**
 * Every table and relation, for `drizzle(client, { schema })` and relational queries.
 *
 * @example
 * const db = drizzle(client, { schema });
 * await db.query.tutors.findMany({ with: { sessions: { with: { reschedule: true } }, tutorScore: true } });
 */
export const schema = {
  tutors,
  sessions,
  reschedules,
  tutorScores,
  emailReports,
  tutorsRelations,
  sessionsRelations,
  reschedulesRelations,
  tutorScoresRelations,
  emailReportsRelations,
};

/** The five tables that hold the data, parents before children (the order they load in). */
const dataTables = { tutors, sessions, reschedules, emailReports, tutorScores } as const;

/**
 * The SQL name of each of the five data tables, by its TypeScript name, parents before children (the order they load
 * in). The one list of them: counts, loads and messages iterate it.
 *
 * @example
 * Object.values(dataTableNames); // ['tutors', 'sessions', 'reschedules', 'email_reports', 'tutor_scores']
 */
export const dataTableNames = Object.freeze(
  Object.fromEntries(Object.entries(dataTables).map(([key, table]) => [key, getTableName(table)])),
) as { readonly [K in keyof typeof dataTables]: (typeof dataTables)[K]['_']['name'] };

/** The type of {@link schema}. */
export type Schema = typeof schema;

export type {
  EmailReport,
  NewEmailReport,
  NewReschedule,
  NewSession,
  NewTutor,
  NewTutorScore,
  Reschedule,
  Session,
  Tutor,
  TutorScore,
  TutorScoreChange,
} from './rows';
