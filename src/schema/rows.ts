import type { EmailReportStatus, emailReports } from './email-reports';
import type { RescheduleInitiator, reschedules } from './reschedules';
import type { SessionStatus, sessions } from './sessions';
import type { tutorScoreChanges } from './tutor-score-changes';
import type { tutorScores } from './tutor-scores';
import type { tutors } from './tutors';

/*
 * The row types of the tables, documented field by field (meaning, unit, rule). Drizzle's inferred row types
 * (`typeof tutors.$inferSelect`) carry no documentation on their fields, so each row type is an interface with the
 * documented columns, checked below to be exactly Drizzle's inferred type: a column added to a table and not
 * documented here still appears (from Drizzle's type), and the docs test names it.
 */

/** True when `A` and `B` are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only when `T` is `true`. */
type Assert<T extends true> = T;

/** The keys an insert must give (no default, not nullable). */
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];

/**
 * The insert type of a table from its documented row type: the columns an insert must give as they are, the others
 * optional, the generated ones left out; the same type as Drizzle's `$inferInsert`, with the fields' documentation.
 */
type InsertOf<TRow, TInsert> = Flat<
  Pick<TRow, RequiredKeys<TInsert> & keyof TRow> & Partial<Pick<TRow, Exclude<keyof TInsert, RequiredKeys<TInsert>> & keyof TRow>>
>;

/** `T` as one object type (an intersection flattened), each field keeping its documentation. */
type Flat<T> = { [K in keyof T]: T[K] };

/** The documented columns of `tutors`. */
interface TutorColumns {
  /** The tutor's id: a UUID, the platform's own or drawn by the database on insert. Primary key. */
  id: string;
  /** The tutor's name as shown on reports: 1–255 characters with at least one that is not whitespace. */
  name: string;
  /**
   * The tutor's email address, up to 255 characters: one `@` between a non-empty local part and domain, no
   * whitespace. Unique regardless of case (`Ada@Example.org` and `ada@example.org` are one address); null when unknown.
   */
  email: string | null;
  /** When the row was inserted (UTC), set by the database; years 1–9999. */
  createdAt: Date;
  /** When the row was last changed (UTC), moved forward by the database on every update. */
  updatedAt: Date;
  /** Whether the tutor still teaches; inactive tutors keep their history and score. Default true. */
  isActive: boolean;
}

/** A row of `tutors`: a tutor's profile. */
export interface Tutor extends Omit<typeof tutors.$inferSelect, keyof TutorColumns>, TutorColumns {}

/** The columns of a `tutors` insert: `name` required, the rest optional (defaults: a new id, now, active). */
export type NewTutor = InsertOf<Tutor, typeof tutors.$inferInsert>;

/** The documented columns of `sessions`. */
interface SessionColumns {
  /** The session's id: a UUID, the platform's own or drawn by the database on insert. Primary key. */
  id: string;
  /** The tutor who teaches it (`tutors.id`); a tutor with sessions cannot be deleted. */
  tutorId: string;
  /** The student's id on the platform: 1–255 characters, not only whitespace. */
  studentId: string;
  /** When the session starts (UTC). The score windows place a session by this time. */
  scheduledTime: Date;
  /** When the session ended (UTC): set exactly when `status` is `completed`, and not before `scheduledTime`. */
  completedTime: Date | null;
  /**
   * `scheduled` (booked, no outcome yet), `completed`, `rescheduled` (has exactly one reschedule, checked at commit)
   * or `no_show`. A session with an outcome never goes back to `scheduled`.
   */
  status: SessionStatus;
  /** How long the session lasted, in whole minutes (above 0); only when `status` is `completed`, else null. */
  durationMinutes: number | null;
  /** When the row was inserted (UTC), set by the database. */
  createdAt: Date;
  /** When the row was last changed (UTC), moved forward by the database on every update. */
  updatedAt: Date;
}

/** A row of `sessions`: a booked session between a tutor and a student. */
export interface Session extends Omit<typeof sessions.$inferSelect, keyof SessionColumns>, SessionColumns {}

/** The columns of a `sessions` insert: `tutorId`, `studentId`, `scheduledTime` and `status` required. */
export type NewSession = InsertOf<Session, typeof sessions.$inferInsert>;

