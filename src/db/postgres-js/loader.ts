import { Readable } from 'node:stream';
import type { Sql, TransactionSql } from 'postgres';
import type { Database } from '../client';
import { sessionClient } from '../driver-session';
import type { CopyChunk, Loader, LoadTransaction } from '../loader';
import { copyFromStdin } from './copy';
import { inReservedTransaction } from './reserved-transaction';

/**
 * The {@link Loader} of PostgreSQL (postgres.js): one `copy ... from stdin` per table, fed chunk by chunk as the
 * socket takes them. On a database, the transaction is one of its own on a reserved connection
 * (`inReservedTransaction`); on a caller's transaction, a savepoint of it, on the caller's connection.
 *
 * @example
 * await postgresLoader(db, sql, false).transaction(async (tx) => tx.copy('"tutors" ("id", "name")', chunks, () => {}));
 */
export function postgresLoader(db: Database, client: Sql | TransactionSql, inTransaction: boolean): Loader {
  if (inTransaction) {
    return {
      commits: false,
      transaction: (work) =>
        db.transaction(async (savepoint) =>
          work(postgresLoadTransaction(sessionClient(savepoint).client as TransactionSql, savepoint)),
        ),
    };
  }
  return {
    commits: true,
    transaction: (work) =>
      inReservedTransaction(client as Sql, async (connection, txDb) => work(postgresLoadTransaction(connection, txDb))),
  };
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
      // Up to 64 parts (4 MiB of COPY text) are made ahead of the socket: the chunks of a stream are generated while
      // the server works through the ones before, instead of the server waiting for each, and no more than that is
      // held (it was 256 parts, which kept 16 MiB of buffers alive and promoted them to V8's old generation).
      await copyFromStdin(connection, `copy ${target} from stdin`, Readable.from(bytes(), { highWaterMark: 64 }));
    },
  };
}
