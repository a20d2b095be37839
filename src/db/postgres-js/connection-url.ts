import { InvalidOptionError } from '../../errors';
import { redactUrl } from '../../util/redact-url';

/** One server of a connection string; a multi-host string (`h1:5432,h2:5433`) has several. */
export interface ConnectionHost {
  /** Host name or IP address, IPv6 without its brackets. */
  host: string;
  port: number;
}

/** A connection string taken apart, every part percent-decoded. */
export interface ConnectionUrl {
  hosts: ConnectionHost[];
  /** Undefined when the string names none (the driver then takes `PGUSER`, else the OS user). */
  user: string | undefined;
  password: string | undefined;
  /** Undefined when the string names none (PostgreSQL then takes the user's name). */
  database: string | undefined;
  /** Query parameters (`sslmode`, `application_name`, ...), decoded. */
  params: Record<string, string>;
  /** The string with its password (or, were it ambiguous, its whole userinfo) replaced by `***`. */
  redacted: string;
}

/** PostgreSQL's port when the string names none. */
const DEFAULT_PORT = 5432;
/** PostgreSQL truncates longer identifiers (NAMEDATALEN − 1 bytes): a longer name would silently be another one. */
const MAX_IDENTIFIER_BYTES = 63;
/** Longest host name DNS allows. */
const MAX_HOST_LENGTH = 253;
/** Longer strings are refused before any parsing: no real connection string comes close. */
export const MAX_CONNECTION_URL_LENGTH = 4096;

const PERCENT_SAFE = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9\-_.]*[A-Za-z0-9_])?$/;
const IPV6 = /^\[([0-9A-Fa-f:.]+)\]$/;
const PORT = /^\d{1,5}$/;
const ENCODE_HINT = "percent-encode each reserved character of a user name or password (@ %40, : %3A, / %2F, % %25, ? %3F, # %23), e.g. with encodeURIComponent";

/**
 * Takes a PostgreSQL connection string apart, refusing anything that cannot be read one way only: a user name or
 * password with a raw `@ : / ? # [ ] %` or space, two `@`, an empty or non-numeric port, no host, a fragment, a
 * malformed `%XX`, names PostgreSQL would truncate. The refusal is an {@link InvalidOptionError} whose message shows
 * the string with its WHOLE userinfo replaced by `***`: nothing of a password is ever printed. Used by
 * `createDatabase({ url })` and by the CLI (`--database-url`, `$DATABASE_URL`), so both read a string the same way.
 *
 * @example
 * parseConnectionUrl('postgres://app:p%40ss@db.internal:5433/tqs');
 * // { hosts: [{ host: 'db.internal', port: 5433 }], user: 'app', password: 'p@ss', database: 'tqs', params: {}, ... }
 * parseConnectionUrl('postgres://app:p@ss@db.internal:5433/tqs');
 * // throws InvalidOptionError: url postgres://***@db.internal:5433/tqs has more than one '@' ...
 */
export function parseConnectionUrl(url: unknown, option = 'url'): ConnectionUrl {
  if (typeof url !== 'string') {
    throw new InvalidOptionError(option, `${option} must be a connection string such as postgres://user:password@host:5432/database (got ${url === null ? 'null' : typeof url})`);
  }
  // Redacted first, then cut and with control characters escaped, so that the message stays one line.
  const shown = () => {
    const redacted = redactUrl(url);
    const cut = redacted.length > 200 ? `${redacted.slice(0, 200)}…` : redacted;
    // biome-ignore lint: control characters are what this replaces
    return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  };
  const refuse = (why: string): never => {
    throw new InvalidOptionError(option, `${option} ${shown()} ${why}`);
  };
  if (url.trim() === '') refuse('is empty: give a connection string such as postgres://user:password@host:5432/database');
  if (url.length > MAX_CONNECTION_URL_LENGTH) {
    throw new InvalidOptionError(option, `${option} is ${url.length} characters long; a connection string has at most ${MAX_CONNECTION_URL_LENGTH}`);
  }
  // biome-ignore lint: control characters are what this looks for
  if (/[\s\u0000-\u001f\u007f]/.test(url)) refuse('contains a space, a line break or a control character: percent-encode it (space %20)');
  const scheme = /^postgres(?:ql)?:\/\//i.exec(url)?.[0];
  if (!scheme) refuse('must start with postgres:// or postgresql://');
  if (url.includes('#')) refuse(`contains '#', which would cut it short: ${ENCODE_HINT}`);
  const rest = url.slice(scheme!.length);
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
  if (tail.includes('@')) refuse(`has an '@' after the host, so its host cannot be told from its password: ${ENCODE_HINT}`);
  const ats = authority.split('@');
  if (ats.length > 2) refuse(`has more than one '@', so its host cannot be told from its password: ${ENCODE_HINT}`);
  const [userinfo, hostList] = ats.length === 2 ? [ats[0]!, ats[1]!] : [undefined, ats[0]!];

  const { user, password } = userinfo === undefined ? { user: undefined, password: undefined } : readUserinfo(userinfo, refuse);
  const hosts = hostList.split(',').map((entry) => readHost(entry, userinfo !== undefined, refuse));
  const queryStart = tail.indexOf('?');
  const database = readDatabase(queryStart === -1 ? tail : tail.slice(0, queryStart), refuse);
  const params = readParams(queryStart === -1 ? '' : tail.slice(queryStart + 1), refuse);
  return { hosts, user, password, database, params, redacted: redactUrl(url) };
}

