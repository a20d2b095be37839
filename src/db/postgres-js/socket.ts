import { connect, type Socket } from 'node:net';
import { guardFatalErrors } from './fatal-guard';
import { KEEPALIVE_DELAY_MS } from './stall-guard';

/*
 * postgres.js connects its own sockets with Nagle's algorithm on, and every COPY then waits ~40 ms for a delayed ACK.
 * Handing it sockets that are already connected with TCP_NODELAY set removes that wait (COPY loads 3x faster on small
 * batches). Only single-host TCP and Unix-socket targets get the custom socket; anything else keeps the default.
 * Without TLS, the socket also gets the guard of `fatal-guard.ts`, so that a backend terminated in the middle of a
 * query fails that query with the server's error and not the next query of the pool. TCP keepalive is on, so that
 * the kernel notices a server that vanished while the connection was idle.
 */
export function noDelaySocket(options: { host?: string[]; port?: number[]; path?: string; ssl?: unknown }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = options.path ? connect(options.path) : connect(options.port?.[0] ?? 5432, options.host?.[0] ?? 'localhost');
    if (!options.ssl) guardFatalErrors(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}
