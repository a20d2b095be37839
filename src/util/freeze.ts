/**
 * Freezes a value and everything reachable from it, and returns it: for constants that callers copy to build on.
 *
 * @example
 * export const defaults = deepFreeze({ windows: [7, 30, 90] });
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
