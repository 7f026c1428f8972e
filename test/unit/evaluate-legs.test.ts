/**
 * The pure evaluation of every leg and of the account-wide limits: a positionPercent close joining its
 * position's bracket OCA group, the late trading-state re-check (same rules: working orders, conId), a
 * contract the broker cannot define, gates that keep the shell from asking for margins, a target that
 * matches nothing, and the caps computed sizes are clipped to (futures margin held, day and position).
 */
import { describe, expect, it } from 'vitest';
import { evaluateSignalForAccount, lateStateReasons, noTargetResult, passesGates, type AccountDecision } from '../../src/execution/evaluate.js';
import { aContract, anEvalContext, anIraAccount, aPersonalAccount, aPosition, aQuote, aSignal, aWorkingOrder, d, IRA_ID, PERSONAL_ID, someLimits } from './builders.js';

const codes = (dec: AccountDecision) => (dec.kind === 'DENIED' ? dec.reasons.map((r) => r.code) : []);
const approved = (dec: AccountDecision) => {
  if (dec.kind !== 'APPROVED') throw new Error(`expected APPROVED, got ${JSON.stringify(dec)}`);
  return dec;
};
const child = (leg: 'takeProfit' | 'stopLoss', remaining: number) =>
  aWorkingOrder({ orderRef: `ix1-DU1000001-${leg}`, side: 'SELL', remaining, reservedCash: d(0), leg, ocaGroup: 'oca-1' });

describe('positionPercent close with the position\'s bracket children working', () => {
  it('sells the whole position and joins the children\'s OCA group (they are not "already being sold")', () => {
    const dec = approved(evaluateSignalForAccount(aSignal({ side: 'SELL', size: { kind: 'positionPercent', percent: d(100) } }), anEvalContext({ working: [child('takeProfit', 100), child('stopLoss', 100)] })));
    expect(dec.quantity).toBe(100);
    expect(dec.legs[0]).toMatchObject({ side: 'SELL', quantity: 100, ocaGroup: 'oca-1' });
    expect(dec.notes.join('\n')).toMatch(/joins OCA group oca-1/);
  });

  it('other working sells still count (only the joined group is replaced)', () => {
    const other = aWorkingOrder({ orderRef: 'ix1-other', side: 'SELL', remaining: 30, reservedCash: d(0) });
    const dec = approved(evaluateSignalForAccount(aSignal({ side: 'SELL', size: { kind: 'positionPercent', percent: d(100) } }), anEvalContext({ working: [child('takeProfit', 70), child('stopLoss', 70), other] })));
    expect(dec.quantity).toBe(70);
  });

  it('children of an entry still working are not joined (closing must not cancel the protection of a position to come)', () => {
    const entry = aWorkingOrder({ orderRef: 'ix1-DU1000001-entry', side: 'BUY', remaining: 100, reservedCash: d(19_000) });
    const kids = [child('takeProfit', 100), child('stopLoss', 100)].map((c) => ({ ...c, parentRef: entry.orderRef }));
    const dec = evaluateSignalForAccount(aSignal({ side: 'SELL', size: { kind: 'positionPercent', percent: d(100) } }), anEvalContext({ working: [entry, ...kids] }));
    expect(codes(dec)).toEqual(['ZERO_QUANTITY']);
  });

  it('an explicit SELL quantity does not join: the children still count', () => {
    const dec = evaluateSignalForAccount(aSignal({ side: 'SELL', size: { kind: 'quantity', quantity: 100 } }), anEvalContext({ working: [child('takeProfit', 100), child('stopLoss', 100)] }));
    expect(codes(dec)).toEqual(['IRA_SHORT_SALE']);
  });
});

