import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';

/*
 * Fields of the read model's JSON answers that carry a format or a bound in their JSON Schema (the contract), without
 * changing what the answers' Zod schemas accept.
 */

/** An id: a UUID in PostgreSQL's canonical form (`format: uuid` in the JSON Schema). */
export const uuidText = lazySchema(() => z.string().meta({ format: 'uuid' }));

/** A tutor's name: up to 255 characters (`maxLength` in the JSON Schema). */
export const nameText = lazySchema(() => z.string().meta({ maxLength: 255 }));

/** A tutor's email address, or null (`format: email`, `maxLength` in the JSON Schema). */
export const emailText = lazySchema(() => z.string().meta({ format: 'email', maxLength: 255 }).nullable());
