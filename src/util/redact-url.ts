/** Query parameters whose value is a secret: `password`, `sslpassword`, `PGPASSWORD`, ... */
const SECRET_PARAM = /([?&][^=&#]*pass[^=&#]*=)[^&#]*/gi;

/** `scheme://` (or `scheme:`) at the start of a connection string. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:(?:\/\/)?/;

/** One character of a user name or password that may appear raw in a URL's userinfo (RFC 3986), or `%XX`. */
const USERINFO_PART = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;

/**
 * Removes every secret from a connection string, for messages and logs, whatever the string looks like. When its
 * userinfo is unambiguous (one `@`, at most one `:`, nothing that should have been percent-encoded) the user name
 * stays and the password becomes `***`; otherwise the WHOLE userinfo (everything from the scheme to the last `@`)
 * becomes `***`, so that no part of a password that was not percent-encoded can leak. Password-like query parameters
 * (`password=`, `sslpassword=`, ...) become `***` too.
 *
 * @example
 * redactUrl('postgres://app:s3cret@db:5432/tqs');              // 'postgres://app:***@db:5432/tqs'
 * redactUrl('postgres://app:Wr@ng:/%pw@10.0.0.5:5433/tqs');   // 'postgres://***@10.0.0.5:5433/tqs'
 */
export function redactUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[0] ?? '';
  const rest = url.slice(scheme.length);
  const lastAt = rest.lastIndexOf('@');
  if (lastAt === -1) return url.replace(SECRET_PARAM, '$1***');
  const userinfo = rest.slice(0, lastAt);
  const after = rest.slice(lastAt + 1).replace(SECRET_PARAM, '$1***');
  const parts = userinfo.split(':');
  const clear =
    scheme.endsWith('//') &&
    parts.length <= 2 &&
    parts.every((part) => USERINFO_PART.test(part)) &&
    !/[/?#]/.test(userinfo);
  if (!clear) return `${scheme}***@${after}`;
  return `${scheme}${parts[0]}${parts.length === 2 ? ':***' : ''}@${after}`;
}
