import { inspect } from 'node:util';
import { type SQL, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  ConnectionStalledError,
  ConstraintViolationError,
  constraintDescriptions,
  createDatabase,
  isTqsError,
  NotFoundError,
  queryRows,
  rawClient,
  redactUrl,
  sessions,
  TqsError,
  type TqsDatabase,
  translateDatabaseError,
  tutors,
  ValidationError,
} from '../src';
import { describeEachBackend, postgresUrl, useDatabase } from './support/databases';
import { freezingProxy } from './support/freezing-proxy';

const tutorId = '00000000-0000-4000-8000-000000000001';

/*
 * Each case is one statement that fails, with its parameters; no parameter may reach the translated message (the
 * server's DETAIL may quote them: that stays in `detail`).
 */
interface ErrorCase {
  title: string;
  query: string;
  params: unknown[];
  sqlState: string;
  constraint?: string;
  column?: string;
}

const errorCases: ErrorCase[] = [
  {
    title: 'a CHECK',
    query: 'insert into tutors (name, email) values ($1, $2)',
    params: ['Nia', 'SECRET-1-no-at-sign'],
    sqlState: '23514',
    constraint: 'tutors_email_format',
  },
  {
    title: 'a UNIQUE',
    query: 'insert into tutors (name, email) values ($1, $2)',
    params: ['SECRET-2-name', 'ann@example.com'],
    sqlState: '23505',
    constraint: 'tutors_email_unique',
  },
  {
    title: 'a FOREIGN KEY',
    query: `insert into sessions (tutor_id, student_id, scheduled_time, status) values ($1, $2, $3, 'no_show')`,
    params: ['00000000-0000-4000-8000-00000000beef', 'SECRET-3-student', '2025-01-06T15:00:00Z'],
    sqlState: '23503',
    constraint: 'sessions_tutor_id_fk',
  },
  {
    title: 'a NOT NULL',
    query: 'insert into tutors (name, email) values ($1, $2)',
    params: [null, 'secret-4@example.com'],
    sqlState: '23502',
    column: 'name',
  },
  {
    title: 'a malformed uuid (22P02)',
    query: 'insert into tutors (id, name) values ($1, $2)',
    params: ['SECRET-5-not-a-uuid', 'Nia'],
    sqlState: '22P02',
  },
  {
    title: 'a malformed timestamp (22007)',
    query: `insert into sessions (tutor_id, student_id, scheduled_time, status)
            values ($1, 'student-1', $2, 'no_show')`,
    params: [tutorId, 'SECRET-6-not-a-time'],
    sqlState: '22007',
  },
  {
    title: 'an integer out of range (22003)',
    query: `insert into sessions (tutor_id, student_id, scheduled_time, status, duration_minutes)
            values ($1, 'student-1', '2025-01-06T15:00:00Z', 'completed', $2)`,
    params: [tutorId, '98765432109876'],
    sqlState: '22003',
  },
  {
    title: 'a value too long (22001)',
    query: 'insert into tutors (name) values ($1)',
    params: [`SECRET-7-${'x'.repeat(300)}`],
    sqlState: '22001',
  },
];

/** Every parameter of the case: none may appear in the translated message. */
const secretsOf = (c: ErrorCase) =>
  c.params.filter((p): p is string => typeof p === 'string').map((p) => p.slice(0, 40));

function expectTranslated(error: unknown, c: ErrorCase): ConstraintViolationError {
  const translated = translateDatabaseError(error);
  expect(translated).toBeInstanceOf(ConstraintViolationError);
  const violation = translated as ConstraintViolationError;
  expect(violation.code).toBe('CONSTRAINT_VIOLATION');
  expect(violation.sqlState).toBe(c.sqlState);
  expect(violation.cause).toBe(error);
  if (c.constraint) {
    expect(violation.constraint).toBe(c.constraint);
    expect(violation.table).toBe(c.constraint.startsWith('sessions') ? 'sessions' : 'tutors');
    expect(violation.message).toContain(c.constraint);
    expect(violation.message).toContain(constraintDescriptions[c.constraint]);
  } else {
    expect(violation.constraint).toBeUndefined();
  }
  if (c.column) expect(violation.column).toBe(c.column);
  for (const secret of secretsOf(c)) expect(violation.message).not.toContain(secret);
  expect(violation.message).not.toMatch(/insert into/i);
  expect(violation.message).not.toContain('$1');
  return violation;
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the statement to fail');
    },
    (error: unknown) => error,
  );
}

