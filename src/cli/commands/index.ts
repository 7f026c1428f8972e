/** Registers every command on the program. */
import type { Command } from 'commander';
import { registerAuditCommands } from './audit.js';
import { registerSignalCommand } from './signal.js';

export function registerCommands(program: Command): void {
  registerSignalCommand(program);
  registerAuditCommands(program);
}
