import type { Command } from '../command';
import { archiveCommand } from './archive';
import { generateCommand } from './generate';
import { ingestCommand } from './ingest';
import { migrateCommand } from './migrate';
import { partitionsCommand } from './partitions';
import { reportCommand } from './report';
import { rollbackCommand } from './rollback';
import { scoreCommand } from './score';
import { setupCommand } from './setup';
import { statusCommand } from './status';

/** Every subcommand of `tqs-data`, in the order `--help` lists them. */
export const commands: Command[] = [
  setupCommand,
  migrateCommand,
  rollbackCommand,
  statusCommand,
  generateCommand,
  ingestCommand,
  scoreCommand,
  reportCommand,
  archiveCommand,
  partitionsCommand,
];
