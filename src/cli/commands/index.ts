/** Registers every command on the program. */
import type { Command } from 'commander';
import { registerAuditCommands } from './audit.js';
import { registerDaemonCommand } from './daemon.js';
import { registerDemoCommand } from './demo.js';
import { registerSignalCommand } from './signal.js';
import { registerSimCommand } from './sim.js';

export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerDaemonCommand(program);
  registerSignalCommand(program);
  registerSimCommand(program);
  registerAuditCommands(program);
}
