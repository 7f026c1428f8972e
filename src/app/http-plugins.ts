/**
 * The daemon's extra HTTP plugins (CONTRACT §8, §9): Streamable HTTP MCP at `/mcp` and the preview approval
 * API the dashboard calls, mounted on the daemon's listener when an MCP token is configured
 * (`IBKR_EXEC_MCP_TOKEN` / `IBKR_EXEC_MCP_TOKEN_FILE`). Without a token `/mcp` is not served at all (a
 * bearer token is required for every MCP request) and the dashboard lists previews read-only.
 *
 * The MCP runtime behind `/mcp` has a TWS session of its own with client id `ib.clientId + 2` (the daemon's is
 * `ib.clientId`, a stdio `ibkr-exec mcp` and the query commands default to `+ 1`).
 */
import type { FastifyInstance } from 'fastify';
import type { HttpPluginsFactory } from '../http/daemon-http.js';
import { mcpToken } from '../infra/secrets.js';
import { mcpHttpPlugin } from '../mcp/http-plugin.js';
import { createMcpRuntime } from '../mcp/runtime.js';

/** `/mcp` and `/api/previews*` when an MCP token is set; nothing otherwise. */
export const daemonHttpPlugins: HttpPluginsFactory = (ctx) => {
  const token = mcpToken(ctx.env, ctx.config.stateDir);
  if (token === undefined) {
    ctx.logger.info('no MCP token set (IBKR_EXEC_MCP_TOKEN / IBKR_EXEC_MCP_TOKEN_FILE): /mcp is not served and the dashboard cannot approve previews');
    return [];
  }
  return [
    async (app: FastifyInstance) => {
      const mcp = await createMcpRuntime({ config: ctx.config, env: ctx.env, clientId: ctx.config.ib.clientId + 2, clock: ctx.clock });
      app.addHook('onClose', async () => mcp.close());
      // /api/previews* pass the dashboard's own checks first (loopback Host, same origin, the page token, the
      // login cookie off loopback); /mcp checks only its bearer token
      await app.register(mcpHttpPlugin, { ctx: mcp.ctx, token, host: ctx.config.http.host, authorize: (req) => !req.url.startsWith('/mcp') });
      ctx.logger.info({ path: '/mcp', clientId: ctx.config.ib.clientId + 2 }, 'MCP over Streamable HTTP on the daemon listener (bearer token required)');
    },
  ];
};
