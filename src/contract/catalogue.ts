import type { z } from 'zod';
import {
  fleetSummarySchema,
  operationsStatusSchema,
  rescheduleBreakdownSchema,
  rescheduleTrendSchema,
  riskEventPageSchema,
  riskEventSchema,
  scoreHistorySchema,
  tutorListPageSchema,
  tutorOverviewSchema,
  tutorReschedulePageSchema,
} from '../read-model';
import * as rows from '../validation';
import { sessionPayloadObject } from './payload';
import { computedTutorScoreSchema, highRiskTutorPageSchema, refreshTutorScoresResultSchema, upcomingSessionPageSchema } from './results';

/**
 * One schema of the JSON contract: the Zod schema, and which side of it is the JSON: `input` for a request (what a
 * client sends), `output` for a response (what the server sends).
 */
export interface ContractEntry {
  schema: z.ZodType;
  io: 'input' | 'output';
}

const request = (schema: z.ZodType): ContractEntry => ({ schema, io: 'input' });
const response = (schema: z.ZodType): ContractEntry => ({ schema, io: 'output' });

/**
 * Every request and response schema of the JSON contract by its component name (`SessionCreateRequest`,
 * `TutorListPage`, …): the tables' create and update requests and responses, the session payload of ingest, the
 * read model's answers and the computed results. {@link openApiDocument} puts each in `components.schemas` under
 * this name, and {@link contractJsonSchemas} converts them all.
 *
 * @example
 * const { schema, io } = contractSchemas.SessionResponse; // io: 'output'
 */
export const contractSchemas = {
  TutorCreateRequest: request(rows.tutorCreateRequestSchema),
  TutorUpdateRequest: request(rows.tutorUpdateRequestSchema),
  TutorResponse: response(rows.tutorResponseSchema),
  SessionCreateRequest: request(rows.sessionCreateRequestSchema),
  SessionUpdateRequest: request(rows.sessionUpdateRequestSchema),
  SessionResponse: response(rows.sessionResponseSchema),
  RescheduleCreateRequest: request(rows.rescheduleCreateRequestSchema),
  RescheduleUpdateRequest: request(rows.rescheduleUpdateRequestSchema),
  RescheduleResponse: response(rows.rescheduleResponseSchema),
  TutorScoreCreateRequest: request(rows.tutorScoreCreateRequestSchema),
  TutorScoreUpdateRequest: request(rows.tutorScoreUpdateRequestSchema),
  TutorScoreResponse: response(rows.tutorScoreResponseSchema),
  EmailReportCreateRequest: request(rows.emailReportCreateRequestSchema),
  EmailReportUpdateRequest: request(rows.emailReportUpdateRequestSchema),
  EmailReportResponse: response(rows.emailReportResponseSchema),
  SessionPayload: request(sessionPayloadObject),
  TutorListPage: response(tutorListPageSchema),
  TutorOverview: response(tutorOverviewSchema),
  TutorReschedulePage: response(tutorReschedulePageSchema),
  ScoreHistory: response(scoreHistorySchema),
  RescheduleTrend: response(rescheduleTrendSchema),
  RescheduleBreakdown: response(rescheduleBreakdownSchema),
  RiskEvent: response(riskEventSchema),
  RiskEventPage: response(riskEventPageSchema),
  FleetSummary: response(fleetSummarySchema),
  OperationsStatus: response(operationsStatusSchema),
  ComputedTutorScore: response(computedTutorScoreSchema),
  HighRiskTutorPage: response(highRiskTutorPageSchema),
  RefreshTutorScoresResult: response(refreshTutorScoresResultSchema),
  UpcomingSessionPage: response(upcomingSessionPageSchema),
} as const satisfies Record<string, ContractEntry>;

/** The component name of each schema of the JSON contract (a key of {@link contractSchemas}). */
export type ContractSchemaName = keyof typeof contractSchemas;
