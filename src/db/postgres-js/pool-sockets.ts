import type { Socket } from 'node:net';
import type postgres from 'postgres';
import type { SocketHooks } from './fatal-guard';

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
const TERMINATE = 0x58; // 'X': postgres.js closing the connection itself (end, idle_timeout, max_lifetime)
const IDLE = 0x49; // 'I': a ReadyForQuery outside a transaction block

interface Activity {
  /** Past the startup handshake (its first ReadyForQuery). */
  up: boolean;
  /** Syncs and Queries written and not yet answered by a ReadyForQuery. */
  pending: number;
  /** The transaction status of the last ReadyForQuery. */
  status: number;
  /** The server sent a FATAL error or the socket closed: the backend is gone. */
  dead: boolean;
  /** postgres.js sent Terminate: a close it chose, not a lost connection. */
  terminating: boolean;
}

/** The sockets of one pool and what runs on each, read from the bytes written and the ReadyForQuery messages read. */
export class PoolSockets {
  /**
   * Connections lost (a FATAL error from the server, or a socket that closed without postgres.js ending it): each may
   * have left a query that postgres.js holds as running, with or without bytes of it written.
   */
  lost = 0;
  private readonly live = new Set<Activity>();
  private readonly waiters = new Set<() => void>();

  /**
   * Follows `socket`, a socket of this pool, through the hooks returned, which its fatal guard calls. Call before the
   * socket writes anything.
   */
  track(socket: Socket): SocketHooks {
    const activity: Activity = { up: false, pending: 0, status: IDLE, dead: false, terminating: false };
    this.live.add(activity);
    countWrites(socket, (count, terminate) => {
      if (activity.up) activity.pending += count;
      if (terminate) activity.terminating = true;
    });
    // The backend is gone. The FATAL error comes first; the socket's close may come after the query's rejection has
    // reached the caller, who may close the pool at once.
    const lost = () => {
      if (activity.dead) return;
      activity.dead = true;
      if (!activity.terminating) this.lost += 1;
    };
    socket.once('close', () => {
      lost();
      this.live.delete(activity);
      this.changed();
    });
    return {
      onFatal: () => {
        lost();
        this.changed();
      },
      onReady: (status, afterStartup) => {
        activity.status = status;
        if (!afterStartup) activity.up = true;
        else if (activity.pending > 0) activity.pending -= 1;
        this.changed();
      },
    };
  }

  /**
   * No socket of the pool is connecting, running a statement or inside a transaction (none open counts as idle); a
   * socket whose backend sent a FATAL error runs nothing any more.
   */
  idle(): boolean {
    for (const activity of this.live) {
      if (activity.dead) continue;
      if (!activity.up || activity.pending > 0 || activity.status !== IDLE) return false;
    }
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
 * Ends a pool as `sql.end({ timeout })` does, except once a connection of it was lost: then it waits for the pool's
 * sockets to be idle (nothing running, no transaction open), at most `timeoutSeconds`, and ends the pool at once,
 * instead of waiting the whole timeout for a query postgres.js may still hold as running on the lost connection.
 *
 * @example
 * const sockets = new PoolSockets(); // its `track` given to every socket of `sql`
 * await endPool(sql, sockets, 5);
 */
export async function endPool(sql: postgres.Sql, sockets: PoolSockets, timeoutSeconds: number): Promise<void> {
  if (sockets.lost === 0) return sql.end({ timeout: timeoutSeconds });
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (await sockets.whenIdle(Math.max(0, deadline - Date.now()))) {
    // A query queued behind the last answer is written in the same turn: idle still, a turn later, means idle.
    await new Promise((resolve) => setImmediate(resolve));
    if (sockets.idle()) break;
  }
  return sql.end({ timeout: 0 });
}

/**
 * Calls `onMessages` with the number of Sync and Query messages in each write of `socket` after its first one
 * (postgres.js writes whole frontend messages, each a type byte and a length; the first write holds the untyped
 * startup packet), and whether postgres.js is ending the connection (a Terminate written, or `socket.end()`).
 */
function countWrites(socket: Socket, onMessages: (count: number, terminate: boolean) => void): void {
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
        let terminate = false;
        let pos = 0;
        while (pos < bytes.length) {
          if (left === 0) {
            const piece = bytes.subarray(pos, pos + 5 - header.length);
            pos += piece.length;
            header = header.length === 0 ? piece : Buffer.concat([header, piece]);
            if (header.length < 5) break;
            if (header[0] === SYNC || header[0] === QUERY) count += 1;
            if (header[0] === TERMINATE) terminate = true;
            left = header.readUInt32BE(1) - 4;
            header = Buffer.alloc(0);
          }
          const skip = Math.min(left, bytes.length - pos);
          pos += skip;
          left -= skip;
        }
        if (count > 0 || terminate) onMessages(count, terminate);
      }
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Socket['write'];
  // postgres.js ends a connection with `socket.end(Terminate)`, which does not go through `write`.
  const end = socket.end;
  socket.end = function endedByPool(this: Socket, ...args: unknown[]) {
    onMessages(0, true);
    return (end as (...a: unknown[]) => Socket).apply(this, args);
  } as Socket['end'];
}
