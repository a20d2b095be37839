import { sql } from 'drizzle-orm';
import { inCall } from '../db/call';
import type { Database } from '../db/client';
import type { Tutor } from '../schema';
import { tutors } from '../schema/tutors';

/**
 * The tutor with `email`, compared regardless of case (`Ada@Example.org` finds `ada@example.org`), or undefined. The
 * look-up uses the unique index on `lower(email)`.
 *
 * ```sql
 * select * from tutors where lower(email) = lower($1)
 * ```
 *
 * @example
 * const tutor = await findTutorByEmail(db, 'Ada@Example.org');
 */
export async function findTutorByEmail(db: Database, email: string): Promise<Tutor | undefined> {
  return inCall(db, 'findTutorByEmail', async () => {
    const [tutor] = await db
      .select()
      .from(tutors)
      .where(sql`lower(${tutors.email}) = lower(${email})`)
      .limit(1);
    return tutor;
  });
}
