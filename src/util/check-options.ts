// Kept until every caller imports the option checks from `../errors/check-options`: util sits below errors.
export { checkOptions, isBoolean, isNonEmptyString, isWholeNumber, type OptionCheck } from '../errors/check-options';
