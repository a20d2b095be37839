import { packageVersion } from '../util';
import { contractJsonSchemas, type JsonSchema } from './json-schema';
import type { ContractSchemaName } from './catalogue';

/** Options of {@link openApiDocument}. */
export interface OpenApiOptions {
  /** `info.title`. Default `@tqs/data`. */
  title?: string;
  /** `info.version`: the API's version. Default this package's version. */
  version?: string;
  /** `info.description`. */
  description?: string;
  /** The service's `paths` (operations whose schemas `$ref` the components, e.g. `#/components/schemas/TutorListPage`). Default none. */
  paths?: Record<string, unknown>;
  /** `servers`. Default none. */
  servers?: { url: string; description?: string }[];
}

/** An OpenAPI 3.1 document, as {@link openApiDocument} builds it. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  servers?: { url: string; description?: string }[];
  paths: Record<string, unknown>;
  components: { schemas: Record<ContractSchemaName, JsonSchema> };
}

function defaultVersion(): string {
  try {
    return packageVersion();
  } catch {
    return '0.0.0'; // a bundle without the package's package.json beside it
  }
}

/**
 * An OpenAPI 3.1 document whose `components.schemas` hold every schema of the JSON contract (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1), by the names of {@link contractSchemas}; `paths` are the service's own (none by default).
 *
 * @example
 * const document = openApiDocument({ title: 'Tutor quality API', paths: {
 *   '/tutors': { get: { responses: { '200': { description: 'A page of tutors', content: { 'application/json': {
 *     schema: { $ref: '#/components/schemas/TutorListPage' } } } } } } },
 * } });
 */
export function openApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
  const info = {
    title: options.title ?? '@tqs/data',
    version: options.version ?? defaultVersion(),
    ...(options.description === undefined ? {} : { description: options.description }),
  };
  return {
    openapi: '3.1.0',
    info,
    ...(options.servers === undefined ? {} : { servers: options.servers }),
    paths: options.paths ?? {},
    components: { schemas: contractJsonSchemas({ target: 'draft-2020-12', bare: true }) },
  };
}
