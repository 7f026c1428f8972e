/**
 * IRA option rules (issue 12), through the pure evaluation: covered calls against free shares only,
 * cash-secured puts against available settled cash (and that cash reserved for what follows), naked
 * options denied with IRA_UNCOVERED_OPTION naming the contract, shares under a short call not for sale,
 * closing a long option allowed, long options paid from settled cash (premium × multiplier).
 */
import { describe, expect, it } from 'vitest';
import type { Instrument, Signal } from '../../src/domain/types.js';
import { evaluateSignalForAccount, type AccountDecision, type EvaluationContext } from '../../src/execution/evaluate.js';
import { cashSecuringPuts, contractName, sharesCoveringCalls } from '../../src/validation/option-rules.js';
import { aContract, anEvalContext, anIraAccount, aPersonalAccount, aPosition, aQuote, aSignal, aWorkingOrder, d, IRA_ID, PERSONAL_ID } from './builders.js';

const opt = (strike: number, right: 'C' | 'P', conId: number): Instrument => ({
  symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', conId, lastTradeDateOrContractMonth: '20261218', strike: d(strike), right, multiplier: '100',
});
const C200 = opt(200, 'C', 9001);
const P180 = opt(180, 'P', 9002);
const P250 = opt(250, 'P', 9003);
const optQuote = aQuote({ bid: d('4.9'), ask: d('5.1'), last: d(5) });
const optContract = (i: Instrument) => aContract({ conId: i.conId!, secType: 'OPT', multiplier: d(100), stockType: undefined });
const shortCall = (qty: number) => aPosition(IRA_ID, 'AAPL', -qty, { secType: 'OPT', conId: 9001, strike: d(200), right: 'C', multiplier: '100', lastTradeDateOrContractMonth: '20261218' });
const shortPut = (qty: number) => aPosition(IRA_ID, 'AAPL', -qty, { secType: 'OPT', conId: 9002, strike: d(180), right: 'P', multiplier: '100', lastTradeDateOrContractMonth: '20261218' });

function decide(instrument: Instrument, side: 'BUY' | 'SELL', quantity: number, ctx: Partial<EvaluationContext> = {}, signal: Partial<Signal> = {}): AccountDecision {
  const isOpt = instrument.secType === 'OPT';
  return evaluateSignalForAccount(
    aSignal({ instrument, side, size: { kind: 'quantity', quantity }, ...signal }),
    anEvalContext({ ...(isOpt ? { quote: optQuote, contract: optContract(instrument) } : {}), ...ctx }),
  );
}
const reasons = (x: AccountDecision) => (x.kind === 'DENIED' ? x.reasons.map((r) => `${r.code}: ${r.message}`) : []);

