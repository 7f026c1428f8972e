/**
 * End to end (real Redis, BullMQ and the simulator over TCP): orders reach the broker correctly sized,
 * with their orderRef, and every state change and execution lands on the CONTRACT §5 streams; brackets
 * and every order type arrive with the right fields.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { verifyAudit } from '../../src/infra/audit.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { BUSINESS, IRA, PERSONAL, REDIS, entries, fillEntries, orderEvents, reader, resultFor, run, sig, simState, waitFor } from './pipeline-helpers.js';

const FILL_FIELDS = ['execId', 'signalId', 'account', 'orderRef', 'orderId', 'permId', 'symbol', 'side', 'shares', 'price', 'cumQty', 'avgPrice', 'time'];
const ORDER_FIELDS = ['event', 'signalId', 'account', 'orderRef', 'orderId', 'permId', 'symbol', 'side', 'quantity', 'filled', 'remaining', 'avgFillPrice', 'ts'];

describe('pipeline: placement', () => {
  let stack: Stack;
  let redis: Redis;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS });
    redis = reader();
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  it('a BUY to ALL places one order per account, publishes SUBMITTED → ACCEPTED → FILLED and one fill each, and the audit chain verifies', async () => {
    const outcome = await run(stack, sig('place-all-1', { size: { quantity: 7 }, meta: { confluence: 0.82, regime: 'trend' } }));
    expect(outcome.signalId).toBe('place-all-1');
    expect(outcome.results.map((r) => [r.account, r.decision, r.quantity])).toEqual([
      [IRA, 'PLACED', 7],
      [PERSONAL, 'PLACED', 7],
      [BUSINESS, 'PLACED', 7],
    ]);
    const state = await simState(stack);
    for (const r of outcome.results) {
      expect(r.orderRef).toBeTruthy();
      const atSim = state.orders.filter((o) => o.orderRef === r.orderRef);
      expect(atSim).toHaveLength(1);
      expect(atSim[0]).toMatchObject({ account: r.account, totalQuantity: 7, action: 'BUY', orderType: 'MKT', symbol: 'AAPL', orderId: r.orderId });
    }
    expect(new Set(state.orders.map((o) => o.orderRef)).size).toBe(state.orders.length);

    for (const r of outcome.results) {
      const ref = r.orderRef as string;
      const events = await waitFor(async () => {
        const ev = await orderEvents(redis, stack, ref);
        return ev.some((e) => e.fields.event === 'FILLED') ? ev : undefined;
      }, `FILLED on the orders stream for ${ref}`);
      expect(events.map((e) => e.fields.event)).toEqual(['SUBMITTED', 'ACCEPTED', 'FILLED']);
      for (const e of events) {
        expect(Object.keys(e.fields)).toEqual(expect.arrayContaining(ORDER_FIELDS));
        expect(e.fields).toMatchObject({ signalId: 'place-all-1', account: r.account, orderRef: ref, symbol: 'AAPL', side: 'BUY', quantity: '7' });
      }
      const filled = events[2]!.fields;
      expect(filled).toMatchObject({ filled: '7', remaining: '0', orderId: String(r.orderId) });
      expect(Number(filled.avgFillPrice)).toBeGreaterThan(0);

      const fills = await waitFor(async () => {
        const f = await fillEntries(redis, stack, ref);
        return f.length > 0 ? f : undefined;
      }, `a fill for ${ref}`);
      expect(fills).toHaveLength(1);
      const f = fills[0]!.fields;
      expect(Object.keys(f)).toEqual(expect.arrayContaining(FILL_FIELDS));
      const exec = state.executions.find((x) => x.orderRef === ref);
      expect(f).toMatchObject({ signalId: 'place-all-1', account: r.account, orderRef: ref, orderId: String(r.orderId), symbol: 'AAPL', side: 'BOT', shares: '7', cumQty: '7' });
      expect(exec).toBeDefined();
      expect(f.execId).toBe(exec?.execId);
      expect(Number(f.price)).toBe(exec?.price);
      expect(f.time).toMatch(/^\d{8}|^\d{4}-\d{2}-\d{2}/);
      // commission: in the fill entry itself, or a later COMMISSION entry with the same execId
      await waitFor(async () => {
        if (f.commission) return true;
        const all = await entries(redis, `${stack.config.redis.prefix}:fills`);
        return all.some((e) => e.fields.type === 'COMMISSION' && e.fields.execId === f.execId && Number(e.fields.commission) > 0);
      }, `the commission of ${f.execId}`);
    }

    // the audit trail: the signal (with its meta), one decision per account with its inputs, the outcome
    const trail = (await entries(redis, `${stack.config.redis.prefix}:audit`)).filter((e) => e.fields.signalId === 'place-all-1');
    const data = (type: string) => trail.filter((e) => e.fields.type === type).map((e) => JSON.parse(e.fields.data ?? '{}') as Record<string, unknown>);
    expect((data('signal')[0]?.payload as { meta?: unknown } | undefined)?.meta).toEqual({ confluence: 0.82, regime: 'trend' });
    const decisions = trail.filter((e) => e.fields.type === 'decision');
    expect(decisions.map((e) => e.fields.account).sort()).toEqual([IRA, PERSONAL, BUSINESS].sort());
    for (const d of data('decision')) expect(d).toMatchObject({ decision: 'APPROVED', quantity: 7, inputs: expect.objectContaining({ ask: expect.any(String), netLiquidation: expect.any(String) }) });
    expect(data('outcome')).toHaveLength(1);

    const audit = await verifyAudit(redis, `${stack.config.redis.prefix}:audit`, stack.secrets.auditKey);
    expect(audit).toMatchObject({ ok: true });
    expect((audit as { count: number }).count).toBeGreaterThan(5);
  });

  it('a bracket reaches the broker as a parent plus take-profit and stop-loss children with parentId and one OCA group', async () => {
    const outcome = await run(stack, sig('bracket-1', {
      accounts: [PERSONAL],
      size: { quantity: 5 },
      order: { type: 'LMT', limitPrice: 189, tif: 'GTC' },
      bracket: { takeProfit: 200, stopLoss: 180 },
    }));
    const r = resultFor(outcome, PERSONAL);
    expect(r.decision).toBe('PLACED');
    const orders = (await simState(stack)).orders.filter((o) => o.orderRef.includes(PERSONAL) && o.account === PERSONAL);
    const parent = orders.find((o) => o.orderRef === r.orderRef);
    expect(parent).toMatchObject({ action: 'BUY', orderType: 'LMT', lmtPrice: 189, totalQuantity: 5, tif: 'GTC' });
    const children = orders.filter((o) => o.parentId === parent?.orderId && o.orderId !== parent?.orderId);
    expect(children).toHaveLength(2);
    const tp = children.find((o) => o.orderType === 'LMT');
    const sl = children.find((o) => o.orderType === 'STP');
    expect(tp).toMatchObject({ action: 'SELL', lmtPrice: 200, totalQuantity: 5, tif: 'GTC' });
    expect(sl).toMatchObject({ action: 'SELL', auxPrice: 180, totalQuantity: 5, tif: 'GTC' });
    expect(tp?.ocaGroup).toBeTruthy();
    expect(sl?.ocaGroup).toBe(tp?.ocaGroup);
    expect(tp?.orderRef).not.toBe(sl?.orderRef);
  });

  const TYPES: readonly [string, Record<string, unknown>, Partial<{ orderType: string; lmtPrice: number | null; auxPrice: number | null; tif: string }>][] = [
    ['MKT', { type: 'MKT' }, { orderType: 'MKT' }],
    ['LMT', { type: 'LMT', limitPrice: 188.5 }, { orderType: 'LMT', lmtPrice: 188.5 }],
    ['STP', { type: 'STP', stopPrice: 195 }, { orderType: 'STP', auxPrice: 195 }],
    ['STP LMT', { type: 'STP LMT', stopPrice: 195, limitPrice: 196 }, { orderType: 'STP LMT', auxPrice: 195, lmtPrice: 196 }],
    ['TRAIL', { type: 'TRAIL', trailingPercent: 2 }, { orderType: 'TRAIL' }],
    ['MOC', { type: 'MOC' }, { orderType: 'MOC' }],
    ['LOC', { type: 'LOC', limitPrice: 189.5 }, { orderType: 'LOC', lmtPrice: 189.5 }],
    ['LMT GTC', { type: 'LMT', limitPrice: 188, tif: 'GTC' }, { orderType: 'LMT', lmtPrice: 188, tif: 'GTC' }],
  ];

  it.each(TYPES)('order type %s reaches the simulator with its fields', async (name, order, expected) => {
    const id = `type-${name.replace(' ', '-')}`;
    const outcome = await run(stack, sig(id, { accounts: [BUSINESS], size: { quantity: 3 }, order }));
    const r = resultFor(outcome, BUSINESS);
    expect(r, JSON.stringify(r)).toMatchObject({ decision: 'PLACED', quantity: 3 });
    const atSim = (await simState(stack)).orders.filter((o) => o.orderRef === r.orderRef);
    expect(atSim).toHaveLength(1);
    expect(atSim[0]).toMatchObject({ account: BUSINESS, action: 'BUY', totalQuantity: 3, ...expected });
  });

  it('resting orders fill later: a LMT when the price crosses it, a MOC at the closing auction, an unfilled LOC is cancelled there', async () => {
    const ref = (name: string) => orderRefFor(`type-${name}`, BUSINESS, 'entry');
    const eventsOf = async (r: string) => (await orderEvents(redis, stack, r)).map((e) => e.fields.event);
    expect(await eventsOf(ref('LMT'))).toEqual(['SUBMITTED', 'ACCEPTED']);

    await stack.admin('/price', { symbol: 'AAPL', price: 188.4 });
    await waitFor(async () => (await eventsOf(ref('LMT'))).includes('FILLED'), 'the LMT FILLED after the price crossed it');
    expect(await eventsOf(ref('LMT'))).toEqual(['SUBMITTED', 'ACCEPTED', 'FILLED']);
    const fill = (await fillEntries(redis, stack, ref('LMT')))[0]?.fields;
    expect(Number(fill?.price)).toBeLessThanOrEqual(188.5);

    await stack.admin('/price', { symbol: 'AAPL', price: 190 });
    await stack.admin('/fault', { action: 'close-auction' });
    await waitFor(async () => (await eventsOf(ref('MOC'))).includes('FILLED'), 'the MOC FILLED at the auction');
    await waitFor(async () => (await eventsOf(ref('LOC'))).includes('CANCELLED'), 'the LOC (limit below the auction price) CANCELLED');
    expect((await simState(stack)).orders.find((o) => o.orderRef === ref('LOC'))?.status).toBe('Cancelled');
  });

  it('a signal id with ":" and accounts by type reach the right account', async () => {
    const outcome = await run(stack, sig('ns:by-type:1', { accounts: { types: ['ROTH_IRA'] }, size: { quantity: 1 } }));
    expect(outcome.results.map((r) => [r.account, r.decision])).toEqual([[IRA, 'PLACED']]);
    expect((await simState(stack)).orders.find((o) => o.orderRef === orderRefFor('ns:by-type:1', IRA, 'entry'))).toMatchObject({ account: IRA, totalQuantity: 1 });
  });

  it('a bracket lives on: the entry fills, the take-profit fills when the price reaches it, and the OCA stop-loss is cancelled', async () => {
    const outcome = await run(stack, sig('bracket-life', {
      instrument: { symbol: 'MSFT' },
      accounts: [BUSINESS],
      size: { quantity: 2 },
      order: { type: 'LMT', limitPrice: 421 },
      bracket: { takeProfit: 430, stopLoss: 410 },
    }));
    expect(resultFor(outcome, BUSINESS).decision).toBe('PLACED');
    const [entry, tp, sl] = (['entry', 'takeProfit', 'stopLoss'] as const).map((leg) => orderRefFor('bracket-life', BUSINESS, leg));
    const eventsOf = async (r: string | undefined) => (await orderEvents(redis, stack, r ?? '')).map((e) => e.fields.event);
    await waitFor(async () => (await eventsOf(entry)).includes('FILLED'), 'the entry FILLED');
    await waitFor(async () => (await eventsOf(sl)).includes('ACCEPTED') && (await eventsOf(tp)).includes('ACCEPTED'), 'both children ACCEPTED');

    await stack.admin('/price', { symbol: 'MSFT', price: 431 });
    await waitFor(async () => (await eventsOf(tp)).includes('FILLED') && (await eventsOf(sl)).includes('CANCELLED'), 'take-profit FILLED and stop-loss CANCELLED');
    expect(await eventsOf(entry)).toEqual(['SUBMITTED', 'ACCEPTED', 'FILLED']);
    expect(await eventsOf(tp)).toEqual(['SUBMITTED', 'ACCEPTED', 'FILLED']);
    expect(await eventsOf(sl)).toEqual(['SUBMITTED', 'ACCEPTED', 'CANCELLED']);
    const tpFill = (await fillEntries(redis, stack, tp ?? ''))[0]?.fields;
    expect(tpFill).toMatchObject({ signalId: 'bracket-life', account: BUSINESS, side: 'SLD', shares: '2', symbol: 'MSFT' });
    expect(Number(tpFill?.price)).toBeGreaterThanOrEqual(430);
    expect((await simState(stack)).positions.find((p) => p.account === BUSINESS && p.symbol === 'MSFT')?.quantity ?? 0).toBe(0);
  });

  it('TRAIL carries its trailing percent: a BUY trailing 2% follows the low and triggers 2% above it, not before', async () => {
    const r = resultFor(await run(stack, sig('trail-life', { instrument: { symbol: 'SPY' }, accounts: [BUSINESS], size: { quantity: 1 }, order: { type: 'TRAIL', trailingPercent: 2 } })), BUSINESS);
    expect(r.decision).toBe('PLACED');
    const status = async () => (await simState(stack)).orders.find((o) => o.orderRef === r.orderRef)?.status;
    await stack.admin('/price', { symbol: 'SPY', price: 590 }); // stop follows down to 590 × 1.02 = 601.80
    await stack.admin('/price', { symbol: 'SPY', price: 601 });
    expect(await status()).toMatch(/Submitted/);
    await stack.admin('/price', { symbol: 'SPY', price: 602 });
    await waitFor(async () => (await status()) === 'Filled', 'the trailing stop triggered above 601.80');
  });
});
