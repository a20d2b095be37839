import { relations } from 'drizzle-orm';
import { emailReports } from './email-reports';
import { reschedules } from './reschedules';
import { sessions } from './sessions';
import { tutorScores } from './tutor-scores';
import { tutors } from './tutors';

/** `tutor.sessions` (one-to-many) and `tutor.tutorScore` (one-to-one, null until the tutor is scored). */
export const tutorsRelations = relations(tutors, ({ many, one }) => ({
  sessions: many(sessions),
  tutorScore: one(tutorScores),
}));

/** `session.tutor`, `session.reschedule` (null unless rescheduled) and `session.emailReports` (the audit log). */
export const sessionsRelations = relations(sessions, ({ many, one }) => ({
  tutor: one(tutors, { fields: [sessions.tutorId], references: [tutors.id] }),
  reschedule: one(reschedules),
  emailReports: many(emailReports),
}));

/** `reschedule.session`. */
export const reschedulesRelations = relations(reschedules, ({ one }) => ({
  session: one(sessions, { fields: [reschedules.sessionId], references: [sessions.id] }),
}));

/** `tutorScore.tutor`. */
export const tutorScoresRelations = relations(tutorScores, ({ one }) => ({
  tutor: one(tutors, { fields: [tutorScores.tutorId], references: [tutors.id] }),
}));

/** `emailReport.session`. */
export const emailReportsRelations = relations(emailReports, ({ one }) => ({
  session: one(sessions, { fields: [emailReports.sessionId], references: [sessions.id] }),
}));
