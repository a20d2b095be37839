import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors';

/** One Zod issue as a {@link ValidationIssue}: the field's path, and the message without the field repeated. */
function toIssue(issue: z.core.$ZodIssue): ValidationIssue {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(row)';
  const prefix = `${path}: `;
  return { path, message: issue.message.startsWith(prefix) ? issue.message.slice(prefix.length) : issue.message };
}

/**
 * Parses `value` with `schema` (one of this package's Zod schemas, or any other) and returns the parsed value, or
 * throws a {@link ValidationError} (code `VALIDATION_FAILED`) whose `issues` name each field at fault and the rule it
 * breaks, e.g. `{ path: 'completedTime', message: "must be set exactly when status is 'completed'
 * (sessions_completed_time_matches_status)" }`. `subject` names the value in the error's message.
 *
 * @example
 * const row = parseRow(sessionInsertSchema, input, 'session');
 * await db.insert(sessions).values(row);
 * // ValidationError: session is invalid: completedTime: must be set exactly when status is 'completed' (sessions_completed_time_matches_status)
 */
export function parseRow<TSchema extends z.ZodType>(schema: TSchema, value: unknown, subject = 'row'): z.output<TSchema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(subject, result.error.issues.map(toIssue));
}
