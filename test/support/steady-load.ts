import { sql } from 'drizzle-orm';
import type { TqsDatabase } from '../../src';

/** What a call may fail with while its server or proxy is away: refused, reset, lost, shut down, or ours. */
const OUTAGE_CODES = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|08...|57P0[1-3]|CONNECT_TIMEOUT|CONNECTION_(CLOSED|ENDED|DESTROYED|FAILED))$/;

const codeOf = (error: unknown): string =>
  String((error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code ?? 'none');

/**
 * A service's steady query load on `db`: `lanes` loops, each one call at a time (a `select 1`, then a short
 * transaction) with `gapMs` between calls, counting successes and failures by code, until `stop()`.
 */
export function steadyLoad(db: TqsDatabase, lanes = 2, gapMs = 50) {
  const state = { running: true, successes: 0, failures: 0, kinds: new Map<string, number>(), unexpected: [] as unknown[] };
  const call = async (n: number) => {
    if (n % 2 === 0) await db.execute(sql`select 1`);
    else await db.transaction(async (tx) => void (await tx.execute(sql`select pg_sleep(0.005)`)));
  };
  const loops = Array.from({ length: lanes }, async (_, lane) => {
    for (let n = lane; state.running; n += lanes) {
      try {
        await call(n);
        state.successes++;
      } catch (error) {
        state.failures++;
        const code = codeOf(error);
        if (!OUTAGE_CODES.test(code)) state.unexpected.push(error);
        state.kinds.set(code, (state.kinds.get(code) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  });
  return {
    state,
    /** The failures so far by code, `CODE count, ...`. */
    kinds: () => [...state.kinds].map(([code, count]) => `${code} ${count}`).join(', '),
    async stop() {
      state.running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * Milliseconds `db` takes to answer the next `select 1`, which must succeed; rejects with the query's error, or when
 * it has no answer after `boundMs` (a hang: a pool that never recovers).
 */
export async function nextQueryTime(db: TqsDatabase, boundMs: number): Promise<number> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the query had no answer after ${boundMs} ms`)), boundMs);
  });
  try {
    await Promise.race([db.execute(sql`select 1 as ok`), hang]);
    return Date.now() - start;
  } finally {
    clearTimeout(timer);
  }
}
