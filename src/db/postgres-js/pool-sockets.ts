import type { Socket } from 'node:net';
import type postgres from 'postgres';

/*
 * postgres.js 3.4 keeps a query as "running" on a connection that closed under it (a backend terminated in the middle
 * of a statement, a network that dropped): the query is rejected, but the connection still holds it until a
 * ReadyForQuery that a closed connection never receives. `sql.end({ timeout })` then waits the whole timeout for that
 * connection, so a service that lost a backend once takes 5 s to close, and a CLI that printed its last line waits
 * 5 s more to exit. The pool's sockets say what really runs: every Sync or Query a connection writes is answered by
 * one ReadyForQuery, whose last byte is the transaction status. {@link PoolSockets} counts both per socket, so that
 * closing can wait for real work only (see {@link endPool}).
 */

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const IDLE = 0x49; // 'I': a ReadyForQuery outside a transaction block

interface Activity {
  /** Past the startup handshake (its first ReadyForQuery). */
  up: boolean;
  /** Syncs and Queries written and not yet answered by a ReadyForQuery. */
  pending: number;
  /** The transaction status of the last ReadyForQuery. */
  status: number;
}

/** The sockets of one pool and what runs on each, read from the bytes written and the ReadyForQuery messages read. */
export class PoolSockets {
  /** Sockets that closed while a statement was running on them: postgres.js may hold a query as running for each. */
  closedMidQuery = 0;
  private readonly live = new Set<Activity>();
  private readonly waiters = new Set<() => void>();

  /**
   * Follows `socket`, a socket of this pool whose ReadyForQuery messages reach `ready` (the fatal guard's hook):
   * returns that hook. Call before the socket writes anything.
   */
  track(socket: Socket): (status: number, afterStartup: boolean) => void {
    const activity: Activity = { up: false, pending: 0, status: IDLE };
    this.live.add(activity);
    countWrites(socket, (count) => {
      if (activity.up) activity.pending += count;
    });
    socket.once('close', () => {
      if (activity.up && activity.pending > 0) this.closedMidQuery += 1;
      this.live.delete(activity);
      this.changed();
    });
    return (status, afterStartup) => {
      activity.status = status;
      if (!afterStartup) activity.up = true;
      else if (activity.pending > 0) activity.pending -= 1;
      this.changed();
    };
  }

  /** No socket of the pool is connecting, running a statement or inside a transaction (none open counts as idle). */
  idle(): boolean {
    for (const activity of this.live) if (!activity.up || activity.pending > 0 || activity.status !== IDLE) return false;
    return true;
  }

  /** Resolves true as soon as {@link idle} holds, false when it has not after `ms`. */
  whenIdle(ms: number): Promise<boolean> {
    if (this.idle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      const check = () => {
        if (this.idle()) done(true);
      };
      const timer = setTimeout(() => done(false), ms);
      this.waiters.add(check);
    });
  }

  private changed(): void {
    for (const check of [...this.waiters]) check();
  }
}

/**
 * Ends a pool as `sql.end({ timeout })` does, except once a connection of it was lost in the middle of a statement:
 * then it waits for the pool's sockets to be idle (nothing running, no transaction open), at most `timeoutSeconds`,
 * and ends the pool at once, instead of waiting the whole timeout for a query postgres.js still holds as running on
 * the closed connection.
 *
 * @example
 * const sockets = new PoolSockets(); // its `track` given to every socket of `sql`
 * await endPool(sql, sockets, 5);
 */
export async function endPool(sql: postgres.Sql, sockets: PoolSockets, timeoutSeconds: number): Promise<void> {
  if (sockets.closedMidQuery === 0) return sql.end({ timeout: timeoutSeconds });
  await sockets.whenIdle(timeoutSeconds * 1000);
  return sql.end({ timeout: 0 });
}

/**
 * Calls `onMessages` with the number of Sync and Query messages in each write of `socket` after its first
 * ReadyForQuery (postgres.js writes whole frontend messages, each a type byte and a length); writes before that
 * (the startup packet, which has no type byte, and the password exchange) are counted too but ignored by the caller.
 */
function countWrites(socket: Socket, onMessages: (count: number) => void): void {
  const write = socket.write;
  let header: Buffer = Buffer.alloc(0);
  let left = 0;
  let startup = true;
  socket.write = function countedWrite(this: Socket, chunk: unknown, ...rest: unknown[]) {
    if (Buffer.isBuffer(chunk) || chunk instanceof Uint8Array) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (startup) {
        // The startup packet (and anything postgres.js put before it) is not typed: count from the next write on.
        startup = false;
      } else {
        let count = 0;
        let pos = 0;
        while (pos < bytes.length) {
          if (left === 0) {
            const piece = bytes.subarray(pos, pos + 5 - header.length);
            pos += piece.length;
            header = header.length === 0 ? piece : Buffer.concat([header, piece]);
            if (header.length < 5) break;
            if (header[0] === SYNC || header[0] === QUERY) count += 1;
            left = header.readUInt32BE(1) - 4;
            header = Buffer.alloc(0);
          }
          const skip = Math.min(left, bytes.length - pos);
          pos += skip;
          left -= skip;
        }
        if (count > 0) onMessages(count);
      }
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Socket['write'];
}
