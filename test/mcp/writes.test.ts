import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IbBroker } from '../../src/ib/ib-broker.js';
import { createMcpRuntime, type McpRuntime } from '../../src/mcp/runtime.js';
import { previewKeys } from '../../src/mcp/preview-store.js';
import { placeOutput, previewOutput } from '../../src/mcp/tools/order-tools.js';
import { IRA, PERSONAL, REDIS, call, callError, connectClient, simOrders, startMcpStack, waitFor, type McpStack } from './helpers.js';

describe('MCP writes: preview -> confirm through the daemon pipeline', () => {
  let s: McpStack;
  let client: Client;
  let redis: Redis;
  const extra: { runtime: McpRuntime; client?: Client }[] = [];
  beforeAll(async () => {
    s = await startMcpStack({ mcp: { allowWrites: true, writeAccounts: [PERSONAL], previewTtlSeconds: 60 } });
    client = await connectClient(s.runtime);
    redis = new Redis(REDIS);
  });
  afterAll(async () => {
    for (const e of extra) {
      await e.client?.close();
      await e.runtime.close();
    }
    await client?.close();
    redis?.disconnect();
    await s?.stop();
  });

  /** A second runtime on the same stack with other MCP settings (or a shifted clock). */
  async function variant(mcp: Record<string, unknown>, clockOffsetMs = 0, caps = {}): Promise<Client> {
    const config = { ...s.stack.config, mcp: { ...s.stack.config.mcp, ...mcp } };
    const runtime = await createMcpRuntime({ config, env: {}, clientId: 40 + extra.length, clock: { now: () => Date.now() + clockOffsetMs }, outcomeWaitMs: 20_000, brokerWaitMs: 15_000 });
    const c = await connectClient(runtime, caps);
    extra.push({ runtime, client: c });
    return c;
  }

  it('a preview evaluates with the daemon rules and sends nothing', async () => {
    const before = (await simOrders(s.stack)).length;
    const p = previewOutput.parse(await call(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: 10, account: 'personal' }));
    expect(p.results).toHaveLength(1);
    expect(p.results[0]).toMatchObject({ account: PERSONAL, decision: 'APPROVED', quantity: 10, writable: true });
    expect(p.results[0]!.estimatedCost).not.toBeNull();
    expect(p.results[0]!.whatIf?.initialMarginChange ?? p.results[0]!.whatIf?.commission).not.toBeUndefined();
    expect(p.confirmable).toBe(true);
    expect((await simOrders(s.stack)).length).toBe(before);
    expect(await redis.exists(previewKeys(s.stack.config.redis.prefix).record(p.previewId))).toBe(1);
  });

  it('confirm places exactly one order even when sent twice', async () => {
    const p = previewOutput.parse(await call(client, 'preview_order', { symbol: 'MSFT', side: 'BUY', quantity: 3, account: PERSONAL }));
    const r = placeOutput.parse(await call(client, 'place_order', { previewId: p.previewId, confirm: true }));
    expect(r.status).toBe('COMPLETED');
    expect(r.signalId).toBe(p.previewId);
    expect(r.results[0]).toMatchObject({ account: PERSONAL, decision: 'PLACED', quantity: 3 });
    const again = await callError(client, 'place_order', { previewId: p.previewId, confirm: true });
    expect(again).toMatch(/already confirmed/);
    const mine = (await simOrders(s.stack)).filter((o) => o.symbol === 'MSFT' && o.account === PERSONAL && o.totalQuantity === 3);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.clientId).toBe(s.stack.config.ib.clientId); // placed by the daemon, not by MCP
    expect(await s.stack.queue.getJob(r.jobId!)).toBeDefined();
  });

  it('two confirms racing from two sessions place one order', async () => {
    const other = await variant({});
    const p = previewOutput.parse(await call(client, 'preview_order', { symbol: 'MSFT', side: 'BUY', quantity: 7, account: PERSONAL }));
    const answers = await Promise.all([client, other].map((c) => c.callTool({ name: 'place_order', arguments: { previewId: p.previewId, confirm: true } })));
    expect(answers.filter((a) => a.isError)).toHaveLength(1);
    expect((await simOrders(s.stack)).filter((o) => o.symbol === 'MSFT' && o.totalQuantity === 7)).toHaveLength(1);
  });

  it('refuses an unknown, malformed, expired or tampered preview id', async () => {
    expect(await callError(client, 'place_order', { previewId: 'mcp-00000000000000000000000000000000', confirm: true })).toMatch(/unknown or expired/);
    expect(await callError(client, 'place_order', { previewId: 'sig-123', confirm: true })).toMatch(/not a preview id/);
    const p = previewOutput.parse(await call(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: 2, account: PERSONAL }));
    const later = await variant({}, 61_000);
    expect(await callError(later, 'place_order', { previewId: p.previewId, confirm: true })).toMatch(/expired/);
    const key = previewKeys(s.stack.config.redis.prefix).record(p.previewId);
    const rec = JSON.parse((await redis.get(key))!) as { request: { size: { quantity: number } } };
    rec.request.size.quantity = 900;
    await redis.set(key, JSON.stringify(rec), 'KEEPTTL');
    expect(await callError(client, 'place_order', { previewId: p.previewId, confirm: true })).toMatch(/tampered/);
    expect((await simOrders(s.stack)).some((o) => o.totalQuantity === 900 || o.totalQuantity === 2)).toBe(false);
  });

  it('refuses an account outside mcp.writeAccounts, and extra fields on a confirmation', async () => {
    const p = previewOutput.parse(await call(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: 1, account: 'THK' }));
    expect(p.confirmable).toBe(false);
    expect(p.results[0]!.writable).toBe(false);
    expect(await callError(client, 'place_order', { previewId: p.previewId, confirm: true })).toMatch(/only for mcp\.writeAccounts/);
    expect(await callError(client, 'place_order', { previewId: p.previewId, confirm: true, quantity: 5 })).toMatch(/only previewId/);
  });

  it('an IRA short sale through MCP is DENIED IRA_SHORT_SALE by the daemon', async () => {
    const c = await variant({ writeAccounts: [PERSONAL, IRA] });
    const p = previewOutput.parse(await call(c, 'preview_order', { symbol: 'AAPL', side: 'SELL', quantity: 500, account: 'roth' }));
    expect(p.results[0]).toMatchObject({ account: IRA, decision: 'DENIED' });
    expect(p.results[0]!.reasons.map((r) => r.code)).toContain('IRA_SHORT_SALE');
    expect(p.next).toMatch(/would be DENIED/);
    expect(p.next).not.toMatch(/place_order/); // nothing that invites the short
    const r = placeOutput.parse(await call(c, 'place_order', { previewId: p.previewId, confirm: true }));
    expect(r.status).toBe('COMPLETED');
    expect(r.results[0]).toMatchObject({ account: IRA, decision: 'DENIED' });
    expect(r.results[0]!.reasons.map((x) => x.code)).toContain('IRA_SHORT_SALE');
    expect((await simOrders(s.stack)).some((o) => o.account === IRA && o.action === 'SELL')).toBe(false);
  });

  it('place_order with order fields previews instead of placing', async () => {
    const before = (await simOrders(s.stack)).length;
    const r = placeOutput.parse(await call(client, 'place_order', { symbol: 'AAPL', side: 'BUY', quantity: 1, account: PERSONAL }));
    expect(r.status).toBe('PREVIEWED');
    expect(r.next).toMatch(/confirm/);
    expect((await simOrders(s.stack)).length).toBe(before);
  });

  it('asks the user through elicitation where the client supports it: decline places nothing, accept places', async () => {
    let answer: 'accept' | 'decline' = 'decline';
    const messages: string[] = [];
    const c = await variant({}, 0, { capabilities: { elicitation: { form: {} } } });
    c.setRequestHandler(ElicitRequestSchema, (req) => {
      messages.push(String(req.params.message));
      return Promise.resolve(answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' });
    });
    const p1 = previewOutput.parse(await call(c, 'preview_order', { symbol: 'SPY', side: 'BUY', quantity: 1, account: PERSONAL }));
    const d = placeOutput.parse(await call(c, 'place_order', { previewId: p1.previewId, confirm: true }));
    expect(d.status).toBe('DECLINED');
    expect(messages[0]).toMatch(/BUY SPY/);
    expect(await callError(c, 'place_order', { previewId: p1.previewId, confirm: true })).toMatch(/already rejected/);
    answer = 'accept';
    const p2 = previewOutput.parse(await call(c, 'preview_order', { symbol: 'SPY', side: 'BUY', quantity: 2, account: PERSONAL }));
    const a = placeOutput.parse(await call(c, 'place_order', { previewId: p2.previewId, confirm: true }));
    expect(a.results[0]).toMatchObject({ decision: 'PLACED', quantity: 2 });
    expect((await simOrders(s.stack)).filter((o) => o.symbol === 'SPY').map((o) => o.totalQuantity)).toEqual([2]);
  });

  it('cancel_order cancels only the named order of this daemon, through the daemon', async () => {
    const p = previewOutput.parse(await call(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: 4, account: PERSONAL, order: { type: 'LMT', limitPrice: 185, tif: 'DAY' } }));
    const r = placeOutput.parse(await call(client, 'place_order', { previewId: p.previewId, confirm: true }));
    expect(r.results[0]!.decision).toBe('PLACED');
    const c = await call<{ orders: { state: string }[] }>(client, 'cancel_order', { signalId: p.previewId });
    expect(c.orders.map((o) => o.state)).toEqual(['CANCELLED']);
    const sim = await waitFor(async () => (await simOrders(s.stack)).find((o) => o.orderRef === r.results[0]!.orderRef && o.status === 'Cancelled'), 'the order cancelled at the broker');
    expect(sim.totalQuantity).toBe(4);
    expect(await callError(client, 'cancel_order', { orderRef: 'someone-elses' })).toMatch(/no order of this daemon/);
  });

  it('halt_trading halts through the kill switch; later orders are denied HALTED; no tool resumes', async () => {
    const { tools } = await client.listTools();
    expect(tools.some((t) => /resume/.test(t.name))).toBe(false);
    const h = await call<{ current: string; scope: string }>(client, 'halt_trading', { account: 'personal', reason: 'test halt' });
    expect(h).toMatchObject({ scope: PERSONAL, current: 'HALTED' });
    const st = await call<{ accounts: { account: string; effective: string }[] }>(client, 'get_trading_state');
    expect(st.accounts.find((a) => a.account === PERSONAL)?.effective).toBe('HALTED');
    const p = previewOutput.parse(await call(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: 1, account: PERSONAL }));
    expect(p.results[0]!.reasons.map((r) => r.code)).toContain('HALTED');
    const audit = await call<{ records: { type: string; data: { client?: { name: string } } }[] }>(client, 'get_audit_trail', { type: 'mcp.', limit: 100 });
    const types = new Set(audit.records.map((r) => r.type));
    for (const t of ['mcp.preview', 'mcp.confirm', 'mcp.reject', 'mcp.cancel', 'mcp.halt']) expect(types, t).toContain(t);
    expect(audit.records.find((r) => r.type === 'mcp.halt')?.data.client?.name).toBe('ibkr-exec-test');
    const ts = await call<{ records: { data: { by?: string; current?: string } }[] }>(client, 'get_audit_trail', { type: 'trading-state', limit: 5 });
    expect(ts.records.at(-1)?.data).toMatchObject({ by: 'mcp', current: 'HALTED' });
    expect((await call<{ ok: boolean }>(client, 'verify_audit_chain')).ok).toBe(true);
  });
});

describe('MCP after a gateway restart', () => {
  let s: McpStack;
  let client: Client;
  beforeAll(async () => {
    s = await startMcpStack({ daemon: { ibBackoff: { initialMs: 100, maxMs: 500 } } });
    client = await connectClient(s.runtime);
  });
  afterAll(async () => {
    await client?.close();
    await s?.stop();
  });

  it('the query session reconnects by itself and reads work again', async () => {
    expect((await call<{ accounts: unknown[] }>(client, 'get_portfolio')).accounts).toHaveLength(3);
    const seen: string[] = [];
    const sub = (s.runtime.ctx.broker as unknown as { ib: IbBroker }).ib.connection$.subscribe((st) => seen.push(st.state));
    await s.stack.admin('/fault', { action: 'disconnect' });
    await waitFor(async () => (seen.includes('DISCONNECTED') ? true : undefined), 'the session to notice the drop');
    sub.unsubscribe();
    const p = await call<{ accounts: { positions: unknown[] }[] }>(client, 'get_portfolio');
    expect(p.accounts[0]!.positions.length).toBeGreaterThan(0);
  });
});