/** The documented columns of `reschedules`. */
interface RescheduleColumns {
  /** The reschedule's id: a UUID drawn by the database. Primary key. */
  id: string;
  /** The session moved or cancelled (`sessions.id`); a session has at most one reschedule. */
  sessionId: string;
  /** Who asked for it: `tutor` or `student`. Only the tutor's count in the score. */
  initiator: RescheduleInitiator;
  /** The time the session was booked for (UTC): always its session's `scheduledTime` (enforced by a foreign key). */
  originalTime: Date;
  /** The new time (UTC), after `originalTime`; null when the session was cancelled rather than moved. */
  newTime: Date | null;
  /** Why, in free text (no NUL character); null when not given. */
  reason: string | null;
  /** Why, as a code: lowercase snake_case (`^[a-z][a-z0-9_]*$`), up to 100 characters; null when not given. */
  reasonCode: string | null;
  /** When the reschedule was asked for (UTC). */
  cancelledAt: Date;
  /**
   * Hours between `cancelledAt` and `originalTime`, rounded to 2 decimals (negative when asked for after the start):
   * generated by the database, never written.
   */
  hoursBeforeSession: number | null;
  /** When the row was inserted (UTC), set by the database. */
  createdAt: Date;
}

/** A row of `reschedules`: one reschedule (or cancellation) of one session. */
export interface Reschedule extends Omit<typeof reschedules.$inferSelect, keyof RescheduleColumns>, RescheduleColumns {}

/** The columns of a `reschedules` insert (`hoursBeforeSession` is generated, so not among them). */
export type NewReschedule = InsertOf<Reschedule, typeof reschedules.$inferInsert>;

/** The documented columns of `tutor_scores`. */
interface TutorScoreColumns {
  /** The score row's id: a UUID drawn by the database. Primary key. */
  id: string;
  /** The tutor scored (`tutors.id`): one row per tutor. */
  tutorId: string;
  /** Percent of the 7-day window's sessions rescheduled by the tutor, 0–100 with 2 decimals; null with no session. Generated. */
  rescheduleRate7d: number | null;
  /** Percent of the 30-day window's sessions rescheduled by the tutor, 0–100 with 2 decimals; null with no session. Generated. */
  rescheduleRate30d: number | null;
  /** Percent of the 90-day window's sessions rescheduled by the tutor, 0–100 with 2 decimals; null with no session. Generated. */
  rescheduleRate90d: number | null;
  /** Sessions with an outcome scheduled in `(asOf − 7 days, asOf]`; at most `totalSessions30d`. */
  totalSessions7d: number;
  /** Sessions with an outcome scheduled in `(asOf − 30 days, asOf]`; at most `totalSessions90d`. */
  totalSessions30d: number;
  /** Sessions with an outcome scheduled in `(asOf − 90 days, asOf]`. */
  totalSessions90d: number;
  /** Tutor-initiated reschedules among `totalSessions7d`: 0 to `totalSessions7d`, at most `tutorReschedules30d`. */
  tutorReschedules7d: number;
  /** Tutor-initiated reschedules among `totalSessions30d`: 0 to `totalSessions30d`, at most `tutorReschedules90d`. */
  tutorReschedules30d: number;
  /** Tutor-initiated reschedules among `totalSessions90d`: 0 to `totalSessions90d`. */
  tutorReschedules90d: number;
  /** Whether a window with sessions has a rate above `riskThreshold`. Generated. */
  isHighRisk: boolean;
  /** `low` (highest rate up to 10 %), `medium` (up to 20 %) or `high` (above); null with no session. Generated. */
  riskCategory: 'low' | 'medium' | 'high' | null;
  /** The percent a rate must exceed to flag the tutor: 0–100, 2 decimals. Default 15. */
  riskThreshold: number;
  /**
   * The end of the three windows (UTC, included) of the refresh that last wrote these values; they hold for every
   * instant in `[asOf, nextChangeAt)` until the tutor's data changes. A refresh of every tutor that finds the same
   * values leaves the row as it is (docs/scoring.md, "What a refresh writes").
   */
  asOf: Date;
  /**
   * When the score's values were last written (UTC, the database clock of that refresh). A refresh of every tutor
   * also verifies the rows it leaves as they are: its time is in `tutor_score_refreshes` (`operationsStatus().lastRefreshAt`).
   */
  lastCalculatedAt: Date;
  /**
   * The next instant after `asOf` at which the counts change by time alone (a session entering or leaving a window);
   * null when none. The score stays exact for any instant in `[asOf, nextChangeAt)` until the tutor's data changes.
   */
  nextChangeAt: Date | null;
  /** When the row was inserted (UTC), set by the database. */
  createdAt: Date;
  /** When the row was last changed (UTC), moved forward by the database on every update. */
  updatedAt: Date;
}

