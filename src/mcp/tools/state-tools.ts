/**
 * The daemon's state: get_open_orders, get_fills, get_order_status, get_trading_state, get_audit_trail,
 * verify_audit_chain. Orders come from the broker (all clients) marked with whether this daemon placed
 * them (its outbox); fills, outcomes, the trading state and the audit trail come from Redis.
 */
import { z } from 'zod';
import { isOwnOrderRef } from '../../domain/order-ref.js';
import { TRADING_STATES } from '../../domain/types.js';
import { tailAudit } from '../../infra/audit.js';
import { verifyAnchored } from '../../cli/commands/audit.js';
import { tailStream } from '../../infra/streams.js';
import { jobIdForSignal } from '../../ingest/enqueue.js';
import { defineTool, brokerText, ToolError } from '../tool-def.js';
import { ACCOUNT_ARG, DEC, ISO, MODE, SYMBOL, accountsFor, brokerReady, dec, readStamp } from './common.js';

const orderRow = z.object({
  orderId: z.number(), permId: z.number().nullable(), account: z.string(), symbol: z.string(), secType: z.string(), side: z.string(),
  quantity: z.number(), orderType: z.string(), limitPrice: DEC, stopPrice: DEC, status: z.string(), filled: z.number(), remaining: z.number(),
  orderRef: z.string().nullable(), signalId: z.string().nullable(), ours: z.boolean(),
});

