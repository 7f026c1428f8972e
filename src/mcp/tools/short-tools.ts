/**
 * Short-selling tools, answered per account: check_shortable_shares, get_borrow_rates,
 * get_margin_requirements, short_selling_analysis. For an IRA every answer is `applicable: false` with
 * the rule, never a number that invites a short. Shortable shares come from IB's generic tick 236 (tick
 * 89), the borrow fee from IB's FEE_RATE data (null with a reason when the gateway sends none), margin from
 * a what-if order (never in read-only mode). The analysis runs the daemon's own rules on a SELL.
 */
import { z } from 'zod';
import type { Decimal, Instrument, OrderLeg, Side } from '../../domain/types.js';
import { orderRefFor } from '../../domain/order-ref.js';
import { isIra } from '../accounts.js';
import type { McpContext, McpSession } from '../context.js';
import { evaluatePreview, parseRequest } from '../preview.js';
import { defineTool } from '../tool-def.js';
import { ACCOUNT_ARG, DEC, ISO, MODE, SYMBOL, accountsFor, brokerReady, dec, instrumentOf, quantityArg, readStamp, typeOf } from './common.js';

const IRA_RULE = 'IRA accounts cannot sell short (rule IRA_SHORT_SALE): an IRA may only sell shares it holds';

/** The accounts a short-selling tool answers for: the named one, the session default, else every declared account. */
async function targets(ctx: McpContext, session: McpSession, account: string | undefined): Promise<{ id: string; ira: boolean; type: string }[]> {
  const ids = await accountsFor(ctx, session, account);
  const summaries = await ctx.broker.accountSummaries();
  return ids.map((id) => ({ id, ira: isIra(id, ctx.config.accounts, summaries.find((s) => s.account === id)?.accountType), type: typeOf(ctx, id) }));
}

const stk = (symbol: string): Instrument => instrumentOf({ symbol, secType: 'STK' });

async function borrowFee(ctx: McpContext, ins: Instrument): Promise<{ feeRate: Decimal | undefined; reason: string | null }> {
  if (!ctx.broker.borrowFee) return { feeRate: undefined, reason: 'this broker connection offers no borrow fee data' };
  try {
    const fee = await ctx.broker.borrowFee(ins);
    return fee === undefined ? { feeRate: undefined, reason: 'IB sent no FEE_RATE data for this symbol' } : { feeRate: fee, reason: null };
  } catch (e) {
    return { feeRate: undefined, reason: `IB sent no FEE_RATE data: ${(e as Error).message}` };
  }
}

const shortableOut = z.object({
  mode: MODE, asOf: ISO, symbol: z.string(),
  results: z.array(z.object({ account: z.string(), accountType: z.string(), applicable: z.boolean(), shortableShares: z.number().nullable(), reason: z.string().nullable() })),
});

/** The `check_shortable_shares` tool (see docs/mcp.md). */
export const checkShortableShares = defineTool({
  name: 'check_shortable_shares',
  title: 'Shortable shares',
  description: 'Shares IB can lend for a short sale (generic tick 236), per account; an IRA answers applicable:false.',
  input: z.strictObject({ symbol: SYMBOL, account: ACCOUNT_ARG.optional() }),
  output: shortableOut,
  annotations: { readOnlyHint: true, openWorldHint: true },
  handler: async (args, ctx, session) => {
    await brokerReady(ctx);
    const accts = await targets(ctx, session, args.account);
    const needed = accts.some((a) => !a.ira);
    const shares = needed ? await ctx.broker.shortableShares(stk(args.symbol)).catch(() => undefined) : undefined;
    return {
      ...readStamp(ctx), symbol: args.symbol.toUpperCase(),
      results: accts.map((a) => a.ira
        ? { account: a.id, accountType: a.type, applicable: false, shortableShares: null, reason: IRA_RULE }
        : { account: a.id, accountType: a.type, applicable: true, shortableShares: shares ?? null, reason: shares === undefined ? 'IB sent no shortable-shares tick (236) in time' : null }),
    };
  },
  render: (o) => o.results.map((r) => `${r.account}: ${r.applicable ? `${r.shortableShares ?? 'unknown'} shares shortable` : `not applicable — ${r.reason}`}`).join('\n'),
});

const borrowOut = z.object({
  mode: MODE, asOf: ISO, symbol: z.string(),
  results: z.array(z.object({ account: z.string(), accountType: z.string(), applicable: z.boolean(), feeRate: DEC.describe('percent per year'), reason: z.string().nullable() })),
});