describeEachBackend('translateDatabaseError', (backend) => {
  let db: TqsDatabase;

  useDatabase(backend, (opened) => (db = opened));
  beforeAll(async () => {
    await db.insert(tutors).values({ id: tutorId, name: 'Ann Tutor', email: 'ann@example.com' });
  });

  /** The same statement through the bare driver: PGlite's `query` or postgres.js's `unsafe`. */
  const rawQuery = (query: string, params: unknown[]): Promise<unknown> => {
    const client = rawClient(db);
    return client.backend === 'pglite'
      ? client.pglite.query(query, params)
      : client.sql.unsafe(query, params as never[]);
  };

  it.each(errorCases.map((c) => [c.title, c] as const))('%s, raw from the driver', async (_title, c) => {
    const error = await errorOf(rawQuery(c.query, c.params));
    expect(error).not.toBeInstanceOf(TqsError);
    const violation = expectTranslated(error, c);
    if (c.sqlState === '23505') expect(violation.detail).toContain('ann@example.com'); // values stay in detail
  });

  it.each(errorCases.map((c) => [c.title, c] as const))('%s, wrapped by drizzle', async (_title, c) => {
    const error = await errorOf(db.execute(withParams(c.query, c.params)));
    for (const secret of secretsOf(c)) expect(inspect(error)).toContain(secret); // drizzle's message lists them
    expectTranslated(error, c);
  });

  it('drizzle query-builder errors, whose own message lists the parameters', async () => {
    const error = await errorOf(db.insert(tutors).values({ name: 'Nia', email: 'SECRET-8-no-at-sign' }));
    expect((error as Error).message).toContain('SECRET-8'); // what would leak without the translation
    expectTranslated(error, {
      title: '',
      query: '',
      params: ['SECRET-8-no-at-sign'],
      sqlState: '23514',
      constraint: 'tutors_email_format',
    });
    const fkError = await errorOf(
      db.insert(sessions).values({
        tutorId: '00000000-0000-4000-8000-00000000beef',
        studentId: 'SECRET-9',
        scheduledTime: new Date('2025-01-06T15:00:00Z'),
        status: 'no_show',
      }),
    );
    expect(translateDatabaseError(fkError)).toMatchObject({ constraint: 'sessions_tutor_id_fk', table: 'sessions' });
    expect((translateDatabaseError(fkError) as Error).message).not.toContain('SECRET-9');
  });

  it('a database error of another class comes back unchanged', async () => {
    const syntax = await errorOf(rawQuery('selec 1', []));
    expect(translateDatabaseError(syntax)).toBe(syntax);
    const missing = await errorOf(db.execute(sql`select * from no_such_table`));
    expect(translateDatabaseError(missing)).toBe(missing);
  });
});

describe('translateDatabaseError on anything else', () => {
  it('returns non-database errors and values unchanged', () => {
    const plain = new Error('boom');
    const ours = new NotFoundError('tutor', 'x');
    for (const value of [plain, ours, 'text', undefined, null, 42, { code: 'not-a-sqlstate' }]) {
      expect(translateDatabaseError(value)).toBe(value);
    }
  });

  it('finds the database error a few causes down', () => {
    const message = 'new row for relation "tutors" violates check constraint "tutors_name_not_blank"';
    const fields = { code: '23514', constraint: 'tutors_name_not_blank', table: 'tutors' };
    const pg = Object.assign(new Error(message), fields);
    const wrapped = new Error('outer', { cause: new Error('middle', { cause: pg }) });
    expect(translateDatabaseError(wrapped)).toMatchObject({ constraint: 'tutors_name_not_blank', table: 'tutors' });
  });
});

