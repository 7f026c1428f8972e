import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSummaryOutput, connectionOutput, listAccountsOutput, portfolioOutput } from '../../src/mcp/tools/account-tools.js';
import { historyOutput, marketDataOutput, searchOutput } from '../../src/mcp/tools/market-tools.js';
import { optionChainOutput } from '../../src/mcp/tools/option-tools.js';
import { READ_TOOLS } from '../../src/mcp/registry.js';
import { ALL_TOOLS, BUSINESS, IRA, PERSONAL, call, callError, connectClient, startMcpStack, type McpStack } from './helpers.js';

describe('MCP read tools against the simulator, Redis and a running daemon', () => {
  let s: McpStack;
  let client: Client;
  beforeAll(async () => {
    s = await startMcpStack();
    client = await connectClient(s.runtime);
  });
  afterAll(async () => {
    await client?.close();
    await s?.stop();
  });

  it('lists exactly the contract tools, with strict input schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS);
    for (const t of tools) {
      expect(t.inputSchema.additionalProperties, t.name).toBe(false);
      expect(t.outputSchema, t.name).toBeDefined();
    }
  });

  it('rejects an unknown argument instead of dropping it', async () => {
    const text = await callError(client, 'get_portfolio', { account: 'personal', evil: 1 });
    expect(text).toMatch(/evil|Unrecognized/i);
  });

  it('every read tool returns structuredContent matching its own output schema', async () => {
    const args: Record<string, Record<string, unknown>> = {
      get_market_data: { symbol: 'AAPL' }, get_historical_data: { symbol: 'AAPL', duration: '5 D', barSize: '1 day' },
      check_shortable_shares: { symbol: 'AAPL' }, get_borrow_rates: { symbol: 'AAPL' }, get_margin_requirements: { symbol: 'AAPL', side: 'BUY', quantity: 5, account: 'personal' },
      short_selling_analysis: { symbol: 'AAPL', quantity: 10 }, switch_account: { account: 'THK' }, search_contracts: { symbol: 'AAPL', secTypes: ['STK'] },
      preview_order: { symbol: 'AAPL', side: 'BUY', quantity: 1, account: 'personal' }, get_order_status: { signalId: 'nope-never' },
      get_option_chain: { symbol: 'AAPL', strikes: 2 },
    };
    for (const def of READ_TOOLS) {
      if (def.name === 'get_order_status') continue; // unknown signal: an error by design, checked below
      const out = await call(client, def.name, args[def.name] ?? {});
      expect(() => def.output.parse(out), def.name).not.toThrow();
    }
    expect(await callError(client, 'get_order_status', { signalId: 'nope-never' })).toMatch(/not known/);
  });

  it('get_portfolio covers every account with mode and asOf', async () => {
    const p = portfolioOutput.parse(await call(client, 'get_portfolio'));
    expect(p.mode).toBe('paper');
    expect(Number.isNaN(Date.parse(p.asOf))).toBe(false);
    expect(p.accounts.map((a) => a.account)).toEqual([IRA, PERSONAL, BUSINESS]);
    const aapl = p.accounts[0]!.positions.find((x) => x.symbol === 'AAPL');
    expect(aapl?.quantity).toBe(100);
    expect(aapl?.marketValue).not.toBeNull();
  });

  it('names accounts by id, label or type, and refuses an ambiguous or unknown name', async () => {
    const byType = accountSummaryOutput.parse(await call(client, 'get_account_summary', { account: 'roth' }));
    expect(byType.accounts.map((a) => a.account)).toEqual([IRA]);
    expect(byType.accounts[0]!.rules.shortSalesAllowed).toBe(false);
    const byLabel = accountSummaryOutput.parse(await call(client, 'get_account_summary', { account: 'THK' }));
    expect(byLabel.accounts.map((a) => a.account)).toEqual([BUSINESS]);
    expect(await callError(client, 'get_account_summary', { account: 'savings' })).toMatch(/no account matches/);
  });

  it('market data carries dataType and asOf; history returns bars; search finds the contract', async () => {
    const q = marketDataOutput.parse(await call(client, 'get_market_data', { symbol: 'AAPL' }));
    expect(['live', 'delayed', 'frozen']).toContain(q.dataType);
    expect(q.bid ?? q.last).not.toBeNull();
    const h = historyOutput.parse(await call(client, 'get_historical_data', { symbol: 'MSFT', duration: '1 M', barSize: '1 day' }));
    expect(h.bars.length).toBeGreaterThan(5);
    const c = searchOutput.parse(await call(client, 'search_contracts', { symbol: 'AAPL', secTypes: ['STK'] }));
    expect(c.matches[0]?.conId).toBe(265598);
    const fx = marketDataOutput.parse(await call(client, 'get_market_data', { symbol: 'EUR.USD' }));
    expect(fx).toMatchObject({ secType: 'CASH', currency: 'USD' });
    const fut = searchOutput.parse(await call(client, 'search_contracts', { symbol: 'ES' }));
    expect(fut.matches.map((m) => m.secType)).toContain('FUT');
  });

  it('margin comes from a what-if order, the borrow fee from FEE_RATE data, shortable shares from tick 236', async () => {
    const m = await call<{ results: { applicable: boolean; initialMarginChange: string | null; commission: string | null }[] }>(client, 'get_margin_requirements', { symbol: 'AAPL', side: 'BUY', quantity: 5, account: 'personal' });
    expect(m.results[0]!.applicable).toBe(true);
    expect(m.results[0]!.initialMarginChange ?? m.results[0]!.commission).not.toBeNull();
    const f = await call<{ results: { feeRate: string | null }[] }>(client, 'get_borrow_rates', { symbol: 'AAPL', account: 'THK' });
    expect(Number(f.results[0]!.feeRate)).toBeGreaterThanOrEqual(0);
    expect(f.results[0]!.feeRate).not.toBeNull();
    const sh = await call<{ results: { shortableShares: number | null }[] }>(client, 'check_shortable_shares', { symbol: 'MSFT', account: 'personal' });
    expect(sh.results[0]!.shortableShares).toBe(40_000_000);
  });

  it('get_option_chain: the N strikes nearest the money with greeks, one expiry, no account involved', async () => {
    const c = optionChainOutput.parse(await call(client, 'get_option_chain', { symbol: 'aapl', strikes: 3 }));
    expect(c.symbol).toBe('AAPL');
    expect(Number(c.underlyingPrice)).toBeCloseTo(190, 0);
    expect(c.expirations).toHaveLength(2); // the default household's AAPL chain: +30d and +60d
    expect(c.expiry).toBe(c.expirations[0]);
    expect([...new Set(c.contracts.map((k) => k.strike))]).toEqual(['185', '190', '195']);
    expect(c.contracts).toHaveLength(6); // calls and puts
    for (const k of c.contracts) {
      expect(k.expiry).toBe(c.expiry);
      expect(k.conId).toBeGreaterThan(0);
      expect(k.multiplier).toBe('100');
      for (const g of [k.impliedVol, k.delta, k.gamma, k.vega, k.theta]) expect(g, `${k.strike} ${k.right}`).toMatch(/^-?\d+(\.\d+)?(e-?\d+)?$/);
      const delta = Number(k.delta);
      if (k.right === 'C') expect(delta > 0 && delta < 1).toBe(true);
      else expect(delta < 0 && delta > -1).toBe(true);
      expect(Number(k.impliedVol)).toBeCloseTo(0.3, 1);
    }
    // one right, another expiry, strikes as a digit string; the IRA as the session default changes nothing
    await call(client, 'switch_account', { account: 'roth' });
    const p = optionChainOutput.parse(await call(client, 'get_option_chain', { symbol: 'AAPL', right: 'P', strikes: '2', expiry: c.expirations[1] }));
    expect(p.expiry).toBe(c.expirations[1]);
    expect(p.contracts.map((k) => `${k.strike}${k.right}`)).toEqual(['185P', '190P']);
    expect(await callError(client, 'get_option_chain', { symbol: 'AAPL', account: 'roth' })).toMatch(/account|Unrecognized/i);
    expect(await callError(client, 'get_option_chain', { symbol: 'AAPL', expiry: '20991231' })).toMatch(/20991231/);
    expect(await callError(client, 'get_option_chain', { symbol: 'AAPL', expiry: '2099-12' })).toMatch(/yyyymmdd/);
    expect(await callError(client, 'get_option_chain', { symbol: 'AAPL', strikes: 0 })).toMatch(/strikes/);
    expect(await callError(client, 'get_option_chain', { symbol: 'MSFT' })).toMatch(/no option/i);
  });

  it('connection status reports its own client id, Redis, and the running daemon', async () => {
    const c = connectionOutput.parse(await call(client, 'get_connection_status'));
    expect(c.ib.connected).toBe(true);
    expect(c.ib.clientId).toBe(s.stack.config.ib.clientId + 1);
    expect(c.redis.connected).toBe(true);
    expect(c.daemon.running).toBe(true);
    expect(c.daemon.tradingState).toBe('ACTIVE');
    const l = listAccountsOutput.parse(await call(client, 'list_accounts'));
    expect(l.accounts.filter((a) => a.writable).map((a) => a.account)).toEqual([PERSONAL]);
  });
});
