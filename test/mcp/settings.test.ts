import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config.js';
import { loadKeys, mcpToken } from '../../src/infra/secrets.js';
import { resolveAccount } from '../../src/mcp/accounts.js';
import { createMcpRuntime, type McpRuntime } from '../../src/mcp/runtime.js';
import { toolsFor } from '../../src/mcp/registry.js';
import { ALL_TOOLS, BUSINESS, IRA, PERSONAL, REDIS as REDIS_URL, WRITE_TOOLS, call, callError, connectClient, startMcpStack, type McpStack } from './helpers.js';

describe('mcp config section', () => {
  it('defaults to no writes, no write accounts, 120 s previews', () => {
    const r = parseConfig(DEFAULT_CONFIG_INPUT, {});
    expect(r.ok && r.config.mcp).toEqual({ allowWrites: false, writeAccounts: [], previewTtlSeconds: 120 });
  });
  it('names a bad field', () => {
    const r = parseConfig({ ...DEFAULT_CONFIG_INPUT, mcp: { allowWrites: 'yes', writeAccounts: ['DU9999999'], previewTtlSeconds: 1 } }, {});
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors.join('\n');
    expect(errors).toMatch(/mcp\.allowWrites/);
    expect(errors).toMatch(/mcp\.writeAccounts\[0\].*DU9999999/);
    expect(errors).toMatch(/mcp\.previewTtlSeconds/);
  });
});

describe('account names', () => {
  const accounts = parseConfig(DEFAULT_CONFIG_INPUT, {}).ok ? DEFAULT_CONFIG_INPUT.accounts.map((a) => ({ ...a })) : [];
  it('resolves an id, a label, a label word and a type', () => {
    expect(resolveAccount('du1000002', accounts).id).toBe(PERSONAL);
    expect(resolveAccount('Roth IRA', accounts).id).toBe(IRA);
    expect(resolveAccount('roth', accounts).id).toBe(IRA);
    expect(resolveAccount('THK', accounts).id).toBe(BUSINESS);
    expect(resolveAccount('business', accounts).id).toBe(BUSINESS);
  });
  it('refuses an ambiguous name rather than guessing', () => {
    const two = [...accounts, { id: 'DU1000009', type: 'TRADITIONAL_IRA' as const, label: 'Old IRA' }];
    expect(() => resolveAccount('ira', two)).toThrow(/matches 2 accounts/);
    expect(() => resolveAccount('brokerage', accounts)).toThrow(/no account matches/);
  });
});

