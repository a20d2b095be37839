import { setFlagsFromString } from 'node:v8';

/** How far V8 lets the old generation grow past what survived its last full collection, in percent. */
export const HEAP_GROWING_PERCENT = 30;

/**
 * Called first by the CLI's entry (main.ts), for its own process only: V8 lets its old generation grow by 30 % past
 * what survived the last full collection instead of up to 4x. A command's live heap is small (tens of MB: the
 * modules, Faker's names, one chunk of rows), but `generate` and `ingest` allocate rows fast, and by default V8 lets
 * the garbage of a million sessions pile up to several times that live set, with the COPY buffers it keeps alive
 * (freed only when their wrappers are collected): `tqs-data generate --sessions 1000000 --database-url ...` peaked at
 * 524 MiB. The flag is read at every collection, so it takes effect though the heap is already set up. A library never
 * sets a V8 flag in its caller's process: this is the CLI's.
 *
 * @example
 * limitHeapGrowth(); // then runCli(...)
 */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
