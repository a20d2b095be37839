/** How deep {@link errorChain} follows `cause`: drizzle wraps the driver's error, which may wrap a socket's. */
const MAX_DEPTH = 5;

/**
 * An error and the errors behind it, outermost first, following `cause` (at most five deep, objects only).
 *
 * @example
 * for (const link of errorChain(error)) if ((link as { code?: unknown }).code === '57P01') return true;
 */
export function* errorChain(error: unknown): Generator<object> {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_DEPTH && current !== null && typeof current === 'object'; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * The first value of `field` along the error's `cause` chain that passes `accept`, or undefined.
 *
 * @example
 * findInChain(error, 'where', (v): v is string => typeof v === 'string'); // 'COPY sessions, line 3, column ...'
 */
export function findInChain<T>(error: unknown, field: string, accept: (value: unknown) => value is T): T | undefined {
  for (const link of errorChain(error)) {
    const value = (link as Record<string, unknown>)[field];
    if (accept(value)) return value;
  }
  return undefined;
}

/** Whether a value is a SQLSTATE: five digits or capital letters. */
export const isSqlState = (value: unknown): value is string => typeof value === 'string' && /^[0-9A-Z]{5}$/.test(value);

/**
 * The SQLSTATE of a database error, looked up through its causes (drizzle wraps the driver's error).
 *
 * @example
 * sqlStateOf(new Error('Failed query', { cause: { code: '42P01' } })); // '42P01'
 */
export const sqlStateOf = (error: unknown): string | undefined => findInChain(error, 'code', isSqlState);

/** postgres.js's codes for a connection that went away, and PostgreSQL's for a backend shut down under us. */
const LOST_CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

const isLostConnectionCode = (code: unknown): code is string =>
  typeof code === 'string' && (LOST_CONNECTION_CODES.has(code) || /^(08...|57P0[1-3])$/.test(code));

/**
 * Whether an error, or one behind it, says the connection to the database went away (postgres.js' CONNECTION_CLOSED,
 * a socket reset, PostgreSQL's 57P01 for a terminated backend, class 08).
 *
 * @example
 * if (connectionLost(error)) console.error('the connection was lost');
 */
export const connectionLost = (error: unknown): boolean => findInChain(error, 'code', isLostConnectionCode) !== undefined;

/**
 * Whether a lost connection was lost because it stopped answering (the stall guard's, or the kernel's, `ETIMEDOUT`),
 * rather than refused, reset or closed by the server.
 *
 * @example
 * if (connectionStalled(error)) console.error('the network stopped answering');
 */
export const connectionStalled = (error: unknown): boolean => findInChain(error, 'code', (code): code is string => code === 'ETIMEDOUT') !== undefined;
