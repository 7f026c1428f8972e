import { describe, expect, it } from 'vitest';
import type { ReasonCode, Signal } from '../../src/domain/types.js';
import { evaluateSignalForAccount, type AccountDecision, type EvaluationContext } from '../../src/execution/evaluate.js';
import { checkPreTrade, PRE_TRADE_RULES } from '../../src/validation/check-pre-trade.js';
import { mlpEvidence } from '../../src/validation/ira-rules.js';
import {
  aBusinessAccount,
  aContract,
  anEvalContext,
  anIraAccount,
  anIraPolicy,
  aPersonalAccount,
  aPosition,
  aQuote,
  aSignal,
  aWorkingOrder,
  d,
  IRA_ID,
  NOW,
  PERSONAL_ID,
  someLimits,
} from './builders.js';

interface Case {
  readonly name: string;
  readonly signal?: Partial<Signal>;
  readonly ctx?: Partial<EvaluationContext>;
  /** the reason message must match, when failing */
  readonly message?: RegExp | string;
}

const run = (c: Case): AccountDecision => evaluateSignalForAccount(aSignal(c.signal), anEvalContext(c.ctx));
const reasonsOf = (dec: AccountDecision) => (dec.kind === 'DENIED' ? dec.reasons : []);

const lmt = (limitPrice: number) => ({ type: 'LMT' as const, limitPrice: d(limitPrice), tif: 'DAY' as const, outsideRth: false });
const personal = { account: aPersonalAccount(), accountId: PERSONAL_ID, declaredType: 'PERSONAL' as const };
const bigLimits = someLimits({ maxOrderNotional: d(10_000_000) });
const es = { symbol: 'ES', secType: 'FUT' as const, exchange: 'CME', currency: 'USD', multiplier: '50' };
const esCtx = { quote: aQuote({ bid: d(5999), ask: d(6001), last: d(6000) }), contract: aContract({ symbol: 'ES', secType: 'FUT', multiplier: d(50), stockType: undefined }), limits: bigLimits };
const sap = { symbol: 'SAP', secType: 'STK' as const, exchange: 'SMART', currency: 'EUR' };
const sapCtx = { quote: aQuote({ bid: d(209), ask: d(210), last: d(210) }), contract: aContract({ symbol: 'SAP', currency: 'EUR', longName: 'SAP SE' }) };
const et = { symbol: 'ET', secType: 'STK' as const, exchange: 'SMART', currency: 'USD' };
const etQuote = aQuote({ bid: d('17.4'), ask: d('17.5'), last: d('17.5') });