type Refuse = (why: string) => never;

/** The user name and password of a connection string's userinfo, percent-decoded. */
function readUserinfo(userinfo: string, refuse: Refuse): { user: string | undefined; password: string | undefined } {
  const parts = userinfo.split(':');
  if (parts.length > 2) refuse(`has more than one ':' before its '@': ${ENCODE_HINT}`);
  if (!parts.every((part) => PERCENT_SAFE.test(part))) {
    refuse(`has a user name or password with a character that must be percent-encoded: ${ENCODE_HINT}`);
  }
  const decoded = parts.map((part) => decode(part, refuse, 'user name or password'));
  const user = decoded[0] === '' ? undefined : decoded[0];
  if (user !== undefined && byteLength(user) > MAX_IDENTIFIER_BYTES) {
    refuse(`has a user name longer than ${MAX_IDENTIFIER_BYTES} bytes, which PostgreSQL would truncate`);
  }
  return { user, password: decoded.length === 2 ? decoded[1] : undefined };
}

/** One `host[:port]` of the host list; `withUserinfo` adds the hint that a stray ':' or '@' may belong to a password. */
function readHost(entry: string, withUserinfo: boolean, refuse: Refuse): ConnectionHost {
  if (entry === '') refuse('names no host: give one, e.g. postgres://user@localhost:5432/database');
  const ipv6 = /^(\[[^\]]*\])(?::(.*))?$/.exec(entry);
  const [hostPart, portPart] = ipv6 ? [ipv6[1]!, ipv6[2]] : splitPort(entry);
  const host = IPV6.exec(hostPart)?.[1] ?? hostPart;
  if (!(IPV6.test(hostPart) || (HOST_NAME.test(host) && host.length <= MAX_HOST_LENGTH))) {
    refuse(`has a host that is not a host name or an IP address${withUserinfo ? ` (${ENCODE_HINT})` : ''}`);
  }
  if (portPart === undefined) return { host, port: DEFAULT_PORT };
  const port = PORT.test(portPart) ? Number(portPart) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) {
    refuse(`has ${portPart === '' ? 'an empty port' : 'a port that is not a number from 1 to 65535'}${withUserinfo ? ` (if the ':' belongs to a password: ${ENCODE_HINT})` : ''}`);
  }
  return { host, port };
}

/** The database name of the path (`/name`), percent-decoded; undefined when the string names none. */
function readDatabase(path: string, refuse: Refuse): string | undefined {
  if (path.lastIndexOf('/') > 0) refuse("has a '/' in its database name: percent-encode it as %2F");
  const rawDatabase = path.slice(1);
  if (!/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*$/.test(rawDatabase)) {
    refuse('has a database name with a character that must be percent-encoded');
  }
  const database = rawDatabase === '' ? undefined : decode(rawDatabase, refuse, 'database name');
  if (database !== undefined && byteLength(database) > MAX_IDENTIFIER_BYTES) {
    refuse(`has a database name longer than ${MAX_IDENTIFIER_BYTES} bytes, which PostgreSQL would truncate`);
  }
  return database;
}

