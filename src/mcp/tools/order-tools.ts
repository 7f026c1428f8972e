/**
 * Orders: preview_order (a read: evaluates, stores a preview, sends nothing), place_order (confirms a
 * preview into ONE job on the daemon's queue, or previews when given an order), cancel_order and
 * halt_trading. The last three and place_order are write tools (registered only with mcp.allowWrites,
 * never in read-only mode) and act only on accounts in mcp.writeAccounts. No MCP tool resumes trading.
 */
import { z } from 'zod';
import { ORDER_TYPES, SEC_TYPES, TIFS } from '../../domain/types.js';
import { jobIdForSignal } from '../../ingest/enqueue.js';
import { setTradingState } from '../../cli/commands/kill-switch.js';
import { resolveAccount } from '../accounts.js';
import { confirmPreview, describePreview } from '../confirm.js';
import type { McpContext, McpSession } from '../context.js';
import { evaluatePreview, parseRequest } from '../preview.js';
import { newPreviewId, requestHashOf, type PreviewRecord } from '../preview-store.js';
import { brokerText, defineTool, ToolError } from '../tool-def.js';
import { ACCOUNT_ARG, ISO, MODE, SYMBOL, brokerReady, iso, quantityArg } from './common.js';
import { cancelOrders, cancelOutput } from './cancel.js';

const PRICE = z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$/)]).describe('a price as a number or decimal string');
const PERCENT = z.union([z.number().positive().max(100), z.string().regex(/^\d+(\.\d+)?$/)]);

/** The order fields of a signal (CONTRACT §3), flattened for an assistant. */
export const orderFields = {
  symbol: SYMBOL,
  secType: z.enum(SEC_TYPES).optional(),
  exchange: z.string().trim().min(1).max(20).optional(),
  currency: z.string().regex(/^[A-Za-z]{3}$/).optional(),
  primaryExchange: z.string().trim().min(1).max(20).optional(),
  conId: z.number().int().positive().optional(),
  lastTradeDateOrContractMonth: z.string().regex(/^\d{6}(\d{2})?$/).optional(),
  side: z.enum(['BUY', 'SELL']),
  quantity: quantityArg(Number.MAX_SAFE_INTEGER).optional().describe('units per account (shortcut for size.quantity)'),
  size: z.strictObject({ quantity: quantityArg(Number.MAX_SAFE_INTEGER).optional(), notional: PRICE.optional(), equityPercent: PERCENT.optional(), riskPercent: PERCENT.optional(), positionPercent: PERCENT.optional() }).optional(),
  order: z.strictObject({ type: z.enum(ORDER_TYPES).optional(), limitPrice: PRICE.optional(), stopPrice: PRICE.optional(), trailingPercent: PERCENT.optional(), tif: z.enum(TIFS).optional(), outsideRth: z.boolean().optional() }).optional(),
  bracket: z.strictObject({ takeProfit: PRICE, stopLoss: PRICE }).optional(),
  account: ACCOUNT_ARG.optional().describe('one account (id, label or type); default: the session account'),
  accounts: z.union([z.literal('ALL'), z.array(ACCOUNT_ARG).min(1).max(10)]).optional().describe('several accounts by id, label or type, or "ALL" (every declared account)'),
} as const;

type OrderArgs = { [K in keyof typeof orderFields]?: z.output<(typeof orderFields)[K]> };

const previewRow = z.object({
  account: z.string(), accountType: z.string(), decision: z.enum(['APPROVED', 'DENIED']), quantity: z.number(),
  reasons: z.array(z.object({ code: z.string(), message: z.string() })), notes: z.array(z.string()),
  referencePrice: z.string().nullable(), estimatedCost: z.string().nullable(), currency: z.string(),
  whatIf: z.object({ initialMarginChange: z.string().nullable(), maintenanceMarginChange: z.string().nullable(), commission: z.string().nullable(), reason: z.string().nullable() }).nullable(),
  writable: z.boolean(),
});

