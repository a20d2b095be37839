/**
 * A valid, readable uuid numbered `n` (decimal digits in the last group), for rows the tests name.
 *
 * @example
 * uuid(12); // '00000000-0000-4000-8000-000000000012'
 */
export const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