/** `query` with its `$n` placeholders bound to `params`, as a Drizzle SQL object (sent with the same parameters). */
function withParams(query: string, params: unknown[]): SQL {
  const chunks = query
    .split(/\$(\d+)/)
    .map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${params[Number(part) - 1]}`));
  return sql.join(chunks, sql.raw(''));
}

describe('redactUrl', () => {
  it.each([
    ['a password', 'postgres://tqs:s3cr3t-pw@db.example.com:5432/app', ['tqs', 'db.example.com:5432/app']],
    ['an encoded password', 'postgres://tqs:p%40ss%3As3cr3t-pw@db.example.com/app', ['tqs', 'db.example.com/app']],
    ['?password=', 'postgres://tqs@db.example.com/app?sslmode=require&password=s3cr3t-pw', ['sslmode=require', 'tqs@']],
    [
      '?sslpassword= and PGPASSWORD=',
      'postgres://db.example.com/app?sslpassword=s3cr3t-pw&PGPASSWORD=s3cr3t-pw2',
      ['db.example.com/app'],
    ],
    ['both', 'postgresql://tqs:s3cr3t-pw@db.example.com/app?password=s3cr3t-pw', ['tqs', 'db.example.com/app']],
    [
      'a multi-host URL that URL cannot parse',
      'postgres://tqs:s3cr3t-pw@h1:5432,h2:5433/app',
      ['tqs', 'h1:5432,h2:5433/app'],
    ],
  ])('hides %s', (_title, url, kept) => {
    const redacted = redactUrl(url);
    expect(redacted).not.toContain('s3cr3t');
    expect(redacted).not.toContain('p%40ss');
    for (const part of kept) expect(redacted).toContain(part);
    expect(redacted).toContain('***');
  });

  it('leaves a URL without a password as it was', () => {
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
  });
});

describe('createDatabase({ url }) that cannot connect', () => {
  const expectConnectionError = (error: unknown, secret: string) => {
    expect(error).toBeInstanceOf(ConnectionError);
    const connection = error as ConnectionError;
    expect(connection.code).toBe('CONNECTION_FAILED');
    expect(connection.message).not.toContain(secret);
    expect(connection.stack ?? '').not.toContain(secret);
    expect(connection.message).toContain('***');
    return connection;
  };

  it('an unreachable port: ConnectionError without the password', async () => {
    const error = await errorOf(createDatabase({ url: 'postgres://tqs:hunter2-secret@127.0.0.1:1/test' }));
    expect(expectConnectionError(error, 'hunter2-secret').message).toContain('127.0.0.1:1');
  });

  it('an unreachable port, password in the query string', async () => {
    const error = await errorOf(createDatabase({ url: 'postgres://tqs@127.0.0.1:1/test?password=hunter2-secret' }));
    expectConnectionError(error, 'hunter2-secret');
  });

  describe.skipIf(!postgresUrl)('on the PostgreSQL server', () => {
    const withTarget = (user: string, database: string) => {
      const url = new URL(postgresUrl as string);
      url.username = user;
      url.password = 'hunter2-secret';
      url.pathname = `/${database}`;
      return url.toString();
    };

    it('a role that does not exist: ConnectionError without the password', async () => {
      const error = await errorOf(createDatabase({ url: withTarget('tqs_no_such_role', 'test') }));
      expect(expectConnectionError(error, 'hunter2-secret').message).toContain('tqs_no_such_role');
    });

    it('a database that does not exist: ConnectionError without the password', async () => {
      const error = await errorOf(createDatabase({ url: withTarget('postgres', 'tqs_no_such_database') }));
      expect(expectConnectionError(error, 'hunter2-secret').message).toContain('tqs_no_such_database');
    });
  });
});

describe.skipIf(!postgresUrl)('a connection that stops answering (a frozen network) [postgres]', () => {
  it('fails the call with CONNECTION_STALLED, not the CONNECTION_FAILED of a refused connection', async () => {
    const target = new URL(postgresUrl as string);
    const proxy = await freezingProxy(target);
    const through = new URL(target);
    through.host = `127.0.0.1:${proxy.port}`;
    const db = await createDatabase({ url: through.toString(), max: 1, socketTimeout: 1 });
    try {
      await queryRows(db, sql`select 1`); // the path works, then freezes both ways with the connection open
      proxy.freeze();
      const error = await errorOf(queryRows(db, sql`select 1`));
      expect(error).toBeInstanceOf(ConnectionStalledError);
      expect(error).not.toBeInstanceOf(ConnectionError);
      expect((error as ConnectionStalledError).code).toBe('CONNECTION_STALLED');
      expect((error as Error).message).toMatch(/^queryRows: the connection to the database stopped answering: nothing came back for 1 s/);
    } finally {
      proxy.end();
      await db.close({ timeout: 0 }).catch(() => {});
    }
  });
});

describe('isTqsError and instanceof across copies of the package', () => {
  // What the CommonJS build (or a second installed copy) throws: its own classes, of the same names, with the brand.
  const foreign = () => {
    class TqsError extends Error {
      constructor(readonly code: string) {
        super('from another copy');
        Object.defineProperty(this, Symbol.for('@tqs/data/TqsError'), { value: true });
      }
    }
    class ValidationError extends TqsError {}
    return new ValidationError('VALIDATION_FAILED');
  };

  it('recognizes an error of another copy by its brand, and a subclass by its name', () => {
    const error = foreign();
    expect(isTqsError(error)).toBe(true);
    expect(error instanceof TqsError).toBe(true);
    expect(error instanceof ValidationError).toBe(true);
    expect(error instanceof NotFoundError).toBe(false);
  });

  it('refuses look-alikes without the brand, and keeps plain instanceof for its own classes', () => {
    class ValidationErrorLookAlike extends Error {}
    Object.defineProperty(ValidationErrorLookAlike, 'name', { value: 'ValidationError' });
    expect(isTqsError(new ValidationErrorLookAlike())).toBe(false);
    expect(new ValidationErrorLookAlike() instanceof ValidationError).toBe(false);
    expect(isTqsError({ code: 'NOT_FOUND' })).toBe(false);
    expect(isTqsError(null)).toBe(false);
    const own = new NotFoundError('tutor', 'x');
    expect(isTqsError(own)).toBe(true);
    expect(own instanceof TqsError && own instanceof NotFoundError).toBe(true);
    expect(own instanceof ValidationError).toBe(false);
  });
});
