import { emailReports, sessions, type TqsDatabase, tutors } from '../../src';

/** The instant the seeded reports are about. */
export const T0 = new Date('2026-01-15T12:00:00Z');

/** `n` pending reports about one session, oldest first (their `created_at` one millisecond apart). */
export async function seedReports(db: TqsDatabase, n: number, recipient = (i: number) => `r${i}@example.org`): Promise<string[]> {
  const [tutor] = await db.insert(tutors).values({ name: 'Ada' }).returning();
  const [session] = await db
    .insert(sessions)
    .values({ tutorId: tutor!.id, studentId: 's', scheduledTime: T0, completedTime: T0, status: 'completed' })
    .returning();
  const rows = await db
    .insert(emailReports)
    .values(Array.from({ length: n }, (_, i) => ({ sessionId: session!.id, recipientEmail: recipient(i), sentAt: T0, status: 'pending' as const, createdAt: new Date(T0.getTime() + i) })))
    .returning({ id: emailReports.id });
  return rows.map((r) => r.id);
}

/** Polls `probe` until it returns a value other than undefined: for a lease to lapse (time), bounded. */
export async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