/** The `get_open_orders` tool (see docs/mcp.md). */
export const getOpenOrders = defineTool({
  name: 'get_open_orders',
  title: 'Working orders',
  description: 'Working orders at the broker (every client), each marked `ours` when this daemon placed it, with its signal id.',
  input: z.strictObject({ account: ACCOUNT_ARG.optional(), symbol: SYMBOL.optional() }),
  output: z.object({ mode: MODE, asOf: ISO, orders: z.array(orderRow) }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async (args, ctx, session) => {
    await brokerReady(ctx);
    const ids = args.account !== undefined ? await accountsFor(ctx, session, args.account) : undefined;
    const open = (await ctx.broker.openOrders()).filter((o) => (!ids || ids.includes(o.account)) && (!args.symbol || o.instrument.symbol === args.symbol.toUpperCase()));
    const records = await Promise.all(open.map((o) => (o.orderRef ? ctx.infra.outbox.get(o.orderRef) : Promise.resolve(undefined))));
    return {
      ...readStamp(ctx),
      orders: open.map((o, i) => ({
        orderId: o.orderId, permId: o.permId ?? null, account: o.account, symbol: o.instrument.symbol, secType: o.instrument.secType, side: o.side,
        quantity: o.quantity, orderType: String(o.orderType), limitPrice: dec(o.limitPrice), stopPrice: dec(o.stopPrice), status: o.status,
        filled: o.filled, remaining: o.remaining, orderRef: o.orderRef ?? null, signalId: records[i]?.signalId ?? null,
        ours: records[i] !== undefined || isOwnOrderRef(o.orderRef),
      })),
    };
  },
  render: (o) => (o.orders.length === 0 ? 'no working orders' : o.orders.map((x) => `#${x.orderId} ${x.account} ${x.side} ${x.quantity} ${x.symbol} ${x.orderType} ${x.status}${x.ours ? ` (signal ${x.signalId ?? '?'})` : ' (not ours)'}`).join('\n')),
});

/** The `get_fills` tool (see docs/mcp.md). */
export const getFills = defineTool({
  name: 'get_fills',
  title: 'Fills',
  description: "The daemon's executions from the fills stream, newest last (kept across days, unlike the broker's).",
  input: z.strictObject({ account: ACCOUNT_ARG.optional(), symbol: SYMBOL.optional(), limit: z.number().int().min(1).max(500).default(50) }),
  output: z.object({ mode: MODE, asOf: ISO, fills: z.array(z.object({
    execId: z.string(), time: z.string(), account: z.string(), symbol: z.string(), side: z.string(), shares: z.string(), price: z.string(),
    commission: DEC, commissionCurrency: z.string().nullable(), orderId: z.string().nullable(), orderRef: z.string().nullable(), signalId: z.string().nullable(), streamId: z.string(),
  })) }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async (args, ctx, session) => {
    const ids = args.account !== undefined ? await accountsFor(ctx, session, args.account) : undefined;
    const entries = await tailStream(ctx.infra.redis, ctx.infra.keys.fills, Math.min(5000, args.limit * 20));
    const orNull = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);
    const fills = entries.filter((e) => e.fields.type !== 'COMMISSION' && e.fields.execId)
      .filter((e) => (!ids || ids.includes(e.fields.account ?? '')) && (!args.symbol || e.fields.symbol === args.symbol.toUpperCase()))
      .slice(-args.limit)
      .map((e) => ({
        execId: e.fields.execId!, time: e.fields.time ?? '', account: e.fields.account ?? '', symbol: e.fields.symbol ?? '', side: e.fields.side ?? '',
        shares: e.fields.shares ?? '', price: e.fields.price ?? '', commission: orNull(e.fields.commission), commissionCurrency: orNull(e.fields.commissionCurrency),
        orderId: orNull(e.fields.orderId), orderRef: orNull(e.fields.orderRef), signalId: orNull(e.fields.signalId), streamId: e.id,
      }));
    return { ...readStamp(ctx), fills };
  },
  render: (o) => (o.fills.length === 0 ? 'no fills' : o.fills.map((f) => `${f.time} ${f.account} ${f.side} ${f.shares} ${f.symbol} @ ${f.price}`).join('\n')),
});

/** The `get_order_status` tool (see docs/mcp.md). */
export const getOrderStatus = defineTool({
  name: 'get_order_status',
  title: 'Order status',
  description: 'The outcome and order states of a signal (a confirmed preview id is a signal id), or of one order by orderRef.',
  input: z.strictObject({ signalId: z.string().min(1).max(40).optional(), orderRef: z.string().min(1).max(80).optional() })
    .refine((a) => (a.signalId === undefined) !== (a.orderRef === undefined), { error: 'give exactly one of signalId or orderRef' }),
  output: z.object({
    mode: MODE, asOf: ISO, signalId: z.string().nullable(), jobState: z.string().nullable(),
    outcome: z.object({ signalId: z.string(), results: z.array(z.record(z.string(), z.unknown())) }).nullable(),
    orders: z.array(z.object({ orderRef: z.string(), account: z.string(), leg: z.string(), symbol: z.string(), side: z.string(), quantity: z.number(), state: z.string(), filled: z.number(), orderId: z.number().nullable(), avgFillPrice: DEC, note: z.string().nullable() })),
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async (args, ctx) => {
    const ob = ctx.infra.outbox;
    const single = args.orderRef !== undefined ? await ob.get(args.orderRef) : undefined;
    if (args.orderRef !== undefined && !single) throw new ToolError(`no order of this daemon has orderRef ${args.orderRef}`);
    const signalId = args.signalId ?? single?.signalId ?? null;
    const records = single ? [single] : signalId ? await ob.listBySignal(signalId) : [];
    const outcome = signalId ? await ob.getOutcome(signalId) : undefined;
    const jobState = signalId ? ((await ctx.queue.jobState(jobIdForSignal(signalId)).catch(() => undefined)) ?? null) : null;
    if (args.signalId !== undefined && records.length === 0 && !outcome && jobState === null) throw new ToolError(`signal ${args.signalId} is not known to the daemon (no job, no outcome, no order)`);
    return {
      ...readStamp(ctx), signalId, jobState,
      outcome: outcome ? (JSON.parse(JSON.stringify({ signalId: outcome.signalId, results: outcome.results })) as { signalId: string; results: Record<string, unknown>[] }) : null,
      orders: records.map((r) => ({ orderRef: r.orderRef, account: r.account, leg: r.leg, symbol: r.symbol, side: r.side, quantity: r.quantity, state: r.state, filled: r.filled, orderId: r.orderId ?? null, avgFillPrice: dec(r.avgFillPrice), note: r.note ?? null })),
    };
  },
  render: (o) => `signal ${o.signalId ?? '?'}: job ${o.jobState ?? 'unknown'}; ${o.outcome ? o.outcome.results.map((r) => `${String(r.account)} ${String(r.decision)}`).join(', ') : 'no outcome yet'}; ${o.orders.map((x) => `${x.orderRef} ${x.state} ${x.filled}/${x.quantity}${x.note ? ` ${brokerText(x.note)}` : ''}`).join('; ')}`,
});

/** The `get_trading_state` tool (see docs/mcp.md). */
export const getTradingState = defineTool({
  name: 'get_trading_state',
  title: 'Trading state',
  description: 'The kill switch: the global trading state and each account\'s own and effective state (ACTIVE, REDUCE_ONLY, HALTED).',
  input: z.strictObject({}),
  output: z.object({ mode: MODE, asOf: ISO, global: z.enum(TRADING_STATES), accounts: z.array(z.object({ account: z.string(), state: z.enum(TRADING_STATES), effective: z.enum(TRADING_STATES) })) }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async (_args, ctx) => {
    const ids = ctx.config.accounts.map((a) => a.id);
    const snap = await ctx.infra.tradingState.snapshot(ids);
    const eff = await Promise.all(ids.map((id) => ctx.infra.tradingState.effective(id)));
    return { ...readStamp(ctx), global: snap.global, accounts: ids.map((id, i) => ({ account: id, state: snap.accounts[id] ?? 'ACTIVE', effective: eff[i]!.effective })) };
  },
  render: (o) => `global ${o.global}; ${o.accounts.map((a) => `${a.account} ${a.effective}`).join(', ')}`,
});

/** The `get_audit_trail` tool (see docs/mcp.md). */
export const getAuditTrail = defineTool({
  name: 'get_audit_trail',
  title: 'Audit trail',
  description: 'The newest records of the hash-chained audit trail, optionally filtered by type prefix, account or signal.',
  input: z.strictObject({ limit: z.number().int().min(1).max(500).default(50), type: z.string().max(40).optional(), account: ACCOUNT_ARG.optional(), signalId: z.string().max(40).optional() }),
  output: z.object({ mode: MODE, asOf: ISO, records: z.array(z.object({ seq: z.number(), ts: z.string(), type: z.string(), account: z.string(), signalId: z.string(), orderRef: z.string(), data: z.unknown(), hash: z.string() })) }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  handler: async (args, ctx, session) => {
    const ids = args.account !== undefined ? await accountsFor(ctx, session, args.account) : undefined;
    const filtered = args.type !== undefined || ids !== undefined || args.signalId !== undefined;
    const records = (await tailAudit(ctx.infra.redis, ctx.infra.keys.audit, filtered ? Math.min(10_000, args.limit * 50) : args.limit))
      .filter((r) => (args.type === undefined || r.type.startsWith(args.type)) && (!ids || ids.includes(r.account)) && (args.signalId === undefined || r.signalId === args.signalId))
      .slice(-args.limit);
    return { ...readStamp(ctx), records: records.map((r) => ({ seq: r.seq, ts: r.ts, type: r.type, account: r.account, signalId: r.signalId, orderRef: r.orderRef, data: r.data, hash: r.hash })) };
  },
  render: (o) => o.records.map((r) => `#${r.seq} ${r.ts} ${r.type}${r.account ? ` ${r.account}` : ''}${r.signalId ? ` ${r.signalId}` : ''}`).join('\n') || 'no audit records',
});

/** The `verify_audit_chain` tool (see docs/mcp.md). */
export const verifyAuditChain = defineTool({
  name: 'verify_audit_chain',
  title: 'Verify audit chain',
  description: 'Recomputes the whole audit hash chain; names the first bad seq when a record was edited, deleted, reordered or truncated.',
  input: z.strictObject({}),
  output: z.object({ mode: MODE, asOf: ISO, ok: z.boolean(), count: z.number().nullable(), firstBadSeq: z.number().nullable(), reason: z.string().nullable() }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async (_args, ctx) => {
    const anchor = ctx.stateDir?.readAnchor();
    const r = await verifyAnchored(ctx.infra.redis, ctx.infra.keys.audit, ctx.infra.keys.epoch, ctx.secrets.auditKey, anchor);
    return r.ok ? { ...readStamp(ctx), ok: true, count: r.count, firstBadSeq: null, reason: null } : { ...readStamp(ctx), ok: false, count: null, firstBadSeq: r.seq, reason: r.reason };
  },
  render: (o) => (o.ok ? `audit chain ok: ${o.count} records` : `audit chain BROKEN at seq ${o.firstBadSeq}: ${o.reason}`),
});