/** The structured result of `preview_order` (its output schema). */
export const previewOutput = z.object({
  mode: MODE, asOf: ISO, previewId: z.string(), expiresAt: ISO, confirmable: z.boolean(), next: z.string(),
  results: z.array(previewRow),
});

/** Resolves the account names of an order to declared ids (session default when none is named). */
function accountIds(ctx: McpContext, session: McpSession, a: OrderArgs, linked: readonly string[]): string[] {
  if (a.account !== undefined && a.accounts !== undefined) throw new ToolError('give account or accounts, not both');
  if (a.accounts === 'ALL') return ctx.config.accounts.map((c) => c.id);
  const names = a.accounts ?? (a.account !== undefined ? [a.account] : session.defaultAccount !== undefined ? [session.defaultAccount] : undefined);
  if (!names) throw new ToolError('name the account (id, label or type), or choose a default with switch_account');
  return [...new Set(names.map((n) => resolveAccount(n, ctx.config.accounts, linked).id))];
}

/** The wire request (CONTRACT §3 without id/createdAt) of the tool arguments. */
function wireRequest(a: OrderArgs, accounts: string[]): Record<string, unknown> {
  if (a.quantity !== undefined && a.size !== undefined) throw new ToolError('give quantity or size, not both');
  if (a.quantity === undefined && a.size === undefined) throw new ToolError('give quantity (units per account) or size');
  const instrument = Object.fromEntries(Object.entries({ symbol: a.symbol?.toUpperCase(), secType: a.secType, exchange: a.exchange, currency: a.currency, primaryExchange: a.primaryExchange, conId: a.conId, lastTradeDateOrContractMonth: a.lastTradeDateOrContractMonth }).filter(([, v]) => v !== undefined));
  return {
    instrument, side: a.side, size: a.size ?? { quantity: a.quantity }, accounts, source: 'mcp',
    ...(a.order ? { order: a.order } : {}), ...(a.bracket ? { bracket: a.bracket } : {}),
  };
}

/** Evaluates and stores a preview; shared by preview_order and place_order without a preview id. */
export async function makePreview(ctx: McpContext, session: McpSession, a: OrderArgs): Promise<z.input<typeof previewOutput>> {
  await brokerReady(ctx);
  const linked = await ctx.broker.managedAccounts();
  const request = wireRequest(a, accountIds(ctx, session, a, linked));
  const previewId = newPreviewId();
  const now = ctx.clock.now();
  const signal = parseRequest(request, previewId, now);
  const results = await evaluatePreview(ctx, signal);
  const expiresAt = iso(now + ctx.config.mcp.previewTtlSeconds * 1000);
  const rec: PreviewRecord = { previewId, createdAt: iso(now), expiresAt, status: 'pending', request, requestHash: requestHashOf(request), results, signalId: previewId, jobId: jobIdForSignal(previewId), client: session.client() };
  await ctx.previews.create(rec, now);
  await ctx.infra.audit.append({ type: 'mcp.preview', signalId: previewId, data: { previewId, client: session.client(), order: describePreview(rec), results: results.map((r) => ({ account: r.account, decision: r.decision, quantity: r.quantity, reasons: r.reasons })) } });
  const confirmable = results.every((r) => r.writable) && ctx.config.mcp.allowWrites && !ctx.readOnly;
  const allDenied = results.every((r) => r.decision === 'DENIED');
  const next = allDenied
    ? 'nothing was sent; every account would be DENIED now (see reasons), and the daemon would deny it the same way if it were confirmed'
    : confirmable
    ? `nothing was sent; to place it, call place_order with {"previewId":"${previewId}","confirm":true} before ${expiresAt} (the daemon checks its rules again)`
    : `nothing was sent; MCP cannot place this order (${ctx.readOnly ? 'read-only mode' : !ctx.config.mcp.allowWrites ? 'mcp.allowWrites is false' : `only accounts in mcp.writeAccounts: ${ctx.config.mcp.writeAccounts.join(', ') || 'none'}`})`;
  return { mode: ctx.config.mode, asOf: iso(now), previewId, expiresAt, confirmable, next, results: results.map((r) => ({ ...r, reasons: [...r.reasons], notes: [...r.notes] })) };
}

