import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type TqsDatabase } from '../src';
import { startupOffset } from '../src/db/postgres-js/socket';
import { type Cluster, clusterDir, clusterSkipReason, initCluster, removeClusters, waitFor } from './support/pg-cluster';

/*
 * Fault test (slow group: it restarts a PostgreSQL server of its own ten times). A pool under a steady load of
 * queries and transactions sees its server stop (`pg_ctl stop -m fast`), refuse connections until every pool slot has
 * failed to connect at least once, and start again; after each restart the next query must succeed within
 * RECOVERY_BOUND_MS, and no driver error may escape from a timer or a socket (vitest fails a run on any uncaught
 * exception). Skipped, with the reason printed, on a machine that cannot start a cluster.
 */
if (clusterSkipReason) console.warn(`pool-recovery.test: skipped (${clusterSkipReason})`);

const RESTARTS = 10;
/** The first query after the server is back: reconnect pause (at most 2 s) plus a connect, with room for load. */
const RECOVERY_BOUND_MS = 10_000;
const POOL_SIZE = 4;
/** What a call may fail with while the server is down: refused, terminated by the shutdown, lost, or ours. */
const EXPECTED_FAILURES = /^(ECONNREFUSED|ECONNRESET|57P01|57P03|CONNECTION_CLOSED|CONNECTION_FAILED)$/;

describe.skipIf(clusterSkipReason !== undefined)('pool recovery after server restarts (fault test)', () => {
  let dir = '';
  let server: Cluster | undefined;

  beforeAll(async () => {
    const made = clusterDir('tqs-pool-recovery-');
    dir = made.dir;
    server = await initCluster(made.dir, made.socketDir);
  }, 120_000);

  afterAll(() => removeClusters(dir, [server]), 60_000);

  it(`recovers after each of ${RESTARTS} restarts under load, with coded errors only on the calls affected`, async () => {
    const cluster = server as Cluster;
    const db: TqsDatabase = await createDatabase({ url: cluster.url(), max: POOL_SIZE, socketTimeout: 5 });
    await db.execute(sql`create table if not exists ticks (n int)`);
    let stop = false;
    let failures = 0;
    let successes = 0;
    const errorKinds = new Map<string, number>();
    const unexpected: unknown[] = [];
    const tick = async (n: number) => {
      try {
        if (n % 2 === 0) await db.execute(sql`select 1`);
        else {
          await db.transaction(async (tx) => {
            await tx.execute(sql`insert into ticks values (${n})`);
            await tx.execute(sql`select pg_sleep(0.01)`);
          });
        }
        successes++;
      } catch (error) {
        failures++;
        const code = String((error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code);
        if (!EXPECTED_FAILURES.test(code)) unexpected.push(error);
        errorKinds.set(code, (errorKinds.get(code) ?? 0) + 1);
      }
    };
    // Two loaders, each one call at a time with 50 ms between calls.
    const loaders = [0, 1].map(async (lane) => {
      for (let n = lane; !stop; n += 2) {
        await tick(n);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    const recoveries: number[] = [];
    try {
      for (let restart = 0; restart < RESTARTS; restart++) {
        await waitFor('the load to succeed', async () => successes > 0, 30_000);
        cluster.stop('fast');
        const failedBefore = failures;
        // Refused connects until every slot has failed at least once (the pool once lost a slot per refusal).
        await waitFor('refused connections', async () => failures - failedBefore >= POOL_SIZE * 2, 30_000);
        cluster.start();
        const back = Date.now();
        successes = 0;
        const first = db.execute(sql`select 1 as ok`);
        const bound = new Promise<never>((_, reject) => {
          const timer = setTimeout(() => reject(new Error(`no answer ${RECOVERY_BOUND_MS} ms after restart ${restart + 1}`)), RECOVERY_BOUND_MS);
          void first.finally(() => clearTimeout(timer)).catch(() => {});
        });
        await Promise.race([first, bound]).catch((error) => {
          throw new Error(`restart ${restart + 1}: ${error.cause?.message ?? error.message}`, { cause: error });
        });
        recoveries.push(Date.now() - back);
      }
    } finally {
      stop = true;
      await Promise.all(loaders);
      await db.close();
    }
    console.log(
      `pool-recovery: ${recoveries.length} restarts survived; first good query after each (ms): ${recoveries.join(', ')}; ` +
        `failed calls during outages: ${[...errorKinds].map(([code, count]) => `${code} ${count}`).join(', ')}`,
    );
    expect(unexpected).toEqual([]);
    expect(recoveries).toHaveLength(RESTARTS);
    expect(Math.max(...recoveries)).toBeLessThan(RECOVERY_BOUND_MS);
  }, 300_000);
});

describe('a reconnected socket starts with its startup packet', () => {
  const startup = Buffer.from([0, 0, 0, 8, 0, 3, 0, 0]);
  const query = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 13]), Buffer.from('rollback\0')]);

  it('finds the startup packet behind whole stale messages, and leaves a clean first write alone', () => {
    expect(startupOffset(startup)).toBe(0);
    expect(startupOffset(Buffer.concat([query, startup]))).toBe(query.length);
    expect(startupOffset(Buffer.concat([query, query, startup]))).toBe(query.length * 2);
    // SSLRequest and CancelRequest count as a start too; bytes with no start in them go through unchanged.
    expect(startupOffset(Buffer.concat([query, Buffer.from([0, 0, 0, 8, 4, 210, 22, 47])]))).toBe(query.length);
    expect(startupOffset(query)).toBe(0);
  });
});