describe('without TWS', () => {
  it("never takes the daemon's client id", async () => {
    const parsed = parseConfig(DEFAULT_CONFIG_INPUT, {});
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    await expect(createMcpRuntime({ config: parsed.config, env: {}, clientId: parsed.config.ib.clientId })).rejects.toThrow(/one of its own/);
  });

  it('starts, reports the session as down, and answers reads with a sentence naming host and port', async () => {
    // a host where no daemon ever ran: its own state directory and keys (as `ibkr-exec init` makes them)
    const stateDir = mkdtempSync(join(tmpdir(), 'ibkr-mcp-nots-'));
    loadKeys({ env: {}, stateDir, create: true });
    const parsed = parseConfig({ ...DEFAULT_CONFIG_INPUT, stateDir, ib: { host: '127.0.0.1', port: 1, clientId: 5 }, redis: { url: REDIS_URL, prefix: 'ibkr-mcp-nots' } }, {});
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const runtime = await createMcpRuntime({ config: parsed.config, env: {}, brokerWaitMs: 300 });
    try {
      const client = await connectClient(runtime);
      const st = await call<{ ib: { connected: boolean; clientId: number }; redis: { connected: boolean }; daemon: { running: boolean | null } }>(client, 'get_connection_status');
      expect(st).toMatchObject({ ib: { connected: false, clientId: 6 }, redis: { connected: true }, daemon: { running: false } });
      expect(await callError(client, 'get_portfolio')).toMatch(/127\.0\.0\.1:1 is not reachable/);
      // what lives in Redis is still readable
      expect(await call<{ fills: unknown[] }>(client, 'get_fills', { account: 'personal' })).toMatchObject({ fills: [] });
      // no daemon ever set a trading state here: missing reads as HALTED (fail closed)
      expect(await call<{ global: string }>(client, 'get_trading_state')).toMatchObject({ global: 'HALTED' });
      await client.close();
    } finally {
      await runtime.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('without Redis', () => {
  it('answers a Redis read with a sentence naming Redis', async () => {
    const parsed = parseConfig({ ...DEFAULT_CONFIG_INPUT, ib: { host: '127.0.0.1', port: 1, clientId: 5 }, redis: { url: 'redis://127.0.0.1:1', prefix: 'ibkr-mcp-noredis' } }, {});
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const runtime = await createMcpRuntime({ config: parsed.config, env: {}, brokerWaitMs: 300 });
    try {
      const client = await connectClient(runtime);
      expect(await callError(client, 'get_trading_state')).toMatch(/Redis is not reachable/);
      const st = await call<{ redis: { connected: boolean } }>(client, 'get_connection_status');
      expect(st.redis.connected).toBe(false);
      await client.close();
    } finally {
      await runtime.close();
    }
  });
});

describe('write tools are absent unless enabled, and never in read-only mode', () => {
  let s: McpStack;
  const runtimes: McpRuntime[] = [];
  beforeAll(async () => {
    s = await startMcpStack({ noDaemon: true, mcp: { allowWrites: false, writeAccounts: [PERSONAL] } });
  });
  afterAll(async () => {
    for (const r of runtimes) await r.close();
    await s?.stop();
  });
  const runtimeWith = async (over: Record<string, unknown>): Promise<McpRuntime> => {
    const r = await createMcpRuntime({ config: { ...s.stack.config, ...over }, env: {}, clientId: 60 + runtimes.length, brokerWaitMs: 15_000 });
    runtimes.push(r);
    return r;
  };

  it('allowWrites false: the write tools are not listed and cannot be called', async () => {
    const client = await connectClient(s.runtime);
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(ALL_TOOLS.filter((n) => !WRITE_TOOLS.includes(n)));
    expect(await callError(client, 'place_order', { previewId: 'mcp-00000000000000000000000000000000', confirm: true })).toMatch(/not found/i);
    const p = await call<{ confirmable: boolean; next: string }>(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: 1, account: 'personal' });
    expect(p.confirmable).toBe(false);
    expect(p.next).toMatch(/allowWrites is false/);
    await client.close();
  });

  it('read-only mode: no write tools even with allowWrites, no what-if, previews denied READ_ONLY', async () => {
    const r = await runtimeWith({ readOnly: true, mcp: { allowWrites: true, writeAccounts: [PERSONAL], previewTtlSeconds: 120 } });
    expect(toolsFor(r.ctx).map((t) => t.name)).not.toContain('place_order');
    const client = await connectClient(r);
    const names = (await client.listTools()).tools.map((t) => t.name);
    for (const w of WRITE_TOOLS) expect(names).not.toContain(w);
    const m = await call<{ results: { initialMarginChange: string | null; reason: string | null }[] }>(client, 'get_margin_requirements', { symbol: 'AAPL', side: 'BUY', quantity: 1, account: 'personal' });
    expect(m.results[0]).toMatchObject({ initialMarginChange: null });
    expect(m.results[0]!.reason).toMatch(/read-only/);
    const p = await call<{ results: { reasons: { code: string }[] }[] }>(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: 1, account: 'personal' });
    expect(p.results[0]!.reasons.map((x) => x.code)).toContain('READ_ONLY');
    await client.close();
  });

  it('accepts a quantity sent as a digit string, and rejects a non-numeric one', async () => {
    const client = await connectClient(s.runtime);
    const p = await call<{ results: { quantity: number }[] }>(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: '3', account: 'personal' });
    expect(p.results[0]!.quantity).toBe(3);
    const unknown = await call<{ results: { decision: string; reasons: { code: string }[] }[] }>(client, 'preview_order', { symbol: 'ZZZZ', side: 'BUY', quantity: 1, account: 'personal' });
    expect(unknown.results[0]!.decision).toBe('DENIED');
    expect(unknown.results[0]!.reasons.length).toBeGreaterThan(0);
    const all = await call<{ results: { account: string }[] }>(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: 1, accounts: 'ALL' });
    expect(all.results.map((r) => r.account)).toEqual([IRA, PERSONAL, BUSINESS]);
    expect(await callError(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: 'ten', account: 'personal' })).toMatch(/quantity/);
    await client.close();
  });

  it('allowWrites true: the write tools are listed; without a daemon a confirmed order waits in the queue and says so', async () => {
    const r = await runtimeWith({ mcp: { allowWrites: true, writeAccounts: [PERSONAL], previewTtlSeconds: 120 } });
    const client = await connectClient(r);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS);
    const p = await call<{ previewId: string }>(client, 'preview_order', { symbol: 'AAPL', side: 'BUY', quantity: 1, account: 'personal' });
    const c = await call<{ status: string; jobId: string; next: string }>(client, 'place_order', { previewId: p.previewId, confirm: true });
    expect(c.status).toBe('PENDING');
    expect(c.next).toMatch(/no daemon is consuming/);
    expect(await (await s.stack.queue.getJob(c.jobId))?.getState()).toBe('waiting');
    await client.close();
  });

  it('short-selling tools answer an IRA with applicable:false and never a number', async () => {
    const client = await connectClient(s.runtime);
    const sh = await call<{ results: { account: string; applicable: boolean; shortableShares: number | null; reason: string | null }[] }>(client, 'check_shortable_shares', { symbol: 'AAPL' });
    const ira = sh.results.find((r) => r.account === IRA)!;
    expect(ira).toMatchObject({ applicable: false, shortableShares: null });
    expect(ira.reason).toMatch(/IRA_SHORT_SALE/);
    expect(sh.results.find((r) => r.account === PERSONAL)).toMatchObject({ applicable: true, shortableShares: 50_000_000 });
    const fee = await call<{ results: { account: string; applicable: boolean; feeRate: string | null; reason: string | null }[] }>(client, 'get_borrow_rates', { symbol: 'AAPL', account: 'roth' });
    expect(fee.results).toEqual([expect.objectContaining({ account: IRA, applicable: false, feeRate: null })]);
    const biz = await call<{ results: { feeRate: string | null; reason: string | null }[] }>(client, 'get_borrow_rates', { symbol: 'AAPL', account: 'THK' });
    expect(biz.results[0]!.feeRate !== null || biz.results[0]!.reason !== null).toBe(true);
    const m = await call<{ results: { applicable: boolean; initialMarginChange: string | null }[] }>(client, 'get_margin_requirements', { symbol: 'AAPL', side: 'SELL', quantity: 500, account: 'roth' });
    expect(m.results[0]).toMatchObject({ applicable: false, initialMarginChange: null });
    const a = await call<{ results: { account: string; applicable: boolean; decision: string; shortableShares: number | null; feeRate: string | null }[] }>(client, 'short_selling_analysis', { symbol: 'AAPL', quantity: 100 });
    expect(a.results.find((r) => r.account === IRA)).toMatchObject({ applicable: false, decision: 'NOT_APPLICABLE', shortableShares: null, feeRate: null });
    expect(a.results.find((r) => r.account === BUSINESS)).toMatchObject({ applicable: true, decision: 'APPROVED' });
    await client.close();
  });

  it('switch_account sets the default of this session only', async () => {
    const one = await connectClient(s.runtime);
    const two = await connectClient(s.runtime);
    await call(one, 'switch_account', { account: 'THK' });
    const a = await call<{ results: { account: string }[] }>(one, 'check_shortable_shares', { symbol: 'AAPL' });
    expect(a.results.map((r) => r.account)).toEqual([BUSINESS]);
    const b = await call<{ results: { account: string }[] }>(two, 'check_shortable_shares', { symbol: 'AAPL' });
    expect(b.results.map((r) => r.account)).toEqual([IRA, PERSONAL, BUSINESS]);
    await one.close();
    await two.close();
  });
});

describe('the MCP token secret', () => {
  it('comes from IBKR_EXEC_MCP_TOKEN or a 0600 IBKR_EXEC_MCP_TOKEN_FILE, never a readable file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-token-'));
    try {
      const file = join(dir, 'token');
      writeFileSync(file, 'from-file\n', { mode: 0o600 });
      expect(mcpToken({ IBKR_EXEC_MCP_TOKEN_FILE: file })).toBe('from-file');
      expect(mcpToken({ IBKR_EXEC_MCP_TOKEN: 'direct' })).toBe('direct');
      expect(mcpToken({})).toBeUndefined();
      expect(() => mcpToken({ IBKR_EXEC_MCP_TOKEN: 'a', IBKR_EXEC_MCP_TOKEN_FILE: file })).toThrow(/both set/);
      chmodSync(file, 0o644);
      expect(() => mcpToken({ IBKR_EXEC_MCP_TOKEN_FILE: file })).toThrow(/chmod 600/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
