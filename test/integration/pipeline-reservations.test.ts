/**
 * End to end: two signals never spend the same cash or sell the same shares. Signals for one account are
 * handled one after another, and what this daemon's working orders (and fresh fills) already committed is
 * taken into account by the next decision — the daemon's own checks answer DENIED before the broker's
 * second line (error 201) would have to reject anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { DEFAULT_FIXTURE, type Fixture } from '../../src/sim/index.js';
import { IRA, PERSONAL, REDIS, codes, quoteOf, resultFor, run, sig, simState } from './pipeline-helpers.js';

describe('pipeline: reservations across signals', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('IRA: a burst of market BUYs spends settled cash exactly once — the ones that no longer fit are DENIED IRA_MARGIN, none REJECTED by the broker', async () => {
    stack = await startStack({ redisUrl: REDIS });
    const s = stack;
    const { ask } = await quoteOf(s, 'AAPL');
    const settled = (await simState(s)).accounts.find((a) => a.id === IRA)?.settledCash.USD ?? 0;
    const qty = 100;
    const fit = Math.floor(settled / (qty * ask));
    expect(fit).toBe(2);
    const jobs = await Promise.all([1, 2, 3, 4, 5].map((i) => s.send(sig(`burst-${i}`, { accounts: [IRA], size: { quantity: qty } }))));
    const results = await Promise.all(jobs.map(async (j) => resultFor(await s.outcome(j), IRA)));
    // in arrival order: the first two fit (each fill is reserved until a snapshot shows it), the rest do not
    expect(results.map((r) => r.decision)).toEqual(['PLACED', 'PLACED', 'DENIED', 'DENIED', 'DENIED']);
    for (const r of results.slice(fit)) expect(codes(r)).toEqual(['IRA_MARGIN']);
    const placed = results.filter((r) => r.decision === 'PLACED');
    const orders = (await simState(s)).orders.filter((o) => o.account === IRA);
    expect(orders).toHaveLength(placed.length);
    expect(orders.every((o) => o.status === 'Filled')).toBe(true);
    const after = (await simState(s)).accounts.find((a) => a.id === IRA)?.settledCash.USD ?? -1;
    expect(after).toBeGreaterThanOrEqual(0);
  });

  it('IRA: resting LMT BUYs reserve cash, so a later BUY beyond what is left is DENIED IRA_MARGIN', async () => {
    stack = await startStack({ redisUrl: REDIS });
    const first = resultFor(await run(stack, sig('rest-buy-1', { accounts: [IRA], size: { quantity: 200 }, order: { type: 'LMT', limitPrice: 185 } })), IRA);
    expect(first.decision).toBe('PLACED');
    expect((await simState(stack)).orders.find((o) => o.orderRef === first.orderRef)?.status).toMatch(/Submitted/);
    // 50,000 − 200 × 185 = 13,000 left: 100 × 185 = 18,500 does not fit
    const second = resultFor(await run(stack, sig('rest-buy-2', { accounts: [IRA], size: { quantity: 100 }, order: { type: 'LMT', limitPrice: 185 } })), IRA);
    expect(second.decision).toBe('DENIED');
    expect(codes(second)).toEqual(['IRA_MARGIN']);
    const third = resultFor(await run(stack, sig('rest-buy-3', { accounts: [IRA], size: { quantity: 70 }, order: { type: 'LMT', limitPrice: 185 } })), IRA);
    expect(third).toMatchObject({ decision: 'PLACED', quantity: 70 });
    expect((await simState(stack)).orders.filter((o) => o.account === IRA)).toHaveLength(2);
  });

  it('IRA: resting SELLs count against the long position, so a second SELL beyond it is DENIED IRA_SHORT_SALE', async () => {
    stack = await startStack({ redisUrl: REDIS });
    const sellAt = { type: 'LMT', limitPrice: 195 };
    const first = resultFor(await run(stack, sig('rest-sell-1', { side: 'SELL', accounts: [IRA], size: { quantity: 60 }, order: sellAt })), IRA);
    expect(first.decision).toBe('PLACED');
    const second = resultFor(await run(stack, sig('rest-sell-2', { side: 'SELL', accounts: [IRA, PERSONAL], size: { quantity: 60 }, order: sellAt })), IRA);
    expect(second.decision).toBe('DENIED');
    expect(codes(second)).toEqual(['IRA_SHORT_SALE']);
    expect(second.reasons[0]?.message).toMatch(/60 already being sold/);
    // positionPercent is clipped to what is not already being sold
    const rest = resultFor(await run(stack, sig('rest-sell-3', { side: 'SELL', accounts: [IRA], size: { positionPercent: 100 }, order: sellAt })), IRA);
    expect(rest).toMatchObject({ decision: 'PLACED', quantity: 40 });
    expect(rest.notes.join('\n')).toMatch(/already being sold/);
  });

  it('IRA: shares bought or sold a moment ago count at once — a SELL of all just bought passes, a SELL of more than is left is IRA_SHORT_SALE', async () => {
    stack = await startStack({ redisUrl: REDIS });
    const s = stack;
    const payloads = [
      sig('seq-buy', { accounts: [IRA], size: { quantity: 50 } }),
      sig('seq-sell-all', { side: 'SELL', accounts: [IRA], size: { quantity: 150 } }),
      sig('seq-sell-more', { side: 'SELL', accounts: [IRA], size: { quantity: 1 } }),
      sig('seq-buy-again', { accounts: [IRA], size: { quantity: 10 } }),
    ];
    const jobs = await Promise.all(payloads.map((p) => s.send(p)));
    const results = await Promise.all(jobs.map(async (j) => resultFor(await s.outcome(j), IRA)));
    expect(results.map((r) => [r.decision, r.quantity, codes(r)])).toEqual([
      ['PLACED', 50, []],
      ['PLACED', 150, []],
      ['DENIED', 0, ['IRA_SHORT_SALE']],
      ['PLACED', 10, []],
    ]);
    const state = await simState(s);
    expect(state.orders.filter((o) => o.account === IRA).map((o) => o.status)).toEqual(['Filled', 'Filled', 'Filled']);
    expect(state.positions.find((p) => p.account === IRA && p.symbol === 'AAPL')?.quantity).toBe(10);
  });

  // KNOWN BUG (src/sizing/exposure.ts, reported): for a base-currency instrument the IRA's cash is the
  // account's total SettledCash, which IB reports converted over EVERY currency, so EUR cash pays for a USD
  // buy; the broker then refuses it (201) — the daemon's own check should have said IRA_MARGIN.
  // Suggested fix: cash = min(settledCash, cashByCurrency[base]). Remove `.fails` once fixed.
  it('IRA: cash held in EUR does not pay for a USD buy (IRA_MARGIN, not a broker rejection)', async () => {
    const fixture: Fixture = { ...DEFAULT_FIXTURE, accounts: (DEFAULT_FIXTURE.accounts ?? []).map((a) => (a.id === IRA ? { ...a, cash: { USD: 10_000, EUR: 50_000 } } : a)) };
    stack = await startStack({ redisUrl: REDIS, fixture });
    const r = resultFor(await run(stack, sig('fx-cash-usd-buy', { accounts: [IRA], size: { quantity: 100 } })), IRA);
    expect(r.decision).toBe('DENIED');
    expect(codes(r)).toEqual(['IRA_MARGIN']);
    expect((await simState(stack)).orders).toHaveLength(0);
  });
});
