import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConnectionStatus, getPortfolio } from '../../src/mcp/tools/account-tools.js';
import { placeOutput, previewOutput } from '../../src/mcp/tools/order-tools.js';
import { ALL_TOOLS, BUSINESS, IRA, PERSONAL, REDIS, simOrders, startMcpStack, type McpStack } from './helpers.js';

describe('ibkr-exec mcp as a process over stdio', () => {
  let s: McpStack;
  let dir: string;
  let client: Client;
  let stderr = '';
  beforeAll(async () => {
    s = await startMcpStack({ clientId: 30 }); // the spawned server takes the default ib.clientId + 1
    dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-mcp-'));
    const c = s.stack.config;
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({
      ib: { host: '127.0.0.1', port: c.ib.port, clientId: c.ib.clientId },
      redis: { url: REDIS, prefix: c.redis.prefix },
      queue: { name: c.queue.name },
      accounts: c.accounts,
      mcp: { allowWrites: true, writeAccounts: [PERSONAL] },
    }));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', 'src/cli/main.ts', 'mcp', '--config', file],
      env: { ...(process.env as Record<string, string>), REDIS_URL: REDIS },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close();
    await s?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const call = async (name: string, args: Record<string, unknown> = {}): Promise<unknown> => {
    const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
    if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)} (stderr: ${stderr})`);
    return r.structuredContent;
  };

  it('lists the tools and reads the household with its own client id', async () => {
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS);
    let status = getConnectionStatus.output.parse(await call('get_connection_status'));
    for (let i = 0; i < 100 && !status.ib.connected; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = getConnectionStatus.output.parse(await call('get_connection_status'));
    }
    expect(status.ib).toMatchObject({ connected: true, clientId: s.stack.config.ib.clientId + 1 });
    const p = getPortfolio.output.parse(await call('get_portfolio'));
    expect(p.accounts.map((a) => a.account)).toEqual([IRA, PERSONAL, BUSINESS]);
  });

  it('previews and confirms an order that the daemon places', async () => {
    const p = previewOutput.parse(await call('preview_order', { symbol: 'MSFT', side: 'BUY', quantity: 2, account: 'personal' }));
    const r = placeOutput.parse(await call('place_order', { previewId: p.previewId, confirm: true }));
    expect(r.results[0]).toMatchObject({ account: PERSONAL, decision: 'PLACED', quantity: 2 });
    const orders = (await simOrders(s.stack)).filter((o) => o.symbol === 'MSFT' && o.totalQuantity === 2);
    expect(orders).toHaveLength(1);
    expect(orders[0]!.clientId).toBe(s.stack.config.ib.clientId);
  });
});
