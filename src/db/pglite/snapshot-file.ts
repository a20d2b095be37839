import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/*
 * A snapshot file: a magic, the length of a JSON header, the header, then the payload (a data directory tar, gzipped
 * or not). The header names the key the snapshot was built for and the sha256 of the payload, so a file of another
 * key (a foreign or renamed file) or with any byte changed is refused before any of it is used.
 */
const MAGIC = new TextEncoder().encode('TQSSNAP\n');
const MAX_HEADER = 4096;

interface Header extends SnapshotOrigin {
  key: string;
  encoding: 'none' | 'gzip';
  length: number;
  sha256: string;
}

/**
 * What a snapshot was built from, written in its header (files written before these fields existed have neither):
 * the PGlite version that wrote its files and the hashes of the migrations applied in it, oldest first. A new data
 * directory may start from a snapshot whose migrations are a prefix of the package's (see shipped-data-dir.ts).
 */
export interface SnapshotOrigin {
  pglite?: string;
  migrations?: string[];
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The bytes of a snapshot file holding `tar` for `key`; `gzip` for a file shipped in the package, smaller. */
export function encodeSnapshotFile(
  key: string,
  tar: Uint8Array,
  encoding: Header['encoding'] = 'none',
  origin: SnapshotOrigin = {},
): Uint8Array {
  const payload = encoding === 'gzip' ? gzipSync(tar) : tar;
  const header: Header = { key, encoding, length: payload.byteLength, sha256: sha256(payload), ...origin };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.byteLength);
  return Buffer.concat([MAGIC, length, json, payload]);
}

/** What is wrong with a snapshot file, for the one-line warning that says it is rebuilt. */
export type SnapshotFileProblem =
  | 'not a snapshot file'
  | 'built for another key'
  | 'cut short or too long'
  | 'checksum mismatch'
  | 'not a gzip stream';

/**
 * The tar held by a snapshot file written for `key` (or whose header `key` accepts), or what is wrong with it. Nothing
 * of a file is returned unless the whole of it is as written.
 */
export function decodeSnapshotFile(
  bytes: Uint8Array,
  key: string | ((header: SnapshotOrigin & { key: string }) => boolean),
): { tar: Uint8Array } | { problem: SnapshotFileProblem } {
  const start = MAGIC.byteLength + 4;
  if (bytes.byteLength < start || !MAGIC.every((b, i) => bytes[i] === b)) return { problem: 'not a snapshot file' };
  const headerLength = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(MAGIC.byteLength);
  if (headerLength > MAX_HEADER || start + headerLength > bytes.byteLength) return { problem: 'not a snapshot file' };
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, start + headerLength)));
  } catch {
    return { problem: 'not a snapshot file' };
  }
  if (typeof header !== 'object' || header === null || typeof header.sha256 !== 'string') {
    return { problem: 'not a snapshot file' };
  }
  if (typeof key === 'string' ? header.key !== key : !key(header)) return { problem: 'built for another key' };
  const payload = bytes.subarray(start + headerLength);
  if (payload.byteLength !== header.length) return { problem: 'cut short or too long' };
  if (sha256(payload) !== header.sha256) return { problem: 'checksum mismatch' };
  if (header.encoding === 'none') return { tar: payload };
  if (header.encoding !== 'gzip') return { problem: 'not a snapshot file' };
  try {
    return { tar: gunzipSync(payload) };
  } catch {
    return { problem: 'not a gzip stream' };
  }
}
