/** Account tools: get_portfolio, get_account_summary, list_accounts, switch_account, get_connection_status. */
import { z } from 'zod';
import type { PositionSnapshot, Quote } from '../../domain/types.js';
import { resolveAccount } from '../accounts.js';
import type { McpContext } from '../context.js';
import { defineTool } from '../tool-def.js';
import { ACCOUNT_ARG, DEC, ISO, MODE, accountsFor, brokerReady, dec, markPrice, readStamp, typeOf } from './common.js';

const positionOut = z.object({
  symbol: z.string(),
  secType: z.string(),
  conId: z.number().nullable(),
  currency: z.string(),
  quantity: z.number(),
  avgCost: z.string(),
  marketPrice: DEC,
  marketValue: DEC,
  unrealizedPnl: DEC,
});

/** The structured result of `get_portfolio` (its output schema). */
export const portfolioOutput = z.object({
  mode: MODE,
  asOf: ISO,
  accounts: z.array(z.object({ account: z.string(), accountType: z.string(), linked: z.boolean(), positions: z.array(positionOut) })),
});

async function quotesFor(ctx: McpContext, positions: readonly PositionSnapshot[]): Promise<Map<string, Quote | undefined>> {
  const stocks = [...new Set(positions.filter((p) => p.secType === 'STK').map((p) => `${p.symbol}|${p.currency}`))];
  const quotes = await Promise.all(
    stocks.map((k) => {
      const [symbol, currency] = k.split('|') as [string, string];
      return ctx.broker.quote({ symbol, secType: 'STK', exchange: 'SMART', currency }).catch(() => undefined);
    }),
  );
  return new Map(stocks.map((k, i) => [k, quotes[i]]));
}

/** The `get_portfolio` tool (see docs/mcp.md). */
export const getPortfolio = defineTool({
  name: 'get_portfolio',
  title: 'Portfolio',
  description: 'Positions of every linked account (or of one account), with market value and unrealized P&L for stocks.',
  input: z.strictObject({ account: ACCOUNT_ARG.optional() }),
  output: portfolioOutput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async (args, ctx, session) => {
    await brokerReady(ctx);
    const ids = await accountsFor(ctx, session, args.account, { all: true });
    const [linked, positions] = await Promise.all([ctx.broker.managedAccounts(), ctx.broker.positions()]);
    const mine = positions.filter((p) => ids.includes(p.account) && p.quantity !== 0);
    const quotes = await quotesFor(ctx, mine);
    return {
      ...readStamp(ctx),
      accounts: ids.map((id) => ({
        account: id,
        accountType: typeOf(ctx, id),
        linked: linked.includes(id),
        positions: mine.filter((p) => p.account === id).map((p) => {
          const price = p.secType === 'STK' ? markPrice(quotes.get(`${p.symbol}|${p.currency}`)) : undefined;
          const value = price?.mul(p.quantity);
          return {
            symbol: p.symbol, secType: p.secType, conId: p.conId ?? null, currency: p.currency, quantity: p.quantity,
            avgCost: p.avgCost.toString(), marketPrice: dec(price), marketValue: dec(value?.toDecimalPlaces(2)),
            unrealizedPnl: dec(value?.sub(p.avgCost.mul(p.quantity)).toDecimalPlaces(2)),
          };
        }),
      })),
    };
  },
  render: (o) =>
    o.accounts.map((a) => `${a.account} (${a.accountType}): ${a.positions.length === 0 ? 'no positions' : a.positions.map((p) => `${p.quantity} ${p.symbol}${p.marketValue ? ` = ${p.marketValue} ${p.currency}` : ''}`).join(', ')}`).join('\n') + `\n(${o.mode}, as of ${o.asOf})`,
});

/** The structured result of `get_account_summary` (its output schema). */
export const accountSummaryOutput = z.object({
  mode: MODE,
  asOf: ISO,
  accounts: z.array(z.object({
    account: z.string(), accountType: z.string(), brokerAccountType: z.string().nullable(), currency: z.string().nullable(),
    netLiquidation: DEC, totalCash: DEC, settledCash: DEC, availableFunds: DEC, buyingPower: DEC,
    rules: z.object({ cashOnly: z.boolean(), shortSalesAllowed: z.boolean() }),
  })),
});

/** The `get_account_summary` tool (see docs/mcp.md). */
export const getAccountSummary = defineTool({
  name: 'get_account_summary',
  title: 'Account summary',
  description: 'Net liquidation, cash, settled cash, available funds and buying power per account (all accounts unless one is named).',
  input: z.strictObject({ account: ACCOUNT_ARG.optional() }),
  output: accountSummaryOutput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async (args, ctx, session) => {
    await brokerReady(ctx);
    const ids = await accountsFor(ctx, session, args.account, { all: true });
    const summaries = await ctx.broker.accountSummaries();
    return {
      ...readStamp(ctx),
      accounts: ids.map((id) => {
        const s = summaries.find((x) => x.account === id);
        const ira = /IRA/.test(typeOf(ctx, id)) || /IRA/i.test(s?.accountType ?? '');
        return {
          account: id, accountType: typeOf(ctx, id), brokerAccountType: s?.accountType ?? null, currency: s?.baseCurrency ?? null,
          netLiquidation: dec(s?.netLiquidation), totalCash: dec(s?.totalCashValue), settledCash: dec(s?.settledCash),
          availableFunds: dec(s?.availableFunds), buyingPower: dec(s?.buyingPower),
          rules: { cashOnly: ira, shortSalesAllowed: !ira },
        };
      }),
    };
  },
  render: (o) => o.accounts.map((a) => `${a.account} (${a.accountType}): net liquidation ${a.netLiquidation ?? '?'} ${a.currency ?? ''}, settled cash ${a.settledCash ?? '?'}, buying power ${a.buyingPower ?? '?'}`).join('\n'),
});

