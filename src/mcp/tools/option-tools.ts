/**
 * `get_option_chain`: part of an option chain with quotes and greeks — the N strikes nearest the money of
 * one expiration (default: the nearest), calls and puts or one right. The same snapshot as
 * `ibkr-exec chain` (the broker port's `optionChain`); no account is involved.
 */
import { z } from 'zod';
import type { OptionChainQuery, OptionChainRow, OptionChainSnapshot } from '../../domain/types.js';
import { BrokerUnavailableError } from '../../execution/broker-port.js';
import { defineTool, ToolError } from '../tool-def.js';
import type { McpContext } from '../context.js';
import { DEC, ISO, MODE, brokerReady, dataTypeOf, dec, instrumentArgs, instrumentOf, quantityArg, readStamp } from './common.js';

/** The structured result of `get_option_chain` (its output schema). */
export const optionChainOutput = z.object({
  mode: MODE,
  asOf: ISO,
  dataType: z.enum(['live', 'delayed', 'frozen']),
  symbol: z.string(),
  underlyingPrice: DEC,
  expiry: z.string().nullable().describe('the expiration the contracts belong to (yyyymmdd)'),
  expirations: z.array(z.string()).describe('every expiration of the chain, ascending'),
  contracts: z.array(z.object({
    conId: z.number().nullable(), expiry: z.string(), strike: z.string(), right: z.enum(['C', 'P']), multiplier: z.string(),
    bid: DEC, ask: DEC, last: DEC, impliedVol: DEC.describe('annual, as a fraction (0.30 = 30 %)'), delta: DEC, gamma: DEC, vega: DEC, theta: DEC,
  })),
});

type Contract = z.infer<typeof optionChainOutput>['contracts'][number];

const contractOf = (r: OptionChainRow, multiplier: string): Contract => ({
  conId: r.instrument.conId ?? null, expiry: r.instrument.lastTradeDateOrContractMonth ?? '', strike: dec(r.instrument.strike) ?? '',
  right: r.instrument.right ?? 'C', multiplier: r.instrument.multiplier ?? multiplier,
  bid: dec(r.bid), ask: dec(r.ask), last: dec(r.last),
  impliedVol: dec(r.greeks?.impliedVol), delta: dec(r.greeks?.delta), gamma: dec(r.greeks?.gamma), vega: dec(r.greeks?.vega), theta: dec(r.greeks?.theta),
});

/** The chain from the broker, or a ToolError saying why not (a lost session stays a broker-unavailable error). */
async function chainOf(ctx: McpContext, symbol: string, underlying: ReturnType<typeof instrumentOf>, query: OptionChainQuery): Promise<OptionChainSnapshot> {
  const get = ctx.broker.optionChain?.bind(ctx.broker);
  if (!get) throw new ToolError('this broker connection cannot list option chains; use TWS / IB Gateway or the simulator');
  return get(underlying, query).catch((e: unknown) => {
    if (e instanceof BrokerUnavailableError) throw e;
    throw new ToolError(`no option chain for ${symbol}: ${(e as Error).message} — check the symbol, expiry and currency`);
  });
}

/** The `get_option_chain` tool (see docs/mcp.md). */
export const getOptionChain = defineTool({
  name: 'get_option_chain',
  title: 'Option chain',
  description: 'Options of one underlying with bid/ask/last and greeks (IV, delta, gamma, vega, theta): the N strikes nearest the money of one expiration (default: the nearest), calls and puts or one right.',
  input: z.strictObject({
    symbol: instrumentArgs.symbol,
    expiry: z.string().regex(/^\d{8}$/, { error: 'expected an expiration as yyyymmdd, e.g. 20271217' }).optional().describe('yyyymmdd; default: the nearest expiration'),
    right: z.enum(['C', 'P']).optional().describe('C (calls) or P (puts); default both'),
    strikes: quantityArg(100).default(10).describe('how many strikes nearest the money (1..100, default 10)'),
    exchange: instrumentArgs.exchange,
    currency: instrumentArgs.currency,
  }),
  output: optionChainOutput,
  annotations: { readOnlyHint: true, openWorldHint: true },
  handler: async (args, ctx) => {
    await brokerReady(ctx);
    const symbol = args.symbol.toUpperCase();
    const underlying = instrumentOf({ symbol, secType: 'STK', exchange: args.exchange, currency: args.currency });
    const query: OptionChainQuery = { ...(args.expiry ? { expiry: args.expiry } : {}), ...(args.right ? { right: args.right } : {}), strikes: args.strikes };
    const [snap, quote] = await Promise.all([chainOf(ctx, symbol, underlying, query), ctx.broker.quote(underlying).catch(() => undefined)]);
    if (snap.rows.length === 0) {
      throw new ToolError(`no option contracts of ${symbol} match${args.expiry ? ` expiry ${args.expiry}` : ''}${args.right ? ` right ${args.right}` : ''}; expirations: ${snap.expirations.slice(0, 8).join(', ') || 'none'}`);
    }
    const contracts = snap.rows.map((r) => contractOf(r, snap.multiplier));
    return {
      ...readStamp(ctx), dataType: quote ? dataTypeOf(quote) : 'frozen', symbol, underlyingPrice: dec(snap.underlyingPrice),
      expiry: contracts[0]!.expiry || null, expirations: [...snap.expirations], contracts,
    };
  },
  render: (o) => [
    `${o.symbol} ${o.underlyingPrice ?? '-'} (${o.dataType}, ${o.mode}, as of ${o.asOf}); expiry ${o.expiry ?? '-'} of ${o.expirations.length}`,
    ...o.contracts.map((c) => `${c.expiry} ${c.strike} ${c.right} conId ${c.conId ?? '-'}: bid ${c.bid ?? '-'} ask ${c.ask ?? '-'} last ${c.last ?? '-'} iv ${c.impliedVol ?? '-'} delta ${c.delta ?? '-'} gamma ${c.gamma ?? '-'} vega ${c.vega ?? '-'} theta ${c.theta ?? '-'}`),
  ].join('\n'),
});