/** The `get_borrow_rates` tool (see docs/mcp.md). */
export const getBorrowRates = defineTool({
  name: 'get_borrow_rates',
  title: 'Borrow fee',
  description: "The annual borrow fee (percent) IB charges to short a stock, from IB's fee-rate data; null with a reason when none is sent. IRA: applicable:false.",
  input: z.strictObject({ symbol: SYMBOL, account: ACCOUNT_ARG.optional() }),
  output: borrowOut,
  annotations: { readOnlyHint: true, openWorldHint: true },
  handler: async (args, ctx, session) => {
    await brokerReady(ctx);
    const accts = await targets(ctx, session, args.account);
    const fee = accts.some((a) => !a.ira) ? await borrowFee(ctx, stk(args.symbol)) : { feeRate: undefined, reason: null };
    return {
      ...readStamp(ctx), symbol: args.symbol.toUpperCase(),
      results: accts.map((a) => a.ira
        ? { account: a.id, accountType: a.type, applicable: false, feeRate: null, reason: IRA_RULE }
        : { account: a.id, accountType: a.type, applicable: true, feeRate: dec(fee.feeRate), reason: fee.reason }),
    };
  },
  render: (o) => o.results.map((r) => `${r.account}: ${r.applicable ? (r.feeRate ? `${r.feeRate}% per year` : `unknown — ${r.reason}`) : `not applicable — ${r.reason}`}`).join('\n'),
});

const marginRow = z.object({
  account: z.string(), accountType: z.string(), applicable: z.boolean(),
  initialMarginChange: DEC, maintenanceMarginChange: DEC, commission: DEC, reason: z.string().nullable(),
});
const marginOut = z.object({ mode: MODE, asOf: ISO, symbol: z.string(), side: z.enum(['BUY', 'SELL']), quantity: z.number(), results: z.array(marginRow) });

async function whatIf(ctx: McpContext, account: string, ins: Instrument, side: Side, quantity: number): Promise<z.input<typeof marginRow>> {
  const base = { account, accountType: typeOf(ctx, account), applicable: true };
  const none = (reason: string) => ({ ...base, initialMarginChange: null, maintenanceMarginChange: null, commission: null, reason });
  if (ctx.readOnly) return none('read-only mode: no what-if order leaves the process');
  const id = `whatif:mcp:${ctx.clock.now()}`;
  const leg: OrderLeg = { leg: 'entry', orderRef: orderRefFor(id, account, 'entry'), signalId: id, account, instrument: ins, side, quantity, type: 'MKT', tif: 'DAY', outsideRth: false };
  try {
    const r = await ctx.broker.whatIf(leg);
    return { ...base, initialMarginChange: dec(r.initMarginChange), maintenanceMarginChange: dec(r.maintMarginChange), commission: dec(r.commission), reason: r.warningText ? `broker warning: ${JSON.stringify(r.warningText)}` : null };
  } catch (e) {
    return none(`the what-if order failed: ${(e as Error).message}`);
  }
}

/** The `get_margin_requirements` tool (see docs/mcp.md). */
export const getMarginRequirements = defineTool({
  name: 'get_margin_requirements',
  title: 'Margin impact',
  description: 'Initial and maintenance margin change and commission of an order, from an IB what-if order (nothing is placed; not in read-only mode). An IRA SELL beyond the position is applicable:false.',
  input: z.strictObject({ symbol: SYMBOL, side: z.enum(['BUY', 'SELL']), quantity: quantityArg(1_000_000), account: ACCOUNT_ARG.optional(), secType: z.enum(['STK', 'FUT']).optional() }),
  output: marginOut,
  annotations: { readOnlyHint: true, openWorldHint: true },
  handler: async (args, ctx, session) => {
    await brokerReady(ctx);
    const accts = await targets(ctx, session, args.account);
    const ins = instrumentOf({ symbol: args.symbol, secType: args.secType ?? 'STK' });
    const positions = await ctx.broker.positions();
    const results = [];
    for (const a of accts) {
      const held = positions.find((p) => p.account === a.id && p.symbol === ins.symbol && p.secType === ins.secType)?.quantity ?? 0;
      if (a.ira && args.side === 'SELL' && args.quantity > held) {
        results.push({ account: a.id, accountType: a.type, applicable: false, initialMarginChange: null, maintenanceMarginChange: null, commission: null, reason: `${IRA_RULE} (holds ${held})` });
      } else results.push(await whatIf(ctx, a.id, ins, args.side, args.quantity));
    }
    return { ...readStamp(ctx), symbol: ins.symbol, side: args.side, quantity: args.quantity, results };
  },
  render: (o) => o.results.map((r) => `${r.account}: ${r.applicable ? `initial margin ${r.initialMarginChange ?? '?'}, maintenance ${r.maintenanceMarginChange ?? '?'}, commission ${r.commission ?? '?'}${r.reason ? ` (${r.reason})` : ''}` : `not applicable — ${r.reason}`}`).join('\n'),
});

