import type { Command } from '../command';
import { migrateCommand } from './migrate';
import { rollbackCommand } from './rollback';
import { scoreCommand } from './score';

/** Every subcommand of `tqs-data`, in the order `--help` lists them. */
export const commands: Command[] = [migrateCommand, rollbackCommand, scoreCommand];
