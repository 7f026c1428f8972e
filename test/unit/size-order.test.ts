import { describe, expect, it } from 'vitest';
import type { AccountSnapshot, Signal, SizeSpec, WorkingOrder } from '../../src/domain/types.js';
import { computeExposure } from '../../src/sizing/exposure.js';
import { costPrice, marketPrice, referencePrice } from '../../src/sizing/reference-price.js';
import { sizeOrder, type SizingResult, type SizingContext } from '../../src/sizing/size-order.js';
import { isIraType } from '../../src/domain/types.js';
import {
  aBusinessAccount,
  aContract,
  anIraAccount,
  anIraPolicy,
  aPersonalAccount,
  aPosition,
  aQuote,
  aSignal,
  aWorkingOrder,
  d,
  IRA_ID,
  PERSONAL_ID,
  BUSINESS_ID,
  someLimits,
} from './builders.js';

interface Setup {
  readonly account: AccountSnapshot;
  readonly working?: readonly WorkingOrder[];
  readonly ctx?: Partial<SizingContext>;
  readonly fxToBase?: ReturnType<typeof d>;
}

function size(signal: Signal, s: Setup): SizingResult {
  const ira = s.ctx?.ira ?? anIraPolicy();
  const exposure = computeExposure({
    account: s.account,
    instrument: signal.instrument,
    contract: aContract({ symbol: signal.instrument.symbol, secType: signal.instrument.secType }),
    working: s.working ?? [],
    ira,
    ...(s.fxToBase && { fxToBase: s.fxToBase }),
  });
  return sizeOrder(signal, {
    account: s.account,
    isIra: s.account.declaredType !== undefined && isIraType(s.account.declaredType),
    quote: aQuote(),
    exposure,
    limits: someLimits(),
    ira,
    ...s.ctx,
  });
}

const qty = (r: SizingResult): number => {
  if (!r.ok) throw new Error(`sizing failed: ${r.reason.message}`);
  return r.quantity;
};

/** BUY (or SELL for positionPercent) AAPL LMT 200 with a 220 / 190 bracket. */
function lmt200(sz: SizeSpec): Signal {
  const sell = sz.kind === 'positionPercent';
  return aSignal({
    side: sell ? 'SELL' : 'BUY',
    size: sz,
    order: { type: 'LMT', limitPrice: d(200), tif: 'DAY', outsideRth: false },
    ...(!sell && { bracket: { takeProfit: d(220), stopLoss: d(190) } }),
  });
}

const accounts = {
  ROTH_IRA: () => anIraAccount(),
  TRADITIONAL_IRA: () => anIraAccount({ declaredType: 'TRADITIONAL_IRA' }),
  PERSONAL: () => aPersonalAccount({ positions: [aPosition(PERSONAL_ID, 'AAPL', 75)] }),
  BUSINESS: () => aBusinessAccount(),
};

describe('sizeOrder: every size kind × account type (LMT 200, NetLiq IRA 69k / personal 100k / business 250k)', () => {
  const kinds: [string, SizeSpec, Record<keyof typeof accounts, number>][] = [
    ['quantity 10', { kind: 'quantity', quantity: 10 }, { ROTH_IRA: 10, TRADITIONAL_IRA: 10, PERSONAL: 10, BUSINESS: 10 }],
    ['notional 10,000', { kind: 'notional', notional: d(10_000) }, { ROTH_IRA: 50, TRADITIONAL_IRA: 50, PERSONAL: 50, BUSINESS: 50 }],
    ['notional 10,199.99 rounds down', { kind: 'notional', notional: d('10199.99') }, { ROTH_IRA: 50, TRADITIONAL_IRA: 50, PERSONAL: 50, BUSINESS: 50 }],
    ['equityPercent 10', { kind: 'equityPercent', percent: d(10) }, { ROTH_IRA: 34, TRADITIONAL_IRA: 34, PERSONAL: 50, BUSINESS: 125 }],
    ['riskPercent 1 (10 per unit to the stop)', { kind: 'riskPercent', percent: d(1) }, { ROTH_IRA: 69, TRADITIONAL_IRA: 69, PERSONAL: 100, BUSINESS: 250 }],
    ['positionPercent 50 (SELL)', { kind: 'positionPercent', percent: d(50) }, { ROTH_IRA: 50, TRADITIONAL_IRA: 50, PERSONAL: 37, BUSINESS: 0 }],
  ];
  for (const [name, sz, expected] of kinds) {
    for (const type of Object.keys(accounts) as (keyof typeof accounts)[]) {
      it(`${name} in ${type} → ${expected[type]}`, () => {
        const r = size(lmt200(sz), { account: accounts[type]() });
        expect(qty(r)).toBe(expected[type]);
        expect(r.ok && r.notes).toEqual([]);
      });
    }
  }
});

