import { driverSession, type Database } from '../db/client';
import type { CopyChunk, Loader, LoadTransaction } from './loader';

/**
 * The {@link Loader} of PGlite: `copy ... from '/dev/blob'`, PGlite's virtual file that reads the Blob passed with the
 * query, one COPY per chunk of rows. The transaction is Drizzle's (`db.transaction`): on a database, PGlite's own
 * `transaction`, whose lock keeps other callers out of it; on a caller's transaction, a savepoint of it.
 *
 * @example
 * await pgliteLoader(db).transaction(async (tx) => tx.copy('"tutors" ("id", "name")', chunks, () => {}));
 */
export function pgliteLoader(db: Database): Loader {
  const session = driverSession(db);
  if (session.backend !== 'pglite') throw new TypeError('expected a database over PGlite');
  return {
    commits: !session.inTransaction,
    transaction: (work) => db.transaction(async (tx) => work(pgliteLoadTransaction(tx))),
  };
}

function pgliteLoadTransaction(db: Database): LoadTransaction {
  const session = driverSession(db);
  if (session.backend !== 'pglite' || !session.inTransaction) throw new TypeError('expected a PGlite transaction');
  const client = session.client;
  return {
    db,
    async copy(target: string, chunks: AsyncIterable<CopyChunk>, statementAt: (row: number) => void) {
      for await (const chunk of chunks) {
        statementAt(chunk.from);
        const blob = new Blob(chunk.data);
        await client.query(`copy ${target} from '/dev/blob'`, [], { blob });
      }
    },
  };
}
