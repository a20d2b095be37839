import { z } from 'zod';

/**
 * `value` as `JSON.stringify` would see it, made explicit: every `Date` as ISO 8601 text in UTC, arrays and plain
 * objects copied with their values converted, keys whose value is `undefined` left out; anything else as it is.
 *
 * @example
 * toJsonValue({ asOf: new Date('2026-01-15T12:00:00Z'), nextCursor: undefined }); // { asOf: '2026-01-15T12:00:00.000Z' }
 */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toJsonValue(item);
  return out;
}

/**
 * The response schema of a result whose JSON is `json`: it takes the result as a call returns it (with `Date`s),
 * converts it with {@link toJsonValue} and checks it with `json`. Its JSON Schema (output side) is `json`'s.
 *
 * @example
 * const pageSchema = jsonResponse<HighRiskTutorPage, typeof highRiskTutorPageObject>(highRiskTutorPageObject);
 */
export function jsonResponse<TResult, TJson extends z.ZodType>(json: TJson) {
  return z
    .custom<TResult>((value) => typeof value === 'object' && value !== null, 'must be an object')
    .transform((value) => toJsonValue(value))
    .pipe(json);
}