/** The query parameters, each given once as `name=value`, percent-decoded. */
function readParams(query: string, refuse: Refuse): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of query === '' ? [] : query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) refuse("has a query parameter that is not name=value (parameters are separated by '&')");
    const name = decode(pair.slice(0, eq), refuse, 'query parameter');
    if (name in params) refuse(`gives the query parameter '${name}' twice`);
    params[name] = decode(pair.slice(eq + 1), refuse, 'query parameter');
  }
  return params;
}

/** `host:port` split at its only `:`; a second `:` is refused by the host check (it is not a host name). */
function splitPort(entry: string): [string, string | undefined] {
  const colon = entry.indexOf(':');
  return colon === -1 ? [entry, undefined] : [entry.slice(0, colon), entry.slice(colon + 1)];
}

function decode(text: string, refuse: Refuse, what: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) refuse(`has a '%' that does not start a %XX escape in its ${what}: write % as %25`);
  try {
    return decodeURIComponent(text);
  } catch {
    return refuse(`has %XX escapes in its ${what} that are not UTF-8`);
  }
}

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * The postgres.js options that connect to exactly what `parsed` names. Given beside the string (`postgres(url,
 * options)`), they override postgres.js' own reading of it, which does not percent-decode the database name and falls
 * back to localhost on a host it cannot read; the string still supplies the query parameters (`sslmode`, ...).
 *
 * @example
 * const sql = postgres(url, { ...postgresJsTarget(parseConnectionUrl(url)), max: 10 });
 */
export function postgresJsTarget(parsed: ConnectionUrl): {
  host: string;
  port: number;
  user?: string;
  pass?: string;
  database?: string;
} {
  // postgres.js types `host` and `port` as one value but takes arrays too (one entry per host, IPv6 unbracketed),
  // which is the only form that keeps an IPv6 address and a per-host port intact.
  return {
    host: parsed.hosts.map((h) => h.host) as unknown as string,
    port: parsed.hosts.map((h) => h.port) as unknown as number,
    ...(parsed.user !== undefined ? { user: parsed.user } : {}),
    ...(parsed.password !== undefined ? { pass: parsed.password } : {}),
    ...(parsed.database !== undefined ? { database: parsed.database } : {}),
  };
}

/**
 * Refuses a `url` option that is present but holds no connection string (`createDatabase({ url:
 * process.env.DATABASE_URL })` with the variable unset or empty): that would otherwise open a database nobody asked
 * for. Leaving `url` out altogether is how PGlite is asked for.
 *
 * @example
 * assertExplicitTarget({ url: undefined }); // throws InvalidOptionError: url is undefined ...
 * assertExplicitTarget({});                 // fine: in-memory PGlite, on purpose
 */
export function assertExplicitTarget(options: { url?: unknown }): void {
  if (!('url' in options)) return;
  const { url } = options;
  if (url !== undefined && url !== null && !(typeof url === 'string' && url.trim() === '')) return;
  const given = url === undefined ? 'undefined' : url === null ? 'null' : 'an empty string';
  throw new InvalidOptionError(
    'url',
    `url is ${given} (an unset or empty environment variable?): give a PostgreSQL connection string, or leave the ` +
      'url key out to open PGlite on purpose: createDatabase() in memory, createDatabase({ dataDir }) on disk',
  );
}

/**
 * A one-line reason why postgres.js could not connect to `parsed`, naming the host and port it tried (postgres.js
 * itself may say `write CONNECT_TIMEOUT undefined:undefined`).
 *
 * @example
 * connectFailure(error, parsed, 10); // 'no answer from db.internal:5433 within 10 s'
 */
export function connectFailure(error: unknown, parsed: ConnectionUrl, timeoutSeconds: number): string {
  const where = parsed.hosts.map((h) => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`).join(', ');
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'CONNECT_TIMEOUT') return `no answer from ${where} within ${timeoutSeconds} s`;
  if (code === 'ECONNREFUSED') return `connection refused by ${where} (is the server running on that port?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host of ${where} cannot be resolved`;
  const message = error instanceof Error ? error.message : String(error);
  let reason = message;
  if (parsed.password) reason = reason.split(parsed.password).join('***');
  return reason;
}
