import type { Socket } from 'node:net';

/** TCP keepalive probes start after this much idle time, so that a peer that vanished is noticed by the kernel. */
export const KEEPALIVE_DELAY_MS = 15_000;

/**
 * Fails a connection that stopped answering: once the client has sent something that the server has not answered,
 * if no byte arrives and no byte leaves for `timeoutMs`, the socket is destroyed with an error (code `ETIMEDOUT`)
 * that says so, and postgres.js fails the running query with it. An idle pooled connection never times out.
 *
 * TCP keepalive alone does not catch this: a partitioned network, or a load balancer or proxy that froze, still has
 * a kernel that acknowledges probes; and a COPY sends without waiting for replies. So the bound is the silence of the
 * connection, the way JDBC's `socketTimeout` works: it must exceed the longest statement the server may run without
 * replying (a full score refresh of a large database).
 *
 * @example
 * const socket = connect(5432, '127.0.0.1');
 * guardStalls(socket, 60_000);
 */
export function guardStalls(socket: Socket, timeoutMs: number): void {
  let lastWrite = 0;
  let sent = 0;
  let lastProgress = Date.now();
  // Which came last, a write or a read, by order and not by clock: a query sent in the same millisecond as the last
  // reply came in (a quick reply, the next query at once) would otherwise not count as waiting, and never time out.
  let events = 0;
  let writeEvent = 0;
  let readEvent = 0;
  const write = socket.write;
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    lastWrite = Date.now();
    writeEvent = ++events;
    return write.apply(this, args);
  } as Socket['write'];
  socket.on('data', () => {
    readEvent = ++events;
    lastProgress = Date.now();
  });
  const timer = setInterval(
    () => {
      const now = Date.now();
      // Bytes the kernel has taken: they left the process, so the path is still moving (a long COPY).
      const taken = socket.bytesWritten - socket.writableLength;
      if (taken !== sent) {
        sent = taken;
        lastProgress = now;
      }
      const waiting = writeEvent > readEvent || socket.writableLength > 0;
      if (!waiting || now - Math.max(lastProgress, lastWrite) < timeoutMs) return;
      clearInterval(timer);
      const error = Object.assign(
        new Error(
          `the connection to the database stopped answering: nothing came back for ${Math.round(timeoutMs / 1000)} s ` +
            '(a network partition or a stuck proxy?)',
        ),
        { code: 'ETIMEDOUT' },
      );
      socket.destroy(error);
    },
    Math.min(1_000, Math.max(50, timeoutMs / 4)),
  );
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}
