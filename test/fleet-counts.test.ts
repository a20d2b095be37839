import { randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  archiveHistory,
  clearDatabase,
  fleetSummary,
  generateDataset,
  ingestSessions,
  insertDataset,
  queryRows,
  rawClient,
  rescheduleBreakdown,
  rescheduleTrend,
  restoreHistory,
  type TqsDatabase,
} from '../src';
import { describeEachBackend, postgresUrl, useDatabase } from './support/databases';
import { lockHolder } from './support/lock-holder';

/*
 * fleet_counts, the per-quarter-hour counts the database keeps, against a plain recount of the rows after random
 * writes of every kind (inserts, outcomes, moves in time, deletes, reschedules and their edits and removals, ingest,
 * archive and restore, TRUNCATE); and the fleet-wide calls that read them against plain queries over the rows, on
 * periods that start and end inside a quarter-hour.
 */

const NOW = new Date('2026-03-15T12:00:00.000Z');
const DAY = 86_400_000;
const MINUTE = 60_000;

/** A stable pseudo-random choice of `n` rows of a table, by `seed`. */
const pick = (table: string, seed: number, n: number, where = 'true'): SQL =>
  sql.raw(`select "id" from "${table}" where ${where} order by md5("id"::text || '${seed}') limit ${n}`);

const offsetMs = fc.integer({ min: -100 * DAY, max: 20 * DAY }).map((ms) => ms - (ms % 1000));
const reasonCode = fc.constantFrom(null, 'sick', 'conflict', 'travel');

/** One write, as psql or another service would issue it (plain SQL), or through this package's own calls. */
const writeArb = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.array(offsetMs, { minLength: 1, maxLength: 6 }), noShow: fc.boolean(), seed: fc.nat() }),
  fc.record({ op: fc.constant('complete' as const), seed: fc.nat(), n: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ op: fc.constant('move' as const), seed: fc.nat(), n: fc.integer({ min: 1, max: 20 }), by: offsetMs }),
  fc.record({ op: fc.constant('delete' as const), seed: fc.nat(), n: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ op: fc.constant('reschedule' as const), seed: fc.nat(), n: fc.integer({ min: 1, max: 8 }), tutor: fc.boolean(), code: reasonCode, leadHours: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ op: fc.constant('editReschedule' as const), seed: fc.nat(), n: fc.integer({ min: 1, max: 8 }), code: reasonCode, leadHours: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ op: fc.constant('unreschedule' as const), seed: fc.nat(), n: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('ingest' as const), at: offsetMs, cancelled: fc.boolean() }),
  fc.record({ op: fc.constant('archive' as const), daysBefore: fc.integer({ min: 20, max: 120 }) }),
  fc.record({ op: fc.constant('restore' as const) }),
);
type Write = typeof writeArb extends fc.Arbitrary<infer W> ? W : never;

