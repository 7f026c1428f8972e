/** Market data tools: get_market_data, get_historical_data, search_contracts. */
import { z } from 'zod';
import { SEC_TYPES, type Instrument } from '../../domain/types.js';
import { defineTool, brokerText, ToolError } from '../tool-def.js';
import { DEC, ISO, MODE, brokerReady, dataTypeOf, dec, instrumentArgs, instrumentOf, iso, readStamp } from './common.js';

/** The structured result of `get_market_data` (its output schema). */
export const marketDataOutput = z.object({
  mode: MODE,
  symbol: z.string(),
  secType: z.string(),
  currency: z.string(),
  bid: DEC,
  ask: DEC,
  last: DEC,
  close: DEC,
  dataType: z.enum(['live', 'delayed', 'frozen']),
  quoteTime: ISO.nullable(),
  asOf: ISO,
});

/** The `get_market_data` tool (see docs/mcp.md). */
export const getMarketData = defineTool({
  name: 'get_market_data',
  title: 'Quote',
  description: 'Bid, ask, last and close of one instrument, with dataType live / delayed (no subscription) / frozen (no fresh tick).',
  input: z.strictObject(instrumentArgs),
  output: marketDataOutput,
  annotations: { readOnlyHint: true, openWorldHint: true },
  handler: async (args, ctx) => {
    await brokerReady(ctx);
    const ins = instrumentOf(args);
    const q = await ctx.broker.quote(ins).catch((e: unknown) => {
      throw new ToolError(`no quote for ${args.symbol}: ${(e as Error).message} — check the symbol, secType and currency`);
    });
    return {
      ...readStamp(ctx),
      symbol: args.symbol.toUpperCase(), secType: ins.secType, currency: ins.currency,
      bid: dec(q.bid), ask: dec(q.ask), last: dec(q.last), close: dec(q.close),
      dataType: dataTypeOf(q), quoteTime: q.ts > 0 ? iso(q.ts) : null,
    };
  },
  render: (o) => `${o.symbol}: bid ${o.bid ?? '-'} ask ${o.ask ?? '-'} last ${o.last ?? '-'} (${o.dataType}, ${o.mode}, as of ${o.asOf})`,
});

const DURATION = z.string().regex(/^\d+ [SDWMY]$/, { error: 'expected an IB duration such as "1 M", "5 D", "1 Y"' });
const BAR_SIZES = ['1 secs', '5 secs', '10 secs', '15 secs', '30 secs', '1 min', '2 mins', '3 mins', '5 mins', '10 mins', '15 mins', '20 mins', '30 mins', '1 hour', '2 hours', '3 hours', '4 hours', '8 hours', '1 day', '1 week', '1 month'] as const;

/** The structured result of `get_historical_data` (its output schema). */
export const historyOutput = z.object({
  mode: MODE,
  asOf: ISO,
  symbol: z.string(),
  barSize: z.string(),
  duration: z.string(),
  whatToShow: z.string(),
  bars: z.array(z.object({ time: z.string(), open: z.string(), high: z.string(), low: z.string(), close: z.string(), volume: z.string() })),
  truncated: z.boolean(),
});

/** The `get_historical_data` tool (see docs/mcp.md). */
export const getHistoricalData = defineTool({
  name: 'get_historical_data',
  title: 'Historical bars',
  description: 'OHLCV bars from IB (paced as IB requires). duration like "1 M", barSize like "1 day"; at most maxBars bars (newest kept).',
  input: z.strictObject({
    ...instrumentArgs,
    duration: DURATION.default('1 M'),
    barSize: z.enum(BAR_SIZES).default('1 day'),
    whatToShow: z.enum(['TRADES', 'MIDPOINT', 'BID', 'ASK']).default('TRADES'),
    useRth: z.boolean().default(true),
    maxBars: z.number().int().min(1).max(2000).default(500),
  }),
  output: historyOutput,
  annotations: { readOnlyHint: true, openWorldHint: true },
  handler: async (args, ctx) => {
    await brokerReady(ctx);
    const bars = await ctx.broker.historicalBars(instrumentOf(args), { barSize: args.barSize, duration: args.duration, whatToShow: args.whatToShow, useRth: args.useRth })
      .catch((e: unknown) => {
        throw new ToolError(`no history for ${args.symbol}: ${(e as Error).message}`);
      });
    const kept = bars.slice(-args.maxBars);
    return {
      ...readStamp(ctx),
      symbol: args.symbol.toUpperCase(), barSize: args.barSize, duration: args.duration, whatToShow: args.whatToShow,
      bars: kept.map((b) => ({ time: b.time, open: b.open.toString(), high: b.high.toString(), low: b.low.toString(), close: b.close.toString(), volume: b.volume.toString() })),
      truncated: kept.length < bars.length,
    };
  },
  render: (o) => `${o.bars.length} ${o.barSize} bars of ${o.symbol}${o.bars.length ? `, last close ${o.bars.at(-1)!.close} at ${o.bars.at(-1)!.time}` : ''}${o.truncated ? ' (truncated)' : ''}`,
});

/** The structured result of `search_contracts` (its output schema). */
export const searchOutput = z.object({
  mode: MODE,
  asOf: ISO,
  query: z.string(),
  matches: z.array(z.object({
    conId: z.number(), symbol: z.string(), secType: z.string(), exchange: z.string(), primaryExchange: z.string().nullable(), currency: z.string(),
    longName: z.string().nullable(), stockType: z.string().nullable(), lastTradeDateOrContractMonth: z.string().nullable(), multiplier: DEC,
  })),
});

/** The `search_contracts` tool (see docs/mcp.md). */
export const searchContracts = defineTool({
  name: 'search_contracts',
  title: 'Find contracts',
  description: 'Looks a symbol up at IB (contract details) for each security type asked (default STK, FUT and CASH); names and types are broker data.',
  input: z.strictObject({
    symbol: instrumentArgs.symbol,
    secTypes: z.array(z.enum(SEC_TYPES)).min(1).max(4).optional(),
    currency: instrumentArgs.currency,
    exchange: instrumentArgs.exchange,
  }),
  output: searchOutput,
  annotations: { readOnlyHint: true, openWorldHint: true },
  handler: async (args, ctx) => {
    await brokerReady(ctx);
    const types = args.secTypes ?? (['STK', 'FUT', 'CASH'] as const);
    // a future needs its exchange; without one, CME (where the US index futures trade) is asked
    const found = await Promise.all(types.map((secType) => {
      const ins: Instrument = instrumentOf({ symbol: args.symbol, secType, currency: args.currency, exchange: args.exchange ?? (secType === 'FUT' ? 'CME' : undefined) });
      return ctx.broker.contractDetails(ins).catch(() => undefined); // "no security definition" (IB 200) and the like: no match
    }));
    const matches = found.filter((c) => c !== undefined).map((c) => ({
      conId: c.conId, symbol: c.symbol, secType: c.secType, exchange: c.exchange, primaryExchange: c.primaryExchange ?? null, currency: c.currency,
      longName: c.longName ?? null, stockType: c.stockType ?? null, lastTradeDateOrContractMonth: c.lastTradeDateOrContractMonth ?? null, multiplier: dec(c.multiplier),
    }));
    return { ...readStamp(ctx), query: args.symbol, matches };
  },
  render: (o) => (o.matches.length === 0 ? `no contract found for ${o.query}` : o.matches.map((m) => `${m.symbol} ${m.secType} conId ${m.conId} ${m.currency} ${brokerText(m.longName)}`).join('\n')),
});