describe('late trading-state re-check (same rules as the evaluation)', () => {
  const sell = aSignal({ side: 'SELL', size: { kind: 'quantity', quantity: 50 } });
  const legsOf = (ctx = anEvalContext()) => approved(evaluateSignalForAccount(sell, ctx)).legs;

  it('REDUCE_ONLY: counts working sells of other signals, not the decision\'s own intents', () => {
    const legs = legsOf();
    const own = aWorkingOrder({ orderRef: legs[0]!.orderRef, side: 'SELL', remaining: 50, reservedCash: d(0) });
    expect(lateStateReasons(sell, legs, d(190), anEvalContext({ tradingState: 'REDUCE_ONLY', working: [own] }))).toEqual([]);
    const other = aWorkingOrder({ orderRef: 'ix1-other', side: 'SELL', remaining: 60, reservedCash: d(0) });
    const late = lateStateReasons(sell, legs, d(190), anEvalContext({ tradingState: 'REDUCE_ONLY', working: [own, other] }));
    expect(late.map((r) => r.code)).toEqual(['REDUCE_ONLY']);
  });

  it('REDUCE_ONLY: the position is matched by conId, not by symbol alone', () => {
    const legs = legsOf();
    const elsewhere = anIraAccount({ positions: [aPosition(IRA_ID, 'AAPL', 100, { conId: 999 })] });
    expect(lateStateReasons(sell, legs, d(190), anEvalContext({ tradingState: 'REDUCE_ONLY', account: elsewhere })).map((r) => r.code)).toEqual(['REDUCE_ONLY']);
    const same = anIraAccount({ positions: [aPosition(IRA_ID, 'AAPL', 100, { conId: 265598 })] });
    expect(lateStateReasons(sell, legs, d(190), anEvalContext({ tradingState: 'REDUCE_ONLY', account: same }))).toEqual([]);
  });

  it('REDUCE_ONLY: a bracket\'s children are re-checked too; HALTED denies every leg', () => {
    const bracket = aSignal({ side: 'SELL', size: { kind: 'quantity', quantity: 50 }, bracket: { takeProfit: d(180), stopLoss: d(199) } });
    const legs = approved(evaluateSignalForAccount(bracket, anEvalContext())).legs;
    expect(lateStateReasons(bracket, legs, d(190), anEvalContext({ tradingState: 'REDUCE_ONLY' })).map((r) => r.code)).toEqual(['REDUCE_ONLY', 'REDUCE_ONLY']);
    expect(lateStateReasons(bracket, legs, d(190), anEvalContext({ tradingState: 'HALTED' })).map((r) => r.code)).toEqual(['HALTED']);
  });
});

