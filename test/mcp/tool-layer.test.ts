/**
 * The tool layer without any MCP SDK or transport: definitions run through `runTool` over port fakes
 * (an in-memory broker and queue) and the real Redis state. This is what a move to the SDK's next major
 * keeps unchanged.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config.js';
import { Decimal } from '../../src/domain/types.js';
import { infraOn } from '../../src/infra/index.js';
import type { EnqueuePort, McpBroker, McpContext, McpSession } from '../../src/mcp/context.js';
import { PreviewStore } from '../../src/mcp/preview-store.js';
import { runTool } from '../../src/mcp/run-tool.js';
import { getPortfolio, switchAccount } from '../../src/mcp/tools/account-tools.js';
import { checkShortableShares } from '../../src/mcp/tools/short-tools.js';
import { IRA, PERSONAL, REDIS } from './helpers.js';

const prefix = `ibkr-tl-${randomUUID().slice(0, 8)}`;
const redis = new Redis(REDIS);
const secrets = { controlKey: randomBytes(32), auditKey: randomBytes(32) };
const parsed = parseConfig(DEFAULT_CONFIG_INPUT, {});
if (!parsed.ok) throw new Error(parsed.errors.join('; '));
const config = parsed.config;

const unsupported = (): Promise<never> => Promise.reject(new Error('not in this fake'));
const broker: McpBroker = {
  clientId: 99,
  managedAccounts: () => Promise.resolve(config.accounts.map((a) => a.id)),
  accountSummaries: () => Promise.resolve(config.accounts.map((a) => ({ account: a.id, accountType: a.type === 'ROTH_IRA' ? 'IRA' : 'INDIVIDUAL', baseCurrency: 'USD', cashByCurrency: {} }))),
  positions: () => Promise.resolve([{ account: IRA, symbol: 'AAPL', secType: 'STK', currency: 'USD', quantity: 100, avgCost: new Decimal(150) }]),
  quote: () => Promise.resolve({ bid: new Decimal(199), ask: new Decimal(201), last: new Decimal(200), delayed: false, stale: false, ts: 1 }),
  shortableShares: () => Promise.resolve(1234),
  contractDetails: unsupported, historicalBars: unsupported, whatIf: unsupported, openOrders: unsupported, executions: unsupported,
  connected: () => true,
  serverVersion: () => undefined,
  ready: () => Promise.resolve(),
};
const queue: EnqueuePort = { add: () => Promise.resolve(true), outcome: () => Promise.resolve(undefined), jobState: () => Promise.resolve(undefined), workers: () => Promise.resolve(0) };
const ctx: McpContext = {
  config, readOnly: false, liveAccounts: [], clock: { now: () => Date.parse('2026-11-25T15:00:00Z') }, broker, infra: infraOn(redis, prefix, { secrets }), secrets, queue,
  previews: new PreviewStore(redis, prefix), redisConnected: () => Promise.resolve(true), outcomeWaitMs: 0, brokerWaitMs: 0,
};
const session = (): McpSession => ({ client: () => ({ name: 'unit', version: '0' }), confirm: () => Promise.resolve('unsupported') });

describe('the tool layer without a transport', () => {
  afterAll(() => redis.disconnect());

  it('returns structured content that matches the output schema, and a text rendering', async () => {
    const r = await runTool(getPortfolio, {}, ctx, session());
    expect(r.isError).toBeUndefined();
    const out = getPortfolio.output.parse(r.structuredContent);
    expect(out.asOf).toBe('2026-11-25T15:00:00.000Z');
    expect(out.accounts[0]!.positions[0]).toMatchObject({ symbol: 'AAPL', marketValue: '20000', unrealizedPnl: '5000' });
    expect(r.content[0]!.text).toMatch(/100 AAPL = 20000 USD/);
  });

  it('keeps the session default per session object', async () => {
    const s = session();
    await runTool(switchAccount, { account: 'personal' }, ctx, s);
    expect(s.defaultAccount).toBe(PERSONAL);
    const r = await runTool(checkShortableShares, { symbol: 'AAPL' }, ctx, s);
    expect(r.structuredContent).toMatchObject({ results: [{ account: PERSONAL, applicable: true, shortableShares: 1234 }] });
    const ira = await runTool(checkShortableShares, { symbol: 'AAPL', account: 'roth' }, ctx, s);
    expect(ira.structuredContent).toMatchObject({ results: [{ account: IRA, applicable: false, shortableShares: null }] });
  });

  it('turns a refusal into an error result with one sentence', async () => {
    const r = await runTool(switchAccount, { account: 'nowhere' }, ctx, session());
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/^no account matches "nowhere"; the accounts are: DU1000001/);
  });
});
