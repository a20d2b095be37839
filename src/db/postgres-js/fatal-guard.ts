import type { Socket } from 'node:net';
import postgres from 'postgres';

/*
 * postgres.js 3.4 mishandles a FATAL error the server sends while a query is running (pg_terminate_backend, an
 * administrator shutdown, a failover): it keeps the error as "the running query's error" until the next
 * ReadyForQuery, which a dying backend never sends, and rejects the query with a bare CONNECTION_CLOSED instead. The
 * kept error outlives the socket, so when the pool reconnects that connection, the first query on the new backend is
 * rejected with the old backend's 57P01 (porsager/postgres#1223, and the PRs #1209 and #1215 that are still open).
 *
 * The guard sits between the socket and postgres.js's `data` listener. Once the connection is up (after its first
 * ReadyForQuery), it holds back each ErrorResponse until it has read the whole message; a FATAL or PANIC one is not
 * passed on as data but raised as the socket's `error` when the socket closes, built as postgres.js builds a
 * PostgresError. postgres.js then rejects the running query, any queries pipelined behind it, and a COPY stream with
 * the server's own error, and keeps nothing for the next backend. Every other message goes through unchanged (an
 * ERROR is released as soon as it is complete). Errors during the startup handshake (a wrong password, an unknown
 * database) are left to postgres.js, which already handles them, as are TLS connections, whose bytes are not
 * readable here.
 */

/** PostgreSQL's ErrorResponse fields, named as postgres.js names them on a PostgresError. */
const errorFields: Record<number, string> = {
  83: 'severity_local', // S
  86: 'severity', // V
  67: 'code', // C
  77: 'message', // M
  68: 'detail', // D
  72: 'hint', // H
  80: 'position', // P
  112: 'internal_position', // p
  113: 'internal_query', // q
  87: 'where', // W
  115: 'schema_name', // s
  116: 'table_name', // t
  99: 'column_name', // c
  100: 'data type_name', // d
  110: 'constraint_name', // n
  70: 'file', // F
  76: 'line', // L
  82: 'routine', // R
};

const EMPTY = Buffer.alloc(0);
const ERROR_RESPONSE = 0x45; // 'E'
const READY_FOR_QUERY = 0x5a; // 'Z'

/** Reads the fields of one whole ErrorResponse message (type byte and length included). */
export function parseErrorResponse(message: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let start = 5;
  for (let i = 5; i < message.length - 1; i++) {
    if (message[i] === 0) {
      const name = errorFields[message[start] as number];
      if (name) fields[name] = message.toString('utf8', start + 1, i);
      start = i + 1;
    }
  }
  return fields;
}

/**
 * Splits the server's byte stream into messages just far enough to find ErrorResponses: it reads each 5-byte header
 * and skips the body, so its cost does not grow with the size of the rows, and a chunk with no ErrorResponse in it is
 * passed on as the same Buffer.
 */
export class FatalErrorFilter {
  /** Whether the connection is up (a ReadyForQuery has been read): only then are ErrorResponses held back. */
  started = false;
  /** The header bytes read so far of the current message (0 to 5). */
  private header: Buffer = EMPTY;
  /** Body bytes still to come of the current message, once its header is complete. */
  private left = 0;
  /** Whether the current message is held back, and its bytes so far. */
  private holding = false;
  private held: Buffer[] = [];
  /** Set after a FATAL error: the backend closes the connection and nothing more is passed on. */
  private dead = false;
  /** The transaction status byte of the ReadyForQuery being read ('I', 'T' or 'E'). */
  private status = 0;
  /**
   * Hears each ReadyForQuery once it is whole: its transaction status byte, and whether the connection was up before
   * it (false for the one that ends the startup handshake). See pool-sockets.ts.
   */
  onReady: ((status: number, afterStartup: boolean) => void) | undefined;

  /** Takes one chunk as read from the socket; returns the bytes to pass on, and the FATAL error found, if any. */
  push(chunk: Buffer): { data: Buffer; fatal?: postgres.PostgresError } {
    if (this.dead) return { data: EMPTY };
    const out: Buffer[] = [];
    let changed = this.holding; // bytes held from an earlier chunk: this chunk no longer starts where the data does
    const keep = (piece: Buffer) => {
      if (this.holding) {
        this.held.push(piece);
        changed = true;
      } else out.push(piece);
    };
    let pos = 0;
    while (pos < chunk.length) {
      if (this.header.length < 5) {
        const piece = chunk.subarray(pos, pos + 5 - this.header.length);
        pos += piece.length;
        if (this.header.length === 0) this.holding = this.started && piece[0] === ERROR_RESPONSE;
        this.header = this.header.length === 0 ? piece : Buffer.concat([this.header, piece]);
        keep(piece);
        if (this.header.length < 5) break;
        this.left = this.header.readUInt32BE(1) - 4;
      }
      const body = chunk.subarray(pos, pos + this.left);
      pos += body.length;
      this.left -= body.length;
      if (body.length > 0) {
        keep(body);
        if (this.header[0] === READY_FOR_QUERY) this.status = body[body.length - 1] as number;
      }
      if (this.left > 0) break;
      // A whole message has been read.
      if (this.header[0] === READY_FOR_QUERY) {
        const afterStartup = this.started;
        this.started = true;
        this.onReady?.(this.status, afterStartup);
      }
      this.header = EMPTY;
      if (!this.holding) continue;
      const message = Buffer.concat(this.held);
      this.held = [];
      this.holding = false;
      const fields = parseErrorResponse(message);
      if (fields.severity === 'FATAL' || fields.severity === 'PANIC') {
        this.dead = true;
        return { data: Buffer.concat(out), fatal: new postgres.PostgresError(fields as never) };
      }
      out.push(message);
    }
    if (!changed) return { data: chunk };
    return { data: out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out) };
  }
}

/** What a guarded socket reports as it reads (pool-sockets.ts): each ReadyForQuery, and a FATAL error once found. */
export interface SocketHooks {
  onReady?: FatalErrorFilter['onReady'];
  onFatal?: () => void;
}

/**
 * Puts a {@link FatalErrorFilter} in front of every `data` listener of `socket`. A FATAL error it finds is raised as
 * the socket's `error` event just before its `close` event (the backend closes the connection right after sending
 * it): postgres.js then rejects what was running on the connection and moves the connection to its closed queue in
 * the same tick, as it does for any dropped connection, so no query is handed to the dying connection in between.
 */
export function guardFatalErrors<S extends Socket>(socket: S, hooks: SocketHooks = {}): S {
  const filter = new FatalErrorFilter();
  filter.onReady = hooks.onReady;
  let fatal: postgres.PostgresError | undefined;
  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = function guardedEmit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data') {
      const starting = !filter.started;
      const pushed = filter.push(args[0] as Buffer);
      if (pushed.fatal && !fatal) hooks.onFatal?.();
      fatal ??= pushed.fatal;
      const handled = pushed.data.length > 0 ? emit('data', pushed.data) : true;
      // The handshake is over: a `drain` has postgres.js hand the new connection its waiting work (see pool-guards.ts).
      if (starting && filter.started && !pushed.fatal) emit('drain');
      return handled;
    }
    if (event === 'close' && fatal) {
      const error = fatal;
      fatal = undefined;
      emit('error', error);
    }
    return emit(event, ...args);
  } as S['emit'];
  return socket;
}
