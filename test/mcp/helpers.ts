/**
 * Shared setup of the MCP suites: the simulator + real Redis + a running daemon (src/app/stack.ts), an
 * MCP runtime of its own on the same Redis prefix and queue, and an SDK Client over the in-memory
 * transport (or any transport the suite connects).
 */
import { Redis } from 'ioredis';
import { keysFor } from '../../src/infra/keys.js';
import { TradingStateStore } from '../../src/infra/trading-state.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import { startStack, type Stack, type StackOptions } from '../../src/app/stack.js';
import { createMcpRuntime, type McpRuntime } from '../../src/mcp/runtime.js';
import { createMcpServer } from '../../src/mcp/server.js';

export const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const IRA = 'DU1000001';
export const PERSONAL = 'DU1000002';
export const BUSINESS = 'DU1000003';

/** Every tool of CONTRACT §8 a server with writes enabled lists. */
export const ALL_TOOLS = [
  'get_portfolio', 'get_account_summary', 'switch_account', 'get_market_data', 'get_historical_data', 'place_order',
  'check_shortable_shares', 'get_margin_requirements', 'get_borrow_rates', 'short_selling_analysis', 'get_connection_status',
  'list_accounts', 'preview_order', 'get_open_orders', 'get_fills', 'get_order_status', 'cancel_order', 'get_trading_state',
  'halt_trading', 'get_audit_trail', 'verify_audit_chain', 'search_contracts', 'get_option_chain',
].sort();
export const WRITE_TOOLS = ['place_order', 'cancel_order', 'halt_trading'];

export interface McpStack {
  readonly stack: Stack;
  readonly runtime: McpRuntime;
  stop(): Promise<void>;
}

/** Simulator + daemon (unless `noDaemon`) + an MCP runtime on the stack's config. */
export async function startMcpStack(o: Partial<StackOptions> & { mcp?: Record<string, unknown>; outcomeWaitMs?: number; clientId?: number } = {}): Promise<McpStack> {
  const stack = await startStack({ redisUrl: REDIS, ...o, config: { ...o.config, mcp: o.mcp ?? { allowWrites: true, writeAccounts: [PERSONAL] } } });
  try {
    if (!stack.daemon) {
      // no daemon to seed it: signed ACTIVE as the daemon's first start writes it (a missing value reads HALTED)
      const redis = new Redis(REDIS);
      const states = new TradingStateStore(redis, keysFor(stack.config.redis.prefix), stack.secrets.controlKey);
      await states.setGlobal('ACTIVE');
      for (const a of stack.config.accounts) await states.setAccount(a.id, 'ACTIVE');
      redis.disconnect();
    }
    const runtime = await createMcpRuntime({ config: stack.config, env: {}, ...(o.clientId !== undefined ? { clientId: o.clientId } : {}), outcomeWaitMs: o.outcomeWaitMs ?? 20_000, brokerWaitMs: 15_000 });
    return { stack, runtime, stop: async () => { await runtime.close(); await stack.stop(); } };
  } catch (e) {
    await stack.stop();
    throw e;
  }
}

/** An SDK client connected to a fresh server over the in-memory transport. */
export async function connectClient(runtime: McpRuntime, capabilities: ConstructorParameters<typeof Client>[1] = {}): Promise<Client> {
  const { server } = createMcpServer(runtime.ctx);
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  const client = new Client({ name: 'ibkr-exec-test', version: '1.0.0' }, capabilities);
  await client.connect(ct);
  return client;
}

/** Calls a tool and returns its structured content; fails the test when the result is an error. */
export async function call<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (r.isError) throw new Error(`${name} returned an error: ${JSON.stringify(r.content)}`);
  expect(r.content[0]?.type).toBe('text');
  return r.structuredContent as T;
}

/** Calls a tool that must fail; returns the error text. */
export async function callError(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(r.isError, `${name} should have failed but returned ${JSON.stringify(r.structuredContent)}`).toBe(true);
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
}

/** Bounded polling for a condition. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface SimOrder { orderId: number; clientId: number; account: string; orderRef: string; symbol: string; action: string; totalQuantity: number; status: string }
export const simOrders = async (stack: Stack): Promise<SimOrder[]> => (await stack.admin<{ orders: SimOrder[] }>('/state')).orders;