/** For every reason code: cases that must deny with it, and nearby cases that must be approved outright. */
const TABLE: Readonly<Record<Exclude<ReasonCode, 'BROKER_REJECTED'>, { fail: Case[]; pass: Case[] }>> = {
  READ_ONLY: {
    fail: [
      { name: 'readOnly is true', ctx: { readOnly: true }, message: 'read-only mode (readOnly is true): no order leaves the process' },
      { name: 'live mode, account not confirmed', ctx: { mode: 'live', liveAccounts: ['U9'] }, message: /DU1000001 is not listed in IBKR_EXEC_LIVE_ACCOUNTS/ },
      { name: 'paper mode, live-looking id', ctx: { accountId: 'U1234567', account: anIraAccount({ id: 'U1234567' }) }, message: /paper mode refuses account U1234567: paper account ids start with DU/ },
    ],
    pass: [
      { name: 'paper mode, DU account', ctx: {} },
      { name: 'live mode, account listed', ctx: { mode: 'live', liveAccounts: ['U1234567'], accountId: 'U1234567', account: anIraAccount({ id: 'U1234567' }) } },
    ],
  },
  UNKNOWN_ACCOUNT: {
    fail: [
      { name: 'not linked', ctx: { linked: false, account: undefined }, message: 'account DU1000001 is not linked to this IB login' },
      { name: 'linked, not declared', ctx: { declaredType: undefined, account: anIraAccount({ declaredType: undefined }) }, message: /linked but not declared in the config/ },
      { name: 'linked and declared, no snapshot', ctx: { account: undefined, declaredType: 'ROTH_IRA' }, message: /no account data/ },
    ],
    pass: [{ name: 'linked and declared', ctx: {} }],
  },
  ACCOUNT_TYPE_MISMATCH: {
    fail: [
      { name: 'IRA declared, broker INDIVIDUAL', ctx: { account: anIraAccount({ brokerAccountType: 'INDIVIDUAL' }) }, message: 'account DU1000001 is declared ROTH_IRA but IB reports AccountType INDIVIDUAL; fix the config before trading it' },
      { name: 'PERSONAL declared, broker ROTH IRA', ctx: { ...personal, account: aPersonalAccount({ brokerAccountType: 'ROTH IRA' }) }, message: /declared PERSONAL but IB reports AccountType ROTH IRA/ },
    ],
    pass: [
      { name: 'TRADITIONAL_IRA vs TRADITIONAL IRA', ctx: { declaredType: 'TRADITIONAL_IRA', account: anIraAccount({ brokerAccountType: 'TRADITIONAL IRA' }) } },
      { name: 'PERSONAL vs JOINT', ctx: { ...personal, account: aPersonalAccount({ brokerAccountType: 'JOINT' }) } },
      { name: 'BUSINESS vs LLC', ctx: { account: aBusinessAccount({ brokerAccountType: 'LLC' }), accountId: 'DU1000003', declaredType: 'BUSINESS' } },
    ],
  },
  HALTED: {
    fail: [{ name: 'halted', ctx: { tradingState: 'HALTED' }, message: /HALTED for account DU1000001/ }],
    pass: [{ name: 'active', ctx: { tradingState: 'ACTIVE' } }],
  },
  REDUCE_ONLY: {
    fail: [
      { name: 'BUY with no short to cover', ctx: { tradingState: 'REDUCE_ONLY' }, message: /DU1000001 is REDUCE_ONLY: BUY 10 AAPL would not only reduce the position of 100/ },
      { name: 'SELL beyond long net of working sells', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 } }, ctx: { tradingState: 'REDUCE_ONLY', working: [aWorkingOrder({ side: 'SELL', remaining: 60 })] } },
    ],
    pass: [
      { name: 'SELL within the long', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 } }, ctx: { tradingState: 'REDUCE_ONLY' } },
      { name: 'BUY covering a short', ctx: { ...personal, tradingState: 'REDUCE_ONLY', account: aPersonalAccount({ positions: [aPosition(PERSONAL_ID, 'AAPL', -20)] }) } },
    ],
  },
  SIGNAL_EXPIRED: {
    fail: [{ name: 'handled after expiresAt', signal: { expiresAt: NOW - 30_000 }, message: 'signal sig-20261125-0001 expired at 2026-11-25T14:30:30.000Z and was handled 30 s later' }],
    pass: [
      { name: 'before expiresAt', signal: { expiresAt: NOW + 1 } },
      { name: 'exactly at expiresAt', signal: { expiresAt: NOW } },
    ],
  },
  NO_PRICE: {
    fail: [{ name: 'no quote at all', ctx: { quote: undefined }, message: 'no reference price for BUY AAPL: no limit price, no ask and no last trade' }],
    pass: [{ name: 'last only', ctx: { quote: aQuote({ bid: undefined, ask: undefined }) } }],
  },
  ZERO_QUANTITY: {
    fail: [
      { name: 'notional below one share', signal: { size: { kind: 'notional', notional: d(100) } }, message: 'BUY AAPL sized by notional rounds down to 0 whole units at a reference price of 190.1' },
      { name: 'positionPercent of no position', signal: { side: 'SELL', size: { kind: 'positionPercent', percent: d(50) } }, ctx: personal, message: 'SELL AAPL sized by positionPercent rounds down to 0 whole units at a reference price of 189.9 (long position 0)' },
    ],
    pass: [{ name: 'notional of 5 shares', signal: { size: { kind: 'notional', notional: d(1000) } } }],
  },
  MAX_QUANTITY: {
    fail: [{ name: 'explicit 1001', signal: { size: { kind: 'quantity', quantity: 1001 } }, ctx: { ...personal, limits: bigLimits }, message: 'BUY 1001 AAPL exceeds limits.maxOrderQuantity of 1000' }],
    pass: [{ name: 'explicit 1000', signal: { size: { kind: 'quantity', quantity: 1000 } }, ctx: { ...personal, limits: bigLimits } }],
  },
  MAX_NOTIONAL: {
    fail: [{ name: '600 × 190.1', signal: { size: { kind: 'quantity', quantity: 600 } }, ctx: personal, message: 'BUY 600 AAPL at 190.1 is 114,060.00 USD, above limits.maxOrderNotional of 100,000.00 USD' }],
    pass: [{ name: '500 × 190.1', signal: { size: { kind: 'quantity', quantity: 500 } }, ctx: personal }],
  },
  PRICE_COLLAR: {
    fail: [
      { name: 'limit 10.53% above mid', signal: { order: lmt(210) }, message: 'BUY 10 AAPL limit price 210 is 10.53% from the market price 190 (limits.priceCollarPercent is 5)' },
      { name: 'stop 15% above mid', signal: { order: { type: 'STP', stopPrice: d(218.5), tif: 'DAY', outsideRth: false } }, message: /stop price 218.5 is 15.00% from/ },
      { name: 'limit with no market price', signal: { order: lmt(190) }, ctx: { quote: undefined }, message: /cannot check the limit price 190 .* no current market price/ },
    ],
    pass: [
      { name: 'limit 2.63% from mid', signal: { order: lmt(195) } },
      { name: 'bracket children far away are exempt', signal: { order: lmt(190), bracket: { takeProfit: d(400), stopLoss: d(100) } } },
      { name: 'collar 0 disables it', signal: { order: lmt(300) }, ctx: { limits: someLimits({ priceCollarPercent: d(0) }), ...personal } },
    ],
  },
  IRA_UNCOVERED_OPTION: {
    fail: [
      { name: 'sell-to-open an option of unknown right', signal: { side: 'SELL', instrument: { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', conId: 555 }, size: { kind: 'quantity', quantity: 1 } }, ctx: { quote: aQuote({ bid: d(5), ask: d('5.2'), last: d(5) }) }, message: /right \(C or P\) is unknown/ },
      { name: 'naked call', signal: { side: 'SELL', instrument: { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', conId: 556, lastTradeDateOrContractMonth: '20261218', strike: d(200), right: 'C', multiplier: '100' }, size: { kind: 'quantity', quantity: 2 } }, ctx: { quote: aQuote({ bid: d(5), ask: d('5.2'), last: d(5) }) }, message: /SELL 2 AAPL 20261218 200 C to open is an uncovered call in an IRA: it needs 200 AAPL shares/ },
    ],
    pass: [
      { name: 'covered call', signal: { side: 'SELL', instrument: { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', conId: 556, lastTradeDateOrContractMonth: '20261218', strike: d(200), right: 'C', multiplier: '100' }, size: { kind: 'quantity', quantity: 1 } }, ctx: { quote: aQuote({ bid: d(5), ask: d('5.2'), last: d(5) }) } },
    ],
  },
  IRA_SHORT_SALE: {
    fail: [
      { name: 'SELL with no position', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 } }, ctx: { account: anIraAccount({ positions: [] }) }, message: 'SELL 50 AAPL exceeds the long position of 0 (IRA accounts cannot sell short)' },
      { name: 'SELL beyond long net of working sells', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 } }, ctx: { working: [aWorkingOrder({ side: 'SELL', remaining: 60 })] }, message: 'SELL 50 AAPL exceeds the long position of 100 less 60 already being sold by working orders (IRA accounts cannot sell short)' },
    ],
    pass: [
      { name: 'SELL within the long', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 } } },
      { name: 'short sale in a personal account', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 } }, ctx: personal },
      { name: 'closing a long option', signal: { side: 'SELL', instrument: { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', conId: 555 }, size: { kind: 'quantity', quantity: 1 } }, ctx: { account: anIraAccount({ positions: [aPosition(IRA_ID, 'AAPL', 2, { secType: 'OPT', conId: 555 })] }), contract: aContract({ conId: 555, secType: 'OPT' }), quote: aQuote({ bid: d(5), ask: d('5.2'), last: d(5) }) } },
    ],
  },
  IRA_MARGIN: {
    fail: [
      { name: 'BUY 300 costs 57,030 > 50,000 settled', signal: { size: { kind: 'quantity', quantity: 300 } }, message: 'BUY 300 AAPL costs 57,030.00 USD but only 50,000.00 USD (cash 50,000.00 − reserved by working buys 0.00 − buffer 0.00) of settled cash is available (IRA accounts cannot borrow)' },
      { name: 'cash reserved by a working buy', signal: { size: { kind: 'quantity', quantity: 200 } }, ctx: { working: [aWorkingOrder({ reservedCash: d(20_000) })] }, message: /only 30,000.00 USD/ },
      { name: 'unsettled cash does not count', signal: { size: { kind: 'quantity', quantity: 200 } }, ctx: { account: anIraAccount({ settledCash: d(10_000) }) } },
      { name: 'the buffer is kept', signal: { size: { kind: 'quantity', quantity: 200 } }, ctx: { ira: anIraPolicy({ cashBufferPercent: d(80) }) } },
    ],
    pass: [
      { name: 'BUY 200 costs 38,020', signal: { size: { kind: 'quantity', quantity: 200 } } },
      { name: 'personal account may use margin', signal: { size: { kind: 'quantity', quantity: 300 } }, ctx: personal },
    ],
  },
  IRA_FX_BORROW: {
    fail: [{ name: 'SAP in EUR with no EUR', signal: { instrument: sap }, ctx: sapCtx, message: 'BUY 10 SAP costs 2,100.00 EUR but the account holds only 0.00 EUR (cash 0.00 − reserved by working buys 0.00 − buffer 0.00) (IRA accounts cannot borrow EUR; convert first)' }],
    pass: [
      { name: 'SAP with enough EUR', signal: { instrument: sap }, ctx: { ...sapCtx, account: anIraAccount({ cashByCurrency: { USD: d(50_000), EUR: d(5000) } }) } },
      { name: 'SAP in a personal account', signal: { instrument: sap }, ctx: { ...sapCtx, ...personal } },
    ],
  },
  IRA_PROHIBITED_SECURITY: {
    fail: [
      { name: 'stockType MLP', signal: { instrument: et }, ctx: { quote: etQuote, contract: aContract({ symbol: 'ET', stockType: 'MLP', longName: 'ENERGY TRANSFER' }) }, message: 'ET looks like an MLP or partnership (stockType is MLP); it can generate UBTI and is not bought in an IRA' },
      { name: 'LP units by name', signal: { instrument: et }, ctx: { quote: etQuote, contract: aContract({ symbol: 'ET', stockType: 'COMMON', longName: 'ENERGY TRANSFER LP' }) }, message: /its name ENERGY TRANSFER LP marks partnership units/ },
      { name: 'industry says partnership', signal: { instrument: et }, ctx: { quote: etQuote, contract: aContract({ symbol: 'ET', stockType: 'COMMON', industry: 'Pipelines-Limited Partnership' }) } },
      { name: 'ira.prohibitedSymbols', ctx: { ira: anIraPolicy({ prohibitedSymbols: ['aapl'] }) }, message: 'AAPL is listed in ira.prohibitedSymbols and cannot be bought in an IRA' },
      { name: 'no contract details', ctx: { contract: undefined }, message: /contract details for AAPL are unavailable/ },
    ],
    pass: [
      { name: 'common stock', ctx: {} },
      { name: 'selling an MLP already held', signal: { instrument: et, side: 'SELL' }, ctx: { quote: etQuote, contract: aContract({ symbol: 'ET', stockType: 'MLP' }), account: anIraAccount({ positions: [aPosition(IRA_ID, 'ET', 10)] }) } },
      { name: 'an MLP in a personal account', signal: { instrument: et }, ctx: { ...personal, quote: etQuote, contract: aContract({ symbol: 'ET', stockType: 'MLP' }) } },
    ],
  },
  IRA_FUTURES_MARGIN: {
    fail: [
      { name: '2 ES need 64,000', signal: { instrument: es, size: { kind: 'quantity', quantity: 2 } }, ctx: { ...esCtx, futuresInitialMargin: d(16_000) }, message: 'BUY 2 ES needs 64,000.00 USD in cash (initial margin 16000 × 2 × 2) but only 50,000.00 USD (cash 50,000.00 − reserved by working buys 0.00 − buffer 0.00) is available' },
      { name: 'margin unknown', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: esCtx, message: /initial margin of ES is unknown/ },
    ],
    pass: [
      { name: '1 ES needs 32,000', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: { ...esCtx, futuresInitialMargin: d(16_000) } },
      { name: 'ES in a personal account', signal: { instrument: es, size: { kind: 'quantity', quantity: 2 } }, ctx: { ...esCtx, ...personal, futuresInitialMargin: d(16_000) } },
    ],
  },
  INSUFFICIENT_BUYING_POWER: {
    fail: [
      { name: 'BUY beyond buying power less reserved', signal: { size: { kind: 'quantity', quantity: 1000 } }, ctx: { ...personal, limits: bigLimits, working: [aWorkingOrder({ account: PERSONAL_ID, reservedCash: d(20_000) })] }, message: 'BUY 1000 AAPL costs 190,100.00 USD, more than the buying power of 200,000.00 USD less 20,000.00 reserved by working buys' },
      { name: 'short sale beyond buying power', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 1000 } }, ctx: { ...personal, account: aPersonalAccount({ buyingPower: d(100_000) }), limits: bigLimits } },
      { name: 'futures margin beyond available funds', signal: { instrument: es, size: { kind: 'quantity', quantity: 7 } }, ctx: { ...esCtx, ...personal, futuresInitialMargin: d(16_000) }, message: /needs initial margin of 112,000.00 USD, more than the available funds of 100,000.00 USD/ },
    ],
    pass: [
      { name: 'BUY within buying power', signal: { size: { kind: 'quantity', quantity: 1000 } }, ctx: { ...personal, limits: bigLimits } },
      { name: 'closing a long never needs buying power', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 } }, ctx: { ...personal, account: aPersonalAccount({ buyingPower: d(0), positions: [aPosition(PERSONAL_ID, 'AAPL', 50)] }) } },
      { name: '6 ES within available funds', signal: { instrument: es, size: { kind: 'quantity', quantity: 6 } }, ctx: { ...esCtx, ...personal, futuresInitialMargin: d(16_000) } },
    ],
  },
  INVALID_SIGNAL: {
    fail: [
      { name: 'MKT BUY bracket takeProfit below the ask', signal: { bracket: { takeProfit: d(185), stopLoss: d(180) } }, message: 'bracket takeProfit 185 and stopLoss 180 must lie above and below the reference price 190.1 for a BUY' },
      { name: 'riskPercent stop above a MKT BUY', signal: { size: { kind: 'riskPercent', percent: d(1) }, bracket: { takeProfit: d(220), stopLoss: d(195) } } },
    ],
    pass: [{ name: 'MKT BUY bracket around the ask', signal: { bracket: { takeProfit: d(210), stopLoss: d(180) } } }],
  },
};

