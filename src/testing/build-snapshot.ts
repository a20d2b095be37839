/*
 * Writes the migrated snapshot shipped in dist/ (see shipped-snapshot.ts). Run by tsup's onSuccess after each build:
 *   node --import tsx src/testing/build-snapshot.ts
 */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { formatCount } from '../util';
import { buildClusterSnapshot, buildMigratedSnapshot, snapshotImage } from './snapshot';
import { encodeSnapshotFile } from '../db/pglite/snapshot-file';
import { packageSnapshotOrigin } from '../db/pglite/shipped-data-dir';
import { migratedKey } from './snapshot-keys';
import { readShippedSnapshot, shippedSnapshotPath } from './shipped-snapshot';

const started = performance.now();
const key = migratedKey(undefined);
const tar = await buildMigratedSnapshot(snapshotImage(await buildClusterSnapshot()), undefined);
const file = shippedSnapshotPath();
const partial = `${file}.${process.pid}.partial`;
try {
  writeFileSync(partial, encodeSnapshotFile(key, tar, 'gzip', packageSnapshotOrigin()));
  renameSync(partial, file);
} finally {
  rmSync(partial, { force: true });
}
// Read back as createTestDatabase() will, so that a build never ships a snapshot it would refuse.
const check = readShippedSnapshot(key, (problem) => {
  throw new Error(`the snapshot just written is unusable: ${problem}`);
});
if (!check || snapshotImage(check).files === undefined) throw new Error(`${file} does not read back as written`);
const size = statSync(file).size;
console.log(
  `${relative(process.cwd(), file)}: ${formatCount(Math.round(size / 1024))} KB, the migrated schema for createTestDatabase() ` +
    `(${formatCount(Math.round(tar.byteLength / 1024))} KB as a tar; key ${key}), in ${Math.round(performance.now() - started)} ms`,
);
