import { withReplicas } from 'drizzle-orm/pg-core';
import { ConnectionError, InvalidOptionError, redactUrl } from '../errors';
import { inCall } from './call';
import type { Database } from './client';
import { findInChain } from '../util/error-chain';
import { connectionLost } from '../util/error-chain';
import type { CloseOptions, TqsDatabase } from './database';
import { readReplicaOf } from './read-replica-of';

/*
 * Read replicas over drizzle's `withReplicas`: its select builders (`db.select()`, `db.query`, `db.$count`, `db.with`)
 * go to a replica, and everything else (`insert`, `update`, `delete`, `execute`, `transaction`) to the primary. This
 * package's read-only helpers send their SQL through `execute` or a read-only transaction, which `withReplicas` would
 * send to the primary: they ask for a replica explicitly with {@link readReplicaOf}.
 */

/** Where a replica database keeps the label errors name it by: its URL with the password removed. */
const replicaLabel = Symbol('tqs.replicaLabel');

type LabelledReplica = Database & { [replicaLabel]?: string };

/**
 * Puts the replica databases behind the primary with drizzle's `withReplicas`, and closes all of them together.
 * The primary stays reachable as `db.$primary`, the replicas as `db.$replicas`.
 */
export async function withReadReplicas(
  primary: TqsDatabase,
  urls: readonly string[],
  open: (url: string) => Promise<TqsDatabase>,
): Promise<TqsDatabase> {
  if (!Array.isArray(urls) || urls.length === 0 || urls.some((url) => typeof url !== 'string' || url.trim() === '')) {
    await primary.close();
    throw new InvalidOptionError('readReplicas', 'createDatabase: readReplicas must be a non-empty array of PostgreSQL connection strings');
  }
  const replicas: TqsDatabase[] = [];
  try {
    for (const url of urls) {
      const replica = await open(url).catch((error: unknown) => {
        throw new ConnectionError(`read replica ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      });
      Object.defineProperty(replica, replicaLabel, { value: redactUrl(url) });
      replicas.push(replica);
    }
  } catch (error) {
    await Promise.allSettled([primary.close(), ...replicas.map((replica) => replica.close())]);
    throw error;
  }
  const close = primary.close;
  const routed = withReplicas(primary as Database, replicas as unknown as [Database, ...Database[]]);
  let closing: Promise<void> | undefined;
  const closeAll = (options?: CloseOptions) =>
    (closing ??= Promise.allSettled([close(options), ...replicas.map((replica) => replica.close(options))]).then((results) => {
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    }));
  return Object.assign(routed, {
    backend: primary.backend,
    close: closeAll,
    [Symbol.asyncDispose]: () => closeAll(),
  }) as unknown as TqsDatabase;
}

/**
 * Runs a read-only helper's queries on a replica of `db` (or on `db` when it has none). When the replica cannot be
 * reached, the read fails with a {@link ConnectionError} that names the replica (password removed) and says how to
 * read from the primary instead: a replica that is down is never replaced by the primary silently.
 *
 * @throws {ConnectionError} the replica is down or its connection was lost.
 * @example
 * const rows = await readFromReplica(db, 'computeTutorScore', (reader) => queryRows(reader, query));
 */
export async function readFromReplica<T>(db: Database, helper: string, read: (reader: Database) => Promise<T>): Promise<T> {
  return inCall(db, helper, () => readFrom(db, helper, read));
}

async function readFrom<T>(db: Database, helper: string, read: (reader: Database) => Promise<T>): Promise<T> {
  const reader = readReplicaOf(db) as LabelledReplica;
  const label = reader[replicaLabel];
  if (label === undefined) return read(reader);
  try {
    return await read(reader);
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConnectionError(
      `${helper}: read replica ${label} is unreachable (${reason}); bring it back, or read from the primary with ${helper}(db.$primary, ...)`,
      { cause: error },
    );
  }
}

const UNREACHABLE_CODES = /^(ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|CONNECT_TIMEOUT|57P03)$/;

/** A connection that was lost, or one that could not be opened (refused, timed out, unknown host, starting up). */
const isUnreachable = (error: unknown): boolean =>
  connectionLost(error) ||
  findInChain(error, 'code', (code): code is string => typeof code === 'string' && UNREACHABLE_CODES.test(code)) !== undefined;
