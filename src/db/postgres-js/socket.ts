import { connect, type Socket } from 'node:net';
import { guardFatalErrors } from './fatal-guard';
import type { PoolSockets } from './pool-sockets';
import { KEEPALIVE_DELAY_MS } from './stall-guard';

/*
 * postgres.js connects its own sockets with Nagle's algorithm on, and every COPY then waits ~40 ms for a delayed ACK.
 * Handing it sockets with TCP_NODELAY set removes that wait (COPY loads 3x faster on small batches). Only single-host
 * TCP and Unix-socket targets get the custom socket; anything else keeps the default. Without TLS, the socket also
 * gets the guard of `fatal-guard.ts`, so that a backend terminated in the middle of a query fails that query with the
 * server's error and not the next query of the pool. TCP keepalive is on, so that the kernel notices a server that
 * vanished while the connection was idle.
 *
 * The socket is returned while it is still connecting, never as a promise that waits for the connection: postgres.js
 * 3.4 (connection.js `createSocket`) handles a factory that rejects by failing the query and then forgetting the
 * connection slot, which stays in its "connecting" queue for good; after `max` refused connects (a server restart)
 * the pool has no slot left and every later query waits forever. A socket that fails to connect instead emits `error`
 * and `close`, the path postgres.js takes for its own sockets: the query fails, the slot goes back to the pool and is
 * reconnected by the next query. It also puts the connect under postgres.js's `connect_timeout`, which starts only
 * once the factory has returned.
 */
export function noDelaySocket(
  options: { host?: string[]; port?: number[]; path?: string; ssl?: unknown },
  pool?: PoolSockets,
): Socket {
  const socket = options.path
    ? connect({ path: options.path })
    : connect({
        port: options.port?.[0] ?? 5432,
        host: options.host?.[0] ?? 'localhost',
        noDelay: true,
        keepAlive: true,
        keepAliveInitialDelay: KEEPALIVE_DELAY_MS,
      });
  // Without TLS the bytes are readable: the fatal guard, and what runs on the socket for closing the pool.
  if (!options.ssl) guardFatalErrors(socket, pool?.track(socket));
  dropStaleWrites(socket);
  return socket;
}

const STARTUP_CODES = new Set([196_608, 80_877_102, 80_877_103, 80_877_104]); // protocol 3.0, cancel, SSL, GSSENC

/**
 * Makes sure a new connection starts with its startup packet. postgres.js 3.4 keeps the bytes of a query it had
 * buffered for a connection that closed before they were written, and sends them in front of the next startup
 * message on the reconnected socket; the server then never answers the handshake and that pool slot hangs. Complete
 * frontend messages found before the startup packet in the first write are dropped (their query already failed with
 * the lost connection).
 */
function dropStaleWrites(socket: Socket): void {
  const write = socket.write;
  let first = true;
  // A flag, not a swap back to the original: other guards (stall-guard.ts) wrap `write` over this one.
  socket.write = function firstWrite(this: Socket, chunk: unknown, ...rest: unknown[]) {
    const start = first && Buffer.isBuffer(chunk) ? startupOffset(chunk) : 0;
    first = false;
    return (write as (...args: unknown[]) => boolean).call(this, start > 0 ? (chunk as Buffer).subarray(start) : chunk, ...rest);
  } as Socket['write'];
}

/** Where the startup (or SSL, cancel) packet begins in `buffer`, skipping whole typed frontend messages before it. */
export function startupOffset(buffer: Buffer): number {
  let pos = 0;
  for (let steps = 0; steps < 10_000 && pos + 8 <= buffer.length; steps++) {
    if (STARTUP_CODES.has(buffer.readUInt32BE(pos + 4))) return pos;
    pos += 1 + buffer.readUInt32BE(pos + 1);
  }
  return 0;
}

/** The longest pause, in seconds, before a pool slot reconnects after failed connects. */
export const MAX_RECONNECT_DELAY_S = 2;

/**
 * postgres.js's `backoff`: seconds a pool slot waits before it reconnects, after `retries` failed connects in a row
 * (shared by the pool, reset by a good connect). postgres.js's own grows to 20 s after eight failures, so a server that
 * was refusing connections for a few seconds stayed unused for up to 20 s after it came back; this one doubles from
 * 50 ms up to {@link MAX_RECONNECT_DELAY_S}, with jitter so that the slots do not reconnect all at once.
 *
 * @example
 * postgres(url, { backoff: reconnectBackoff }); // 0.05 s, 0.1 s, 0.2 s, ... 2 s (times 0.5 to 1)
 */
export function reconnectBackoff(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, MAX_RECONNECT_DELAY_S);
}
