import { type FileHandle, open } from 'node:fs/promises';
import type { CopyChunk } from '../db';
import { type CopyColumn, encodeCopyRows } from './copy-format';

/**
 * Rows that must wait for their turn in a load, held as COPY text in a temporary file with the row and byte range of
 * each chunk, so that they are read back chunk by chunk. The caller removes the file.
 *
 * @example
 * const file = await SpillFile.open(path, columns, 'reschedules');
 * await file.write(chunk.reschedules);
 * await tx.copy(target, file.chunks(), () => {});
 */
export class SpillFile {
  private readonly index: { from: number; rows: number; position: number; bytes: number }[] = [];
  private bytes = 0;
  rows = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly columns: readonly CopyColumn[],
    private readonly key: string,
  ) {}

  /**
   * Creates the file at `path`, readable by this user only, for rows of the given columns.
   *
   * @example
   * const file = await SpillFile.open('/tmp/tqs-load-x/reschedules.copy', columns, 'reschedules');
   */
  static async open(path: string, columns: readonly CopyColumn[], key: string): Promise<SpillFile> {
    return new SpillFile(await open(path, 'w+', 0o600), columns, key);
  }

  /** Appends one chunk's rows as COPY text, named in errors by their index across chunks. */
  async write(rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return;
    const parts = encodeCopyRows(rows, this.columns, 0, rows.length, this.key, this.rows);
    const bytes = parts.reduce((sum, part) => sum + part.length, 0);
    await this.handle.writev(parts, this.bytes);
    this.index.push({ from: this.rows, rows: rows.length, position: this.bytes, bytes });
    this.bytes += bytes;
    this.rows += rows.length;
  }

  /** The chunks written, in order, read back one at a time. */
  async *chunks(): AsyncGenerator<CopyChunk> {
    for (const { from, rows, position, bytes } of this.index) {
      const data = Buffer.allocUnsafe(bytes);
      let read = 0;
      while (read < bytes) {
        const { bytesRead } = await this.handle.read(data, read, bytes - read, position + read);
        if (bytesRead === 0) throw new Error(`insertDatasetStream: the temporary file of the load ended early (${read} of ${bytes} bytes)`);
        read += bytesRead;
      }
      yield { from, rows, data: [data] };
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
