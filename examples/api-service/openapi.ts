/**
 * The API's OpenAPI 3.1 document, served at GET /openapi.json: each route's answer is a component of the package's
 * contract (`openApiDocument` holds every request and response schema), referenced by name.
 */
import { type ContractSchemaName, openApiDocument, type OpenApiDocument } from '@tqs/data';

/** One GET (or POST) route answering the component `answer`, with the path's `{id}` declared when it has one. */
function operation(path: string, summary: string, answer: ContractSchemaName) {
  const parameters = path.includes('{id}') ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] : [];
  const content = { 'application/json': { schema: { $ref: `#/components/schemas/${answer}` } } };
  return {
    summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    responses: {
      '200': { description: summary, content },
      '400': { description: 'A bad query parameter or body (code INVALID_OPTION)' },
      '404': { description: 'No such tutor, event or route (code NOT_FOUND)' },
    },
  };
}

/** The document: the package's components and this service's paths. */
export function apiDocument(): OpenApiDocument {
  const get = (path: string, summary: string, answer: ContractSchemaName) => [path, { get: operation(path, summary, answer) }];
  return openApiDocument({
    title: 'Tutor quality API',
    version: '1.0.0',
    paths: Object.fromEntries([
      get('/tutors', 'A page of tutors, filtered and sorted', 'TutorListPage'),
      get('/tutors/{id}', "A tutor's overview", 'TutorOverview'),
      get('/tutors/{id}/reschedules', "A page of a tutor's reschedules", 'TutorReschedulePage'),
      get('/tutors/{id}/score-history', "A tutor's score history", 'ScoreHistory'),
      get('/trends', 'Reschedules per bucket of time', 'RescheduleTrend'),
      get('/breakdowns', 'Reschedules by weekday, hour, reason or lead time', 'RescheduleBreakdown'),
      get('/risk-events', 'A page of risk events', 'RiskEventPage'),
      ['/risk-events/{id}/acknowledge', { post: operation('/risk-events/{id}/acknowledge', 'Acknowledge a risk event', 'RiskEvent') }],
      get('/summary', 'The fleet summary', 'FleetSummary'),
      get('/health', 'Operations status', 'OperationsStatus'),
    ]) as Record<string, unknown>,
  });
}
