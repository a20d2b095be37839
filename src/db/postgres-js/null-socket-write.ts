/*
 * postgres.js 3.4 can hand a query to a connection whose backend was terminated an instant earlier (e.g. right after
 * a COMMIT): a reserved connection released after its socket closed goes back to the idle queue with no socket, and
 * the query's bytes are written from a `setImmediate` to `null`. The TypeError is thrown from the timer, where no
 * caller can catch it, and would end the process with a stack trace although the query itself then fails normally
 * with CONNECTION_CLOSED. The CLI recognises that exact error and lets the command report its outcome instead.
 */

/**
 * Whether `error` is postgres.js' write to a connection whose socket is already gone (thrown from a timer).
 *
 * @example
 * process.on('uncaughtException', (error) => { if (!isNullSocketWrite(error)) throw error; });
 */
export function isNullSocketWrite(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /Cannot read properties of null \(reading 'write'\)/.test(error.message) &&
    /nextWrite .*[\\/]postgres[\\/](?:cjs[\\/])?src[\\/]connection\.js/.test(error.stack ?? '')
  );
}
