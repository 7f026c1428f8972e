import { describe, expect, it } from 'vitest';
import type { AccountConfig } from '../../src/domain/types.js';
import { ocaGroupFor, orderRefFor } from '../../src/domain/order-ref.js';
import { childTif, evaluateSignalForAccount, stricterTradingState, targetAccounts, type AccountDecision } from '../../src/execution/evaluate.js';
import { aBusinessAccount, aContract, anEvalContext, anIraAccount, aQuote, aSignal, BUSINESS_ID, d, IRA_ID, PERSONAL_ID } from './builders.js';

const approved = (dec: AccountDecision) => {
  if (dec.kind !== 'APPROVED') throw new Error(`denied: ${JSON.stringify(dec.reasons)}`);
  return dec;
};

describe('evaluateSignalForAccount: legs', () => {
  it('approves a single entry leg that mirrors the signal', () => {
    const dec = approved(evaluateSignalForAccount(aSignal({ instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' } }), anEvalContext()));
    expect(dec.quantity).toBe(10);
    expect(dec.referencePrice.toString()).toBe('190.1');
    expect(dec.legs).toEqual([
      {
        leg: 'entry',
        orderRef: orderRefFor('sig-20261125-0001', IRA_ID, 'entry'),
        signalId: 'sig-20261125-0001',
        account: IRA_ID,
        instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD', conId: 265598 },
        side: 'BUY',
        quantity: 10,
        type: 'MKT',
        tif: 'DAY',
        outsideRth: false,
      },
    ]);
  });

  it('adds takeProfit LMT and stopLoss STP children with parentRef and one OCA group', () => {
    const signal = aSignal({
      order: { type: 'LMT', limitPrice: d('190.25'), tif: 'GTC', outsideRth: true },
      bracket: { takeProfit: d(210), stopLoss: d(180) },
    });
    const dec = approved(evaluateSignalForAccount(signal, anEvalContext()));
    const [entry, tp, sl] = dec.legs;
    expect(dec.legs.map((l) => [l.leg, l.side, l.type, l.quantity])).toEqual([
      ['entry', 'BUY', 'LMT', 10],
      ['takeProfit', 'SELL', 'LMT', 10],
      ['stopLoss', 'SELL', 'STP', 10],
    ]);
    expect(entry?.limitPrice?.toString()).toBe('190.25');
    expect(entry?.parentRef).toBeUndefined();
    expect(tp?.limitPrice?.toString()).toBe('210');
    expect(sl?.stopPrice?.toString()).toBe('180');
    for (const child of [tp, sl]) {
      expect(child?.parentRef).toBe(entry?.orderRef);
      expect(child?.ocaGroup).toBe(ocaGroupFor(signal.id, IRA_ID));
      expect(child?.tif).toBe('GTC');
      expect(child?.outsideRth).toBe(true);
    }
    expect(new Set(dec.legs.map((l) => l.orderRef)).size).toBe(3);
  });

  it('maps the same (signal, account) to the same orderRefs every time', () => {
    const a = approved(evaluateSignalForAccount(aSignal(), anEvalContext()));
    const b = approved(evaluateSignalForAccount(aSignal(), anEvalContext({ quote: aQuote({ ask: d(191) }) })));
    expect(a.legs[0]?.orderRef).toBe(b.legs[0]?.orderRef);
  });

  it.each([
    ['DAY', 'DAY'],
    ['GTC', 'GTC'],
    ['IOC', 'GTC'],
    ['OPG', 'GTC'],
  ] as const)('gives bracket children of a %s entry tif %s', (entry, child) => {
    expect(childTif(entry)).toBe(child);
  });

  it('carries algo, trailing percent and stop price on the entry only', () => {
    const dec = approved(
      evaluateSignalForAccount(
        aSignal({ order: { type: 'TRAIL', trailingPercent: d(2), tif: 'DAY', outsideRth: false, algo: { strategy: 'Adaptive', params: { adaptivePriority: 'Normal' } } } }),
        anEvalContext(),
      ),
    );
    expect(dec.legs[0]?.trailingPercent?.toString()).toBe('2');
    expect(dec.legs[0]?.algo).toEqual({ strategy: 'Adaptive', params: { adaptivePriority: 'Normal' } });
  });
});

describe('evaluateSignalForAccount: decisions, notes and inputs', () => {
  it('approves a computed size with its clip notes', () => {
    const dec = approved(evaluateSignalForAccount(aSignal({ size: { kind: 'equityPercent', percent: d(100) } }), anEvalContext()));
    expect(dec.quantity).toBe(263); // 50,000 / 190.1
    expect(dec.notes).toEqual([expect.stringMatching(/^BUY AAPL sized 362 clipped to 263: IRA available cash is 50,000.00 USD/)]);
  });

  it('denies with quantity 0 and keeps the notes', () => {
    const dec = evaluateSignalForAccount(aSignal({ size: { kind: 'notional', notional: d(10) } }), anEvalContext({ quote: aQuote({ stale: true }) }));
    expect(dec).toMatchObject({ kind: 'DENIED', quantity: 0, account: IRA_ID, accountType: 'ROTH_IRA' });
    expect(dec.notes).toContain('the quote is stale: no tick arrived within the freshness window');
  });

  it('denies a foreign-currency order without an FX rate (NO_FX_RATE, never 1:1) and notes a missing broker AccountType', () => {
    const sap = aSignal({ instrument: { symbol: 'SAP', secType: 'STK', exchange: 'SMART', currency: 'EUR' } });
    const dec = evaluateSignalForAccount(sap, anEvalContext({ accountId: BUSINESS_ID, declaredType: 'BUSINESS', account: aBusinessAccount({ brokerAccountType: undefined }), contract: aContract({ symbol: 'SAP', currency: 'EUR' }) }));
    expect(dec.kind === 'DENIED' && dec.reasons.map((r) => r.code)).toEqual(['NO_FX_RATE']);
    expect(dec.notes).toEqual(['IB reported no AccountType, so the declared type could not be confirmed']);
  });

  it('records every number it used in JSON-safe inputs', () => {
    const dec = evaluateSignalForAccount(aSignal({ size: { kind: 'equityPercent', percent: d(10) } }), anEvalContext());
    expect(JSON.parse(JSON.stringify(dec.inputs))).toEqual(dec.inputs);
    expect(dec.inputs).toMatchObject({
      now: anEvalContext().now,
      netLiquidation: '69000',
      settledCash: '50000',
      ask: '190.1',
      position: 100,
      availableCash: '50000',
      referencePrice: '190.1',
      priceSource: 'ask',
      sizeKind: 'equityPercent',
      equityPercent: '10',
      rawQuantity: 36,
      quantity: 36,
    });
  });

  it('names the account type UNKNOWN for an undeclared account', () => {
    const dec = evaluateSignalForAccount(aSignal(), anEvalContext({ accountId: 'DU9', declaredType: undefined, account: anIraAccount({ id: 'DU9', declaredType: undefined }) }));
    expect(dec).toMatchObject({ kind: 'DENIED', accountType: 'UNKNOWN' });
  });
});

describe('stricterTradingState', () => {
  it.each([
    ['ACTIVE', undefined, 'ACTIVE'],
    ['ACTIVE', 'REDUCE_ONLY', 'REDUCE_ONLY'],
    ['REDUCE_ONLY', 'ACTIVE', 'REDUCE_ONLY'],
    ['REDUCE_ONLY', 'HALTED', 'HALTED'],
    ['HALTED', 'ACTIVE', 'HALTED'],
  ] as const)('global %s + account %s → %s', (g, a, expected) => {
    expect(stricterTradingState(g, a)).toBe(expected);
  });
});

describe('targetAccounts', () => {
  const declared: AccountConfig[] = [
    { id: IRA_ID, type: 'ROTH_IRA' },
    { id: PERSONAL_ID, type: 'PERSONAL' },
    { id: BUSINESS_ID, type: 'BUSINESS' },
  ];
  const linked = [IRA_ID, PERSONAL_ID, 'DU7777777'];

  it('ALL targets every declared account (unlinked ones flagged), never an undeclared one', () => {
    expect(targetAccounts(aSignal(), declared, linked)).toEqual([
      { account: IRA_ID, declaredType: 'ROTH_IRA', linked: true },
      { account: PERSONAL_ID, declaredType: 'PERSONAL', linked: true },
      { account: BUSINESS_ID, declaredType: 'BUSINESS', linked: false },
    ]);
  });

  it('an id list targets each id once, declared or not', () => {
    expect(targetAccounts(aSignal({ accounts: { kind: 'ids', ids: ['DU7777777', IRA_ID, 'DU7777777', 'U404'] } }), declared, linked)).toEqual([
      { account: 'DU7777777', linked: true },
      { account: IRA_ID, declaredType: 'ROTH_IRA', linked: true },
      { account: 'U404', linked: false },
    ]);
  });

  it('types target the declared accounts of those types', () => {
    const t = targetAccounts(aSignal({ accounts: { kind: 'types', types: ['ROTH_IRA', 'TRADITIONAL_IRA', 'BUSINESS'] } }), declared, linked);
    expect(t.map((x) => x.account)).toEqual([IRA_ID, BUSINESS_ID]);
  });
});
