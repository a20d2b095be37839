import { withReplicas } from 'drizzle-orm/pg-core';
import type { Sql } from 'postgres';
import { ConnectionError, InvalidOptionError, redactUrl, ReplicaReadError, translateDatabaseError } from '../errors';
import { isTqsError } from '../errors/classes';
import { connectionLost, findInChain, sqlStateOf } from '../util/error-chain';
import { rawClient } from './backend';
import type { Database } from './client';
import { inCall } from './call';
import type { CloseOptions, CreateDatabaseOptions, TqsDatabase } from './database';
import { overPostgres } from './postgres-js/open';
import { readReplicaOf } from './read-replica-of';
import { stampWrites } from './postgres-js/write-stamp';
import { faultReason, type ReadTarget, ReplicaRouter } from './replica-router';

/*
 * Read replicas over drizzle's `withReplicas`: its select builders (`db.select()`, `db.query`, `db.$count`, `db.with`)
 * go to the target {@link ReplicaRouter} picks, and everything else (`insert`, `update`, `delete`, `execute`,
 * `transaction`) to the primary. This package's read-only helpers go through {@link readFromReplica}, which moves on
 * to the next target when one fails.
 */

const routerKey = Symbol('tqs.replicaRouter');

/** A replica's pool waits at most this long for a silent server by default (a frozen standby), in seconds. */
const REPLICA_SOCKET_TIMEOUT_S = 30;
/** The probe connection's bound for a silent server, in seconds. */
const PROBE_SOCKET_TIMEOUT_S = 5;
/** `maxReplicaLag` when not given, in ms. */
const DEFAULT_MAX_REPLICA_LAG_MS = 10_000;

/** Opens a pool on `url`; with `connect` false it does not connect until its first query. */
type Open = (url: string, extra: Partial<CreateDatabaseOptions>, connect: boolean) => Promise<TqsDatabase>;

/** The router of a database opened with `readReplicas`, or undefined. */
export const routerOf = (db: Database): ReplicaRouter | undefined => (db as { [routerKey]?: ReplicaRouter })[routerKey];

/**
 * Puts the replica databases behind the primary with drizzle's `withReplicas`, routed by a {@link ReplicaRouter},
 * and closes all of them together. The primary stays reachable as `db.$primary`, the replicas as `db.$replicas`.
 */
export async function withReadReplicas(primary: TqsDatabase, options: CreateDatabaseOptions, open: Open): Promise<TqsDatabase> {
  const urls = options.readReplicas;
  if (!Array.isArray(urls) || urls.length === 0 || urls.some((url) => typeof url !== 'string' || url.trim() === '')) {
    await primary.close();
    throw new InvalidOptionError('readReplicas', 'createDatabase: readReplicas must be a non-empty array of PostgreSQL connection strings');
  }
  const opened: TqsDatabase[] = [];
  const replicas: Replica[] = [];
  let primaryProbe: Sql;
  try {
    for (const url of urls) replicas.push(await openReplica(url, options, open, opened));
    // The probes' own connection to the primary: a busy pool never makes them (and the reads awaiting them) wait.
    primaryProbe = postgresOf(await open(options.url as string, PROBE_POOL, true).then((db) => (opened.push(db), db)));
  } catch (error) {
    await Promise.allSettled([primary.close(), ...opened.map((db) => db.close())]);
    throw error;
  }
  let router: ReplicaRouter | undefined;
  // The primary as reads see it: the same pool, but what goes through it is not taken for a write of this process.
  const quiet = stampWrites(postgresOf(primary), () => router?.wrote());
  const reader = overPostgres(quiet, options.logger, async () => {});
  router = new ReplicaRouter({ label: redactUrl(options.url ?? ''), db: reader, sql: primaryProbe }, replicas, {
    maxReplicaLag: options.maxReplicaLag ?? DEFAULT_MAX_REPLICA_LAG_MS,
    readYourWrites: options.readYourWrites ?? true,
  });
  await router.refresh();
  const routing = router;
  const routed = withReplicas(primary as Database, replicas.map((replica) => replica.db) as unknown as [Database, ...Database[]], () =>
    routing.pickNow(),
  );
  return Object.assign(routed, closingAll(primary, opened), { [routerKey]: routing }) as unknown as TqsDatabase;
}

type Replica = ReadTarget & { probe: Sql; db: TqsDatabase; down?: unknown };

/** A probe's pool: one connection, a short bound on a silent server, no query log. */
const PROBE_POOL: Partial<CreateDatabaseOptions> = { max: 1, socketTimeout: PROBE_SOCKET_TIMEOUT_S, logger: undefined };

/**
 * Opens `url`'s pool for reads and its probe's pool (both added to `opened`), naming the replica when it fails. A
 * replica that cannot be reached (refused, timed out, starting up: a standby restarting with the service) does not
 * stop the start: its pools are opened without connecting, it is returned with `down` set, starts out of rotation
 * and is probed again later; a warning (code `TQS_REPLICA_UNREACHABLE`) says so. A refused login still fails.
 */
