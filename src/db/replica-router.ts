import type { Sql } from 'postgres';
import { describeServerError } from '../errors';
import { errorChain } from '../util/error-chain';
import type { Database } from './client';
import type { ReadRoutingStatus } from './replica-status';
import { primaryLsn, probeReplica, type ReplicaReading } from './replica-probe';

/*
 * Which database answers a read: a replica whose last lag reading is fresh, under `maxReplicaLag`, and (after a write
 * of this process, with `readYourWrites`) known to have replayed that write; otherwise the primary. A replica that
 * fails (refused, lost, frozen) is taken out of rotation at once, and tried again by a probe of its own after a
 * backoff (1 s, doubling up to 30 s); reads never wait for a replica that is out.
 */

/** How long a lag reading serves; an older one is measured again before a read relies on it. */
export const CHECK_INTERVAL_MS = 1_000;
/** How long a probe (the primary's LSN, then the replica's position) may take before the replica counts as frozen. */
export const PROBE_TIMEOUT_MS = 2_000;
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;
/** While read-your-writes holds replicas back, probes run at most this often (in the background: reads go on). */
const RYW_RECHECK_MS = 50;

/** A database a read can go to. */
export interface ReadTarget {
  /** The URL with its password removed. */
  readonly label: string;
  readonly db: Database;
}

interface ReplicaState extends ReadTarget {
  /** A pool of one connection of its own, for the probes: a busy read pool never delays them. */
  readonly probe: Sql;
  reading?: ReplicaReading;
  /** 0 in rotation; otherwise out until then, when a probe tries it again. */
  outUntil: number;
  failures: number;
  faults: number;
  answered: number;
  lastError?: string;
  trial?: Promise<void>;
  /** Reads running on it, told when it is taken out so they move on. */
  readonly onOut: Set<() => void>;
}

/** The options of {@link ReplicaRouter}, from `createDatabase`. */
export interface RoutingOptions {
  maxReplicaLag: number;
  readYourWrites: boolean;
}

type Usable = 'yes' | 'stale' | 'lagging' | 'unreplayed' | 'out';

export class ReplicaRouter {
  private readonly states: ReplicaState[];
  private lastWriteAt = -Infinity;
  /** The primary's LSN read after this process's last write: a replica at or past it shows that write. */
  private writeToken: bigint | undefined;
  private probing: Promise<void> | undefined;
  private lastProbeAt = -Infinity;
  private primaryAnswered = 0;

  /**
   * @param primary the primary, as a database whose statements do not count as writes, and a pool for the probes.
   * @param replicas each replica's database, and a pool of one connection for its probes; `down`: the error of a
   * replica that could not be reached at startup, which starts out of rotation (probed again after the backoff).
   */
  constructor(
    readonly primary: ReadTarget & { readonly sql: Sql },
    replicas: readonly (ReadTarget & { readonly probe: Sql; readonly down?: unknown })[],
    private readonly options: RoutingOptions,
  ) {
    this.states = replicas.map(({ down: _down, ...replica }) => ({ ...replica, outUntil: 0, failures: 0, faults: 0, answered: 0, onOut: new Set() }));
    replicas.forEach((replica, i) => {
      if (replica.down !== undefined) this.fault(this.states[i] as ReplicaState, replica.down);
    });
  }

  /** This process wrote to the primary: until a replica shows it has replayed that, reads go elsewhere. */
  wrote(): void {
    this.lastWriteAt = Date.now();
    this.writeToken = undefined;
  }

  private usable(state: ReplicaState, now: number): Usable {
    if (state.outUntil !== 0) return 'out';
    const reading = state.reading;
    const age = reading === undefined ? Infinity : now - reading.startedAt;
    if (reading === undefined || age > CHECK_INTERVAL_MS) return 'stale';
    if (reading.lagMs > this.options.maxReplicaLag) return 'lagging';
    // What the replica showed at the probe was at most lagMs old; it may have replayed nothing since.
    if (reading.lagMs + age > this.options.maxReplicaLag) return 'stale';
    if (this.options.readYourWrites && this.lastWriteAt !== -Infinity) {
      if (this.writeToken === undefined || reading.replayLsn < this.writeToken) return 'unreplayed';
    }
    return 'yes';
  }

  /** The replicas fit to answer; whether a reading is due; whether one waits only for this process's last write. */
  private candidates(): { ready: ReplicaState[]; stale: boolean; behind: boolean } {
    const now = Date.now();
    const usable = this.states.map((state) => [state, this.usable(state, now)] as const);
    // A replica out of rotation whose backoff has passed: tried again by a probe in the background.
    if (usable.some(([state, use]) => use === 'out' && state.outUntil <= now && !state.trial)) this.kick(0);
    return {
      ready: usable.filter(([, use]) => use === 'yes').map(([state]) => state),
      stale: usable.some(([, use]) => use === 'stale'),
      behind: usable.some(([, use]) => use === 'unreplayed'),
    };
  }

