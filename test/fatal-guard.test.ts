import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, rawClient, type TqsDatabase } from '../src';
import { FatalErrorFilter, parseErrorResponse } from '../src/db/postgres-js/fatal-guard';
import { postgresUrl } from './support/databases';

/** One backend message: type byte, int32 length (itself included), body. */
function message(type: string, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

function errorResponse(severity: string, code: string, text: string): Buffer {
  const field = (letter: string, value: string) => `${letter}${value}\0`;
  return message('E', `${field('S', severity)}${field('V', severity)}${field('C', code)}${field('M', text)}\0`);
}

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

const startup = [
  message('R', int32(0)), // AuthenticationOk
  message('S', 'server_version\u000015.20\u0000'),
  message('K', Buffer.concat([int32(4242), int32(99)])),
  message('Z', 'I'),
];
const rows = Array.from({ length: 40 }, (_, i) => message('D', Buffer.concat([Buffer.from([0, 1]), int32(3), Buffer.from(String(100 + i))])));
const queryResult = [message('1'), message('2'), message('T', 'x'.repeat(30)), ...rows, message('C', 'SELECT 40\0'), message('Z', 'I')];
const recoverable = [errorResponse('ERROR', '23505', 'duplicate key value violates unique constraint "x"'), message('Z', 'I')];
const notice = message('N', 'SNOTICE\0MHello\0\0');
const fatal = errorResponse('FATAL', '57P01', 'terminating connection due to administrator command');

/** Feeds `stream` to a fresh filter cut at `cuts`; returns what was passed on and the FATAL error raised. */
function feed(stream: Buffer, cuts: number[]): { passed: Buffer; fatal: postgres.PostgresError | undefined; sameBuffers: number } {
  const filter = new FatalErrorFilter();
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b);
  const bounds = [0, ...points, stream.length];
  const passed: Buffer[] = [];
  let found: postgres.PostgresError | undefined;
  let sameBuffers = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const chunk = stream.subarray(bounds[i], bounds[i + 1]);
    const out = filter.push(chunk);
    if (out.data === chunk) sameBuffers++;
    passed.push(out.data);
    if (out.fatal) found ??= out.fatal;
  }
  return { passed: Buffer.concat(passed), fatal: found, sameBuffers };
}

describe('FatalErrorFilter (the byte stream between the socket and postgres.js)', () => {
  const healthy = Buffer.concat([...startup, ...queryResult, notice, ...recoverable, ...queryResult]);
  const dying = Buffer.concat([...startup, ...queryResult, ...recoverable, queryResult[0] as Buffer, fatal]);
  const beforeFatal = dying.subarray(0, dying.length - fatal.length);

  it('passes every message through unchanged, however the stream is cut, when no FATAL error comes', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: healthy.length }), { maxLength: 40 }), (cuts) => {
        const { passed, fatal: raised } = feed(healthy, cuts);
        expect(passed.equals(healthy)).toBe(true);
        expect(raised).toBeUndefined();
      }),
      { seed: 20261124, numRuns: 500 },
    );
    // Every single cut, including cuts inside a header.
    for (let cut = 1; cut < healthy.length; cut++) expect(feed(healthy, [cut]).passed.equals(healthy)).toBe(true);
  });

  it('holds back a FATAL error and raises it as a PostgresError, however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: dying.length }), { maxLength: 40 }), (cuts) => {
        const { passed, fatal: raised } = feed(dying, cuts);
        expect(passed.equals(beforeFatal)).toBe(true);
        expect(raised).toBeInstanceOf(postgres.PostgresError);
        expect(raised).toMatchObject({
          severity: 'FATAL',
          code: '57P01',
          message: 'terminating connection due to administrator command',
        });
      }),
      { seed: 20261124, numRuns: 500 },
    );
    for (let cut = 1; cut < dying.length; cut++) expect(feed(dying, [cut]).passed.equals(beforeFatal)).toBe(true);
  });

  it('passes nothing on after a FATAL error', () => {
    const trailing = Buffer.concat([dying, ...queryResult]);
    const { passed } = feed(trailing, [dying.length - 3, dying.length + 10]);
    expect(passed.equals(beforeFatal)).toBe(true);
  });

  it('leaves a FATAL error of the startup handshake to postgres.js (a wrong password, an unknown database)', () => {
    const refused = Buffer.concat([message('R', int32(3)), errorResponse('FATAL', '28P01', 'password authentication failed')]);
    const { passed, fatal: raised } = feed(refused, [7]);
    expect(passed.equals(refused)).toBe(true);
    expect(raised).toBeUndefined();
  });

  it('hands on the very Buffer it was given when a chunk holds no ErrorResponse', () => {
    const chunks = [Buffer.concat(startup), Buffer.concat(queryResult), Buffer.concat(queryResult)];
    const filter = new FatalErrorFilter();
    for (const chunk of chunks) expect(filter.push(chunk).data).toBe(chunk);
  });

  it('reads every field postgres.js reads, named as postgres.js names them', () => {
    const full = message(
      'E',
      'SERROR\0VERROR\0C23503\0Mviolates\0Ddetail\0Hhint\0WCOPY sessions, line 3\0spublic\0tsessions\0ctutor_id\0nsessions_tutor_id_fk\0Fri.c\0L2608\0Rri_ReportViolation\0\0',
    );
    expect(parseErrorResponse(full)).toEqual({
      severity_local: 'ERROR',
      severity: 'ERROR',
      code: '23503',
      message: 'violates',
      detail: 'detail',
      hint: 'hint',
      where: 'COPY sessions, line 3',
      schema_name: 'public',
      table_name: 'sessions',
      column_name: 'tutor_id',
      constraint_name: 'sessions_tutor_id_fk',
      file: 'ri.c',
      line: '2608',
      routine: 'ri_ReportViolation',
    });
  });
});

