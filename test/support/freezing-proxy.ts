import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/** What {@link freezingProxy} returns. */
export interface FreezingProxy {
  server: Server;
  port: number;
  /** Stops forwarding, both ways, on every connection (new ones included); nothing is closed. */
  freeze(): void;
  /** Bytes forwarded so far. */
  bytes(): number;
  end(): void;
}

/** A TCP proxy on loopback to the PostgreSQL server that stops forwarding (both ways) once `frozen` is set. */
export function freezingProxy(target: URL): Promise<FreezingProxy> {
  let frozen = false;
  let forwarded = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const pipe = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (frozen) return; // dropped: a partition, or a load balancer that stopped forwarding
        forwarded += chunk.length;
        to.write(chunk);
      });
    pipe(client, upstream);
    pipe(upstream, client);
    // A dead path keeps both ends open: a closing client is not told to the server while frozen.
    client.on('close', () => (frozen ? undefined : upstream.destroy()));
    upstream.on('close', () => (frozen ? undefined : client.destroy()));
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  return new Promise((resolveProxy) =>
    server.listen(0, '127.0.0.1', () =>
      resolveProxy({
        server,
        port: (server.address() as AddressInfo).port,
        freeze: () => (frozen = true),
        bytes: () => forwarded,
        end: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}