async function apply(db: TqsDatabase, w: Write): Promise<void> {
  const tutor = sql`(select "id" from "tutors" order by "id" limit 1)`;
  switch (w.op) {
    case 'insert':
      await db.execute(sql`insert into sessions (tutor_id, student_id, scheduled_time, status)
        select ${tutor}, 'student-' || ${w.seed}, ${NOW.toISOString()}::timestamptz + (ms || ' milliseconds')::interval, ${w.noShow ? 'no_show' : 'scheduled'}
        from unnest(${`{${w.at.join(',')}}`}::bigint[]) ms`);
      return;
    case 'complete':
      await db.execute(sql`update sessions set status = 'completed', completed_time = scheduled_time + interval '50 minutes'
        where id in (${pick('sessions', w.seed, w.n, `"status" = 'scheduled'`)})`);
      return;
    case 'move':
      // Sessions with a reschedule cannot move (its foreign key holds the session's time): the others do.
      await db.execute(sql`update sessions set scheduled_time = scheduled_time + (${w.by} || ' milliseconds')::interval,
        completed_time = completed_time + (${w.by} || ' milliseconds')::interval
        where id in (${pick('sessions', w.seed, w.n, `"status" <> 'rescheduled'`)})`);
      return;
    case 'delete':
      await db.execute(sql`delete from sessions where id in (${pick('sessions', w.seed, w.n, `not exists (select 1 from email_reports e where e.session_id = sessions.id)`)})`);
      return;
    case 'reschedule':
      await db.transaction(async (tx) => {
        const ids = sql`select id from sessions where id in (${pick('sessions', w.seed, w.n, `"status" = 'scheduled'`)})`;
        await tx.execute(sql`set constraints reschedules_session_fk deferred`);
        await tx.execute(sql`insert into reschedules (session_id, initiator, original_time, cancelled_at, reason_code)
          select id, ${w.tutor ? 'tutor' : 'student'}, scheduled_time, scheduled_time - (${w.leadHours} || ' hours')::interval, ${w.code}
          from sessions where id in (${ids})`);
        await tx.execute(sql`update sessions set status = 'rescheduled' where id in (select session_id from reschedules) and status = 'scheduled'`);
      });
      return;
    case 'editReschedule':
      await db.execute(sql`update reschedules set reason_code = ${w.code}, initiator = case initiator when 'tutor' then 'student' else 'tutor' end,
        cancelled_at = original_time - (${w.leadHours} || ' hours')::interval where id in (${pick('reschedules', w.seed, w.n)})`);
      return;
    case 'unreschedule':
      await db.transaction(async (tx) => {
        const gone = await queryRows<{ session_id: string }>(tx, sql`delete from reschedules where id in (${pick('reschedules', w.seed, w.n)}) returning session_id::text`);
        if (gone.length === 0) return;
        await tx.execute(sql`update sessions set status = 'no_show' where id = any(${`{${gone.map((g) => g.session_id).join(',')}}`}::uuid[])`);
      });
      return;
    case 'ingest': {
      const [first] = await queryRows<{ id: string }>(db, sql`select id::text from tutors order by id limit 1`);
      const scheduledTime = new Date(NOW.getTime() + w.at).toISOString();
      const reschedule = { initiator: 'tutor', newTime: null, reasonCode: 'travel', cancelledAt: new Date(NOW.getTime() + w.at - 5 * 3_600_000).toISOString() };
      await ingestSessions(db, [
        { id: randomUUID(), tutorId: first!.id, studentId: 'ingested', scheduledTime, ...(w.cancelled ? { status: 'rescheduled', reschedule } : { status: 'no_show' }) },
      ]);
      return;
    }
    case 'archive':
      await archiveHistory(db, { before: new Date(NOW.getTime() - w.daysBefore * DAY), force: true });
      return;
    case 'restore':
      await restoreHistory(db);
  }
}

/** fleet_counts' non-zero rows, and the same counts recounted from the rows in plain SQL, each in one order. */
async function keptAndRecounted(db: TqsDatabase) {
  const order = sql`order by 1, 2, 3`;
  const kept = await queryRows(db, sql`select kind, bucket::text, key, count::int from fleet_counts where count <> 0 ${order}`);
  const quarter = (column: string) => sql.raw(`(timestamptz 'epoch' + floor(extract(epoch from ${column}) / 900) * interval '900 seconds')::text`);
  const recounted = await queryRows(
    db,
    sql`select * from (
      select 'status' as kind, ${quarter('scheduled_time')} as bucket, status as key, count(*)::int as count from sessions group by 1, 2, 3
      union all select 'initiator', ${quarter('original_time')}, initiator, count(*)::int from reschedules group by 1, 2, 3
      union all select 'reason', ${quarter('original_time')}, coalesce(reason_code, ''), count(*)::int from reschedules group by 1, 2, 3
      union all select 'lead', ${quarter('original_time')},
        case when hours_before_session < 24 then 'under24h' when hours_before_session < 72 then '1to3days' else '3daysOrMore' end,
        count(*)::int from reschedules group by 1, 2, 3) c ${order}`,
  );
  return { kept, recounted };
}

