/**
 * A PostgreSQL identifier in double quotes, with embedded quotes doubled, safe to splice into SQL text.
 *
 * @example
 * quoteIdent('My "odd"-db'); // '"My ""odd""-db"'
 */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
