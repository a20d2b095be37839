import type { DatasetEmailReport } from '../records/dataset';
import type { EmailReport } from '../schema';
import { MINUTE } from '../domain/time';
import type { Prng } from './prng';
import type { ResolvedGenerateOptions } from '../domain/dataset';

const SECOND = 1000;

/** What a failed delivery attempt records, as a mail relay would report it. */
const deliveryErrors = [
  'SMTP 421 4.7.0: service not available, try again later',
  'SMTP 450 4.2.1: mailbox temporarily unavailable',
  'Connection to mail relay timed out after 30000 ms',
  'SMTP 452 4.3.1: insufficient system storage',
  'Rate limit exceeded at mail provider (HTTP 429)',
] as const;

function report(
  prng: Prng,
  sessionId: string,
  recipientEmail: string,
  status: EmailReport['status'],
  createdAt: number,
  sentAt: number,
): DatasetEmailReport {
  return {
    id: prng.uuid(),
    sessionId,
    recipientEmail,
    sentAt: new Date(sentAt),
    status,
    errorMessage: status === 'failed' ? deliveryErrors[prng.int(deliveryErrors.length)]! : null,
    createdAt: new Date(createdAt),
  };
}

/**
 * The email reports about one reschedule, appended to `out`: queued 1–10 minutes after it, then sent within a
 * minute; with probability `emailPendingShare` still pending; with probability `emailFailureShare` a failed attempt
 * followed 5–60 minutes later by a sent one (or a pending one, if that would be after `now`). No time is after `now`.
 */
export function pushEmailReports(
  o: ResolvedGenerateOptions,
  prng: Prng,
  out: DatasetEmailReport[],
  sessionId: string,
  recipientEmail: string,
  cancelledAt: number,
): void {
  const now = o.now.getTime();
  const queued = Math.min(now, cancelledAt + prng.intBetween(1, 10) * MINUTE);
  const r = prng.next();
  if (r < o.emailPendingShare) {
    out.push(report(prng, sessionId, recipientEmail, 'pending', queued, queued));
    return;
  }
  const attempt = Math.min(now, queued + prng.intBetween(1, 60) * SECOND);
  if (r < o.emailPendingShare + o.emailFailureShare) {
    out.push(report(prng, sessionId, recipientEmail, 'failed', queued, attempt));
    const retry = attempt + prng.intBetween(5, 60) * MINUTE;
    const sent = retry + prng.intBetween(1, 60) * SECOND;
    if (sent <= now) out.push(report(prng, sessionId, recipientEmail, 'sent', retry, sent));
    else out.push(report(prng, sessionId, recipientEmail, 'pending', attempt, Math.min(now, retry)));
    return;
  }
  out.push(report(prng, sessionId, recipientEmail, 'sent', queued, attempt));
}