/** The fleet-wide calls on a period inside quarter-hours, and the same figures from plain queries over the rows. */
async function callsAndPlain(db: TqsDatabase, from: Date, to: Date, timeZone: string) {
  const range = (column: string) => sql.raw(`${column} >= '${from.toISOString()}' and ${column} < '${to.toISOString()}'`);
  const trend = await rescheduleTrend(db, { from, to, bucket: 'day', timeZone });
  const plainTrend = await queryRows<{ start: string; sessions: number; tutor: number }>(
    db,
    sql`select to_char(date_trunc('day', scheduled_time at time zone ${timeZone}) at time zone ${timeZone} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as start,
      count(*)::int as sessions, count(r.id) filter (where r.initiator = 'tutor')::int as tutor
      from sessions s left join reschedules r on r.session_id = s.id where ${range('s.scheduled_time')} group by 1 order by 1`,
  );
  const weekday = await rescheduleBreakdown(db, { from, to, by: 'weekday', timeZone });
  const plainWeekday = await queryRows<{ key: number; count: number }>(
    db,
    sql`select extract(isodow from original_time at time zone ${timeZone})::int as key, count(*)::int as count from reschedules where ${range('original_time')} group by 1 order by 1`,
  );
  const reasons = await rescheduleBreakdown(db, { from, to, by: 'reasonCode' });
  const plainReasons = await queryRows<{ key: string | null; count: number }>(
    db,
    sql`select reason_code as key, count(*)::int as count from reschedules where ${range('original_time')} group by 1 order by 2 desc, 1 nulls last`,
  );
  const summary = await fleetSummary(db, { asOf: to });
  const [plain30] = await queryRows<{ sessions: number; noShows: number; tutor: number }>(
    db,
    sql`select count(*)::int as sessions, count(*) filter (where status = 'no_show')::int as "noShows",
      (select count(*)::int from reschedules where initiator = 'tutor' and original_time > ${new Date(to.getTime() - 30 * DAY).toISOString()}::timestamptz and original_time <= ${to.toISOString()}::timestamptz) as tutor
      from sessions where scheduled_time > ${new Date(to.getTime() - 30 * DAY).toISOString()}::timestamptz and scheduled_time <= ${to.toISOString()}::timestamptz`,
  );
  return {
    calls: {
      trend: trend.buckets.filter((b) => b.sessions > 0).map((b) => ({ start: b.start, sessions: b.sessions, tutor: b.tutorReschedules })),
      weekday: weekday.groups.filter((g) => g.count > 0),
      reasons: reasons.groups,
      last30: { sessions: summary.last30Days.sessions, noShows: summary.last30Days.noShows, tutor: summary.last30Days.tutorReschedules },
    },
    plain: { trend: plainTrend, weekday: plainWeekday, reasons: plainReasons, last30: plain30 },
  };
}

