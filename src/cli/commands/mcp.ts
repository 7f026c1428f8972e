/**
 * `ibkr-exec mcp` (CONTRACT §8): the MCP server on stdio, for Claude Desktop / Claude Code. Reads use a
 * TWS session with a client id of its own (`--client-id`, default `ib.clientId + 1`); writes go to the
 * daemon's queue and only when the config enables them (`mcp.allowWrites`, `mcp.writeAccounts`).
 * Nothing but the protocol is written to stdout.
 */
import type { Command } from 'commander';
import { createMcpRuntime } from '../../mcp/runtime.js';
import { serveStdio } from '../../mcp/stdio.js';
import { cliConfig } from '../context.js';
import { CliError } from '../output.js';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('the MCP server on stdio (for AI assistants); see docs/mcp.md')
    .option('--client-id <n>', 'IB client id of its query session (default: config ib.clientId + 1)')
    .action(async (o: { clientId?: string }, cmd: Command) => {
      const config = cliConfig(cmd);
      const clientId = o.clientId !== undefined ? Number(o.clientId) : undefined;
      if (clientId !== undefined && (!Number.isInteger(clientId) || clientId < 0)) throw new CliError(`--client-id: expected a non-negative integer, received ${o.clientId}`, 2);
      if (clientId === config.ib.clientId) throw new CliError(`--client-id: ${clientId} is the daemon's client id (ib.clientId); the MCP server needs one of its own`, 2);
      const runtime = await createMcpRuntime({ config, env: process.env, ...(clientId !== undefined ? { clientId } : {}) });
      const stop = (): void => void runtime.close().finally(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        await serveStdio(runtime.ctx);
      } finally {
        await runtime.close();
        // the client went away: do not linger on a reconnect timer of the TWS session
        setTimeout(() => process.exit(0), 2000).unref();
      }
    });
}
