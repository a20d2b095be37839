/** The first instant (UTC) of the month `months` after the month of `at`. */
export function monthStart(at: Date, months: number): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
}