describe.runIf(postgresUrl !== undefined)('a backend terminated under a query [postgres]', () => {
  let db: TqsDatabase;
  let sql: postgres.Sql;
  let killer: postgres.Sql;

  beforeAll(async () => {
    // One connection, so the query after the kill runs on the connection that was killed, reconnected.
    db = await createDatabase({ url: postgresUrl as string, max: 1 });
    sql = (rawClient(db) as { sql: postgres.Sql }).sql;
    killer = postgres(postgresUrl as string, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await killer?.end();
    await db?.close();
  });

  /** Terminates the backend whose running query carries `tag`; waits until it is running. */
  async function terminate(tag: string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const [row] = await killer`
        select count(*)::int as killed from (
          select pg_terminate_backend(pid) from pg_stat_activity
          where pid <> pg_backend_pid() and state = 'active' and query like ${`%${tag}%`} and query not like '%pg_stat_activity%'
        ) k`;
      if (row?.killed === 1) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no running query tagged ${tag}`);
  }

  it("fails the running query with the server's 57P01, and the next query on the reconnected connection succeeds", async () => {
    for (let round = 0; round < 3; round++) {
      const tag = `tqs_guard_${round}`;
      const running = sql.unsafe(`select pg_sleep(30), '${tag}' as tag`).catch((e: unknown) => e);
      await terminate(tag);
      const error = await running;
      expect(error).toBeInstanceOf(postgres.PostgresError);
      expect(error).toMatchObject({ code: '57P01', severity: 'FATAL' });
      const [row] = await sql`select 1 as one`;
      expect(row?.one).toBe(1);
    }
  }, 30_000);

  it('fails queries queued behind the killed one with an error, never a hang, and the pool recovers', async () => {
    const tag = 'tqs_guard_queued';
    const running = sql.unsafe(`select pg_sleep(30), '${tag}' as tag`).catch((e: unknown) => e);
    const queued = [sql`select 2 as two`.catch((e: unknown) => e), sql`select 3 as three`.catch((e: unknown) => e)];
    await terminate(tag);
    expect(await running).toMatchObject({ code: '57P01' });
    for (const outcome of await Promise.all(queued)) {
      // Pipelined onto the killed backend (an error naming the lost connection), or run on the reconnection.
      if (outcome instanceof Error) expect((outcome as { code?: string }).code).toMatch(/^(57P01|CONNECTION_CLOSED)$/);
      else expect(Array.isArray(outcome)).toBe(true);
    }
    const [row] = await sql`select 4 as four`;
    expect(row?.four).toBe(4);
  }, 30_000);

  it('closes at once after a backend was terminated under a query, not after its close timeout', async () => {
    // postgres.js keeps the failed query as running on the lost connection; end() would wait the whole timeout for it.
    const own = await createDatabase({ url: postgresUrl as string, max: 2 });
    const ownSql = (rawClient(own) as { sql: postgres.Sql }).sql;
    const tag = 'tqs_guard_close';
    const running = ownSql.unsafe(`select pg_sleep(30), '${tag}' as tag`).catch((e: unknown) => e);
    await terminate(tag);
    expect(await running).toMatchObject({ code: '57P01' });
    // 120 s: a close that waited for the lost query would outlast this test's own 60 s.
    await own.close({ timeout: 120 });
  }, 60_000);

  it('recovers from a backend terminated while idle', async () => {
    const [{ pid }] = (await sql`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
    await killer`select pg_terminate_backend(${pid})`;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [row] = await sql`select pg_backend_pid() as pid`;
    expect(row?.pid).not.toBe(pid);
  }, 30_000);
});
