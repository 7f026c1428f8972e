/**
 * Options end to end (real Redis, BullMQ and the simulator over TCP; issue 12), on the default household
 * and its AAPL chain: a covered call chosen by delta and days to expiry (and audited), the same call
 * without free shares denied, the shares under it not for sale, a cash-secured put placed and its cash
 * reserved so a following buy is clipped, a naked put denied, and a stock and an option of one symbol
 * traded in one run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { DEFAULT_FIXTURE } from '../../src/sim/index.js';
import { IRA, PERSONAL, REDIS, codes, entries, quoteOf, reader, resultFor, run, sig, simState } from './pipeline-helpers.js';

interface OptOrder { orderRef: string; account: string; secType: string; strike?: number; right?: string; lastTradeDateOrContractMonth?: string; status: string; action: string }

describe('pipeline: options', () => {
  let stack: Stack;
  let expiry = '';
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, fixture: DEFAULT_FIXTURE });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const option = (strike: number, right: 'C' | 'P') => ({ symbol: 'AAPL', secType: 'OPT', lastTradeDateOrContractMonth: expiry, strike, right, multiplier: '100' });
  const ordersOf = async (account: string): Promise<OptOrder[]> => ((await simState(stack)).orders as unknown as OptOrder[]).filter((o) => o.account === account);
  const selections = async (): Promise<{ ok: boolean; audit?: { chosen?: { delta: string; strike: string }; candidates: unknown[]; chainAsOf: number; expiry?: string } }[]> => {
    const redis = reader();
    try {
      return (await entries(redis, `${stack.config.redis.prefix}:audit`)).filter((e) => e.fields.type === 'option.selection').map((e) => JSON.parse(e.fields.data ?? '{}'));
    } finally {
      redis.disconnect();
    }
  };

  it('a covered call chosen by delta 0.30 and 20–50 days to expiry is placed, and the choice is audited', async () => {
    const outcome = await run(stack, sig('opt-cc-1', { instrument: { symbol: 'AAPL', secType: 'OPT', right: 'C', select: { delta: 0.3, dte: [20, 50] } }, side: 'SELL', size: { quantity: 1 }, accounts: [IRA] }));
    expect(resultFor(outcome, IRA)).toMatchObject({ decision: 'PLACED', quantity: 1 });
    const sold = (await ordersOf(IRA)).find((o) => o.secType === 'OPT')!;
    expect(sold).toMatchObject({ right: 'C', action: 'SELL', status: 'Filled' });
    expiry = sold.lastTradeDateOrContractMonth!;
    const [sel] = await selections();
    expect(sel?.ok).toBe(true);
    expect(sel?.audit?.expiry).toBe(expiry);
    expect(Number(sel?.audit?.chosen?.strike)).toBe(sold.strike);
    expect(Math.abs(Number(sel?.audit?.chosen?.delta) - 0.3)).toBeLessThan(0.06);
    expect(sel?.audit?.candidates.length).toBeGreaterThan(5);
  });

  it('a second call against the same 100 shares is denied IRA_UNCOVERED_OPTION; so is selling those shares', async () => {
    const second = resultFor(await run(stack, sig('opt-cc-2', { instrument: option(230, 'C'), side: 'SELL', size: { quantity: 1 }, accounts: [IRA] })), IRA);
    expect(second.decision).toBe('DENIED');
    expect(codes(second)).toEqual(['IRA_UNCOVERED_OPTION']);
    expect(second.reasons[0]!.message).toContain(`AAPL ${expiry} 230 C`);
    const stock = resultFor(await run(stack, sig('opt-stk-sell', { side: 'SELL', size: { quantity: 10 }, accounts: [IRA] })), IRA);
    expect(codes(stock)).toEqual(['IRA_UNCOVERED_OPTION']);
    expect(stock.reasons[0]!.message).toMatch(/would leave short calls uncovered/);
  });

  it('a cash-secured put is placed; a naked put is denied; a later buy is clipped to the cash the put leaves', async () => {
    const put = resultFor(await run(stack, sig('opt-csp', { instrument: option(200, 'P'), side: 'SELL', size: { quantity: 1 }, accounts: [IRA] })), IRA);
    expect(put).toMatchObject({ decision: 'PLACED', quantity: 1 });
    const naked = resultFor(await run(stack, sig('opt-naked', { instrument: option(230, 'P'), side: 'SELL', size: { quantity: 2 }, accounts: [IRA] })), IRA);
    expect(codes(naked)).toEqual(['IRA_UNCOVERED_OPTION']);
    expect(naked.reasons[0]!.message).toMatch(/needs 46,000.00 USD of settled cash/);
    const settled = (await simState(stack)).accounts.find((a) => a.id === IRA)!.settledCash['USD']!;
    const { ask } = await quoteOf(stack, 'AAPL');
    const buy = resultFor(await run(stack, sig('opt-buy-after-put', { size: { notional: 40_000 }, accounts: [IRA] })), IRA);
    expect(buy.decision).toBe('PLACED');
    expect(buy.quantity).toBe(Math.floor((settled - 20_000) / ask));
  });

  it('a stock and an option of one symbol trade in one run', async () => {
    const [a, b] = await Promise.all([
      run(stack, sig('opt-mixed-stk', { size: { quantity: 10 }, accounts: [PERSONAL] })),
      run(stack, sig('opt-mixed-opt', { instrument: option(190, 'C'), size: { quantity: 2 }, accounts: [PERSONAL] })),
    ]);
    expect(resultFor(a, PERSONAL).decision).toBe('PLACED');
    expect(resultFor(b, PERSONAL).decision).toBe('PLACED');
    const st = await simState(stack);
    const mine = (st.positions as unknown as { account: string; symbol: string; secType: string; quantity: number; strike?: number }[]).filter((p) => p.account === PERSONAL && p.symbol === 'AAPL');
    expect(mine).toEqual(expect.arrayContaining([
      expect.objectContaining({ secType: 'STK', quantity: 10 }),
      expect.objectContaining({ secType: 'OPT', strike: 190, quantity: 2 }),
    ]));
  });

  it('no expiry in the window: every target is denied with the reason, and the failure is audited', async () => {
    const outcome = await run(stack, sig('opt-no-window', { instrument: { symbol: 'AAPL', secType: 'OPT', right: 'P', select: { delta: 0.25, dte: [300, 400] } }, side: 'SELL', size: { quantity: 1 }, accounts: [IRA, PERSONAL] }));
    for (const acct of [IRA, PERSONAL]) {
      const r = resultFor(outcome, acct);
      expect(r.decision).toBe('DENIED');
      expect(r.reasons[0]!.message).toMatch(/no option contract could be selected: no AAPL expiry has 300–400 days to expiry/);
    }
    expect((await selections()).some((s) => !s.ok)).toBe(true);
  });
});

describe('pipeline: futures months', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: REDIS,
      fixture: {
        ...DEFAULT_FIXTURE,
        instruments: [
          { symbol: 'MES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '203003', multiplier: '5', localSymbol: 'MESH0', price: 6100, minTick: 0.25, initialMargin: 16000 },
          { symbol: 'MES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202912', multiplier: '5', localSymbol: 'MESZ9', price: 6050, minTick: 0.25, initialMargin: 16000 },
          { symbol: 'MES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202506', multiplier: '5', localSymbol: 'MESM5', price: 6000, minTick: 0.25, initialMargin: 16000 },
        ],
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a future without a month trades the front month (the earliest still trading), audited', async () => {
    const outcome = await run(stack, sig('fut-front', { instrument: { symbol: 'MES', secType: 'FUT', exchange: 'CME' }, size: { quantity: 1 }, accounts: ['DU1000003'] }));
    expect(resultFor(outcome, 'DU1000003'), JSON.stringify(outcome)).toMatchObject({ decision: 'PLACED', quantity: 1 });
    const order = ((await simState(stack)).orders as unknown as { orderRef: string; lastTradeDateOrContractMonth?: string; secType: string }[]).find((o) => o.orderRef.length > 0 && o.secType === 'FUT');
    expect(order?.lastTradeDateOrContractMonth).toBe('202912');
    const redis = reader();
    try {
      const rec = (await entries(redis, `${stack.config.redis.prefix}:audit`)).find((e) => e.fields.type === 'future.month');
      expect(JSON.parse(rec?.fields.data ?? '{}')).toMatchObject({ ok: true, audit: { rule: 'front month', chosen: '202912', considered: ['202912', '203003'] } });
    } finally {
      redis.disconnect();
    }
  });
});
