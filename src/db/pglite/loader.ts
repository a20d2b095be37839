import type { Transaction } from '@electric-sql/pglite';
import type { Database } from '../client';
import { sessionClient } from '../driver-session';
import type { Loader } from '../loader';

/**
 * The {@link Loader} of PGlite: `copy ... from '/dev/blob'`, PGlite's virtual file that reads the Blob passed with the
 * query, one COPY per chunk of rows. The transaction is Drizzle's (`db.transaction`): on a database, PGlite's own
 * `transaction`, whose lock keeps other callers out of it; on a caller's transaction, a savepoint of it.
 *
 * @example
 * await pgliteLoader(db, false).transaction(async (tx) => tx.copy('"tutors" ("id", "name")', chunks, () => {}));
 */
export function pgliteLoader(db: Database, inTransaction: boolean): Loader {
  return {
    commits: !inTransaction,
    transaction: (work) =>
      db.transaction(async (tx) => {
        const client = sessionClient(tx).client as Transaction;
        return work({
          db: tx,
          async copy(target, chunks, statementAt) {
            for await (const chunk of chunks) {
              statementAt(chunk.from);
              const blob = new Blob(chunk.data);
              await client.query(`copy ${target} from '/dev/blob'`, [], { blob });
            }
          },
        });
      }),
  };
}
