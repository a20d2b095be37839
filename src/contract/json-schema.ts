import { z } from 'zod';
import { InvalidOptionError } from '../errors';
import { type ContractEntry, type ContractSchemaName, contractSchemas } from './catalogue';

/** The JSON Schema dialects the contract is converted to: 2020-12 (OpenAPI 3.1's) and draft-07 (Ajv's default, Fastify's). */
export type JsonSchemaTarget = 'draft-2020-12' | 'draft-07';

/** A JSON Schema document, as `z.toJSONSchema` writes it. */
export type JsonSchema = Record<string, unknown>;

/** Options of {@link toJsonSchema} and {@link contractJsonSchemas}. */
export interface JsonSchemaOptions {
  /** The dialect. Default `draft-2020-12`. */
  target?: JsonSchemaTarget;
  /** Leave out the `$schema` keyword (as an OpenAPI component does). Default false. */
  bare?: boolean;
}

const TARGETS: readonly JsonSchemaTarget[] = ['draft-2020-12', 'draft-07'];

/**
 * The JSON Schema of one side of a Zod schema: `io: 'input'` for a request (the JSON a client sends), `'output'` for
 * a response (the JSON the server sends), with the formats (`date-time`, `uuid`, `email`) and bounds (lengths,
 * integer ranges, minimums) of its fields. Rules a JSON Schema cannot state (across fields, or PostgreSQL's exact
 * text rules) stay with the Zod schema, which is the stricter of the two where they differ.
 *
 * @example
 * const body = toJsonSchema({ schema: sessionCreateRequestSchema, io: 'input' }, { target: 'draft-07' });
 * body.properties.scheduledTime; // { type: 'string', format: 'date-time' }
 */
export function toJsonSchema(entry: ContractEntry, options: JsonSchemaOptions = {}): JsonSchema {
  const target = options.target ?? 'draft-2020-12';
  if (!TARGETS.includes(target)) {
    throw new InvalidOptionError('target', `toJsonSchema: target must be one of ${TARGETS.join(', ')} (got ${String(target)})`);
  }
  const json = z.toJSONSchema(entry.schema, { target, io: entry.io, unrepresentable: 'throw', reused: 'inline', cycles: 'throw' }) as JsonSchema;
  if (options.bare) delete json.$schema;
  return json;
}

/**
 * Every schema of the JSON contract ({@link contractSchemas}) as JSON Schema, by component name.
 *
 * @example
 * const schemas = contractJsonSchemas({ target: 'draft-07' });
 * fastify.post('/sessions', { schema: { body: schemas.SessionCreateRequest } }, handler);
 */
export function contractJsonSchemas(options: JsonSchemaOptions = {}): Record<ContractSchemaName, JsonSchema> {
  const out: Partial<Record<ContractSchemaName, JsonSchema>> = {};
  for (const [name, entry] of Object.entries(contractSchemas) as [ContractSchemaName, ContractEntry][]) {
    out[name] = toJsonSchema(entry, options);
  }
  return out as Record<ContractSchemaName, JsonSchema>;
}