const renderPreview = (o: z.output<typeof previewOutput>): string =>
  `${o.results.map((r) => `${r.account} (${r.accountType}): ${r.decision} ${r.quantity}${r.estimatedCost ? `, est. ${r.estimatedCost} ${r.currency}` : ''}${r.reasons.length ? ` — ${r.reasons.map((x) => `${x.code}: ${x.message}`).join('; ')}` : ''}`).join('\n')}\npreview ${o.previewId}: ${o.next}`;

/** The `preview_order` tool (see docs/mcp.md). */
export const previewOrder = defineTool({
  name: 'preview_order',
  title: 'Preview order',
  description: "Sizes and checks an order with the daemon's own rules for each account, with estimated cost and what-if margin. NOTHING is sent; returns a single-use previewId valid for mcp.previewTtlSeconds.",
  input: z.strictObject(orderFields),
  output: previewOutput,
  annotations: { readOnlyHint: true, openWorldHint: true },
  handler: (args, ctx, session) => makePreview(ctx, session, args),
  render: renderPreview,
});

const outcomeRow = z.looseObject({ account: z.string(), decision: z.string(), quantity: z.number(), reasons: z.array(z.looseObject({ code: z.string(), message: z.string() })) });

/** The structured result of `place_order` (its output schema). */
export const placeOutput = z.object({
  mode: MODE, asOf: ISO,
  status: z.enum(['PREVIEWED', 'COMPLETED', 'PENDING', 'DECLINED']),
  previewId: z.string(), signalId: z.string().nullable(), jobId: z.string().nullable(), expiresAt: ISO.nullable(),
  results: z.array(outcomeRow), next: z.string(),
});

/** A reason for a text rendering; the broker's own words are marked as broker data. */
const reasonText = (x: { code: string; message: string }): string => `${x.code}: ${x.code === 'BROKER_REJECTED' ? brokerText(x.message) : x.message}`;

const { side: _side, symbol: _symbol, ...optionalOrder } = orderFields;

/** The `place_order` tool (see docs/mcp.md). */
export const placeOrder = defineTool({
  name: 'place_order',
  title: 'Place order (confirm a preview)',
  description: 'With {previewId, confirm:true}: enqueues that previewed order ONCE on the daemon\'s queue, where it passes the same rules as every signal, and returns the outcome. With order fields instead: previews it (nothing sent).',
  input: z.strictObject({ previewId: z.string().max(64).optional(), confirm: z.union([z.literal(true), z.literal('true').transform((): true => true)]).optional(), symbol: SYMBOL.optional(), side: z.enum(['BUY', 'SELL']).optional(), ...optionalOrder }),
  output: placeOutput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  write: true,
  handler: async (args, ctx, session) => {
    const { previewId, confirm, ...order } = args;
    const stamp = { mode: ctx.config.mode, asOf: iso(ctx.clock.now()) };
    if (previewId === undefined) {
      if (confirm) throw new ToolError('confirm:true needs the previewId that preview_order returned');
      if (order.symbol === undefined || order.side === undefined) throw new ToolError('give {previewId, confirm:true}, or an order (symbol, side, quantity, account) to preview');
      const p = await makePreview(ctx, session, order as OrderArgs);
      return { ...stamp, status: 'PREVIEWED' as const, previewId: p.previewId, signalId: null, jobId: null, expiresAt: p.expiresAt, results: p.results, next: p.next };
    }
    if (Object.values(order).some((v) => v !== undefined)) throw new ToolError('a confirmation carries only previewId and confirm:true; the order is the one previewed');
    if (!confirm) throw new ToolError(`to place preview ${previewId}, call place_order with confirm:true`);
    const r = await confirmPreview(ctx, previewId, { kind: 'mcp', session }, ctx.outcomeWaitMs);
    const next = r.status === 'COMPLETED' ? 'done; see get_order_status for fills' : r.status === 'DECLINED' ? 'the user declined; nothing was placed' : `${r.note ?? 'the daemon has not answered yet'}; call get_order_status with signalId ${r.signalId}`;
    return { ...stamp, status: r.status, previewId, signalId: r.signalId, jobId: r.jobId, expiresAt: null, results: (r.outcome?.results ?? []).map((x) => ({ ...x, reasons: x.reasons.map((y) => ({ ...y })) })), next };
  },
  render: (o) => `${o.status}${o.signalId ? ` signal ${o.signalId}` : ''}: ${o.results.map((r) => `${r.account} ${r.decision} ${r.quantity}${r.reasons.length ? ` (${r.reasons.map(reasonText).join('; ')})` : ''}`).join(', ') || 'no results yet'}\n${o.next}`,
});

