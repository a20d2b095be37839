import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * PostgreSQL clusters a test makes itself with PostgreSQL's tools, in a temp dir, on free loopback ports, as user
 * postgres (the tools refuse root), and removes afterwards. The system server is never touched.
 */
export const PG_BIN = '/usr/lib/postgresql/15/bin';
const tools = ['initdb', 'pg_ctl', 'pg_basebackup'].map((tool) => join(PG_BIN, tool));
const missing = tools.find((tool) => !existsSync(tool));

/** Why this machine cannot start a cluster of its own, or undefined when it can. */
export const clusterSkipReason = missing
  ? `${missing} not found`
  : process.getuid?.() !== 0
    ? 'needs root to run the PostgreSQL tools as user postgres'
    : undefined;

/** Runs one of PostgreSQL's tools as user postgres (at most 60 s). */
export const asPostgres = (command: string, args: string[]) =>
  execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe', timeout: 60_000 });

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 100 ms until it holds, for at most `ms`. */
export async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

function uidGid(): [number, number] {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return [uid, gid];
}

/** A temp dir owned by postgres, with a `sockets` dir inside, for one or more clusters. */
export function clusterDir(prefix: string): { dir: string; socketDir: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const socketDir = join(dir, 'sockets');
  mkdirSync(socketDir);
  for (const path of [dir, socketDir]) chownSync(path, ...uidGid());
  return { dir, socketDir };
}

/** One cluster's data dir and port, started and stopped with `pg_ctl -w`. */
export interface Cluster {
  data: string;
  port: number;
  /** A URL to `database` (default `postgres`) as user postgres, with a password the server ignores (trust). */
  url(database?: string): string;
  start(): void;
  /** `pg_ctl stop` in `mode` (default fast). */
  stop(mode?: 'fast' | 'immediate' | 'smart'): void;
  running(): boolean;
}

/** The cluster in `dir/name` on `port` (not created: see {@link initCluster}). */
export function cluster(dir: string, socketDir: string, name: string, port: number): Cluster {
  const data = join(dir, name);
  const pgCtl = (args: string[]) =>
    asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', data, '-w', '-t', '30', '-l', join(dir, `${port}.log`), ...args]);
  return {
    data,
    port,
    url: (database = 'postgres') => `postgres://postgres:secret-pw@127.0.0.1:${port}/${database}`,
    start: () => pgCtl(['-o', `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1`, 'start']),
    stop: (mode = 'fast') => pgCtl(['-m', mode, 'stop']),
    running: () => existsSync(join(data, 'postmaster.pid')),
  };
}

/** initdb (trust, user postgres, no fsync) with replication allowed from loopback, then start. */
export async function initCluster(dir: string, socketDir: string, name = 'primary'): Promise<Cluster> {
  const made = cluster(dir, socketDir, name, await freePort());
  asPostgres(join(PG_BIN, 'initdb'), ['-D', made.data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  appendFileSync(join(made.data, 'pg_hba.conf'), 'host replication all 127.0.0.1/32 trust\n');
  appendFileSync(join(made.data, 'postgresql.conf'), 'wal_level = replica\nmax_wal_senders = 4\nfsync = off\n');
  made.start();
  return made;
}

/** A streaming standby of `primary` made with pg_basebackup, started. */
export async function startStandby(primary: Cluster, dir: string, socketDir: string, name = 'standby'): Promise<Cluster> {
  const made = cluster(dir, socketDir, name, await freePort());
  asPostgres(join(PG_BIN, 'pg_basebackup'), [
    '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', made.data, '-R', '-X', 'stream',
  ]);
  made.start();
  return made;
}

/** Stops every running cluster given (fast) and removes `dir`. */
export function removeClusters(dir: string, clusters: (Cluster | undefined)[]): void {
  for (const made of clusters) {
    if (made?.running()) {
      try {
        made.stop();
      } catch {
        // Already stopped.
      }
    }
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
}
