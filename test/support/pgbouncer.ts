import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The pgbouncer binary: `$PGBOUNCER`, Debian's `/usr/sbin/pgbouncer`, or one on the PATH; undefined when none. */
export function findPgbouncer(): string | undefined {
  for (const candidate of [process.env.PGBOUNCER, '/usr/sbin/pgbouncer', '/usr/local/bin/pgbouncer']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The version line pgbouncer prints, e.g. `PgBouncer 1.18.0`. */
export function pgbouncerVersion(binary: string): string {
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0]?.trim() ?? 'unknown';
}

export interface Pgbouncer {
  port: number;
  /** The config pgbouncer runs with, for messages. */
  config: string;
  /** A URL through pgbouncer to `database` of the upstream server, with postgres.js' `prepare=false`. */
  url(database: string): string;
  /** Ends pgbouncer with `signal` (default SIGTERM, its immediate shutdown; SIGKILL for a crash) and removes its dir. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

/**
 * Starts a pgbouncer process of its own (not a system service) on a free loopback port (or on `port`, to restart one
 * where its clients expect it), in transaction pooling mode
 * in front of `upstream` (a `postgres://user@host:port/...` URL with trust authentication), with its config and auth
 * file in a temp dir. pgbouncer refuses to run as root, so as root it is told to switch to the `postgres` user.
 * Waits at most 10 s for it to listen; stop() ends it and removes the temp dir.
 */
export async function startPgbouncer(binary: string, upstream: string, poolSize = 4, fixedPort?: number): Promise<Pgbouncer> {
  const server = new URL(upstream);
  const user = decodeURIComponent(server.username || 'postgres');
  const dir = mkdtempSync(join(tmpdir(), 'tqs-pgbouncer-'));
  const authFile = join(dir, 'users.txt');
  writeFileSync(authFile, `"${user}" ""\n`);
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = fixedPort ?? (await freePort());
    const config = [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${authFile}`,
      'pool_mode = transaction',
      // Fewer server connections than the client pool's 10, so that transactions really share them.
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 200',
      'logfile =',
      'pidfile =',
    ].join('\n');
    const configPath = join(dir, 'pgbouncer.ini');
    writeFileSync(configPath, `${config}\n`);
    const asRoot = process.getuid?.() === 0;
    const child: ChildProcess = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let running = true;
    void exited.then(() => {
      running = false;
    });
    const deadline = Date.now() + 10_000;
    while (running && Date.now() < deadline && !(await answers(port))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (running && (await answers(port))) {
      return {
        port,
        config,
        url: (database) => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}?prepare=false`,
        async stop(signal: NodeJS.Signals = 'SIGTERM') {
          if (running) {
            child.kill(signal);
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
            await exited;
            clearTimeout(timer);
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    await exited;
    lastError = log.trim().split('\n').slice(-3).join(' | ');
    // Another process took the port: try another (a fixed port has no other).
    if (fixedPort !== undefined || !/address already in use/i.test(log)) break;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`pgbouncer did not start: ${lastError || 'no output'}`);
}
