import { Readable } from 'node:stream';
import type { TransactionSql } from 'postgres';
import { driverSession, type Database } from '../db/client';
import { copyFromStdin } from '../db/postgres-js/copy';
import { inReservedTransaction } from '../db/postgres-js/reserved-transaction';
import type { CopyChunk, Loader, LoadTransaction } from './loader';

/**
 * The {@link Loader} of PostgreSQL (postgres.js): one `copy ... from stdin` per table, fed chunk by chunk as the
 * socket takes them. On a database, the transaction is one of its own on a reserved connection
 * (`inReservedTransaction`); on a caller's transaction, a savepoint of it, on the caller's connection.
 *
 * @example
 * await postgresLoader(db).transaction(async (tx) => tx.copy('"tutors" ("id", "name")', chunks, () => {}));
 */
export function postgresLoader(db: Database): Loader {
  const session = driverSession(db);
  if (session.backend !== 'postgres') throw new TypeError('expected a database over postgres.js');
  if (session.inTransaction) {
    return {
      commits: false,
      transaction: (work) =>
        db.transaction(async (savepoint) => work(postgresLoadTransaction(transactionClient(savepoint), savepoint))),
    };
  }
  const pool = session.client;
  return {
    commits: true,
    transaction: (work) =>
      inReservedTransaction(pool, async (connection, txDb) => work(postgresLoadTransaction(connection, txDb))),
  };
}

function transactionClient(db: Database): TransactionSql {
  const session = driverSession(db);
  if (session.backend !== 'postgres' || !session.inTransaction) throw new TypeError('expected a postgres.js transaction');
  return session.client;
}

function postgresLoadTransaction(connection: Parameters<typeof copyFromStdin>[0], db: Database): LoadTransaction {
  return {
    db,
    async copy(target: string, chunks: AsyncIterable<CopyChunk>, statementAt: (row: number) => void) {
      let first = true;
      const bytes = async function* () {
        for await (const chunk of chunks) {
          if (first) statementAt(chunk.from);
          first = false;
          yield* chunk.data;
        }
      };
      // Up to 256 parts (~16 MiB) are made ahead of the socket: the chunks of a stream are generated while the server
      // works through the ones before, instead of the server waiting for each.
      await copyFromStdin(connection, `copy ${target} from stdin`, Readable.from(bytes(), { highWaterMark: 256 }));
    },
  };
}
