/**
 * Every code an error of this package carries in `code`, stable across versions. docs/errors.md and the README list
 * each of them (a test holds them to this list).
 *
 * @example
 * tqsErrorCodes.includes('NOT_FOUND'); // true
 */
export const tqsErrorCodes = [
  'VALIDATION_FAILED',
  'CONSTRAINT_VIOLATION',
  'NOT_FOUND',
  'ROLLBACK_REFUSED',
  'MIGRATION_FAILED',
  'MIGRATIONS_PENDING',
  'MIGRATIONS_NOT_FOUND',
  'CONNECTION_FAILED',
  'DATABASE_CLOSED',
  'DESTRUCTIVE_OPERATION_REFUSED',
  'INVALID_OPTION',
  'DATA_DIR_LOCKED',
  'DATA_DIR_UNUSABLE',
  'DISK_FULL',
  'CONNECTION_STALLED',
  'INTERRUPTED',
  'ABORTED',
  'DATABASE_ERROR',
  'REPLICA_READ_FAILED',
  'CLAIM_LOST',
  'LOCK_TIMEOUT',
] as const;

/** The stable codes every error of this package carries in `code`: one of {@link tqsErrorCodes}. */
export type TqsErrorCode = (typeof tqsErrorCodes)[number];

/*
 * The brand every TqsError carries, registered globally with Symbol.for: the ESM and the CommonJS builds of this
 * package (or two installed copies) each define their own classes, and the brand is how they recognize each other's
 * errors, in `isTqsError` and in `instanceof`.
 */
const BRAND = Symbol.for('@tqs/data/TqsError');

/**
 * The base class of every error this package throws on purpose. `code` is stable across versions; the message is
 * for people and may improve. `instanceof` works across the ESM and CommonJS copies of the package (a `TqsError`
 * subclass matches an error whose class, or a class it extends, has the same name and carries the brand).
 *
 * @example
 * try {
 *   await migrate(db);
 * } catch (error) {
 *   if (error instanceof TqsError) console.error(error.code, error.message);
 * }
 */
export class TqsError<Code extends TqsErrorCode = TqsErrorCode> extends Error {
  override name = 'TqsError';
  /** The kind of error, stable across versions; each subclass has its own (`NotFoundError`'s is `'NOT_FOUND'`). */
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!isTqsError(value)) return false;
    for (let proto = Object.getPrototypeOf(value); proto; proto = Object.getPrototypeOf(proto)) {
      const ctor = (proto as { constructor?: unknown }).constructor;
      if (typeof ctor === 'function' && ctor.name === this.name) return true;
      if (ctor === Error) break;
    }
    return false;
  }
}

/**
 * Whether `value` is an error this package threw on purpose, from whichever copy of the package (ESM or CommonJS
 * build, or another installed version) threw it. Read `code` on it for the kind.
 *
 * @example
 * try {
 *   await rollback(db);
 * } catch (error) {
 *   if (isTqsError(error) && error.code === 'ROLLBACK_REFUSED') console.error(error.message);
 *   else throw error;
 * }
 */
export function isTqsError(value: unknown): value is TqsError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** One problem found by a Zod schema: the field at fault and the rule it breaks. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Input failed a Zod schema before it reached the database. `issues` names each field and rule. */
export class ValidationError extends TqsError<'VALIDATION_FAILED'> {
  override name = 'ValidationError';
  readonly issues: ValidationIssue[];

