import { InvalidOptionError } from './classes';

/** What one option may be; `undefined` is always allowed (the option is left out). */
export type OptionCheck = (value: unknown) => string | undefined;

/** Accepts `true`, `false`. */
export const isBoolean: OptionCheck = (v) => (typeof v === 'boolean' ? undefined : 'true or false');

/** Accepts an `AbortSignal`. */
export const isSignal: OptionCheck = (v) => (v instanceof AbortSignal ? undefined : 'an AbortSignal');

/** Accepts a non-empty string. */
export const isNonEmptyString: OptionCheck = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : 'a non-empty string');

/** Accepts a whole number of at least `min`. */
export const isWholeNumber =
  (min: number): OptionCheck =>
  (v) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? undefined : `a whole number of at least ${min}`;

const show = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
};

/**
 * Checks the options object of a call before it does anything: it must be an object (or left out), every key must
 * be one of `checks` (a typo is refused, not ignored), and every value given must pass its check. Destructive calls
 * use it so that no option is ever read as something other than what was written.
 *
 * @throws {InvalidOptionError} naming the call, the option and what it takes.
 * @example
 * checkOptions('rollback', { step: 2 }, { steps: isWholeNumber(1) }); // throws: rollback: unknown option 'step' ...
 */
export function checkOptions(fn: string, options: unknown, checks: Record<string, OptionCheck>): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError('options', `${fn}: options must be an object (got ${show(options)})`);
  }
  for (const [key, value] of Object.entries(options)) {
    const check = checks[key];
    if (!check) {
      throw new InvalidOptionError(key, `${fn}: unknown option '${key}' (options: ${Object.keys(checks).join(', ')}); nothing was changed`);
    }
    if (value === undefined) continue;
    const wanted = check(value);
    if (wanted !== undefined) {
      throw new InvalidOptionError(key, `${fn}: option '${key}' must be ${wanted} (got ${show(value)}); nothing was changed`);
    }
  }
}
