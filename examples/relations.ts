/**
 * Relational queries: tutors with their sessions, reschedules and scores, in one query each.
 *
 *   npx tsx examples/relations.ts
 *
 * Runs on an in-memory PGlite filled with a small generated dataset, so it needs nothing installed.
 */
import { createDatabase, generateDataset, insertDataset, migrate, sessions } from '@tqs/data';
import { desc, eq } from 'drizzle-orm';

// `await using` closes the database when the block ends, even on an error (a PGlite left open keeps Node running).
await using db = await createDatabase();
await migrate(db);

// A fixed `now` makes the dataset (ids included) the same on every run. insertDataset also refreshes tutor_scores.
const now = new Date('2026-01-15T12:00:00Z');
await insertDataset(db, generateDataset({ tutors: 12, sessions: 400, seed: 7, now }));

// Tutors with their score and their latest sessions, each with its reschedule (null when it was not rescheduled).
// `with` loads related rows; Drizzle turns the whole tree into one SQL statement.
const found = await db.query.tutors.findMany({
  columns: { id: true, name: true, email: true },
  where: (tutor, { eq }) => eq(tutor.isActive, true),
  orderBy: (tutor, { asc }) => [asc(tutor.name)],
  limit: 3,
  with: {
    tutorScore: true,
    sessions: {
      orderBy: [desc(sessions.scheduledTime)],
      limit: 4,
      with: { reschedule: true },
    },
  },
});

for (const tutor of found) {
  const score = tutor.tutorScore; // null until the tutor is scored
  const rates = score ? [score.rescheduleRate7d, score.rescheduleRate30d, score.rescheduleRate90d] : [];
  console.log(
    `${tutor.name}: reschedule rates 7/30/90 days ${rates.map((r) => (r === null ? 'n/a' : `${r}%`)).join(' / ') || 'not scored'}` +
      `${score?.isHighRisk ? ' -> HIGH RISK' : ''}`,
  );
  for (const session of tutor.sessions) {
    const when = session.scheduledTime.toISOString().slice(0, 16).replace('T', ' ');
    const reschedule = session.reschedule
      ? ` <- by ${session.reschedule.initiator}, ${session.reschedule.hoursBeforeSession} h before (${session.reschedule.reasonCode})`
      : '';
    console.log(`  ${when}  ${session.status}${reschedule}`);
  }
}

// From the score side: the three worst 30-day rates, each with its tutor.
const worst = await db.query.tutorScores.findMany({
  where: (score, { isNotNull }) => isNotNull(score.rescheduleRate30d),
  orderBy: (score, { desc }) => [desc(score.rescheduleRate30d), score.tutorId],
  limit: 3,
  with: { tutor: { columns: { name: true } } },
});
console.log(`worst 30-day rates: ${worst.map((s) => `${s.tutor.name} ${s.rescheduleRate30d}%`).join(', ')}`);

// The other direction: one rescheduled session with its tutor and the email reports sent about it.
const rescheduled = await db.query.sessions.findFirst({
  where: eq(sessions.status, 'rescheduled'),
  orderBy: [desc(sessions.scheduledTime)],
  with: { tutor: { columns: { name: true } }, reschedule: true, emailReports: { columns: { status: true } } },
});
if (rescheduled) {
  console.log(
    `latest rescheduled session: ${rescheduled.tutor.name}, reason "${rescheduled.reschedule?.reason}", ` +
      `email reports: ${rescheduled.emailReports.map((r) => r.status).join(', ') || 'none'}`,
  );
}