/** The structured result of `list_accounts` (its output schema). */
export const listAccountsOutput = z.object({
  mode: MODE,
  asOf: ISO,
  accounts: z.array(z.object({ account: z.string(), accountType: z.string(), label: z.string().nullable(), linked: z.boolean().nullable(), tradable: z.boolean(), writable: z.boolean() })),
  defaultAccount: z.string().nullable(),
});

/** The daemon may trade this declared account: not read-only, a DU… account in paper mode, a confirmed live account in live mode. */
const tradable = (ctx: McpContext, id: string): boolean =>
  !ctx.readOnly && (ctx.config.mode === 'paper' ? id.startsWith('DU') : ctx.liveAccounts.includes(id));

/** The `list_accounts` tool (see docs/mcp.md). */
export const listAccounts = defineTool({
  name: 'list_accounts',
  title: 'Accounts',
  description: 'The declared accounts (and linked but undeclared ones): type, label, whether the daemon trades it and whether MCP may place orders for it.',
  input: z.strictObject({}),
  output: listAccountsOutput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async (_args, ctx, session) => {
    const linked = await ctx.broker.ready(ctx.brokerWaitMs).then(() => ctx.broker.managedAccounts(), () => undefined);
    const declared = ctx.config.accounts.map((a) => ({
      account: a.id, accountType: a.type, label: a.label ?? null, linked: linked ? linked.includes(a.id) : null,
      tradable: tradable(ctx, a.id) && (linked?.includes(a.id) ?? true),
      writable: ctx.config.mcp.allowWrites && !ctx.readOnly && ctx.config.mcp.writeAccounts.includes(a.id),
    }));
    const undeclared = (linked ?? []).filter((id) => !ctx.config.accounts.some((a) => a.id === id))
      .map((id) => ({ account: id, accountType: 'UNKNOWN', label: null, linked: true, tradable: false, writable: false }));
    return { ...readStamp(ctx), accounts: [...declared, ...undeclared], defaultAccount: session.defaultAccount ?? null };
  },
  render: (o) => o.accounts.map((a) => `${a.account} ${a.accountType}${a.label ? ` "${a.label}"` : ''}${a.tradable ? '' : ' (not traded)'}${a.writable ? ' (MCP may place orders)' : ''}`).join('\n'),
});

/** The `switch_account` tool (see docs/mcp.md). */
export const switchAccount = defineTool({
  name: 'switch_account',
  title: 'Switch default account',
  description: 'Sets the default account for later calls in THIS MCP session only (explicit account arguments still win). It changes nothing the daemon trades.',
  input: z.strictObject({ account: ACCOUNT_ARG }),
  output: z.object({ account: z.string(), accountType: z.string(), label: z.string().nullable(), previous: z.string().nullable() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async (args, ctx, session) => {
    const linked = await ctx.broker.ready(ctx.brokerWaitMs).then(() => ctx.broker.managedAccounts(), () => [] as string[]);
    const r = resolveAccount(args.account, ctx.config.accounts, linked);
    const previous = session.defaultAccount ?? null;
    session.defaultAccount = r.id;
    return { account: r.id, accountType: typeOf(ctx, r.id), label: r.config?.label ?? null, previous };
  },
  render: (o) => `default account of this session: ${o.account} (${o.accountType})`,
});

/** The structured result of `get_connection_status` (its output schema). */
export const connectionOutput = z.object({
  mode: MODE,
  readOnly: z.boolean(),
  asOf: ISO,
  ib: z.object({ connected: z.boolean(), serverVersion: z.number().nullable(), host: z.string(), port: z.number(), clientId: z.number() }),
  redis: z.object({ connected: z.boolean() }),
  daemon: z.object({ running: z.boolean().nullable(), workers: z.number().nullable(), tradingState: z.string().nullable() }),
  mcp: z.object({ writesEnabled: z.boolean(), writeAccounts: z.array(z.string()) }),
});

/** The `get_connection_status` tool (see docs/mcp.md). */
export const getConnectionStatus = defineTool({
  name: 'get_connection_status',
  title: 'Connection status',
  description: 'Paper or live, the TWS session of this MCP server, Redis, whether the daemon is consuming signals, and the global trading state.',
  input: z.strictObject({}),
  output: connectionOutput,
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async (_args, ctx) => {
    const redis = await ctx.redisConnected();
    const [workers, state] = redis
      ? await Promise.all([ctx.queue.workers().catch(() => undefined), ctx.infra.tradingState.getGlobal().catch(() => undefined)])
      : [undefined, undefined];
    return {
      ...readStamp(ctx),
      readOnly: ctx.readOnly,
      ib: { connected: ctx.broker.connected(), serverVersion: ctx.broker.serverVersion() ?? null, host: ctx.config.ib.host, port: ctx.config.ib.port, clientId: ctx.broker.clientId },
      redis: { connected: redis },
      daemon: { running: workers === undefined ? null : workers > 0, workers: workers ?? null, tradingState: state ?? null },
      mcp: { writesEnabled: ctx.config.mcp.allowWrites && !ctx.readOnly, writeAccounts: [...ctx.config.mcp.writeAccounts] },
    };
  },
  render: (o) =>
    `${o.mode.toUpperCase()}${o.readOnly ? ' (read-only)' : ''}; TWS ${o.ib.connected ? 'connected' : 'NOT connected'} at ${o.ib.host}:${o.ib.port}; Redis ${o.redis.connected ? 'ok' : 'DOWN'}; daemon ${o.daemon.running === null ? 'unknown' : o.daemon.running ? 'running' : 'NOT running'}; trading ${o.daemon.tradingState ?? 'unknown'}`,
});
