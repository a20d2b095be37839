import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, InvalidOptionError, parseConnectionUrl, redactUrl } from '../src';
import { postgresUrl } from './support/databases';
import { passwordRefusingServer } from './support/password-server';

/** RFC 3986's reserved characters (gen-delims and sub-delims), plus '%' and a space, which must be escaped too. */
const RESERVED = ":/?#[]@!$&'()*+,;=% ";

describe('parseConnectionUrl', () => {
  it('reads every part, percent-decoded', () => {
    const parsed = parseConnectionUrl('postgresql://app%40x:p%40ss%3Aw%2Frd@db.internal:5433/My%20DB?sslmode=disable&application_name=a%26b');
    expect(parsed).toMatchObject({
      hosts: [{ host: 'db.internal', port: 5433 }],
      user: 'app@x',
      password: 'p@ss:w/rd',
      database: 'My DB',
      params: { sslmode: 'disable', application_name: 'a&b' },
      redacted: 'postgresql://app%40x:***@db.internal:5433/My%20DB?sslmode=disable&application_name=a%26b',
    });
  });

  it('reads multi-host strings, IPv6 and the default port', () => {
    expect(parseConnectionUrl('postgres://h1:5432,h2,[::1]:6000/db').hosts).toEqual([
      { host: 'h1', port: 5432 },
      { host: 'h2', port: 5432 },
      { host: '::1', port: 6000 },
    ]);
  });

  it.each([
    ['a raw @ in the password', 'postgres://pwuser:Wr@localhost:/%pw@127.0.0.1:5433/pwdb', /more than one '@'|after the host/],
    ['a raw : in the password', 'postgres://pwuser:a:bcdef@127.0.0.1:5433/pwdb', /more than one ':'/],
    ['a raw / in the password', 'postgres://pwuser:ab/cdef@127.0.0.1:5433/pwdb', /after the host/],
    ['a raw % in the password', 'postgres://pwuser:ab%zzdef@127.0.0.1:5433/pwdb', /percent-encoded|%XX/],
    ['a raw # in the password', 'postgres://pwuser:ab#cdef@127.0.0.1:5433/pwdb', /'#'/],
    ['a raw ? in the password', 'postgres://pwuser:ab?cdef@127.0.0.1:5433/pwdb', /after the host/],
    ['an empty port', 'postgres://u@127.0.0.1:/db', /empty port/],
    ['port 0', 'postgres://u@127.0.0.1:0/db', /port that is not a number from 1 to 65535/],
    ['port 70000', 'postgres://u@127.0.0.1:70000/db', /port that is not a number from 1 to 65535/],
    ['no host', 'postgres:///db', /names no host/],
    ['another scheme', 'mysql://u@h/db', /must start with postgres:\/\//],
    ['no scheme', 'localhost:5432/db', /must start with postgres:\/\//],
    ['a newline', 'postgres://u@h/db\n', /line break/],
    ['a database name PostgreSQL would truncate', `postgres://u@h/${'d'.repeat(64)}`, /longer than 63 bytes/],
    ['a 5 KB string', `postgres://u@h/${'x'.repeat(5000)}`, /at most 4096/],
    ['a malformed escape', 'postgres://u@h/d%E0%A4', /not UTF-8/],
    ['a query without =', 'postgres://u@h/d?sslmode', /name=value/],
    ['an empty string', '', /is empty/],
  ])('refuses %s, naming the option and the fix', (_title, url, reason) => {
    let error: unknown;
    try {
      parseConnectionUrl(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    const { message, option } = error as InvalidOptionError;
    expect(option).toBe('url');
    expect(message).toMatch(/^url /);
    expect(message).toMatch(reason);
    expect(message.split('\n')).toHaveLength(1);
    expect(message).not.toMatch(/Wr@|%pw|abcdef|ab%zz|ab#c|ab\/c|ab\?c|a:bc/);
  });

  it('refuses a raw password of every reserved character and prints none of it', () => {
    for (const char of RESERVED) {
      const password = `pw${char}x${char}9`;
      const url = `postgres://tqs:${password}@127.0.0.1:5433/pwdb`;
      let message = '';
      try {
        parseConnectionUrl(url);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidOptionError);
        message = (error as Error).message;
      }
      // The sub-delimiters (! $ & ' ( ) * + , ; =) are legal in a password as they are: read unambiguously.
      if ("!$&'()*+,;=".includes(char)) {
        expect(parseConnectionUrl(url).password).toBe(password);
        continue;
      }
      expect(message, `raw ${JSON.stringify(char)}`).not.toBe('');
      expect(message).not.toContain(`x${char}9`);
      expect(message).not.toMatch(/pw.x/);
    }
  });
});

describe('redactUrl', () => {
  it('replaces the whole userinfo when it is ambiguous, so no part of the password shows', () => {
    expect(redactUrl('postgres://pwuser:Wr@localhost:/%pw@127.0.0.1:5433/pwdb')).toBe('postgres://***@127.0.0.1:5433/pwdb');
    expect(redactUrl('postgres://u:a:b@h/db')).toBe('postgres://***@h/db');
    expect(redactUrl('postgres:u:pw@h/db')).toBe('postgres:***@h/db');
    expect(redactUrl('u:pw@h/db')).not.toContain('pw');
  });
});

describe('a password of every reserved character, percent-encoded, reaches the right host and port', () => {
  let server: Awaited<ReturnType<typeof passwordRefusingServer>>;
  beforeAll(async () => {
    server = await passwordRefusingServer();
  });
  afterAll(() => server?.close());

  it('sends it decoded to 127.0.0.1:<port>, and the error never shows it', async () => {
    const password = `${RESERVED}é${RESERVED}`;
    const url = `postgres://tqs:${encodeURIComponent(password).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}@127.0.0.1:${server.port}/pwdb`;
    const error = await createDatabase({ url }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(server.passwords.at(-1)).toBe(password);
    expect((error as Error).message).toMatch(new RegExp(`^cannot connect to postgres://tqs:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/pwdb: password authentication failed`));
    expect((error as Error).message).not.toContain('%40');
  });

  it('a raw one is refused before any connection is made', async () => {
    const sent = server.passwords.length;
    const url = `postgres://tqs:${RESERVED.replace(' ', '')}@127.0.0.1:${server.port}/pwdb`;
    await expect(createDatabase({ url })).rejects.toThrow(InvalidOptionError);
    expect(server.passwords.length).toBe(sent);
  });
});

describe('createDatabase with a url key but no connection string', () => {
  it.each([
    ['undefined', undefined],
    ['an empty string', ''],
  ])('refuses url: %s and says how to ask for PGlite', async (_title, url) => {
    const error = await createDatabase({ url }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe('INVALID_OPTION');
    expect((error as Error).message).toMatch(/^url is (undefined|an empty string) .*leave the url key out .*createDatabase\(\) in memory/);
  });
});

describe.skipIf(!postgresUrl)('createDatabase on the test server through the parser', () => {
  it('connects to a URL with an encoded password and an explicit port', async () => {
    const url = new URL(postgresUrl!);
    url.password = encodeURIComponent('p@ss:/%?#[]');
    await using db = await createDatabase({ url: url.toString() });
    expect(db.backend).toBe('postgres');
  });
});
