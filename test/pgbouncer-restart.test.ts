import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type TqsDatabase } from '../src';
import { type Cluster, clusterDir, clusterSkipReason, initCluster, removeClusters, waitFor } from './support/pg-cluster';
import { findPgbouncer, type Pgbouncer, pgbouncerVersion, startPgbouncer } from './support/pgbouncer';
import { nextQueryTime, steadyLoad } from './support/steady-load';

/*
 * Fault test (slow group): a service behind pgbouncer (transaction pooling, a `prepare=false` URL) under a steady
 * query load sees pgbouncer killed (SIGKILL, a crash) or shut down at once (SIGTERM) and started again on the same
 * port, several times. After each, the next query must succeed within RECOVERY_BOUND_MS (a bound that only catches a
 * hang), and no driver error may escape from a timer or a socket (vitest fails a run on an uncaught exception). The
 * upstream is a PostgreSQL cluster the test starts itself.
 */
const binary = findPgbouncer();
const skipReason = clusterSkipReason ?? (binary ? undefined : 'pgbouncer is not installed (apt-get install -y pgbouncer)');
if (skipReason) console.warn(`pgbouncer-restart.test: skipped (${skipReason})`);

const RESTARTS = 6;
/** The reconnect pause (at most 2 s) plus a connect, with room for a loaded machine. */
const RECOVERY_BOUND_MS = 15_000;
const POOL_SIZE = 4;

describe.skipIf(skipReason !== undefined)('pgbouncer restarts under load (fault test)', () => {
  let dir = '';
  let server: Cluster | undefined;

  beforeAll(async () => {
    const made = clusterDir('tqs-pgbouncer-restart-');
    dir = made.dir;
    server = await initCluster(made.dir, made.socketDir);
  }, 120_000);

  afterAll(() => removeClusters(dir, [server]), 60_000);

  it(`the next query succeeds after each of ${RESTARTS} pgbouncer restarts on the same port`, async () => {
    const upstream = (server as Cluster).url();
    let bouncer: Pgbouncer = await startPgbouncer(binary as string, upstream);
    const port = bouncer.port;
    const db: TqsDatabase = await createDatabase({ url: bouncer.url('postgres'), max: POOL_SIZE, socketTimeout: 5 });
    const load = steadyLoad(db);
    const times: number[] = [];
    try {
      for (let restart = 0; restart < RESTARTS; restart++) {
        const ok = load.state.successes;
        await waitFor('the load to succeed through pgbouncer', async () => load.state.successes > ok, 30_000);
        await bouncer.stop(restart % 2 === 0 ? 'SIGKILL' : 'SIGTERM');
        const failed = load.state.failures;
        await waitFor('calls to fail while pgbouncer is down', async () => load.state.failures - failed >= POOL_SIZE, 30_000);
        bouncer = await startPgbouncer(binary as string, upstream, 4, port);
        const time = await nextQueryTime(db, RECOVERY_BOUND_MS).catch((error: Error) => {
          throw new Error(`restart ${restart + 1}: ${error.message}`, { cause: error });
        });
        times.push(time);
      }
    } finally {
      await load.stop();
      await db.close();
      await bouncer.stop();
    }
    console.log(
      `pgbouncer-restart (${pgbouncerVersion(binary as string)}, transaction pooling, port ${port}): ${times.length} restarts ` +
        `survived (SIGKILL and SIGTERM in turn); first query after each back (ms): ${times.join(', ')}; ` +
        `load: ${load.state.successes} calls answered, failed during outages: ${load.kinds()}`,
    );
    expect(load.state.unexpected).toEqual([]);
    expect(times).toHaveLength(RESTARTS);
  }, 300_000);
});