/** A row of `tutor_scores`: a tutor's latest score. */
export interface TutorScore extends Omit<typeof tutorScores.$inferSelect, keyof TutorScoreColumns>, TutorScoreColumns {}

/** The columns of a `tutor_scores` insert (the rates, `isHighRisk` and `riskCategory` are generated). */
export type NewTutorScore = InsertOf<TutorScore, typeof tutorScores.$inferInsert>;

/** The documented columns of `tutor_score_changes`. */
interface TutorScoreChangeColumns {
  /** The change's id: a number the database draws in increasing order. Primary key. */
  id: number;
  /** The tutor whose score may have changed (no foreign key: the queue never blocks a writer). */
  tutorId: string;
  /** When the writing transaction began (UTC): how long the change has waited. */
  createdAt: Date;
}

/** A row of `tutor_score_changes`: a tutor whose score may have changed, appended by the database's triggers. */
export interface TutorScoreChange
  extends Omit<typeof tutorScoreChanges.$inferSelect, keyof TutorScoreChangeColumns>,
    TutorScoreChangeColumns {}

/** The documented columns of `email_reports`. */
interface EmailReportColumns {
  /** The report's id: a UUID drawn by the database. Primary key. */
  id: string;
  /** The session reported on (`sessions.id`); a session with reports cannot be deleted. */
  sessionId: string;
  /** Where the report goes: up to 255 characters, one `@` between a non-empty local part and domain, no whitespace. */
  recipientEmail: string;
  /** When the report was sent, failed or queued (UTC). */
  sentAt: Date;
  /**
   * `pending` (queued, held by a worker, or waiting for a retry), `sent`, `failed` (marked failed outside the claim
   * queue) or `dead` (the claim queue gave up after its last attempt).
   */
  status: EmailReportStatus;
  /**
   * Why sending failed: required when `status` is `failed` or `dead`, null when `sent`; a `pending` report may keep its
   * last failed attempt's message.
   */
  errorMessage: string | null;
  /** Until when a worker holds this pending report (UTC); null when unclaimed, and only while `pending`. */
  claimedUntil: Date | null;
  /** When the row was inserted (UTC), set by the database. */
  createdAt: Date;
  /** How many times the claim queue has claimed this report (each claim is one attempt); 0 or more, default 0. */
  attempts: number;
  /**
   * The fencing token (a UUID) of the latest claim: `markSent` and `markFailed` close a claimed report only with it.
   * Null until the report is first claimed.
   */
  claimToken: string | null;
  /** A pending report is not claimed before this instant (UTC), set by a failed attempt's retry delay; only while `pending`. */
  availableAt: Date | null;
}

/** A row of `email_reports`: one email report about a session (the audit log). */
export interface EmailReport extends Omit<typeof emailReports.$inferSelect, keyof EmailReportColumns>, EmailReportColumns {}

/** The columns of an `email_reports` insert. */
export type NewEmailReport = InsertOf<EmailReport, typeof emailReports.$inferInsert>;

/** Every documented row type is exactly Drizzle's: a type or a column documented wrongly does not compile. */
export type RowTypesMatchTables = [
  Assert<Same<Tutor, typeof tutors.$inferSelect>>,
  Assert<Same<NewTutor, typeof tutors.$inferInsert>>,
  Assert<Same<Session, typeof sessions.$inferSelect>>,
  Assert<Same<NewSession, typeof sessions.$inferInsert>>,
  Assert<Same<Reschedule, typeof reschedules.$inferSelect>>,
  Assert<Same<NewReschedule, typeof reschedules.$inferInsert>>,
  Assert<Same<TutorScore, typeof tutorScores.$inferSelect>>,
  Assert<Same<NewTutorScore, typeof tutorScores.$inferInsert>>,
  Assert<Same<TutorScoreChange, typeof tutorScoreChanges.$inferSelect>>,
  Assert<Same<EmailReport, typeof emailReports.$inferSelect>>,
  Assert<Same<NewEmailReport, typeof emailReports.$inferInsert>>,
];
