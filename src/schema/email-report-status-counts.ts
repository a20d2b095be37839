import { bigint, pgTable, varchar } from 'drizzle-orm/pg-core';

/**
 * The number of `email_reports` rows in each status, kept by the database's own statement-level triggers on
 * `email_reports` (insert, update, delete, truncate), whoever writes: `operationsStatus` reads the counts here instead
 * of counting a table that grows with every session. Nothing else should write it.
 */
export const emailReportStatusCounts = pgTable('email_report_status_counts', {
  /** An `email_reports.status` value. */
  status: varchar('status', { length: 50 }).primaryKey(),
  /** The rows of `email_reports` with that status. */
  reports: bigint('reports', { mode: 'number' }).notNull(),
});
