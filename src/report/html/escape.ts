/**
 * Escapes text for HTML and SVG content and attribute values (double-quoted).
 *
 * @example
 * escapeHtml('<b>"A & B"</b>'); // '&lt;b&gt;&quot;A &amp; B&quot;&lt;/b&gt;'
 */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
