export * from './classes';
export * from './database-errors';
export { constraintDescriptions } from './constraint-descriptions';
export { describeServerError, lockTimeoutError, translateDatabaseError, translateQueryError } from './server-errors';
export { redactUrl } from '../util/redact-url';