async function openReplica(url: string, options: CreateDatabaseOptions, open: Open, opened: TqsDatabase[]): Promise<Replica> {
  const openOne = (extra: Partial<CreateDatabaseOptions>, connect = true) =>
    open(url, extra, connect)
      .then((db) => (opened.push(db), db))
      .catch((error: unknown) => {
        throw new ConnectionError(`read replica ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      });
  const readPool = { socketTimeout: options.socketTimeout ?? REPLICA_SOCKET_TIMEOUT_S };
  try {
    const db = await openOne(readPool);
    const probe = await openOne(PROBE_POOL);
    return { label: redactUrl(url), db, probe: postgresOf(probe) };
  } catch (error) {
    if (!unreachable(error)) throw error;
    process.emitWarning(
      `createDatabase: read replica ${redactUrl(url)} cannot be reached (${faultReason(error instanceof Error && error.cause ? error.cause : error)}); ` +
        'it starts out of rotation, ' +
        'reads go to the other replicas or the primary, and it is probed again (replicaStatus(db) shows it)',
      { code: 'TQS_REPLICA_UNREACHABLE' },
    );
    const db = await openOne(readPool, false);
    const probe = await openOne(PROBE_POOL, false);
    return { label: redactUrl(url), db, probe: postgresOf(probe), down: error };
  }
}

/** A replica that cannot be reached now (its fault, not the caller's): refused, unreachable, timed out, starting. */
const unreachable = (error: unknown): boolean =>
  connectionLost(error) ||
  findInChain(error, 'code', (code): code is string => typeof code === 'string' && /^(ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|CONNECT_TIMEOUT|57P03)$/.test(code)) !== undefined;

const postgresOf = (db: Database) => {
  const client = rawClient(db);
  if (client.backend !== 'postgres') throw new InvalidOptionError('readReplicas', 'createDatabase: readReplicas needs PostgreSQL');
  return client.sql;
};

/** `backend`, and a `close` that ends the primary and every replica pool once. */
function closingAll(primary: TqsDatabase, others: TqsDatabase[]) {
  const close = primary.close;
  let closing: Promise<void> | undefined;
  const closeAll = (options?: CloseOptions) =>
    (closing ??= Promise.allSettled([close(options), ...others.map((db) => db.close(options))]).then((results) => {
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    }));
  return { backend: primary.backend, close: closeAll, [Symbol.asyncDispose]: () => closeAll() };
}

/**
 * Runs a read-only helper's queries on a replica of `db` fit to answer, moving on to the next replica and then the
 * primary when one is down or frozen (it leaves the rotation); on `db` itself when it has no replicas.
 *
 * @throws {ConnectionError} no target answered: every replica and the primary are down; the message names each.
 * @throws {ReplicaReadError} the query failed with a server error that is not the target's fault.
 * @example
 * const rows = await readFromReplica(db, 'computeTutorScore', (reader) => queryRows(reader, query));
 */
export async function readFromReplica<T>(db: Database, helper: string, read: (reader: Database) => Promise<T>): Promise<T> {
  return inCall(db, helper, () => readFrom(db, helper, read));
}

async function readFrom<T>(db: Database, helper: string, read: (reader: Database) => Promise<T>): Promise<T> {
  const router = routerOf(db);
  if (router === undefined) return read(readReplicaOf(db)); // a database you put behind withReplicas yourself

  const failures: string[] = [];
  let last: unknown;
  for (const target of await router.order()) {
    try {
      return await router.run(target, read);
    } catch (error) {
      if (isTqsError(error) && !connectionCode(error.code)) throw error;
      if (!isTargetFault(error)) throw queryFailed(helper, target, error);
      router.fault(target, error);
      last = error;
      failures.push(`${target === router.primary ? 'primary' : 'read replica'} ${target.label}: ${faultReason(error)}`);
    }
  }
  for (const replica of router.status().replicas) {
    if (failures.some((failure) => failure.includes(replica.label))) continue;
    const why = replica.inRotation
      ? `not fit: lag ${Math.round(replica.lagMs ?? Infinity)} ms, or this process's last write not replayed yet`
      : `out of rotation (${replica.lastError ?? 'not answering'})`;
    failures.push(`read replica ${replica.label}: ${why}`);
  }
  throw new ConnectionError(`${helper}: no database answered the read (${failures.join('; ')}); bring the primary or a replica back`, {
    cause: last,
  });
}


function queryFailed(helper: string, target: ReadTarget, error: unknown): Error {
  const translated = translateDatabaseError(error);
  if (isTqsError(translated)) return translated;
  return new ReplicaReadError(`${helper}: the read failed on ${target.label}: ${faultReason(error)}`, {
    target: target.label,
    sqlState: sqlStateOf(error),
    cause: error,
  });
}

/** A coded error of a target that cannot be reached: refused, lost, or stopped answering. */
const connectionCode = (code: string): boolean => code === 'CONNECTION_FAILED' || code === 'CONNECTION_STALLED';

/** Codes of a target that cannot answer now: refused, timed out, unknown host, starting up, out of resources. */
const FAULT_CODES = /^(ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|CONNECT_TIMEOUT|REPLICA_OUT|REPLICA_PROMOTED|57P03|53...|58...|40001)$/;

/**
 * A fault of the target rather than of the query: a connection lost or not opened, a server out of resources, or a
 * read cancelled by a conflict with recovery (40001 on a standby).
 */
const isTargetFault = (error: unknown): boolean =>
  (isTqsError(error) && connectionCode(error.code)) ||
  connectionLost(error) ||
  findInChain(error, 'code', (code): code is string => typeof code === 'string' && FAULT_CODES.test(code)) !== undefined;
