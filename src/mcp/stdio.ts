/** Serves MCP over stdio (Claude Desktop, Claude Code). stdout is the protocol channel: log to stderr only. */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpContext } from './context.js';
import { createMcpServer } from './server.js';

/** Connects a server to this process's stdin/stdout; resolves when the client goes away. */
export async function serveStdio(ctx: McpContext): Promise<void> {
  const { server } = createMcpServer(ctx);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close().catch(() => undefined);
}
