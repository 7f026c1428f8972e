import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { request } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/domain/types.js';
import { mcpHttpPlugin } from '../../src/mcp/http-plugin.js';
import { ALL_TOOLS, PERSONAL, simOrders, startMcpStack, type McpStack } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';

describe('Streamable HTTP at /mcp and the preview approval API', () => {
  let s: McpStack;
  let app: FastifyInstance;
  let base: string;
  const clients: Client[] = [];
  beforeAll(async () => {
    s = await startMcpStack();
    app = Fastify();
    await app.register(mcpHttpPlugin, { ctx: s.runtime.ctx, token: TOKEN, host: '127.0.0.1' });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await app?.close();
    await s?.stop();
  });

  const connect = async (token = TOKEN): Promise<Client> => {
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    const client = new Client({ name: 'http-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return client;
  };
  const api = (path: string, init: RequestInit = {}, token: string | null = TOKEN) =>
    fetch(base + path, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string> | undefined) } });

  it('refuses any request without the token (401), or with a wrong one', async () => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }) };
    expect((await api('/mcp', init, null)).status).toBe(401);
    expect((await api('/mcp', init, 'wrong')).status).toBe(401);
    expect((await api('/api/previews', {}, null)).status).toBe(401);
    await expect(connect('wrong')).rejects.toThrow();
  });

  it('serves the tools to an SDK client with the token', async () => {
    const client = await connect();
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS);
    const r = (await client.callTool({ name: 'get_connection_status', arguments: {} })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ mode: 'paper', ib: { connected: true }, redis: { connected: true } });
  });

  it('a preview shows up in /api/previews; approving it runs the pipeline once; a second approval is refused', async () => {
    const client = await connect();
    const p = (await client.callTool({ name: 'preview_order', arguments: { symbol: 'AAPL', side: 'BUY', quantity: 6, account: 'personal' } })) as CallToolResult;
    const previewId = (p.structuredContent as { previewId: string }).previewId;
    const list = (await (await api('/api/previews')).json()) as { previews: { previewId: string; status: string; results: unknown[]; request: unknown }[] };
    const mine = list.previews.find((x) => x.previewId === previewId);
    expect(mine).toMatchObject({ status: 'pending' });
    expect(mine!.results).toHaveLength(1);
    const crossSite = await api(`/api/previews/${previewId}/approve`, { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(crossSite.status).toBe(403);
    const ok = await api(`/api/previews/${previewId}/approve`, { method: 'POST' });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { status: string; jobId: string };
    expect(body.status).toBe('confirmed');
    const job = (await s.stack.queue.getJob(body.jobId))!;
    const outcome = (await job.waitUntilFinished(s.stack.queueEvents, 20_000)) as Outcome;
    expect(outcome.results[0]).toMatchObject({ account: PERSONAL, decision: 'PLACED', quantity: 6 });
    expect((await api(`/api/previews/${previewId}/approve`, { method: 'POST' })).status).toBe(409);
    expect((await api(`/api/previews/${previewId}/reject`, { method: 'POST' })).status).toBe(409);
    const again = (await client.callTool({ name: 'place_order', arguments: { previewId, confirm: true } })) as CallToolResult;
    expect(again.isError).toBe(true);
    expect((await simOrders(s.stack)).filter((o) => o.symbol === 'AAPL' && o.totalQuantity === 6)).toHaveLength(1);
  });

  it('a rejected preview cannot be confirmed', async () => {
    const client = await connect();
    const p = (await client.callTool({ name: 'preview_order', arguments: { symbol: 'AAPL', side: 'BUY', quantity: 7, account: 'personal' } })) as CallToolResult;
    const previewId = (p.structuredContent as { previewId: string }).previewId;
    const r = await api(`/api/previews/${previewId}/reject`, { method: 'POST' });
    expect(await r.json()).toEqual({ previewId, status: 'rejected' });
    const c = (await client.callTool({ name: 'place_order', arguments: { previewId, confirm: true } })) as CallToolResult;
    expect(c.isError).toBe(true);
    expect(JSON.stringify(c.content)).toMatch(/already rejected/);
  });

  it('refuses a non-loopback bind without a token, and a foreign Host header on loopback', async () => {
    const other = Fastify();
    await expect(other.register(mcpHttpPlugin, { ctx: s.runtime.ctx, token: undefined, host: '0.0.0.0' }).ready()).rejects.toThrow(/not loopback/);
    await other.close().catch(() => undefined);
    // fetch cannot set Host; a raw request can (as a DNS-rebinding page's browser would send it)
    const url = new URL(base);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: url.port, path: '/api/previews', headers: { host: 'attacker.example', authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});
