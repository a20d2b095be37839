export * from './schema';
export { constraintDescriptions } from './schema/constraints';
export * from './db';
export * from './errors';
export * from './scoring';
export * from './validation';
export * from './models';
export * from './generator';
export * from './report';
