/**
 * End to end (real Redis, BullMQ and the simulator over TCP): every size kind yields the quantity the
 * fixture's cash and prices imply, and every pre-trade rule denies before anything reaches the broker,
 * while the other accounts of the same signal still trade. Expected quantities are computed from the
 * simulator's own GET /state right before each signal (tickIntervalMs is 0: prices never move here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { DEFAULT_FIXTURE, type Fixture } from '../../src/sim/index.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import type { Outcome } from '../../src/domain/types.js';
import { BUSINESS, IRA, PERSONAL, REDIS, codes, quoteOf, resultFor, run, sig, simState } from './pipeline-helpers.js';

const UNDECLARED = 'DU1000004';

/** The default household, but a small business account (so buying power binds) and one undeclared linked account. */
const FIXTURE: Fixture = {
  ...DEFAULT_FIXTURE,
  accounts: [
    ...(DEFAULT_FIXTURE.accounts ?? []).map((a) => (a.id === BUSINESS ? { ...a, cash: { USD: 20_000 } } : a)),
    { id: UNDECLARED, accountType: 'INDIVIDUAL', baseCurrency: 'USD', cash: { USD: 100_000 } },
  ],
};

describe('pipeline: sizing and pre-trade rules', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, fixture: FIXTURE });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const account = async (id: string) => {
    const a = (await simState(stack)).accounts.find((x) => x.id === id);
    if (!a) throw new Error(`no simulator account ${id}`);
    return a;
  };
  const orderCount = async (): Promise<number> => (await simState(stack)).orders.length;

  /** Runs a signal that must send nothing at all; returns its outcome. */
  const runDenied = async (payload: Record<string, unknown>): Promise<Outcome> => {
    const before = await orderCount();
    const outcome = await run(stack, payload);
    expect(await orderCount()).toBe(before);
    return outcome;
  };

  /** The sim order of one account's entry leg (fails when absent). */
  const entryAtSim = async (signalId: string, acc: string) => {
    const ref = orderRefFor(signalId, acc, 'entry');
    const o = (await simState(stack)).orders.find((x) => x.orderRef === ref);
    expect(o, `no order ${ref} at the simulator`).toBeDefined();
    return o!;
  };

  // -- sizing --------------------------------------------------------------------------------------

  it('notional: floor(notional / ask)', async () => {
    const { ask } = await quoteOf(stack, 'AAPL');
    const expected = Math.floor(10_000 / ask);
    const r = resultFor(await run(stack, sig('size-notional', { accounts: [PERSONAL], size: { notional: 10_000 } })), PERSONAL);
    expect(r).toMatchObject({ decision: 'PLACED', quantity: expected });
    expect((await entryAtSim('size-notional', PERSONAL)).totalQuantity).toBe(expected);
  });

  it('equityPercent: floor(NetLiquidation × p% / ask) per account', async () => {
    const { ask } = await quoteOf(stack, 'MSFT');
    const ira = await account(IRA);
    const personal = await account(PERSONAL);
    const outcome = await run(stack, sig('size-equity', { instrument: { symbol: 'MSFT' }, accounts: [IRA, PERSONAL], size: { equityPercent: 10 } }));
    for (const a of [ira, personal]) {
      const expected = Math.floor((a.netLiquidation * 0.1) / ask);
      expect(expected).toBeGreaterThan(0);
      expect(resultFor(outcome, a.id)).toMatchObject({ decision: 'PLACED', quantity: expected });
      expect((await entryAtSim('size-equity', a.id)).totalQuantity).toBe(expected);
    }
  });

  it('riskPercent with a bracket: floor(NetLiquidation × p% / (ask − stopLoss))', async () => {
    const { ask } = await quoteOf(stack, 'AAPL');
    const biz = await account(BUSINESS);
    const stop = 180;
    const expected = Math.floor((biz.netLiquidation * 0.01) / (ask - stop));
    const r = resultFor(await run(stack, sig('size-risk', { accounts: [BUSINESS], size: { riskPercent: 1 }, bracket: { takeProfit: 210, stopLoss: stop } })), BUSINESS);
    expect(expected).toBeGreaterThan(0);
    expect(r).toMatchObject({ decision: 'PLACED', quantity: expected });
    const legs = (await simState(stack)).orders.filter((o) => o.account === BUSINESS && o.orderRef.startsWith('ix1-'));
    expect(legs.filter((o) => o.totalQuantity === expected)).toHaveLength(3);
  });

  it('positionPercent (SELL): that percent of each long position, rounded down; no position gives ZERO_QUANTITY', async () => {
    const held = async (acc: string, sym: string) => (await simState(stack)).positions.find((p) => p.account === acc && p.symbol === sym)?.quantity ?? 0;
    expect(await held(IRA, 'AAPL')).toBe(100);
    const personalHeld = await held(PERSONAL, 'AAPL');
    expect(personalHeld).toBeGreaterThan(1);
    const outcome = await run(stack, sig('size-position', { side: 'SELL', accounts: [IRA, PERSONAL], size: { positionPercent: 50 } }));
    expect(resultFor(outcome, IRA)).toMatchObject({ decision: 'PLACED', quantity: 50 });
    expect(await entryAtSim('size-position', IRA)).toMatchObject({ action: 'SELL', totalQuantity: 50 });
    expect(resultFor(outcome, PERSONAL)).toMatchObject({ decision: 'PLACED', quantity: Math.floor(personalHeld / 2) });
    const none = resultFor(await runDenied(sig('size-position-none', { instrument: { symbol: 'SPY' }, side: 'SELL', accounts: [IRA], size: { positionPercent: 100 } })), IRA);
    expect(none.decision).toBe('DENIED');
    expect(codes(none)).toEqual(['ZERO_QUANTITY']);
  });

  it('a computed size is clipped to maxOrderQuantity and maxOrderNotional, each clip noted', async () => {
    const { ask } = await quoteOf(stack, 'AAPL');
    const expected = Math.min(1000, Math.floor(100_000 / ask));
    const r = resultFor(await run(stack, sig('size-clip', { accounts: [PERSONAL], size: { notional: 250_000 } })), PERSONAL);
    expect(r).toMatchObject({ decision: 'PLACED', quantity: expected });
    expect(r.notes.join('\n')).toMatch(/maxOrderQuantity/);
    expect(r.notes.join('\n')).toMatch(/maxOrderNotional/);
    expect((await entryAtSim('size-clip', PERSONAL)).totalQuantity).toBe(expected);
  });

  // -- rules ---------------------------------------------------------------------------------------

  it('IRA short sale: DENIED IRA_SHORT_SALE and nothing sent for the IRA, while the personal account sells', async () => {
    const before = (await simState(stack)).orders.filter((o) => o.account === IRA).length;
    const outcome = await run(stack, sig('rule-short', { instrument: { symbol: 'SPY' }, side: 'SELL', accounts: [IRA, PERSONAL], size: { quantity: 10 } }));
    const ira = resultFor(outcome, IRA);
    expect(ira).toMatchObject({ decision: 'DENIED', quantity: 0 });
    expect(codes(ira)).toEqual(['IRA_SHORT_SALE']);
    expect(ira.orderRef).toBeUndefined();
    expect(resultFor(outcome, PERSONAL)).toMatchObject({ decision: 'PLACED', quantity: 10 });
    const state = await simState(stack);
    expect(state.orders.filter((o) => o.account === IRA)).toHaveLength(before);
    expect(state.orders.some((o) => o.orderRef === orderRefFor('rule-short', IRA, 'entry'))).toBe(false);
    expect(state.orders.find((o) => o.orderRef === orderRefFor('rule-short', PERSONAL, 'entry'))).toMatchObject({ action: 'SELL', totalQuantity: 10, symbol: 'SPY' });
  });

  it('an MLP in an IRA: IRA_PROHIBITED_SECURITY (the personal account buys it)', async () => {
    const outcome = await run(stack, sig('rule-mlp', { instrument: { symbol: 'ET' }, accounts: [IRA, PERSONAL] }));
    expect(codes(resultFor(outcome, IRA))).toEqual(['IRA_PROHIBITED_SECURITY']);
    expect(resultFor(outcome, IRA).decision).toBe('DENIED');
    expect(resultFor(outcome, PERSONAL).decision).toBe('PLACED');
    expect((await simState(stack)).orders.some((o) => o.orderRef === orderRefFor('rule-mlp', IRA, 'entry'))).toBe(false);
  });

  it('a EUR stock in a USD IRA without EUR: IRA_FX_BORROW', async () => {
    const r = resultFor(await runDenied(sig('rule-fx', { instrument: { symbol: 'SAP', currency: 'EUR' }, accounts: [IRA] })), IRA);
    expect(r.decision).toBe('DENIED');
    expect(codes(r)).toContain('IRA_FX_BORROW');
  });

  it('a future in an IRA beyond cash for initial margin × multiplier: IRA_FUTURES_MARGIN', async () => {
    const settled = (await account(IRA)).settledCash.USD ?? 0;
    const contracts = Math.floor(settled / (16_000 * 2)) + 1;
    const es = { symbol: 'ES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202612' };
    const r = resultFor(await runDenied(sig('rule-fut', { instrument: es, accounts: [IRA], size: { quantity: contracts } })), IRA);
    expect(r.decision).toBe('DENIED');
    expect(codes(r)).toContain('IRA_FUTURES_MARGIN');
  });

  it('an IRA BUY beyond settled cash: IRA_MARGIN', async () => {
    const { ask } = await quoteOf(stack, 'AAPL');
    const settled = (await account(IRA)).settledCash.USD ?? 0;
    const qty = Math.floor(settled / ask) + 1;
    expect(qty * ask).toBeLessThan(100_000);
    const r = resultFor(await runDenied(sig('rule-margin', { accounts: [IRA], size: { quantity: qty } })), IRA);
    expect(r.decision).toBe('DENIED');
    expect(codes(r)).toEqual(['IRA_MARGIN']);
  });

  it('a non-IRA BUY beyond buying power: INSUFFICIENT_BUYING_POWER', async () => {
    const { ask } = await quoteOf(stack, 'AAPL');
    const bp = (await account(BUSINESS)).buyingPower;
    const qty = Math.floor(bp / ask) + 5;
    expect(qty).toBeLessThan(1000);
    expect(qty * ask).toBeLessThan(100_000);
    const r = resultFor(await runDenied(sig('rule-bp', { accounts: [BUSINESS], size: { quantity: qty } })), BUSINESS);
    expect(r.decision).toBe('DENIED');
    expect(codes(r)).toEqual(['INSUFFICIENT_BUYING_POWER']);
  });

  it('an explicit quantity above limits.maxOrderQuantity: MAX_QUANTITY (never silently reduced)', async () => {
    const r = resultFor(await runDenied(sig('rule-maxqty', { instrument: { symbol: 'ET' }, accounts: [PERSONAL], size: { quantity: 1001 } })), PERSONAL);
    expect(r).toMatchObject({ decision: 'DENIED', quantity: 0 });
    expect(codes(r)).toEqual(['MAX_QUANTITY']);
  });

  it('an explicit quantity worth more than limits.maxOrderNotional: MAX_NOTIONAL', async () => {
    const r = resultFor(await runDenied(sig('rule-maxnotional', { accounts: [PERSONAL], size: { quantity: 600 } })), PERSONAL);
    expect(codes(r)).toEqual(['MAX_NOTIONAL']);
  });

  it('a limit price beyond the collar: PRICE_COLLAR', async () => {
    const r = resultFor(await runDenied(sig('rule-collar', { accounts: [PERSONAL], order: { type: 'LMT', limitPrice: 170 } })), PERSONAL);
    expect(codes(r)).toEqual(['PRICE_COLLAR']);
  });

  it('a size rounding down to nothing: ZERO_QUANTITY', async () => {
    const r = resultFor(await runDenied(sig('rule-zero', { accounts: [PERSONAL], size: { notional: 100 } })), PERSONAL);
    expect(codes(r)).toEqual(['ZERO_QUANTITY']);
  });

  it('an account that is not linked, or linked but not declared: UNKNOWN_ACCOUNT; ALL never targets an undeclared one', async () => {
    const outcome = await runDenied(sig('rule-unknown', { accounts: ['DU9999999', UNDECLARED] }));
    expect(outcome.results.map((r) => [r.account, r.decision, codes(r)])).toEqual([
      ['DU9999999', 'DENIED', ['UNKNOWN_ACCOUNT']],
      [UNDECLARED, 'DENIED', ['UNKNOWN_ACCOUNT']],
    ]);
    const all = await run(stack, sig('rule-all-declared', { instrument: { symbol: 'SPY' }, size: { quantity: 1 } }));
    expect(all.results.map((r) => r.account)).toEqual([IRA, PERSONAL, BUSINESS]);
    expect((await simState(stack)).orders.some((o) => o.account === UNDECLARED)).toBe(false);
  });

  it('a signal handled after expiresAt: SIGNAL_EXPIRED everywhere, nothing sent', async () => {
    const now = Date.now();
    const outcome = await runDenied(sig('rule-expired', { createdAt: new Date(now - 120_000).toISOString(), expiresAt: new Date(now - 60_000).toISOString() }));
    expect(outcome.results).toHaveLength(3);
    for (const r of outcome.results) {
      expect(r.decision).toBe('DENIED');
      expect(codes(r)).toEqual(['SIGNAL_EXPIRED']);
    }
  });

  // last: it spends the IRA's settled cash, which the rules above need
  it('an IRA computed size is clipped to settled cash, with a note', async () => {
    const { ask } = await quoteOf(stack, 'AAPL');
    const settled = (await account(IRA)).settledCash.USD ?? 0;
    const expected = Math.floor(settled / ask);
    expect(Math.floor(60_000 / ask)).toBeGreaterThan(expected);
    const r = resultFor(await run(stack, sig('size-ira-cash', { accounts: [IRA], size: { notional: 60_000 } })), IRA);
    expect(r).toMatchObject({ decision: 'PLACED', quantity: expected });
    expect(r.notes.join('\n')).toMatch(/IRA available cash/);
  });
});
