/*
 * The JSON contract: every request and response schema as JSON Schema (2020-12 and draft-07) and in an OpenAPI 3.1
 * document, with the response schemas of the computed results (docs/contract.md).
 */
export { type ContractEntry, type ContractSchemaName, contractSchemas } from './catalogue';
export { contractJsonSchemas, type JsonSchema, type JsonSchemaOptions, type JsonSchemaTarget, toJsonSchema } from './json-schema';
export { jsonResponse, toJsonValue } from './json-value';
export { type OpenApiDocument, openApiDocument, type OpenApiOptions } from './openapi';
export { sessionPayloadObject } from './payload';
export {
  type ComputedTutorScoreResponse,
  computedTutorScoreObject,
  computedTutorScoreSchema,
  highRiskTutorObject,
  highRiskTutorPageObject,
  type HighRiskTutorPageResponse,
  highRiskTutorPageSchema,
  refreshTutorScoresResultObject,
  refreshTutorScoresResultSchema,
  type RefreshTutorScoresResponse,
  upcomingSessionPageObject,
  type UpcomingSessionPageResponse,
  upcomingSessionPageSchema,
} from './results';
