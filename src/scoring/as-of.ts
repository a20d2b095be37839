import { InvalidOptionError } from '../errors';

/**
 * The end of the scoring windows: the caller's `asOf`, or now. This is the one place the scoring code reads the
 * clock, once per call, so every window of a call ends at the same instant (and a test that passes `asOf` never
 * depends on the time it runs).
 */
export function resolveAsOf(fn: string, asOf: Date | undefined): Date {
  if (asOf === undefined) return new Date();
  if (!(asOf instanceof Date) || Number.isNaN(asOf.getTime())) {
    throw new InvalidOptionError('asOf', `${fn}: asOf must be a valid Date (got ${String(asOf)})`);
  }
  return new Date(asOf.getTime());
}
