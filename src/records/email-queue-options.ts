import { checkOptions, isBoolean, isWholeNumber, type OptionCheck } from '../errors/check-options';

/** A UUID as text, in either case. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * How the claim queue retries a report whose attempt failed, shared by {@link claimPendingEmailReports},
 * {@link markFailed} and {@link runEmailWorker} (give them the same values).
 *
 * @example
 * const retry = { maxAttempts: 8, retryDelayMs: 10_000, maxRetryDelayMs: 600_000 };
 */
export interface EmailRetryOptions {
  /** Attempts (claims) a report gets before it is given up as `dead`. Default 5. */
  maxAttempts?: number;
  /** The delay before the first retry, in milliseconds; it doubles with each further attempt. Default 30 000. */
  retryDelayMs?: number;
  /** The longest delay between two attempts, in milliseconds. Default 3 600 000 (one hour). */
  maxRetryDelayMs?: number;
}

/** The retry policy with its defaults. */
export const retryPolicy = (o: EmailRetryOptions): Required<EmailRetryOptions> => ({
  maxAttempts: o.maxAttempts ?? 5,
  retryDelayMs: o.retryDelayMs ?? 30_000,
  maxRetryDelayMs: o.maxRetryDelayMs ?? 3_600_000,
});

const DAY_MS = 86_400_000;

/** Accepts a whole number from `min` to `max`. */
export const isWholeNumberUpTo =
  (min: number, max: number): OptionCheck =>
  (v) =>
    isWholeNumber(min)(v) === undefined && (v as number) <= max ? undefined : `a whole number from ${min} to ${max}`;

const isUuid: OptionCheck = (v) => (typeof v === 'string' && UUID.test(v) ? undefined : "a UUID (the report's claimToken)");
const isDate: OptionCheck = (v) =>
  v instanceof Date && !Number.isNaN(v.getTime()) ? undefined : 'a valid Date';

/** The checks of the retry options. */
export const retryChecks: Record<keyof EmailRetryOptions, OptionCheck> = {
  maxAttempts: isWholeNumberUpTo(1, 1000),
  retryDelayMs: isWholeNumberUpTo(0, 7 * DAY_MS),
  maxRetryDelayMs: isWholeNumberUpTo(0, 7 * DAY_MS),
};

/** The checks of a lease, in milliseconds: from 1 ms to 7 days. */
export const isLeaseMs = isWholeNumberUpTo(1, 7 * DAY_MS);

/**
 * Checks the options of `markSent` (`withRetry` false) or `markFailed` before anything is written.
 *
 * @throws {InvalidOptionError} an unknown option or a bad value.
 * @example
 * checkCloseOptions('markSent', { claimToken }, false);
 */
export function checkCloseOptions(call: string, options: unknown, withRetry: boolean): void {
  const base = { sentAt: isDate, claimToken: isUuid };
  checkOptions(call, options, withRetry ? { ...base, ...retryChecks, giveUp: isBoolean } : base);
}