describe('causes, not consequences', () => {
  it('a contract the broker cannot define is its 200 reason alone (not NO_PRICE)', () => {
    const contractError = { code: 'BROKER_REJECTED' as const, brokerCode: 200, message: 'the broker has no security definition for NOSUCH' };
    const dec = evaluateSignalForAccount(aSignal({ instrument: { symbol: 'NOSUCH', secType: 'STK', exchange: 'SMART', currency: 'USD' } }), anEvalContext({ ...{ contract: undefined, quote: undefined }, contractError, account: aPersonalAccount(), accountId: PERSONAL_ID, declaredType: 'PERSONAL' }));
    expect(dec.kind === 'DENIED' && dec.reasons).toEqual([contractError]);
  });

  it('HALTED: the shell asks nothing more (passesGates is false) and the missing margin is not reported', () => {
    const es = aSignal({ instrument: { symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD' }, size: { kind: 'quantity', quantity: 1 } });
    const ctx = anEvalContext({ tradingState: 'HALTED', contract: aContract({ symbol: 'ES', secType: 'FUT', multiplier: d(50) }), quote: aQuote({ bid: d(5999), ask: d(6001) }) });
    expect(passesGates(es, ctx)).toBe(false);
    expect(passesGates(es, anEvalContext({ readOnly: true }))).toBe(false);
    expect(passesGates(es, anEvalContext())).toBe(true);
    expect(codes(evaluateSignalForAccount(es, { ...ctx, brokerAsked: false }))).toEqual(['HALTED', 'MAX_NOTIONAL']);
  });

  it('a {types} target matching no declared account: one DENIED UNKNOWN_ACCOUNT row', () => {
    const r = noTargetResult({ accounts: { kind: 'types', types: ['TRADITIONAL_IRA'] } }, [{ id: 'DU1', type: 'ROTH_IRA' }], []);
    expect(r).toMatchObject({ account: 'types:TRADITIONAL_IRA', decision: 'DENIED', reasons: [{ code: 'UNKNOWN_ACCOUNT' }] });
    expect(r!.reasons[0]!.message).toBe('accounts {"types": [TRADITIONAL_IRA]} matches no account declared in the config (declared: DU1 ROTH_IRA); nothing was sent');
    expect(noTargetResult({ accounts: { kind: 'all' } }, [], [])).toBeUndefined();
  });
});

describe('caps on computed sizes beyond one order', () => {
  const es = { symbol: 'ES', secType: 'FUT' as const, exchange: 'CME', currency: 'USD' };
  const esCtx = {
    contract: aContract({ conId: 42, symbol: 'ES', secType: 'FUT', multiplier: d(50), stockType: undefined }),
    quote: aQuote({ bid: d(5999), ask: d(6001), last: d(6000) }),
    limits: someLimits({ maxOrderNotional: d(10_000_000) }),
    futuresInitialMargin: d(10_000),
  };

  it('IRA futures: cash less the margin the held futures need, ÷ (margin × multiplier)', () => {
    const held = anIraAccount({ settledCash: d(100_000), cashByCurrency: { USD: d(100_000) }, netLiquidation: d(100_000), positions: [aPosition(IRA_ID, 'ES', 2, { secType: 'FUT', conId: 42 })] });
    const risk = aSignal({ instrument: es, size: { kind: 'riskPercent', percent: d(100) }, bracket: { takeProfit: d(6100), stopLoss: d(5990) } });
    const dec = approved(evaluateSignalForAccount(risk, anEvalContext({ ...esCtx, account: held })));
    // 100,000 − 2 × 20,000 held = 60,000 → 3 contracts of 20,000
    expect(dec.quantity).toBe(3);
    expect(dec.notes.join('\n')).toMatch(/40,000.00 of it backs the futures held or working/);
  });

  it('IRA: a computed SELL with a bracket is clipped so its BUY children fit in settled cash', () => {
    const ira = anIraAccount({ settledCash: d(10_000), cashByCurrency: { USD: d(10_000) } });
    const dec = approved(evaluateSignalForAccount(aSignal({ side: 'SELL', size: { kind: 'positionPercent', percent: d(100) }, bracket: { takeProfit: d(185), stopLoss: d(199) } }), anEvalContext({ account: ira })));
    expect(dec.quantity).toBe(50); // floor(10,000 / 199)
    expect(dec.notes.join('\n')).toMatch(/the bracket's BUY children pay up to 199 per unit/);
    expect(dec.legs.map((l) => [l.leg, l.side, l.quantity])).toEqual([['entry', 'SELL', 50], ['takeProfit', 'BUY', 50], ['stopLoss', 'BUY', 50]]);
  });

  it('maxDailyNotional: clipped to what is left of the day', () => {
    const dec = approved(evaluateSignalForAccount(aSignal({ size: { kind: 'notional', notional: d(50_000) } }), anEvalContext({ account: aPersonalAccount(), accountId: PERSONAL_ID, declaredType: 'PERSONAL', limits: someLimits({ maxDailyNotional: d(20_000) }), placedToday: d(15_000) })));
    expect(dec.quantity).toBe(Math.floor(5000 / 190.1));
    expect(dec.notes.join('\n')).toMatch(/limits.maxDailyNotional/);
  });

  it('maxPositionNotional: clipped so the position stays within it', () => {
    const dec = approved(evaluateSignalForAccount(aSignal({ size: { kind: 'notional', notional: d(50_000) } }), anEvalContext({ account: aPersonalAccount({ positions: [aPosition(PERSONAL_ID, 'AAPL', 20)] }), accountId: PERSONAL_ID, declaredType: 'PERSONAL', limits: someLimits({ maxPositionNotional: d(10_000) }) })));
    expect(dec.quantity).toBe(Math.floor(10_000 / 190.1) - 20);
  });

  it('the approved decision carries the contract multiplier (reservations use it) and the base notional', () => {
    const dec = approved(evaluateSignalForAccount(aSignal({ instrument: es, size: { kind: 'quantity', quantity: 1 } }), anEvalContext({ ...esCtx, account: aPersonalAccount(), accountId: PERSONAL_ID, declaredType: 'PERSONAL' })));
    expect(dec.multiplier.toNumber()).toBe(50);
    expect(dec.notional.toNumber()).toBe(6001 * 50);
  });
});
