import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from 'postgres';

/**
 * Runs a `copy ... from stdin` statement on `connection` and streams `source` into it, with the socket's backpressure;
 * settles when the server has taken every row, or rejects with the server's error (either side failing aborts the
 * COPY). The query's `reject` is wrapped because postgres.js 3.4 loses an error the server reports after the last
 * chunk (a foreign key checked at the end), which would leave a plain `pipeline` waiting forever
 * (porsager/postgres#1173).
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