const analysisOut = z.object({
  mode: MODE, asOf: ISO, symbol: z.string(), quantity: z.number(),
  results: z.array(z.object({
    account: z.string(), accountType: z.string(), applicable: z.boolean(),
    shortableShares: z.number().nullable(), feeRate: DEC, initialMarginChange: DEC, estimatedDailyBorrowCost: DEC,
    decision: z.enum(['APPROVED', 'DENIED', 'NOT_APPLICABLE']), reasons: z.array(z.object({ code: z.string(), message: z.string() })), notes: z.array(z.string()),
  })),
});

/** The `short_selling_analysis` tool (see docs/mcp.md). */
export const shortSellingAnalysis = defineTool({
  name: 'short_selling_analysis',
  title: 'Short sale analysis',
  description: "Whether a short sale of `quantity` shares would pass the daemon's rules in each account, with shortable shares, borrow fee, margin and the estimated daily borrow cost. Nothing is placed.",
  input: z.strictObject({ symbol: SYMBOL, quantity: quantityArg(1_000_000), account: ACCOUNT_ARG.optional() }),
  output: analysisOut,
  annotations: { readOnlyHint: true, openWorldHint: true },
  handler: async (args, ctx, session) => {
    await brokerReady(ctx);
    const accts = await targets(ctx, session, args.account);
    const ins = stk(args.symbol);
    const open = accts.filter((a) => !a.ira);
    const [shares, fee, quote] = open.length
      ? await Promise.all([ctx.broker.shortableShares(ins).catch(() => undefined), borrowFee(ctx, ins), ctx.broker.quote(ins).catch(() => undefined)])
      : [undefined, { feeRate: undefined, reason: null }, undefined];
    const request = { instrument: { symbol: ins.symbol }, side: 'SELL', size: { quantity: args.quantity }, accounts: open.map((a) => a.id) };
    const decisions = open.length ? await evaluatePreview(ctx, parseRequest(request, `analysis-${ctx.clock.now()}`, ctx.clock.now())) : [];
    const price = quote?.bid ?? quote?.last;
    const daily = fee.feeRate && price ? price.mul(args.quantity).mul(fee.feeRate).div(100).div(360).toDecimalPlaces(2) : undefined;
    return {
      ...readStamp(ctx), symbol: ins.symbol, quantity: args.quantity,
      results: accts.map((a) => {
        if (a.ira) {
          return { account: a.id, accountType: a.type, applicable: false, shortableShares: null, feeRate: null, initialMarginChange: null, estimatedDailyBorrowCost: null,
            decision: 'NOT_APPLICABLE' as const, reasons: [{ code: 'IRA_SHORT_SALE', message: IRA_RULE }], notes: [] };
        }
        const d = decisions.find((x) => x.account === a.id);
        return {
          account: a.id, accountType: a.type, applicable: true, shortableShares: shares ?? null, feeRate: dec(fee.feeRate),
          initialMarginChange: d?.whatIf?.initialMarginChange ?? null, estimatedDailyBorrowCost: dec(daily),
          decision: d?.decision ?? ('DENIED' as const), reasons: d ? [...d.reasons] : [], notes: [...(d?.notes ?? []), ...(fee.reason ? [fee.reason] : [])],
        };
      }),
    };
  },
  render: (o) => o.results.map((r) => `${r.account}: ${r.decision}${r.applicable ? `; shortable ${r.shortableShares ?? '?'}, fee ${r.feeRate ?? '?'}%, margin ${r.initialMarginChange ?? '?'}` : ''}${r.reasons.length ? ` — ${r.reasons.map((x) => `${x.code}: ${x.message}`).join('; ')}` : ''}`).join('\n'),
});
