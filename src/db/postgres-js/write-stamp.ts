import type { Sql } from 'postgres';

/*
 * Noticing this process's writes to a primary, for read-your-writes: every statement, transaction or reserved
 * connection's statement that the primary's pool completes successfully counts as a write (the package cannot tell an
 * `execute(sql\`select …\`)` from an update, so it errs on the side of the primary). The reads the replica router
 * itself sends to the primary, and its probes, go through an unstamped view of the same pool instead: a read moved to
 * the primary must not hold the replicas back in turn.
 */

type Fn = (...args: unknown[]) => unknown;

/** `unsafe` of `handle` calling `onWrite` once a statement succeeded. */
function stampUnsafe(handle: Record<string, unknown>, onWrite: () => void): void {
  const unsafe = handle.unsafe as Fn;
  handle.unsafe = function stampedUnsafe(this: unknown, ...args: unknown[]) {
    const query = unsafe.apply(this, args) as Promise<unknown>;
    query.then(onWrite, () => {});
    return query;
  };
}

/**
 * Makes `pool` call `onWrite` after each statement, transaction (`begin`) and reserved connection's statement that
 * succeeded, and returns a view of the pool that does not (the same connections, for reads that are not writes).
 *
 * @example
 * const quiet = stampWrites(sql, () => (lastWriteAt = Date.now()));
 * await quiet.unsafe('select 1'); // not a write
 */
export function stampWrites(pool: Sql, onWrite: () => void): Sql {
  const handle = pool as unknown as Record<string, unknown>;
  const original = { unsafe: handle.unsafe, begin: handle.begin, reserve: handle.reserve };
  stampUnsafe(handle, onWrite);
  const begin = handle.begin as Fn;
  handle.begin = function stampedBegin(this: unknown, ...args: unknown[]) {
    const done = begin.apply(this, args) as Promise<unknown>;
    done.then(onWrite, () => {});
    return done;
  };
  const reserve = handle.reserve as Fn;
  handle.reserve = async function stampedReserve(this: unknown, ...args: unknown[]) {
    const reserved = (await reserve.apply(this, args)) as Record<string, unknown>;
    stampUnsafe(reserved, onWrite);
    return reserved;
  };
  return new Proxy(pool, {
    get: (target, key, receiver) =>
      key in original ? original[key as keyof typeof original] : Reflect.get(target, key, receiver),
  });
}
