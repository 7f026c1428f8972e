/** Registers every command on the program. */
import type { Command } from 'commander';
import { registerAuditCommands } from './audit.js';
import { registerBenchCommand } from './bench.js';
import { registerCpSimCommand } from './cp-sim.js';
import { registerDaemonCommand } from './daemon.js';
import { registerDashboardCommand } from './dashboard.js';
import { registerDemoCommand } from './demo.js';
import { registerInitCommand } from './init.js';
import { registerRedisAclCommand } from './redis-acl.js';
import { registerKillSwitchCommands } from './kill-switch.js';
import { registerMcpCommand } from './mcp.js';
import { registerQueryCommands } from './queries.js';
import { registerSecretsCommands } from './secrets.js';
import { registerSignalCommand } from './signal.js';
import { registerSimCommand } from './sim.js';
import { registerStatusCommand } from './status.js';

export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerDaemonCommand(program);
  registerDashboardCommand(program);
  registerSimCommand(program);
  registerCpSimCommand(program);
  registerSignalCommand(program);
  registerQueryCommands(program);
  registerKillSwitchCommands(program);
  registerStatusCommand(program);
  registerAuditCommands(program);
  registerBenchCommand(program);
  registerInitCommand(program);
  registerRedisAclCommand(program);
  registerMcpCommand(program);
  registerSecretsCommands(program);
}
