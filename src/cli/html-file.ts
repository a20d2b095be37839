import { closeSync, lstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DestructiveOperationRefusedError, InvalidOptionError } from '../errors';
import { type QualityReport, renderReportHtml } from '../report';
import type { CommandIo, OptionSpec } from './command';

/** The mark `renderReportHtml` puts in a page's head: a file holding it may be replaced by a newer report. */
const GENERATOR_MARK = '<meta name="generator" content="tqs-data">';

/**
 * The `--html FILE` option of the commands that print a quality report.
 *
 * @example
 * const options = { ...htmlOption, ...databaseOptions };
 */
export const htmlOption: Record<string, OptionSpec> = {
  html: {
    type: 'string',
    value: 'FILE',
    description: 'also write the report as one self-contained HTML page of charts to FILE (its folder is created)',
  },
};

/**
 * The absolute path `--html` names, checked before any work: refused when it is a folder, or an existing file that
 * is not a page this tool wrote (replacing someone's file needs them to remove it first).
 *
 * @example
 * const file = htmlTarget(options); // '/work/.tqs/report.html', or undefined without --html
 */
export function htmlTarget(options: Record<string, string | boolean | undefined>): string | undefined {
  const raw = options.html;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new InvalidOptionError('html', '--html needs a file name, e.g. --html report.html');
  }
  const file = resolve(raw);
  let stats;
  try {
    stats = lstatSync(file);
  } catch {
    return file; // a new file
  }
  if (!stats.isFile()) {
    throw new InvalidOptionError('html', `--html ${raw} is not a regular file (a folder or a link?): name a file, e.g. ${raw}/report.html`);
  }
  const head = Buffer.alloc(2048);
  const fd = openSync(file, 'r');
  let read: number;
  try {
    read = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.subarray(0, read).toString('utf8').includes(GENERATOR_MARK)) {
    throw new DestructiveOperationRefusedError(
      `--html ${raw} exists and is not a report written by tqs-data: refusing to replace it (remove it or name another file)`,
    );
  }
  return file;
}

/**
 * Writes the HTML page of `report` to `file` (from {@link htmlTarget}) through a temporary file and a rename, so a
 * reader never sees half a page, and says where: on stdout beside a text report, on stderr beside JSON.
 *
 * @example
 * writeHtmlReport(io, report, file, options.json === true);
 */
export function writeHtmlReport(io: CommandIo, report: QualityReport, file: string, json: boolean): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, renderReportHtml(report));
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  (json ? io.stderr : io.stdout).write(`html report: ${file} (open ${pathToFileURL(file).href})\n`);
}