describe('covered calls', () => {
  it('one call against the 100 shares held is approved; two are not', () => {
    expect(decide(C200, 'SELL', 1).kind).toBe('APPROVED');
    expect(reasons(decide(C200, 'SELL', 2))).toEqual([
      'IRA_UNCOVERED_OPTION: SELL 2 AAPL 20261218 200 C to open is an uncovered call in an IRA: it needs 200 AAPL shares not already covering calls, the account has 100 = 100 (buy 100 more shares to cover it)',
    ]);
  });

  it('a second covered call against the same 100 shares is denied (held or working short call)', () => {
    const held = anIraAccount({ positions: [aPosition(IRA_ID, 'AAPL', 100), shortCall(1)] });
    expect(reasons(decide(opt(210, 'C', 9004), 'SELL', 1, { account: held }))[0]).toMatch(/less 100 covering short calls = 0/);
    const working = [aWorkingOrder({ secType: 'OPT', side: 'SELL', remaining: 1, reservedCash: d(0), right: 'C', strike: d(200), multiplier: 100 })];
    expect(reasons(decide(opt(210, 'C', 9004), 'SELL', 1, { working }))[0]).toMatch(/IRA_UNCOVERED_OPTION: .*less 100 covering short calls/);
  });

  it('a working option sell of unknown right covers shares too (fail closed)', () => {
    const working = [aWorkingOrder({ secType: 'OPT', side: 'SELL', remaining: 1, reservedCash: d(0) })];
    expect(decide(C200, 'SELL', 1, { working }).kind).toBe('DENIED');
  });

  it('shares under a short call cannot be sold; the rest can', () => {
    const held = anIraAccount({ positions: [aPosition(IRA_ID, 'AAPL', 150), shortCall(1)] });
    expect(decide({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' }, 'SELL', 50, { account: held }).kind).toBe('APPROVED');
    expect(reasons(decide({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' }, 'SELL', 51, { account: held }))).toEqual([
      'IRA_UNCOVERED_OPTION: SELL 51 AAPL would leave short calls uncovered in an IRA: 100 of the 150 shares cover 1 × AAPL 20261218 200 C (buy the calls back first, or sell at most 50)',
    ]);
  });

  it('closing a long call is a plain sale', () => {
    const held = anIraAccount({ positions: [aPosition(IRA_ID, 'AAPL', 2, { secType: 'OPT', conId: 9001, strike: d(200), right: 'C', multiplier: '100' })] });
    expect(decide(C200, 'SELL', 2, { account: held }).kind).toBe('APPROVED');
    // selling 3 when 2 are held opens one: covered by the 0 shares held → denied
    expect(reasons(decide(C200, 'SELL', 3, { account: anIraAccount({ positions: held.positions }) }))[0]).toMatch(/SELL 1 AAPL 20261218 200 C to open/);
  });
});

describe('cash-secured puts', () => {
  it('approved while settled cash covers strike × 100 × contracts; a naked put is denied', () => {
    expect(decide(P180, 'SELL', 2).kind).toBe('APPROVED'); // 36,000 of 50,000
    expect(decide(P250, 'SELL', 2).kind).toBe('APPROVED'); // exactly 50,000
    expect(reasons(decide(P250, 'SELL', 3))).toEqual([
      'IRA_UNCOVERED_OPTION: SELL 3 AAPL 20261218 250 P to open is not a cash-secured put in an IRA: it needs 75,000.00 USD of settled cash (strike × 100 × 3) but 50,000.00 is available after working buys, the buffer and 0.00 securing other puts',
    ]);
  });

  it('held short puts keep their cash: the next put and a stock buy see only the rest', () => {
    const held = anIraAccount({ positions: [aPosition(IRA_ID, 'AAPL', 100), shortPut(2)] }); // 36,000 secured
    expect(reasons(decide(P250, 'SELL', 1, { account: held }))[0]).toMatch(/needs 25,000.00 USD .* but 14,000.00 is available .* 36,000.00 securing other puts/);
    // a notional buy is clipped to the 14,000 left
    const buy = decide({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' }, 'BUY', 0, { account: held }, { size: { kind: 'notional', notional: d(40_000) } });
    expect(buy.kind).toBe('APPROVED');
    expect(buy.quantity).toBe(Math.floor(14_000 / 190.1));
    // an explicit buy beyond it is IRA_MARGIN
    expect(reasons(decide({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' }, 'BUY', 100, { account: held })).join()).toMatch(/IRA_MARGIN/);
  });

  it('working put sells reserve their cash; one of unknown strike makes a put unconfirmable', () => {
    const known = [aWorkingOrder({ secType: 'OPT', side: 'SELL', remaining: 2, reservedCash: d(0), right: 'P', strike: d(200), multiplier: 100 })];
    expect(reasons(decide(P180, 'SELL', 1, { working: known }))[0]).toMatch(/10,000.00 is available .* 40,000.00 securing other puts/);
    const unknown = [aWorkingOrder({ secType: 'OPT', side: 'SELL', remaining: 1, reservedCash: d(0) })];
    expect(reasons(decide(P180, 'SELL', 1, { working: unknown }))[0]).toMatch(/working option sell of unknown contract/);
  });
});

describe('long options and other accounts', () => {
  it('an IRA buys a call from settled cash: premium × 100 × contracts', () => {
    expect(decide(C200, 'BUY', 90).kind).toBe('APPROVED'); // 90 × 5.1 × 100 = 45,900
    expect(reasons(decide(C200, 'BUY', 99)).join()).toMatch(/IRA_MARGIN: BUY 99 AAPL 20261218 200 C costs 50,490.00 USD/);
  });

  it('a margin account may sell a naked option (no IRA rule)', () => {
    const x = decide(P250, 'SELL', 1, { account: aPersonalAccount(), accountId: PERSONAL_ID, declaredType: 'PERSONAL' });
    expect(reasons(x).filter((r) => r.startsWith('IRA_'))).toEqual([]);
  });
});

describe('helpers', () => {
  it('name the contract and count coverage', () => {
    expect(contractName(C200)).toBe('AAPL 20261218 200 C');
    expect(contractName({ symbol: 'AAPL', secType: 'STK' })).toBe('AAPL');
    expect(sharesCoveringCalls([shortCall(2), shortPut(1)], [], IRA_ID, 'AAPL')).toBe(200);
    expect(cashSecuringPuts(anIraAccount({ positions: [shortPut(3)] }), [], 'USD')?.toNumber()).toBe(54_000);
  });
});
