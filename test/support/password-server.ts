import { type AddressInfo, createServer } from 'node:net';

/**
 * A stand-in PostgreSQL server that asks every client for a password in clear text and refuses it with the server's
 * own FATAL 28P01, as a server with password authentication does for a wrong one (the project's machines run
 * PostgreSQL with trust authentication, which accepts any password). It records the passwords it was sent, so a test
 * can tell that the client really got as far as sending one.
 */
export async function passwordRefusingServer(): Promise<{ port: number; passwords: string[]; close(): Promise<void> }> {
  const passwords: string[] = [];
  const message = (type: string, body: Buffer) => {
    const header = Buffer.alloc(5);
    header.write(type, 0, 'latin1');
    header.writeUInt32BE(body.length + 4, 1);
    return Buffer.concat([header, body]);
  };
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let started = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const headerLength = started ? 5 : 4;
        if (buffered.length < headerLength) return;
        const length = buffered.readUInt32BE(started ? 1 : 0) + (started ? 1 : 0);
        if (buffered.length < length) return;
        const current = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        if (!started) {
          if (current.readUInt32BE(4) === 80877103) {
            socket.write('N'); // SSLRequest: no TLS here
            continue;
          }
          started = true;
          const clearText = Buffer.alloc(4);
          clearText.writeUInt32BE(3);
          socket.write(message('R', clearText)); // AuthenticationCleartextPassword
        } else if (current[0] === 0x70) {
          passwords.push(current.toString('utf8', 5, current.length - 1));
          const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "tqs"', 'Fauth.c', 'RAuthFailed'];
          socket.end(message('E', Buffer.from(`${fields.join('\0')}\0\0`)));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, passwords, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
