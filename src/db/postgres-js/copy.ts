import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from 'postgres';

/**
 * Runs a `copy ... from stdin` statement on `connection` and streams `source` into it; settles when the server has
 * taken every row, or rejects with the server's error. `pipeline` honours the socket's backpressure and, should
 * either side fail, destroys the other (postgres.js then sends CopyFail, so the server aborts the COPY).
 *
 * postgres.js 3.4 loses an error the server reports after the last chunk (constraint checks that run at the end of the
 * statement, such as foreign keys, or a row in the last packet): it hands the error to the query promise, which has
 * already resolved with the stream, and never calls the stream's final callback, so a plain `pipeline` would wait
 * forever, with the transaction left open (porsager/postgres#1173). Wrapping the query's `reject` catches that error;
 * a rejection from either side settles the copy.
 *
 * @example
 * await copyFromStdin(connection, 'copy "tutors" ("id", "name") from stdin', Readable.from([Buffer.from('...\n')]));
 */
export async function copyFromStdin(connection: Pick<Sql, 'unsafe'>, statement: string, source: Readable): Promise<void> {
  const query = connection.unsafe(statement);
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {}); // observed through the race below; never an unhandled rejection
  const internals = query as unknown as { reject?: unknown };
  const reject = internals.reject;
  if (typeof reject === 'function') {
    internals.reject = (error: unknown) => {
      fail(error);
      return reject.call(query, error);
    };
  }
  const stream = await query.writable();
  const copied = pipeline(source, stream);
  copied.catch(() => {}); // settles after the race when the server error came first
  await Promise.race([copied, failed]);
}
