export * from './classes';
export { constraintDescriptions } from './constraint-descriptions';
export { describeServerError, lockTimeoutError, translateDatabaseError } from './server-errors';
export { redactUrl } from '../util/redact-url';
