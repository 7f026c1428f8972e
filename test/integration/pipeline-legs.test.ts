/**
 * End to end (real Redis, BullMQ and the simulator over TCP): the rules see every order — bracket
 * children judged as the orders they are (IRA cash, REDUCE_ONLY), a bracket PLACED only when the broker
 * accepted every leg, IRA futures margin summed over the account, option reservations with the contract
 * multiplier, FX to the base currency, a close that joins its position's bracket, an unknown symbol.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { DEFAULT_FIXTURE, type Fixture } from '../../src/sim/index.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { BUSINESS, IRA, PERSONAL, REDIS, codes, quoteOf, resultFor, run, sig, simState, waitFor } from './pipeline-helpers.js';

const IRA2 = 'DU1000004';
const ES = { symbol: 'ES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202612' };

const FIXTURE: Fixture = {
  ...DEFAULT_FIXTURE,
  accounts: [
    { id: IRA, accountType: 'IRA', baseCurrency: 'USD', cash: { USD: 10_000 }, positions: [{ symbol: 'AAPL', quantity: 100, avgCost: 150 }] },
    { id: PERSONAL, accountType: 'INDIVIDUAL', baseCurrency: 'USD', cash: { USD: 100_000 }, positions: [{ symbol: 'MSFT', quantity: 50, avgCost: 300 }] },
    { id: BUSINESS, accountType: 'CORPORATION', baseCurrency: 'USD', cash: { USD: 250_000 }, positions: [] },
    { id: IRA2, accountType: 'IRA', baseCurrency: 'USD', cash: { USD: 49_800 }, positions: [] },
  ],
  // an option under a distinct symbol (the simulator keys instruments by symbol)
  instruments: [{ conId: 990001, symbol: 'XYZC', secType: 'OPT', exchange: 'SMART', currency: 'USD', multiplier: '100', strike: 50, right: 'C', lastTradeDateOrContractMonth: '20261218', price: 5 }],
};

describe('pipeline: every leg through the rules', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: REDIS,
      fixture: FIXTURE,
      config: {
        accounts: [
          { id: IRA, type: 'ROTH_IRA' },
          { id: PERSONAL, type: 'PERSONAL' },
          { id: BUSINESS, type: 'BUSINESS' },
          { id: IRA2, type: 'ROTH_IRA' },
        ],
        limits: { maxOrderQuantity: 1000, maxOrderNotional: 100_000, priceCollarPercent: 5, maxOrderNotionalBySecType: { FUT: 10_000_000 } },
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const ordersOf = async (account: string) => (await simState(stack)).orders.filter((o) => o.account === account);
  const position = async (account: string, symbol: string) => (await simState(stack)).positions.find((p) => p.account === account && p.symbol === symbol)?.quantity ?? 0;

  it('IRA: a SELL bracket whose BUY children cost more than settled cash is DENIED IRA_MARGIN, nothing sent', async () => {
    const before = (await ordersOf(IRA)).length;
    const r = resultFor(await run(stack, sig('leg-ira-sell-bracket', { accounts: [IRA], side: 'SELL', size: { quantity: 100 }, bracket: { takeProfit: 185, stopLoss: 199 } })), IRA);
    expect(r.decision).toBe('DENIED');
    expect(codes(r)).toEqual(['IRA_MARGIN', 'IRA_MARGIN']);
    expect(r.reasons.map((x) => x.message).join('\n')).toMatch(/bracket stopLoss BUY 100 AAPL costs 19,900.00 USD/);
    expect((await ordersOf(IRA)).length).toBe(before);
  });

  it('REDUCE_ONLY: a SELL bracket whose BUY children would re-open the position is DENIED with its entry', async () => {
    await stack.daemon!.infra.tradingState.setAccount(PERSONAL, 'REDUCE_ONLY');
    try {
      const before = (await ordersOf(PERSONAL)).length;
      const r = resultFor(await run(stack, sig('leg-ro-bracket', { instrument: { symbol: 'MSFT' }, accounts: [PERSONAL], side: 'SELL', size: { quantity: 50 }, bracket: { takeProfit: 400, stopLoss: 430 } })), PERSONAL);
      expect(r.decision).toBe('DENIED');
      expect(codes(r)).toEqual(['REDUCE_ONLY', 'REDUCE_ONLY']);
      expect((await ordersOf(PERSONAL)).length).toBe(before);
      // the plain SELL that only reduces still passes
      const plain = resultFor(await run(stack, sig('leg-ro-plain', { instrument: { symbol: 'MSFT' }, accounts: [PERSONAL], side: 'SELL', size: { quantity: 10 } })), PERSONAL);
      expect(plain.decision).toBe('PLACED');
    } finally {
      await stack.daemon!.infra.tradingState.setAccount(PERSONAL, 'ACTIVE');
    }
  });

  it('a bracket whose last child the broker rejects is REJECTED with the child reason, and its untransmitted entry is cancelled', async () => {
    const { bid } = await quoteOf(stack, 'AAPL');
    const limit = Math.round(bid * 0.98 * 100) / 100;
    await stack.admin('/fault', { action: 'reject-next', code: 201, message: 'Order rejected - reason:stop child refused', skip: 2 });
    const id = 'leg-child-rejected';
    const r = resultFor(await run(stack, sig(id, { accounts: [BUSINESS], order: { type: 'LMT', limitPrice: limit }, bracket: { takeProfit: Math.round(limit * 1.1), stopLoss: Math.round(limit * 0.9) } })), BUSINESS);
    expect(r.decision).toBe('REJECTED');
    expect(r.reasons).toEqual([{ code: 'BROKER_REJECTED', brokerCode: 201, message: 'bracket stopLoss SELL 10 AAPL: Order rejected - reason:stop child refused' }]);
    const entryRef = orderRefFor(id, BUSINESS, 'entry');
    await waitFor(async () => (await simState(stack)).orders.find((o) => o.orderRef === entryRef)?.status === 'Cancelled', 'the entry cancelled at the broker');
    // its reservation is released: the record leaves the working states
    await waitFor(async () => (await stack.daemon!.infra.outbox.get(entryRef))?.state === 'CANCELLED', 'the entry record CANCELLED');
    expect(await stack.daemon!.infra.outbox.listWorking(BUSINESS)).toEqual([]);
  });

  it('a rejected take-profit after which the stop-loss transmitted a MKT entry that filled: REJECTED, and the stop-loss stays to protect the position', async () => {
    const { ask } = await quoteOf(stack, 'AAPL');
    await stack.admin('/fault', { action: 'reject-next', code: 201, message: 'Order rejected - reason:take-profit refused', skip: 1 });
    const id = 'leg-tp-rejected-filled';
    const r = resultFor(await run(stack, sig(id, { accounts: [BUSINESS], size: { quantity: 7 }, bracket: { takeProfit: Math.round(ask * 1.1), stopLoss: Math.round(ask * 0.9) } })), BUSINESS);
    expect(r.decision).toBe('REJECTED');
    expect(r.reasons[0]!.message).toBe('bracket takeProfit SELL 7 AAPL: Order rejected - reason:take-profit refused');
    await waitFor(async () => (await position(BUSINESS, 'AAPL')) === 7, 'the entry filled');
    const stop = (await simState(stack)).orders.find((o) => o.orderRef === orderRefFor(id, BUSINESS, 'stopLoss'));
    expect(stop?.status).toMatch(/Submitted/);
  });

  it('IRA futures: five BUY 1 ES with 49,800 cash — one is placed, the rest are DENIED IRA_FUTURES_MARGIN (held margin counts)', async () => {
    const decisions: string[] = [];
    for (let n = 0; n < 5; n++) {
      const r = resultFor(await run(stack, sig(`leg-es-${n}`, { instrument: ES, accounts: [IRA2], size: { quantity: 1 } })), IRA2);
      decisions.push(r.decision === 'DENIED' ? codes(r).join('+') : r.decision);
      if (r.decision === 'PLACED') await waitFor(async () => (await position(IRA2, 'ES')) === 1, 'the ES position');
    }
    expect(decisions).toEqual(['PLACED', 'IRA_FUTURES_MARGIN', 'IRA_FUTURES_MARGIN', 'IRA_FUTURES_MARGIN', 'IRA_FUTURES_MARGIN']);
    expect(await position(IRA2, 'ES')).toBe(1);
  });

  // after the test above: IRA2 holds 1 ES, whose 2 × 16,000 margin its cash backs
  it('IRA cash that backs a held future is not spent on stock: IRA_MARGIN, while a smaller buy passes', async () => {
    expect(await position(IRA2, 'ES')).toBe(1);
    const big = resultFor(await run(stack, sig('leg-es-stock-big', { accounts: [IRA2], size: { quantity: 100 } })), IRA2);
    expect(big.decision).toBe('DENIED');
    expect(codes(big)).toEqual(['IRA_MARGIN']);
    expect(big.reasons[0]!.message).toMatch(/less 32,000.00 backing the futures held or working/);
    const small = resultFor(await run(stack, sig('leg-es-stock-small', { accounts: [IRA2], size: { quantity: 50 } })), IRA2);
    expect(small.decision).toBe('PLACED');
  });

  it('IRA options: a resting BUY reserves price × 100 × contracts, so a second one is DENIED IRA_MARGIN (not refused by the broker)', async () => {
    const buy = (id: string) => run(stack, sig(id, { instrument: { symbol: 'XYZC', secType: 'OPT' }, accounts: [IRA], size: { quantity: 15 }, order: { type: 'LMT', limitPrice: 4.8 } }));
    const first = resultFor(await buy('leg-opt-1'), IRA);
    expect(first.decision).toBe('PLACED');
    const second = resultFor(await buy('leg-opt-2'), IRA);
    expect(second.decision).toBe('DENIED');
    expect(codes(second)).toEqual(['IRA_MARGIN']);
    expect(second.reasons[0]!.message).toMatch(/reserved by working buys 7,200.00/);
    const rec = await stack.daemon!.infra.outbox.get(orderRefFor('leg-opt-1', IRA, 'entry'));
    expect(rec?.multiplier).toBe(100);
  });

  it('FX: a EUR order is converted to USD with the EUR.USD rate: 470 SAP at 210 EUR is over the 100,000 USD cap, 400 is not', async () => {
    const over = resultFor(await run(stack, sig('leg-eur-over', { instrument: { symbol: 'SAP', currency: 'EUR' }, accounts: [BUSINESS], size: { quantity: 470 }, order: { type: 'LMT', limitPrice: 210 } })), BUSINESS);
    expect(over.decision).toBe('DENIED');
    expect(codes(over)).toEqual(['MAX_NOTIONAL']);
    expect(over.reasons[0]!.message).toMatch(/BUY 470 SAP at 210 is 10[5-7],\d{3}\.\d{2} USD, above limits.maxOrderNotional of 100,000.00 USD/);
    const under = resultFor(await run(stack, sig('leg-eur-under', { instrument: { symbol: 'SAP', currency: 'EUR' }, accounts: [BUSINESS], size: { quantity: 400 }, order: { type: 'LMT', limitPrice: 210 } })), BUSINESS);
    expect(under.decision).toBe('PLACED');
  });

  it('positionPercent 100 closes a position while its own bracket children are working (it joins their OCA group)', async () => {
    const { ask } = await quoteOf(stack, 'SPY');
    const opened = resultFor(await run(stack, sig('leg-close-open', { instrument: { symbol: 'SPY' }, accounts: [BUSINESS], size: { quantity: 10 }, bracket: { takeProfit: Math.round(ask * 1.1), stopLoss: Math.round(ask * 0.9) } })), BUSINESS);
    expect(opened.decision).toBe('PLACED');
    await waitFor(async () => (await position(BUSINESS, 'SPY')) === 10, 'the SPY position');
    const close = resultFor(await run(stack, sig('leg-close', { instrument: { symbol: 'SPY' }, accounts: [BUSINESS], side: 'SELL', size: { positionPercent: 100 } })), BUSINESS);
    expect(close).toMatchObject({ decision: 'PLACED', quantity: 10 });
    expect(close.notes.join('\n')).toMatch(/joins OCA group/);
    await waitFor(async () => (await position(BUSINESS, 'SPY')) === 0, 'the SPY position closed');
    const children = (await simState(stack)).orders.filter((o) => o.orderRef === orderRefFor('leg-close-open', BUSINESS, 'takeProfit') || o.orderRef === orderRefFor('leg-close-open', BUSINESS, 'stopLoss'));
    await waitFor(async () => (await simState(stack)).orders.filter((o) => children.some((c) => c.orderId === o.orderId)).every((o) => o.status === 'Cancelled'), 'the children cancelled');
    expect(await position(BUSINESS, 'SPY')).toBe(0);
  });

  it('an unknown symbol is DENIED with the broker\'s "no security definition", not NO_PRICE', async () => {
    const r = resultFor(await run(stack, sig('leg-unknown-symbol', { instrument: { symbol: 'NOSUCH' }, accounts: [PERSONAL] })), PERSONAL);
    expect(r.decision).toBe('DENIED');
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatchObject({ code: 'BROKER_REJECTED', brokerCode: 200 });
    expect(r.reasons[0]!.message).toMatch(/no security definition for NOSUCH/);
  });
});