describe('pre-trade rules: every reason code denies when it should and only then', () => {
  for (const [code, { fail, pass }] of Object.entries(TABLE)) {
    for (const c of fail) {
      it(`${code}: denies when ${c.name}`, () => {
        const dec = run(c);
        expect(dec.kind).toBe('DENIED');
        const r = reasonsOf(dec).find((x) => x.code === code);
        expect(r, JSON.stringify(reasonsOf(dec))).toBeDefined();
        if (typeof c.message === 'string') expect(r!.message).toBe(c.message);
        else if (c.message) expect(r!.message).toMatch(c.message);
        expect(dec.quantity).toBe(0);
      });
    }
    for (const c of pass) {
      it(`${code}: approves when ${c.name}`, () => {
        const dec = run(c);
        expect(reasonsOf(dec)).toEqual([]);
        expect(dec.kind).toBe('APPROVED');
      });
    }
  }

  it('approves the plain default (IRA BUY 10 AAPL MKT) with no reasons', () => {
    const dec = run({ name: 'default' });
    expect(dec.kind).toBe('APPROVED');
  });
});

describe('checkPreTrade', () => {
  it('lists every failing reason, in rule order', () => {
    const dec = run({
      name: 'many',
      signal: { side: 'SELL', size: { kind: 'quantity', quantity: 5000 }, expiresAt: NOW - 1000 },
      ctx: { readOnly: true, tradingState: 'HALTED', account: anIraAccount({ positions: [] }) },
    });
    expect(reasonsOf(dec).map((r) => r.code)).toEqual(['READ_ONLY', 'HALTED', 'SIGNAL_EXPIRED', 'MAX_QUANTITY', 'MAX_NOTIONAL', 'IRA_SHORT_SALE']);
  });

  it('reports causes, not consequences, for an unknown account', () => {
    const dec = run({ name: 'unknown', ctx: { linked: false, account: undefined } });
    expect(reasonsOf(dec).map((r) => r.code)).toEqual(['UNKNOWN_ACCOUNT']);
  });

  it('runs a custom rule list and reports an identical reason once', () => {
    const same = () => ({ code: 'HALTED' as const, message: 'x' });
    const intent = { signal: aSignal(), account: IRA_ID, quantity: 1, explicit: true };
    expect(checkPreTrade(intent, anEvalContext(), [same, same, () => null])).toEqual([{ code: 'HALTED', message: 'x' }]);
    expect(PRE_TRADE_RULES.length).toBe(20);
  });
});

describe('mlpEvidence', () => {
  it.each([
    [{ stockType: 'MLP' }, 'stockType is MLP'],
    [{ stockType: 'LTD PART' }, 'stockType is LTD PART'],
    [{ category: 'Oil&Gas-MLP' }, 'category is Oil&Gas-MLP'],
    [{ category: 'Pipelines MLP' }, 'category is Pipelines MLP'],
    [{ longName: 'MAGELLAN MIDSTREAM PARTNERS L.P.' }, 'its name MAGELLAN MIDSTREAM PARTNERS L.P. marks partnership units'],
    [{ longName: 'LPL FINANCIAL HOLDINGS INC', stockType: 'COMMON' }, undefined],
    [{ longName: 'APPLE INC', stockType: 'COMMON', industry: 'Computers' }, undefined],
  ])('%j → %s', (contract, expected) => {
    expect(mlpEvidence(contract)).toBe(expected);
  });
});
