export {
  ingestSession,
  ingestSessions,
  type IngestOutcome,
  type IngestResult,
  type IngestSessionsOptions,
  SessionConflictError,
} from './ingest-session';
export { type ParsedSessionPayload, type SessionPayload, sessionPayloadSchema } from './payload';
export {
  listUpcomingSessions,
  type ListUpcomingSessionsOptions,
  type UpcomingSession,
  type UpcomingSessionPage,
} from './upcoming-sessions';
