import { findInChain } from '../util/error-chain';

/** postgres.js's codes for a connection that went away, and the socket's. */
const LOST_CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'ECONNRESET',
  'EPIPE',
]);

/** A lost-connection code, or PostgreSQL's SQLSTATE for a connection failure (08xxx) or a backend shut down (57P01-3). */
const isLostConnectionCode = (code: unknown): code is string =>
  typeof code === 'string' && (LOST_CONNECTION_CODES.has(code) || /^(08...|57P0[1-3])$/.test(code));

/**
 * Whether an error (or one of its causes) says the connection to the server was lost: whatever was running on it,
 * an open transaction included, is gone, and nothing more can be sent on that connection.
 *
 * @example
 * isConnectionLost(new Error('Failed query', { cause: { code: '57P01' } })); // true: terminated by an administrator
 */
export const isConnectionLost = (error: unknown): boolean =>
  findInChain(error, 'code', isLostConnectionCode) !== undefined;
