import { z } from 'zod';

/**
 * `build()` run once, on the first call, its result kept: the schemas of a table are built together when the first
 * of them is used, not when the package is imported.
 *
 * @example
 * const schemas = once(() => tableSchemas(tutors, tutorColumnSchemas, []));
 * schemas().insert; // built now
 */
export function once<T>(build: () => T): () => T {
  let built = false;
  let value: T | undefined;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}

/**
 * A Zod schema built on first use: an object that stands for what `build()` returns and forwards every property
 * read, method call and `instanceof` check to it, so that an exported schema (`tutorInsertSchema`) keeps its name and
 * its type while importing the package builds nothing. Zod's methods are bound to their schema, so
 * `lazy.parse(x)`, `lazy.omit(...)`, `z.object({ a: lazy })` and `z.toJSONSchema(lazy)` behave as on the schema
 * itself; its metadata (`.meta()`, `.describe()`) is registered for the stand-in too. Only identity differs: the
 * stand-in is not `===` the schema it builds.
 *
 * @example
 * export const fleetSummarySchema = lazySchema(() => z.object({ tutors: z.number().int() }));
 * fleetSummarySchema.parse({ tutors: 3 }); // builds the schema, then parses
 */
export function lazySchema<T extends object>(build: () => T): T {
  let real: T | undefined;
  const proxy: T = new Proxy({} as T, {
    get: (_, key) => {
      const target = schema();
      const value = Reflect.get(target, key, target);
      return value;
    },
    set: (_, key, value) => Reflect.set(schema(), key, value),
    has: (_, key) => Reflect.has(schema(), key),
    ownKeys: () => Reflect.ownKeys(schema()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), key);
      // The stand-in's own (empty) target cannot report a property it lacks as non-configurable.
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(schema(), key, descriptor),
    deleteProperty: (_, key) => Reflect.deleteProperty(schema(), key),
  });
  function schema(): T {
    if (real === undefined) {
      real = build();
      const meta = z.globalRegistry.get(real as unknown as z.ZodType);
      if (meta !== undefined) z.globalRegistry.add(proxy as unknown as z.ZodType, meta);
      shareJsonSchemaEntry(real, proxy);
    }
    return real;
  }
  return proxy;
}

/** What `z.toJSONSchema` passes a schema's JSON Schema processor: the schemas it has seen, by identity. */
type JsonSchemaProcessor = (ctx: { seen: Map<unknown, unknown> }, json: unknown, params: unknown) => void;

/**
 * `z.toJSONSchema` records each schema it meets by identity (the stand-in), while Zod's processors are bound to the
 * schema itself and look themselves up (`optional`, `nullable`, `pipe`, `default` ...): the schema is given the
 * stand-in's entry before its processor runs, so that a stand-in converts, alone or nested, as its schema does.
 */
function shareJsonSchemaEntry(real: object, proxy: object): void {
  const internals = (real as { _zod?: { processJSONSchema?: JsonSchemaProcessor } })._zod;
  const process = internals?.processJSONSchema;
  if (internals === undefined || typeof process !== 'function') return;
  internals.processJSONSchema = (ctx, json, params) => {
    if (ctx.seen.has(proxy) && !ctx.seen.has(real)) ctx.seen.set(real, ctx.seen.get(proxy));
    process(ctx, json, params);
  };
}