describe('sizeOrder: clips (computed sizes only), each recorded as a note', () => {
  it('clips to maxOrderQuantity and then maxOrderNotional, one note each', () => {
    const r = size(lmt200({ kind: 'notional', notional: d(300_000) }), { account: aBusinessAccount() });
    // the take-profit child sells at 220: every leg must fit the notional limit
    expect(qty(r)).toBe(454);
    expect(r.notes).toEqual([
      'BUY AAPL sized 1500 clipped to 1000: limits.maxOrderQuantity is 1000',
      'BUY AAPL sized 1000 clipped to 454: limits.maxOrderNotional is 100,000.00 USD at 220 per unit',
    ]);
  });

  it('clips an IRA BUY to settled cash', () => {
    const r = size(lmt200({ kind: 'equityPercent', percent: d(100) }), { account: anIraAccount() });
    expect(qty(r)).toBe(250);
    expect(r.notes).toEqual([
      'BUY AAPL sized 345 clipped to 250: IRA available cash is 50,000.00 USD (cash 50,000.00 − reserved by working buys 0.00 − buffer 0.00) at 200 per unit',
    ]);
  });

  it('does not clip a personal BUY to its cash (INSUFFICIENT_BUYING_POWER decides later)', () => {
    const r = size(lmt200({ kind: 'equityPercent', percent: d(100) }), { account: aPersonalAccount({ settledCash: d(1000) }) });
    expect(qty(r)).toBe(454); // maxOrderNotional at the 220 take-profit, not the cash
  });

  it('subtracts cash reserved by working buys and the buffer from IRA cash', () => {
    const r = size(lmt200({ kind: 'equityPercent', percent: d(100) }), {
      account: anIraAccount(),
      working: [aWorkingOrder({ reservedCash: d(10_000) }), aWorkingOrder({ account: PERSONAL_ID, reservedCash: d(99_999) })],
      ctx: { ira: anIraPolicy({ cashBufferPercent: d(10) }) },
    });
    // 50,000 − 10,000 − 6,900 = 33,100 → 165 at 200
    expect(qty(r)).toBe(165);
    expect(r.notes[0]).toContain('reserved by working buys 10,000.00 − buffer 6,900.00');
  });

  it('clips an IRA futures BUY to cash ÷ (initial margin × futuresMarginMultiplier)', () => {
    const es = aSignal({
      instrument: { symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD', multiplier: '50' },
      size: { kind: 'notional', notional: d(1_000_000) },
      order: { type: 'LMT', limitPrice: d(6000), tif: 'DAY', outsideRth: false },
    });
    const r = size(es, {
      account: anIraAccount(),
      ctx: { limits: someLimits({ maxOrderNotional: d(10_000_000) }), futuresInitialMargin: d(16_000) },
    });
    expect(qty(r)).toBe(1); // raw 3; 50,000 / 32,000 = 1
    expect(r.notes[0]).toMatch(/clipped to 1: .*each contract needs 32,000.00 \(initial margin × 2\)/);
  });

  it('clips positionPercent to the long position not already being sold', () => {
    const r = size(lmt200({ kind: 'positionPercent', percent: d(100) }), {
      account: anIraAccount(),
      working: [aWorkingOrder({ side: 'SELL', remaining: 80, reservedCash: d(0) })],
    });
    expect(qty(r)).toBe(20);
    expect(r.notes).toEqual(['SELL AAPL sized 100 (100% of the long position 100) clipped to 20: 80 already being sold by working orders']);
  });

  it('never changes an explicit quantity, whatever the limits or cash', () => {
    const r = size(lmt200({ kind: 'quantity', quantity: 5000 }), { account: anIraAccount({ settledCash: d(0) }) });
    expect(qty(r)).toBe(5000);
    expect(r.ok && r.explicit).toBe(true);
    expect(r.notes).toEqual([]);
  });

  it('returns 0 (not a failure) when the size rounds down to nothing', () => {
    expect(qty(size(lmt200({ kind: 'notional', notional: d(199) }), { account: aBusinessAccount() }))).toBe(0);
  });
});

describe('sizeOrder: prices and failures', () => {
  it('sizes a MKT BUY at the ask and a MKT SELL at the bid', () => {
    const buy = size(aSignal({ size: { kind: 'notional', notional: d(19_010) } }), { account: aBusinessAccount() });
    expect(buy.ok && [buy.referencePrice.toString(), buy.priceSource, buy.quantity]).toEqual(['190.1', 'ask', 100]);
    const sell = size(aSignal({ side: 'SELL', size: { kind: 'positionPercent', percent: d(100) } }), { account: anIraAccount() });
    expect(sell.ok && [sell.referencePrice.toString(), sell.priceSource]).toEqual(['189.9', 'bid']);
  });

  it('fails with NO_PRICE when there is no limit, no touch and no last', () => {
    const r = size(aSignal({ size: { kind: 'notional', notional: d(1000) } }), {
      account: aBusinessAccount(),
      ctx: { quote: aQuote({ bid: undefined, ask: d(-1), last: undefined }) },
    });
    expect(!r.ok && r.reason).toEqual({ code: 'NO_PRICE', message: 'no reference price for BUY AAPL: no limit price, no ask and no last trade' });
  });

  it('fails with NO_PRICE for a future whose multiplier is unknown', () => {
    const r = size(aSignal({ instrument: { symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD' } }), { account: aBusinessAccount() });
    expect(!r.ok && r.reason.code).toBe('NO_PRICE');
  });

  it('fails with INVALID_SIGNAL when a riskPercent stop is not below a MKT BUY reference price', () => {
    const r = size(aSignal({ size: { kind: 'riskPercent', percent: d(1) }, bracket: { takeProfit: d(220), stopLoss: d(195) } }), { account: aBusinessAccount() });
    expect(!r.ok && r.reason.code).toBe('INVALID_SIGNAL');
    expect(!r.ok && r.reason.message).toBe('bracket stopLoss 195 is not below the reference price 190.1 for a BUY, so the risk per unit is undefined');
  });

  it('converts NetLiquidation to the instrument currency with fxToBase', () => {
    const sap = aSignal({
      instrument: { symbol: 'SAP', secType: 'STK', exchange: 'SMART', currency: 'EUR' },
      size: { kind: 'equityPercent', percent: d(10) },
      order: { type: 'LMT', limitPrice: d(200), tif: 'DAY', outsideRth: false },
    });
    // 10% of 250,000 USD = 25,000 USD = 20,000 EUR at 1.25 → 100 at 200 EUR
    expect(qty(size(sap, { account: aBusinessAccount(), fxToBase: d('1.25') }))).toBe(100);
  });
});

describe('reference-price helpers', () => {
  const mkt = { type: 'MKT', tif: 'DAY', outsideRth: false } as const;
  it.each([
    ['LMT uses the limit', 'BUY', { type: 'LMT', limitPrice: d(150), tif: 'DAY', outsideRth: false }, aQuote(), '150 limit'],
    ['LOC uses the limit', 'SELL', { type: 'LOC', limitPrice: d(151), tif: 'DAY', outsideRth: false }, aQuote(), '151 limit'],
    ['STP LMT uses the limit', 'BUY', { type: 'STP LMT', stopPrice: d(150), limitPrice: d(152), tif: 'DAY', outsideRth: false }, aQuote(), '152 limit'],
    ['STP BUY uses the ask', 'BUY', { type: 'STP', stopPrice: d(200), tif: 'DAY', outsideRth: false }, aQuote(), '190.1 ask'],
    ['MKT SELL uses the bid', 'SELL', mkt, aQuote(), '189.9 bid'],
    ['no ask → last', 'BUY', mkt, aQuote({ ask: undefined }), '190 last'],
    ['zero bid → last', 'SELL', mkt, aQuote({ bid: d(0) }), '190 last'],
  ] as const)('%s', (_n, side, order, quote, expected) => {
    const r = referencePrice(side, order, quote);
    expect(r && `${r.price.toString()} ${r.source}`).toBe(expected);
  });

  it('never uses the close', () => {
    expect(referencePrice('BUY', mkt, aQuote({ bid: undefined, ask: undefined, last: undefined, close: d(180) }))).toBeUndefined();
  });

  it('prices the collar at the mid, else the last', () => {
    expect(marketPrice(aQuote())?.toString()).toBe('190');
    expect(marketPrice(aQuote({ bid: d(191), ask: d(190), last: d(188) }))?.toString()).toBe('188');
    expect(marketPrice(undefined)).toBeUndefined();
  });

  it('costs a BUY STP at the higher of reference and stop', () => {
    expect(costPrice('BUY', { type: 'STP', stopPrice: d(200), tif: 'DAY', outsideRth: false }, d(190)).toString()).toBe('200');
    expect(costPrice('SELL', { type: 'STP', stopPrice: d(180), tif: 'DAY', outsideRth: false }, d(190)).toString()).toBe('190');
  });
});

describe('computeExposure', () => {
  it('counts only this account and instrument, by conId when both sides have one', () => {
    const x = computeExposure({
      account: anIraAccount({ positions: [aPosition(IRA_ID, 'AAPL', 100, { conId: 265598 }), aPosition(IRA_ID, 'AAPL', 7, { conId: 1 })] }),
      instrument: aSignal().instrument,
      contract: aContract(),
      working: [aWorkingOrder({ side: 'SELL', remaining: 30 }), aWorkingOrder({ account: BUSINESS_ID, side: 'SELL', remaining: 99 }), aWorkingOrder({ symbol: 'MSFT', side: 'SELL' })],
      ira: anIraPolicy(),
    });
    expect([x.position, x.workingSells]).toEqual([100, 30]);
  });

  it('never matches an option position without conIds (the symbol is the underlying)', () => {
    const x = computeExposure({
      account: anIraAccount({ positions: [aPosition(IRA_ID, 'AAPL', 5, { secType: 'OPT' })] }),
      instrument: { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD' },
      working: [],
      ira: anIraPolicy(),
    });
    expect([x.position, x.multiplier.toString(), x.multiplierAssumed]).toEqual([0, '100', true]);
  });

  it('uses the foreign currency balance for a foreign instrument and flags a missing rate', () => {
    const x = computeExposure({
      account: anIraAccount({ cashByCurrency: { USD: d(50_000), EUR: d(300) } }),
      instrument: { symbol: 'SAP', secType: 'STK', exchange: 'SMART', currency: 'EUR' },
      working: [],
      ira: anIraPolicy(),
    });
    expect([x.cash.toString(), x.fxAssumed]).toEqual(['300', true]);
  });
});