  constructor(subject: string, issues: ValidationIssue[]) {
    super('VALIDATION_FAILED', `${subject} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.issues = issues;
  }
}

/** The database refused a write: `constraint` is its name, as in `drizzle/` and in the README's table. */
export class ConstraintViolationError extends TqsError<'CONSTRAINT_VIOLATION'> {
  override name = 'ConstraintViolationError';
  /** The constraint's name, e.g. `sessions_completed_time_matches_status`; undefined for NOT NULL and type errors. */
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  /** PostgreSQL's SQLSTATE, e.g. `23514` for a CHECK. */
  readonly sqlState: string;
  /** PostgreSQL's DETAIL line, which may quote the offending values. */
  readonly detail: string | undefined;

  constructor(fields: {
    message: string;
    sqlState: string;
    constraint?: string | undefined;
    table?: string | undefined;
    column?: string | undefined;
    detail?: string | undefined;
    cause?: unknown;
  }) {
    super('CONSTRAINT_VIOLATION', fields.message, { cause: fields.cause });
    this.sqlState = fields.sqlState;
    this.constraint = fields.constraint;
    this.table = fields.table;
    this.column = fields.column;
    this.detail = fields.detail;
  }
}

/** A row that was asked for by id does not exist. */
export class NotFoundError extends TqsError<'NOT_FOUND'> {
  override name = 'NotFoundError';
  readonly entity: string;
  readonly id: string;

  constructor(entity: string, id: string) {
    super('NOT_FOUND', `${entity} ${id} does not exist`);
    this.entity = entity;
    this.id = id;
  }
}

/** A rollback would drop rows and was not forced. `rowsAtRisk` says where they are; nothing was changed. */
export class RollbackRefusedError extends TqsError<'ROLLBACK_REFUSED'> {
  override name = 'RollbackRefusedError';
  readonly rowsAtRisk: { table: string; rows: number }[];

  constructor(message: string, rowsAtRisk: { table: string; rows: number }[]) {
    super('ROLLBACK_REFUSED', message);
    this.rowsAtRisk = rowsAtRisk;
  }
}

/** A migration (or a rollback step) failed; its transaction was rolled back, so no part of it is applied. */
export class MigrationError extends TqsError<'MIGRATION_FAILED'> {
  override name = 'MigrationError';
  readonly migration: string;

  constructor(migration: string, message: string, options?: { cause?: unknown }) {
    super('MIGRATION_FAILED', `${migration}: ${message}`, options);
    this.migration = migration;
  }
}

/**
 * The database is behind the package: some migrations are not applied. `pending` lists them, oldest first; the
 * message names them and the command that applies them. Thrown by `assertMigrated()` and by every CLI command that
 * needs the schema.
 *
 * @example
 * try {
 *   await assertMigrated(db);
 * } catch (error) {
 *   if (error instanceof MigrationsPendingError) console.error(`run migrate: ${error.pending.join(', ')}`);
 * }
 */
export class MigrationsPendingError extends TqsError<'MIGRATIONS_PENDING'> {
  override name = 'MigrationsPendingError';
  readonly pending: string[];
  readonly applied: string[];

  constructor(pending: string[], applied: string[], fix = "call migrate(db) or run 'tqs-data migrate'") {
    const state = applied.length === 0 ? 'not migrated' : 'not fully migrated';
    super('MIGRATIONS_PENDING', `the database is ${state} (pending: ${pending.join(', ')}): ${fix}`);
    this.pending = pending;
    this.applied = applied;
  }
}

/**
 * A call was stopped through its `signal`: the statement it was running was cancelled on the server and its
 * transaction rolled back, so nothing of it was written. `reason` is the signal's reason.
 *
 * @example
 * try { await refreshTutorScores(db, { signal }); } catch (error) { if (error instanceof AbortedError) return; throw error; }
 */
export class AbortedError extends TqsError<'ABORTED'> {
  override name = 'AbortedError';
  readonly reason: unknown;

  /** `outcome` says what became of the work, when more than the running statement (e.g. committed batches that stay). */
  constructor(call: string, reason: unknown, options?: { cause?: unknown; outcome?: string }) {
    const outcome = options?.outcome ?? 'the running statement was cancelled and rolled back';
    super('ABORTED', `${call}: aborted (${String(reason)}): ${outcome}`, options);
    this.reason = reason;
  }
}

/**
 * A statement waited for a lock longer than `lock_timeout` (SQLSTATE 55P03): another session held a lock on the
 * tables it needed (a long transaction, a `lock table`, a migration). Its transaction was rolled back; nothing of it
 * was written. Not a network fault: the server answered. Retry once the other session has finished, or raise
 * `lockTimeout` (the CLI's `--lock-timeout`, default 60 s).
 *
 * @example
 * try { await refreshTutorScores(db); } catch (error) { if (error instanceof LockTimeoutError) scheduleRetry(); else throw error; }
 */
export class LockTimeoutError extends TqsError<'LOCK_TIMEOUT'> {
  override name = 'LockTimeoutError';
  /** Always `55P03`. */
  readonly sqlState = '55P03';

  constructor(message: string, options?: { cause?: unknown }) {
    super('LOCK_TIMEOUT', message, options);
  }
}

/** The database could not be reached. The message names the target with its password removed. */
export class ConnectionError extends TqsError<'CONNECTION_FAILED'> {
  override name = 'ConnectionError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('CONNECTION_FAILED', message, options);
  }
}

/**
 * The connection to the database stopped answering: it was open and a statement had been sent, then nothing came back
 * for `socketTimeout` seconds (a network partition, a frozen proxy or load balancer, a server host that froze), so
 * the connection was given up. Unlike a {@link ConnectionError} (refused, reset, a backend terminated, a login
 * refused), the server may still be running the statement: what it had committed stays, and a transaction that was
 * open is rolled back by the server once it notices. The message says where the call was.
 *
 * @example
 * try { await refreshTutorScores(db); } catch (error) { if (error instanceof ConnectionStalledError) alertNetwork(); else throw error; }
 */
export class ConnectionStalledError extends TqsError<'CONNECTION_STALLED'> {
  override name = 'ConnectionStalledError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('CONNECTION_STALLED', message, options);
  }
}

/**
 * A read-only helper's query failed on a read target of a database opened with `readReplicas` (a replica, or the
 * primary it fell back to) with a server error that is not the target's fault, such as a missing table: the same
 * query would fail anywhere. `target` is the database's URL with its password removed, `sqlState` the server's code.
 * A target that is down or frozen is not reported this way: the read moves on to the next one, and only when none
 * answers does it fail, with a {@link ConnectionError}.
 *
 * @example
 * try { await listHighRiskTutors(db); } catch (error) { if (error instanceof ReplicaReadError) console.error(error.sqlState); }
 */
export class ReplicaReadError extends TqsError<'REPLICA_READ_FAILED'> {
  override name = 'ReplicaReadError';
  readonly target: string;
  readonly sqlState: string | undefined;

  constructor(message: string, fields: { target: string; sqlState: string | undefined; cause?: unknown }) {
    super('REPLICA_READ_FAILED', message, { cause: fields.cause });
    this.target = fields.target;
    this.sqlState = fields.sqlState;
  }
}

/**
 * A destructive operation was asked for without saying so explicitly: clearing tables without `confirm: true`, or
 * archiving history with a cutoff that would change stored scores without `force: true`. Nothing was changed.
 */
export class DestructiveOperationRefusedError extends TqsError<'DESTRUCTIVE_OPERATION_REFUSED'> {
  override name = 'DestructiveOperationRefusedError';

  constructor(message: string) {
    super('DESTRUCTIVE_OPERATION_REFUSED', message);
  }
}

/**
 * An option was refused before anything was done: a connection string that does not parse unambiguously, an
 * impossible date, a size beyond what this machine or backend can hold, an unknown rollback target. `option` names
 * it; the message says what is accepted and never quotes a password.
 *
 * @example
 * try {
 *   await createDatabase({ url: process.env.DATABASE_URL });
 * } catch (error) {
 *   if (error instanceof InvalidOptionError) console.error(error.option, error.message); // 'url', 'url is undefined ...'
 * }
 */
export class InvalidOptionError extends TqsError<'INVALID_OPTION'> {
  override name = 'InvalidOptionError';
  readonly option: string;

  constructor(option: string, message: string) {
    super('INVALID_OPTION', message);
    this.option = option;
  }
}

/**
 * A PGlite data directory is open in another process (or twice in this one). PGlite is single-process: a second
 * opener would silently lose rows or corrupt the directory, so it is refused at once. `holderPid` names the holder.
 *
 * @example
 * try { await createDatabase({ dataDir: '.tqs/pglite' }); } catch (e) { if (e instanceof DataDirLockedError) console.log(e.holderPid); }
 */
export class DataDirLockedError extends TqsError<'DATA_DIR_LOCKED'> {
  override name = 'DataDirLockedError';
  readonly dataDir: string;
  readonly holderPid: number;

  constructor(message: string, dataDir: string, holderPid: number) {
    super('DATA_DIR_LOCKED', message);
    this.dataDir = dataDir;
    this.holderPid = holderPid;
  }
}

/**
 * A PGlite data directory will not open: damaged, made by another PGlite or PostgreSQL version, or not a data
 * directory. The message says what was found and what to do; nothing in the directory was changed.
 *
 * @example
 * await createDatabase({ dataDir: 'old-dir' }); // DataDirError: ... was created by PostgreSQL 16 ...
 */
export class DataDirError extends TqsError<'DATA_DIR_UNUSABLE'> {
  override name = 'DataDirError';
  readonly dataDir: string;

  constructor(message: string, dataDir: string, options?: { cause?: unknown }) {
    super('DATA_DIR_UNUSABLE', message, options);
    this.dataDir = dataDir;
  }
}

/**
 * A write (or a start) ran out of disk space, or a bulk load was refused because it would not fit. Whatever was being
 * written was rolled back; `neededBytes` is the estimate (undefined when unknown), `freeBytes` what the file system had.
 *
 * @example
 * await insertDataset(db, generateDataset({ sessions: 1_000_000 })); // DiskFullError: not enough space ...
 */
export class DiskFullError extends TqsError<'DISK_FULL'> {
  override name = 'DiskFullError';
  readonly path: string;
  readonly neededBytes: number | undefined;
  readonly freeBytes: number | undefined;

  constructor(
    message: string,
    fields: { path: string; neededBytes?: number | undefined; freeBytes?: number | undefined; cause?: unknown },
  ) {
    super('DISK_FULL', message, { cause: fields.cause });
    this.path = fields.path;
    this.neededBytes = fields.neededBytes;
    this.freeBytes = fields.freeBytes;
  }
}

/**
 * `markSent` or `markFailed` was refused because the caller no longer holds the report's claim: its `claimToken` is
 * stale (the lease lapsed and another worker claimed the report, or the report was closed, given up or revived) or
 * belongs to another report, or a report that went through the claim queue was closed without a token. Nothing was
 * changed; `status` is the report's status now. The worker should drop the report: another claim owns it.
 *
 * @example
 * try { await markSent(db, report.id, { claimToken: report.claimToken }); } catch (e) { if (e instanceof ClaimLostError) lost++; else throw e; }
 */
export class ClaimLostError extends TqsError<'CLAIM_LOST'> {
  override name = 'ClaimLostError';
  readonly reportId: string;
  /** The report's status when the call was refused. */
  readonly status: string;

  constructor(reportId: string, status: string, message: string) {
    super('CLAIM_LOST', message);
    this.reportId = reportId;
    this.status = status;
  }
}