/** The `cancel_order` tool (see docs/mcp.md). */
export const cancelOrder = defineTool({
  name: 'cancel_order',
  title: 'Cancel order',
  description: "Asks the daemon to cancel its own working orders of a signal (signalId) or one order (orderRef), only in mcp.writeAccounts. Orders the daemon did not place are never touched.",
  input: z.strictObject({ signalId: z.string().min(1).max(40).optional(), orderRef: z.string().min(1).max(80).optional(), account: ACCOUNT_ARG.optional() })
    .refine((a) => (a.signalId === undefined) !== (a.orderRef === undefined), { error: 'give exactly one of signalId or orderRef' }),
  output: cancelOutput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  write: true,
  handler: (args, ctx, session) => cancelOrders(ctx, session, args),
  render: (o) => o.orders.map((x) => `${x.orderRef} (${x.account}): ${x.state}`).join('\n') + `\n${o.note}`,
});

/** The `halt_trading` tool (see docs/mcp.md). */
export const haltTrading = defineTool({
  name: 'halt_trading',
  title: 'Halt trading (kill switch)',
  description: 'Halts trading (or sets reduce-only) globally or for one account, through the same kill switch as `ibkr-exec halt`; optionally asks the daemon to cancel its working orders. Resuming is for a human (`ibkr-exec resume`): no MCP tool does it.',
  input: z.strictObject({ state: z.enum(['HALTED', 'REDUCE_ONLY']).default('HALTED'), account: ACCOUNT_ARG.optional(), cancelWorkingOrders: z.boolean().default(false), reason: z.string().trim().min(3).max(200) }),
  output: z.object({ mode: MODE, asOf: ISO, scope: z.string(), previous: z.string(), current: z.string(), changed: z.boolean(), auditSeq: z.number(), cancelRequested: z.boolean(), note: z.string().nullable() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  write: true,
  handler: async (args, ctx, session) => {
    const account = args.account !== undefined ? resolveAccount(args.account, ctx.config.accounts).id : undefined;
    if (account !== undefined && !ctx.config.accounts.some((a) => a.id === account)) throw new ToolError(`${account} is not a declared account`);
    const cancel = args.cancelWorkingOrders && args.state === 'HALTED';
    const r = await setTradingState(ctx.config, args.state, { ...(account !== undefined ? { account } : {}), cancel, by: 'mcp' });
    await ctx.infra.audit.append({ type: 'mcp.halt', ...(account !== undefined ? { account } : {}), data: { client: session.client(), scope: r.scope, previous: r.previous, current: r.current, reason: args.reason, cancel, tradingStateSeq: r.auditSeq } });
    return { mode: ctx.config.mode, asOf: iso(ctx.clock.now()), scope: r.scope, previous: r.previous, current: r.current, changed: r.changed, auditSeq: r.auditSeq, cancelRequested: r.cancelRequestId !== undefined, note: r.note ?? null };
  },
  render: (o) => `trading state ${o.scope}: ${o.previous} → ${o.current}${o.cancelRequested ? '; cancel of working orders requested' : ''}. Resuming is for a human: ibkr-exec resume${o.scope === 'global' ? '' : ` --account ${o.scope}`}`,
});