  /**
   * The targets a read tries, in order: the replicas fit to answer (in random order), then the primary. A lag reading
   * that is due is taken first (at most {@link PROBE_TIMEOUT_MS}); replicas held back by read-your-writes are probed
   * again in the background.
   */
  async order(): Promise<ReadTarget[]> {
    let found = this.candidates();
    if (found.stale) {
      await this.refresh();
      found = this.candidates();
    }
    if (found.behind) this.kick(RYW_RECHECK_MS);
    return [...shuffle(found.ready), this.primary];
  }

  /** The target for a read that cannot wait or move on (drizzle's select builders), by the readings at hand. */
  pickNow(): Database {
    const found = this.candidates();
    if (found.stale || found.behind) this.kick(found.stale ? 0 : RYW_RECHECK_MS);
    return (shuffle(found.ready)[0] ?? this.primary).db;
  }

  /** Runs `read` on `target`; on a replica it fails as soon as the replica is taken out of rotation meanwhile. */
  async run<T>(target: ReadTarget, read: (db: Database) => Promise<T>): Promise<T> {
    const state = this.states.find((candidate) => candidate === target);
    if (state === undefined) {
      const result = await read(target.db);
      this.primaryAnswered++;
      return result;
    }
    const result = await this.watched(state, () => read(state.db));
    state.answered++;
    state.failures = 0;
    return result;
  }

  private watched<T>(state: ReplicaState, work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const out = () =>
        reject(Object.assign(new Error(`taken out of rotation during the read (${state.lastError})`), { code: 'REPLICA_OUT' }));
      state.onOut.add(out);
      // A read that lasts: keep probing, so that a replica frozen under it is noticed and the read moves on.
      const watchdog = setInterval(() => this.kick(0), CHECK_INTERVAL_MS);
      watchdog.unref();
      work()
        .then(resolve, reject)
        .finally(() => {
          state.onOut.delete(out);
          clearInterval(watchdog);
        });
    });
  }

  /** `target` failed: a replica leaves the rotation until its backoff has passed and a probe finds it well. */
  fault(target: ReadTarget, error: unknown): void {
    const state = this.states.find((candidate) => candidate === target);
    if (state === undefined) return;
    const now = Date.now();
    state.faults++;
    state.lastError = faultReason(error);
    if (state.outUntil !== 0 && state.outUntil > now) return; // already out: one failure is enough
    state.failures++;
    state.outUntil = now + Math.min(RETRY_FIRST_MS * 2 ** (state.failures - 1), RETRY_MAX_MS);
    state.reading = undefined;
    for (const moveOn of [...state.onOut]) moveOn();
  }

  /** Starts a probe round unless one runs or one started less than `gap` ms ago. */
  private kick(gap: number): void {
    if (this.probing === undefined && Date.now() - this.lastProbeAt >= gap) void this.refresh();
  }

  /** Measures every replica in rotation (shared by concurrent callers), and starts trials of those due back. */
  refresh(): Promise<void> {
    this.probing ??= this.probeAll().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  private async probeAll(): Promise<void> {
    const startedAt = Date.now();
    this.lastProbeAt = startedAt;
    const due = this.states.filter((state) => state.outUntil === 0 || (state.outUntil <= startedAt && !state.trial));
    if (due.length === 0) return;
    const lsn = await primaryLsn(this.primary.sql, PROBE_TIMEOUT_MS);
    // Only a position read after the write counts as its token (strictly later: the write had completed).
    if (lsn !== undefined && startedAt > this.lastWriteAt && this.writeToken === undefined) this.writeToken = lsn;
    const probe = async (state: ReplicaState) => {
      try {
        state.reading = await probeReplica(state.probe, lsn, startedAt, PROBE_TIMEOUT_MS);
        state.outUntil = 0;
      } catch (error) {
        this.fault(state, error);
      }
    };
    for (const state of due.filter((candidate) => candidate.outUntil !== 0)) {
      state.trial = probe(state).finally(() => {
        state.trial = undefined;
      });
    }
    await Promise.all(due.filter((state) => state.outUntil === 0).map(probe));
  }

  /** The state of each replica and where the reads went. */
  status(): ReadRoutingStatus {
    return {
      primary: { label: this.primary.label, answered: this.primaryAnswered },
      replicas: this.states.map((state) => ({
        label: state.label,
        inRotation: state.outUntil === 0,
        lagMs: state.reading?.lagMs,
        answered: state.answered,
        faults: state.faults,
        lastError: state.lastError,
      })),
    };
  }
}

/**
 * Why a target failed, in one line without the query or its parameters: the server's message with its SQLSTATE, or
 * the message of the first error behind drizzle's `Failed query: …`.
 */
export function faultReason(error: unknown): string {
  const described = describeServerError(error);
  if (described !== undefined) return described;
  for (const link of errorChain(error)) {
    const message = link instanceof Error ? link.message : undefined;
    if (message !== undefined && !message.startsWith('Failed query')) return message.split('\n')[0] ?? message;
  }
  return 'unknown error';
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
