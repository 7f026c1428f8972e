/**
 * The daemon's own listener serves MCP at /mcp (and the preview approval API) when an MCP token is set, and
 * nothing there without one: real daemon, simulator, Redis and an SDK client over Streamable HTTP.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { ALL_TOOLS } from '../mcp/helpers.js';
import { REDIS } from './pipeline-helpers.js';

const TOKEN = 'daemon-mcp-token-0123456789abcdef';
const INIT = { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }) };

describe('MCP on the daemon listener', () => {
  let withToken: Stack;
  let without: Stack;
  const clients: Client[] = [];
  beforeAll(async () => {
    withToken = await startStack({ redisUrl: REDIS, env: { IBKR_EXEC_MCP_TOKEN: TOKEN } });
    without = await startStack({ redisUrl: REDIS });
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await withToken?.stop();
    await without?.stop();
  });

  it('with a token: /mcp needs it (401 without) and serves every tool to an SDK client', async () => {
    const base = withToken.daemon!.http.url;
    expect((await fetch(new URL('mcp', base), INIT)).status).toBe(401);
    const transport = new StreamableHTTPClientTransport(new URL('mcp', base), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } });
    const client = new Client({ name: 'daemon-http-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    // writes are off by default (mcp.allowWrites): every read tool
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS.filter((n) => !['place_order', 'cancel_order', 'halt_trading'].includes(n)));
    const previews = await fetch(new URL('api/previews', base), { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(previews.status).toBe(200);
    expect(await previews.json()).not.toHaveProperty('approvals', false); // the MCP plugin's route, not the read-only fallback
  });

  it('without a token: nothing is served at /mcp and the dashboard lists previews read-only', async () => {
    const base = without.daemon!.http.url;
    expect((await fetch(new URL('mcp', base))).status).toBe(404);
    expect((await fetch(new URL('mcp', base), INIT)).status).not.toBe(200);
    expect(await (await fetch(new URL('api/previews', base))).json()).toMatchObject({ approvals: false });
  });
});