describeEachBackend('fleet counts', (backend) => {
  let db: TqsDatabase;
  useDatabase(backend, (opened) => (db = opened));

  it('equal a plain recount after random writes of every kind, and the fleet calls equal plain queries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(writeArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: -95 * DAY, max: -2 * DAY }),
        fc.integer({ min: 1, max: 40 * DAY }),
        fc.constantFrom('UTC', 'Asia/Kathmandu', 'America/St_Johns', 'Europe/Paris'),
        async (writes, fromOffset, length, timeZone) => {
          await clearDatabase(db, { confirm: true });
          await db.execute(sql`truncate tqs_archive.email_reports, tqs_archive.reschedules, tqs_archive.sessions`);
          await insertDataset(db, generateDataset({ seed: 7, tutors: 4, sessions: 160, days: 100, now: NOW }));
          for (const w of writes) await apply(db, w);
          const { kept, recounted } = await keptAndRecounted(db);
          expect(kept).toEqual(recounted);
          // A period that starts and ends inside quarter-hours (seconds and minutes off the grid).
          const from = new Date(NOW.getTime() + fromOffset + 7 * MINUTE + 13_000);
          const { calls, plain } = await callsAndPlain(db, from, new Date(from.getTime() + length + 11 * MINUTE + 17_000), timeZone);
          expect(calls).toEqual(plain);
        },
      ),
      { numRuns: 5 },
    );
    // TRUNCATE (clearDatabase) empties them.
    await clearDatabase(db, { confirm: true });
    expect((await keptAndRecounted(db)).kept).toEqual([]);
  }, 300_000);

  it.runIf(backend.name === 'postgres')('concurrent writers of the same quarter-hours neither deadlock nor lose a count', async () => {
    await clearDatabase(db, { confirm: true });
    await insertDataset(db, generateDataset({ seed: 3, tutors: 3, sessions: 20, days: 10, now: NOW }));
    // Each statement writes 40 sessions over the same 40 quarter-hours, half in one order and half in the other.
    const writer = (k: number) =>
      db.execute(sql`insert into sessions (tutor_id, student_id, scheduled_time, status)
        select (select id from tutors order by id limit 1), 'concurrent-' || ${k},
          ${NOW.toISOString()}::timestamptz + (case when ${k % 2} = 0 then q else 39 - q end) * interval '15 minutes', 'no_show'
        from generate_series(0, 39) q`);
    await Promise.all(Array.from({ length: 16 }, (_, k) => writer(k)));
    const { kept, recounted } = await keptAndRecounted(db);
    expect(kept).toEqual(recounted);
  });

  /*
   * What keeps those writers from deadlocking: a statement upserts its counts in key order, so two statements that
   * share counts lock them in the same order. Seen directly, with no timing: another session holds the count of the
   * 21st of 40 quarter-hours; a statement writing all 40 (its rows in the reverse order) stops there, holding the 20
   * before it in key order and none after it. Without the ORDER BY of tqs_add_fleet_counts the statement takes them
   * in its aggregate's order, and holds another set when it stops.
   */
  it.runIf(backend.name === 'postgres')('a statement takes the counts it writes in key order (what keeps concurrent writers from deadlocking)', async () => {
    await clearDatabase(db, { confirm: true });
    await insertDataset(db, generateDataset({ seed: 3, tutors: 3, sessions: 20, days: 10, now: NOW }));
    const base = new Date(NOW.getTime() + 40 * DAY).toISOString();
    const write = (student: string, reversed: boolean) =>
      db.execute(sql`insert into sessions (tutor_id, student_id, scheduled_time, status)
        select (select id from tutors order by id limit 1), ${student},
          ${base}::timestamptz + (case when ${reversed} then 39 - q else q end) * interval '15 minutes', 'no_show'
        from generate_series(0, 39) q`);
    // Every count exists first: the statement below updates them, and another session can see which it holds.
    await write('first', false);
    const client = rawClient(db);
    if (client.backend !== 'postgres') throw new Error('expected PostgreSQL');
    const url = new URL(postgresUrl as string);
    url.pathname = `/${client.sql.options.database}`;
    const locks = lockHolder(url.toString());
    try {
      const release = await locks.hold(
        `select 1 from fleet_counts where kind = 'status' and key = 'no_show' and bucket = '${base}'::timestamptz + 20 * interval '15 minutes' for update`,
      );
      const writer = write('second', true);
      let free: number[];
      try {
        await locks.someoneWaits(writer);
        const rows = await locks.watcher.begin(
          (tx) => tx<{ q: number }[]>`select (extract(epoch from bucket - ${base}::timestamptz) / 900)::int as q from fleet_counts
            where kind = 'status' and key = 'no_show' and bucket >= ${base}::timestamptz order by bucket for update skip locked`,
        );
        free = rows.map((row) => row.q);
      } finally {
        await release();
      }
      await writer;
      expect(free).toEqual(Array.from({ length: 19 }, (_, i) => 21 + i));
    } finally {
      await locks.end();
    }
    const { kept, recounted } = await keptAndRecounted(db);
    expect(kept).toEqual(recounted);
  });
});
