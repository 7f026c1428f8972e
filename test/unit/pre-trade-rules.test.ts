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
const sapCtx = { quote: aQuote({ bid: d(209), ask: d(210), last: d(210) }), contract: aContract({ symbol: 'SAP', currency: 'EUR', longName: 'SAP SE' }), fxToBase: d('1.08') };
const et = { symbol: 'ET', secType: 'STK' as const, exchange: 'SMART', currency: 'USD' };
const etQuote = aQuote({ bid: d('17.4'), ask: d('17.5'), last: d('17.5') });

/** A SELL 100 AAPL MKT with a bracket whose BUY children take profit at 185 and stop at 199. */
const sellBracket = { side: 'SELL' as const, size: { kind: 'quantity' as const, quantity: 100 }, bracket: { takeProfit: d(185), stopLoss: d(199) } };
const esPosition = (n: number) => aPosition(IRA_ID, 'ES', n, { secType: 'FUT', conId: 495512563 });
const esWorking = (n: number) => aWorkingOrder({ symbol: 'ES', secType: 'FUT', conId: 495512563, remaining: n, reservedCash: d(0) });
const esIra = { ...esCtx, contract: aContract({ conId: 495512563, symbol: 'ES', secType: 'FUT', multiplier: d(50), stockType: undefined }), futuresInitialMargin: d(16_000) };

/** For every reason code: cases that must deny with it, and nearby cases that must be approved outright. */
const TABLE: Readonly<Record<Exclude<ReasonCode, 'BROKER_REJECTED'>, { fail: Case[]; pass: Case[] }>> = {
  READ_ONLY: {
    fail: [
      { name: 'readOnly is true', ctx: { readOnly: true }, message: 'read-only mode (readOnly is true): no order leaves the process' },
      { name: 'live mode without IBKR_EXEC_LIVE_ACCOUNTS (the daemon runs read-only)', ctx: { readOnly: true, mode: 'live', liveAccounts: [] }, message: /^live mode without IBKR_EXEC_LIVE_ACCOUNTS: the daemon runs read-only/ },
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
      { name: 'a SELL bracket whose BUY stop child would re-open the position', signal: { ...sellBracket, size: { kind: 'quantity', quantity: 50 }, bracket: { takeProfit: d(400), stopLoss: d(430) }, instrument: { symbol: 'MSFT', secType: 'STK', exchange: 'SMART', currency: 'USD' } }, ctx: { ...personal, tradingState: 'REDUCE_ONLY', quote: aQuote({ bid: d(414), ask: d(416), last: d(415) }), contract: aContract({ symbol: 'MSFT' }) }, message: /REDUCE_ONLY: bracket takeProfit BUY 50 MSFT would not only reduce the position of 0/ },
      { name: 'a BUY bracket covering a short: its SELL children would re-open it', signal: { bracket: { takeProfit: d(210), stopLoss: d(180) }, size: { kind: 'quantity', quantity: 20 } }, ctx: { ...personal, tradingState: 'REDUCE_ONLY', account: aPersonalAccount({ positions: [aPosition(PERSONAL_ID, 'AAPL', -20)] }) }, message: /bracket takeProfit SELL 20 AAPL would not only reduce/ },
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
    fail: [
      { name: '600 × 190.1', signal: { size: { kind: 'quantity', quantity: 600 } }, ctx: personal, message: 'BUY 600 AAPL at 190.1 is 114,060.00 USD, above limits.maxOrderNotional of 100,000.00 USD' },
      { name: 'one ES is 300,050 (multiplier × price)', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: { ...esCtx, ...personal, limits: someLimits(), futuresInitialMargin: d(16_000) }, message: 'BUY 1 ES at 6001 is 300,050.00 USD, above limits.maxOrderNotional of 100,000.00 USD' },
      { name: 'the take-profit child of 520 × 190.1 at 200', signal: { order: lmt(190), size: { kind: 'quantity', quantity: 520 }, bracket: { takeProfit: d(200), stopLoss: d(180) } }, ctx: personal, message: 'bracket takeProfit SELL 520 AAPL at 200 is 104,000.00 USD, above limits.maxOrderNotional of 100,000.00 USD' },
      { name: 'a per-secType override lower than the default', signal: { size: { kind: 'quantity', quantity: 10 } }, ctx: { ...personal, limits: someLimits({ maxOrderNotionalBySecType: { STK: d(1000) } }) }, message: /above limits.maxOrderNotionalBySecType.STK of 1,000.00 USD/ },
      { name: 'EUR converted to base: 470 SAP × 210 EUR × 1.08 > 100,000 USD', signal: { instrument: sap, size: { kind: 'quantity', quantity: 470 }, order: lmt(210) }, ctx: { ...sapCtx, ...personal, limits: someLimits({ maxOrderNotional: d(100_000) }) }, message: 'BUY 470 SAP at 210 is 106,596.00 USD, above limits.maxOrderNotional of 100,000.00 USD' },
    ],
    pass: [
      { name: '500 × 190.1', signal: { size: { kind: 'quantity', quantity: 500 } }, ctx: personal },
      { name: 'one ES (300,050) under a FUT override', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: { ...esCtx, ...personal, futuresInitialMargin: d(16_000), limits: someLimits({ maxOrderNotionalBySecType: { FUT: d(400_000) } }) } },
    ],
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
      { name: 'a BUY bracket whose SELL children exceed the long net of other working sells', signal: { bracket: { takeProfit: d(210), stopLoss: d(180) } }, ctx: { working: [aWorkingOrder({ orderRef: 'ix1-other', side: 'SELL', remaining: 105, reservedCash: d(0) })] }, message: 'bracket takeProfit SELL 10 AAPL exceeds the long position of 110 less 105 already being sold by working orders (IRA accounts cannot sell short)' },
    ],
    pass: [
      { name: 'SELL within the long', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 } } },
      { name: 'a BUY bracket: its SELL children sell what the entry bought', signal: { bracket: { takeProfit: d(210), stopLoss: d(180) } }, ctx: { account: anIraAccount({ positions: [] }) } },
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
      { name: 'cash that backs a held future is not spent on stock', signal: { size: { kind: 'quantity', quantity: 100 } }, ctx: { account: anIraAccount({ positions: [esPosition(1)] }), futuresMargins: new Map([['#495512563', d(16_000)]]) }, message: 'BUY 100 AAPL costs 19,010.00 USD but only 50,000.00 USD (cash 50,000.00 − reserved by working buys 0.00 − buffer 0.00) less 32,000.00 backing the futures held or working (initial margin × 2) of settled cash is available (IRA accounts cannot borrow)' },
      { name: 'the margin of a held future is unknown', signal: { size: { kind: 'quantity', quantity: 1 } }, ctx: { account: anIraAccount({ positions: [esPosition(1)] }) }, message: /initial margin of the futures held or working in DU1000001 \(ES\) is unknown/ },
      { name: 'a SELL entry whose BUY children cost more than settled cash', signal: sellBracket, ctx: { account: anIraAccount({ settledCash: d(10_000), cashByCurrency: { USD: d(10_000) } }) }, message: 'bracket takeProfit BUY 100 AAPL costs 18,500.00 USD but only 10,000.00 USD (cash 10,000.00 − reserved by working buys 0.00 − buffer 0.00) of settled cash is available (IRA accounts cannot borrow)' },
    ],
    pass: [
      { name: 'BUY 200 costs 38,020', signal: { size: { kind: 'quantity', quantity: 200 } } },
      { name: 'personal account may use margin', signal: { size: { kind: 'quantity', quantity: 300 } }, ctx: personal },
      { name: 'a SELL bracket whose BUY children fit in settled cash', signal: sellBracket },
      { name: 'stock within the cash a held future leaves', signal: { size: { kind: 'quantity', quantity: 90 } }, ctx: { account: anIraAccount({ positions: [esPosition(1)] }), futuresMargins: new Map([['#495512563', d(16_000)]]) } },
    ],
  },
  IRA_FX_BORROW: {
    fail: [
      { name: 'SAP in EUR with no EUR', signal: { instrument: sap }, ctx: sapCtx, message: 'BUY 10 SAP costs 2,100.00 EUR but the account holds only 0.00 EUR (cash 0.00 − reserved by working buys 0.00 − buffer 0.00) (IRA accounts cannot borrow EUR; convert first)' },
      { name: 'selling SAP held with a bracket: its BUY children need EUR', signal: { instrument: sap, side: 'SELL', size: { kind: 'quantity', quantity: 10 }, bracket: { takeProfit: d(200), stopLoss: d(220) } }, ctx: { ...sapCtx, account: anIraAccount({ positions: [aPosition(IRA_ID, 'SAP', 10, { currency: 'EUR' })] }) }, message: /^bracket takeProfit BUY 10 SAP costs 2,000.00 EUR but the account holds only 0.00 EUR/ },
    ],
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
      { name: 'selling an MLP held with a bracket: its BUY children would buy it back', signal: { instrument: et, side: 'SELL', size: { kind: 'quantity', quantity: 10 }, bracket: { takeProfit: d(16), stopLoss: d(19) } }, ctx: { quote: etQuote, contract: aContract({ symbol: 'ET', stockType: 'MLP' }), account: anIraAccount({ positions: [aPosition(IRA_ID, 'ET', 10)] }) }, message: /ET looks like an MLP/ },
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
      { name: '2 ES need 64,000', signal: { instrument: es, size: { kind: 'quantity', quantity: 2 } }, ctx: { ...esCtx, futuresInitialMargin: d(16_000) }, message: 'BUY 2 ES needs 64,000.00 USD in cash (initial margin 16000 × 2 per contract, 2 contract(s) in all) but only 50,000.00 USD (cash 50,000.00 − reserved by working buys 0.00 − buffer 0.00) is available' },
      { name: 'margin unknown', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: esCtx, message: /initial margin of ES is unknown/ },
      { name: '1 ES while 1 ES is held (2 × 32,000 > 50,000)', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: { ...esIra, account: anIraAccount({ positions: [esPosition(1)] }) }, message: /BUY 1 ES needs 64,000.00 USD in cash \(initial margin 16000 × 2 per contract, 2 contract\(s\) in all including 32,000.00 for the futures already held or working\)/ },
      { name: '1 ES while 1 ES BUY is working', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: { ...esIra, working: [esWorking(1)] } },
      { name: 'another future held whose margin is unknown', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: { ...esIra, account: anIraAccount({ positions: [aPosition(IRA_ID, 'NQ', 1, { secType: 'FUT', conId: 777 })] }) }, message: /futures held or working in DU1000001 \(NQ\) is unknown/ },
      { name: 'selling 1 ES of 1 held with a bracket, at 10,000 cash: its BUY children need 32,000', signal: { instrument: es, side: 'SELL', size: { kind: 'quantity', quantity: 1 }, bracket: { takeProfit: d(5900), stopLoss: d(6100) } }, ctx: { ...esIra, account: anIraAccount({ settledCash: d(10_000), cashByCurrency: { USD: d(10_000) }, positions: [esPosition(1)] }) }, message: /^bracket takeProfit BUY 1 ES needs 32,000.00 USD/ },
      { name: 'another future held: both margins count', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: { ...esIra, account: anIraAccount({ positions: [aPosition(IRA_ID, 'NQ', 1, { secType: 'FUT', conId: 777 })] }), futuresMargins: new Map([['#777', d(10_000)]]) } },
    ],
    pass: [
      { name: '1 ES needs 32,000', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: { ...esCtx, futuresInitialMargin: d(16_000) } },
      { name: '1 ES while a working SELL would close the 1 held: worst case 2 contracts (64,000), not 3', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: { ...esIra, account: anIraAccount({ settledCash: d(70_000), cashByCurrency: { USD: d(70_000) }, positions: [esPosition(1)] }), working: [{ ...esWorking(1), side: 'SELL' }] } },
      { name: 'ES in a personal account', signal: { instrument: es, size: { kind: 'quantity', quantity: 2 } }, ctx: { ...esCtx, ...personal, futuresInitialMargin: d(16_000) } },
    ],
  },
  INSUFFICIENT_BUYING_POWER: {
    fail: [
      { name: 'BUY beyond buying power less reserved', signal: { size: { kind: 'quantity', quantity: 1000 } }, ctx: { ...personal, limits: bigLimits, working: [aWorkingOrder({ account: PERSONAL_ID, reservedCash: d(20_000) })] }, message: 'BUY 1000 AAPL costs 190,100.00 USD, more than the buying power of 200,000.00 USD less 20,000.00 reserved by working buys' },
      { name: 'short sale beyond buying power', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 1000 } }, ctx: { ...personal, account: aPersonalAccount({ buyingPower: d(100_000) }), limits: bigLimits } },
      { name: 'a working EUR buy counts against USD buying power, converted', signal: { size: { kind: 'quantity', quantity: 1000 } }, ctx: { ...personal, limits: bigLimits, working: [aWorkingOrder({ account: PERSONAL_ID, symbol: 'SAP', currency: 'EUR', reservedCash: d(10_000) })], fxRates: new Map([['EUR', d('1.08')]]) }, message: 'BUY 1000 AAPL costs 190,100.00 USD, more than the buying power of 200,000.00 USD less 10,800.00 reserved by working buys' },
      { name: 'a SELL bracket whose BUY children re-open beyond buying power', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 }, instrument: { symbol: 'MSFT', secType: 'STK', exchange: 'SMART', currency: 'USD' }, bracket: { takeProfit: d(400), stopLoss: d(430) } }, ctx: { ...personal, account: aPersonalAccount({ buyingPower: d(10_000) }), quote: aQuote({ bid: d(414), ask: d(416), last: d(415) }), contract: aContract({ symbol: 'MSFT' }) }, message: /^bracket takeProfit BUY 50 MSFT costs 20,000.00 USD, more than the buying power of 10,000.00 USD/ },
      { name: 'futures margin beyond available funds', signal: { instrument: es, size: { kind: 'quantity', quantity: 7 } }, ctx: { ...esCtx, ...personal, futuresInitialMargin: d(16_000) }, message: /needs initial margin of 112,000.00 USD, more than the available funds of 100,000.00 USD/ },
    ],
    pass: [
      { name: 'BUY within buying power', signal: { size: { kind: 'quantity', quantity: 1000 } }, ctx: { ...personal, limits: bigLimits } },
      { name: 'closing a long never needs buying power', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 } }, ctx: { ...personal, account: aPersonalAccount({ buyingPower: d(0), positions: [aPosition(PERSONAL_ID, 'AAPL', 50)] }) } },
      { name: '6 ES within available funds', signal: { instrument: es, size: { kind: 'quantity', quantity: 6 } }, ctx: { ...esCtx, ...personal, futuresInitialMargin: d(16_000) } },
    ],
  },
  NO_FX_RATE: {
    fail: [
      { name: 'a working CHF buy without a CHF rate: buying power cannot be checked', ctx: { ...personal, working: [aWorkingOrder({ account: PERSONAL_ID, symbol: 'NESN', currency: 'CHF', reservedCash: d(1000) })] }, message: /cash reserved by working buys in CHF cannot be converted to USD/ },
      { name: 'SAP in EUR for a USD account with no EUR.USD rate', signal: { instrument: sap }, ctx: { ...sapCtx, ...personal, fxToBase: undefined }, message: 'BUY 10 SAP is in EUR but account DU1000002 reports in USD, and no EUR.USD rate could be had: its limits and budgets cannot be checked' },
    ],
    pass: [
      { name: 'SAP with a rate', signal: { instrument: sap }, ctx: { ...sapCtx, ...personal } },
      { name: 'a working CHF buy with a CHF rate', ctx: { ...personal, working: [aWorkingOrder({ account: PERSONAL_ID, symbol: 'NESN', currency: 'CHF', reservedCash: d(1000) })], fxRates: new Map([['CHF', d('1.1')]]) } },
    ],
  },
  MAX_DAILY_NOTIONAL: {
    fail: [{ name: '90,000 placed today + 1,901', ctx: { ...personal, limits: someLimits({ maxDailyNotional: d(91_000) }), placedToday: d(90_000) }, message: 'BUY 10 AAPL is 1,901.00 USD; with 90,000.00 USD already placed today in DU1000002 that is above limits.maxDailyNotional of 91,000.00 USD' }],
    pass: [
      { name: 'within the day', ctx: { ...personal, limits: someLimits({ maxDailyNotional: d(92_000) }), placedToday: d(90_000) } },
      { name: '0 = no limit', ctx: { ...personal, limits: someLimits({ maxDailyNotional: d(0) }), placedToday: d(90_000_000) } },
      { name: 'bracket children are exits and do not count', signal: { bracket: { takeProfit: d(210), stopLoss: d(180) } }, ctx: { ...personal, limits: someLimits({ maxDailyNotional: d(92_000) }), placedToday: d(90_000) } },
    ],
  },
  MAX_POSITION_NOTIONAL: {
    fail: [
      { name: 'growing 50 MSFT to 60 (60 × 416 > 20,000)', signal: { instrument: { symbol: 'MSFT', secType: 'STK', exchange: 'SMART', currency: 'USD' } }, ctx: { ...personal, quote: aQuote({ bid: d(414), ask: d(416), last: d(415) }), contract: aContract({ symbol: 'MSFT' }), limits: someLimits({ maxPositionNotional: d(20_000) }) }, message: 'BUY 10 MSFT would take the MSFT position from 50 to 60 (with working orders), 24,960.00 USD at 416, above limits.maxPositionNotional of 20,000.00 USD' },
      { name: 'a SELL bracket\'s BUY child re-growing the position', signal: { side: 'SELL', size: { kind: 'quantity', quantity: 50 }, instrument: { symbol: 'MSFT', secType: 'STK', exchange: 'SMART', currency: 'USD' }, bracket: { takeProfit: d(400), stopLoss: d(430) } }, ctx: { ...personal, quote: aQuote({ bid: d(414), ask: d(416), last: d(415) }), contract: aContract({ symbol: 'MSFT' }), limits: someLimits({ maxPositionNotional: d(20_000) }) }, message: /^bracket stopLoss BUY 50 MSFT would take the MSFT position from 0 to 50/ },
      { name: 'a future: multiplier × price', signal: { instrument: es, size: { kind: 'quantity', quantity: 1 } }, ctx: { ...esCtx, ...personal, futuresInitialMargin: d(16_000), limits: someLimits({ maxOrderNotional: d(1_000_000), maxPositionNotional: d(250_000) }) }, message: /ES position from 0 to 1 .*300,050.00 USD at 6001/ },
    ],
    pass: [
      { name: 'reducing a position beyond the limit', signal: { side: 'SELL', instrument: { symbol: 'MSFT', secType: 'STK', exchange: 'SMART', currency: 'USD' } }, ctx: { ...personal, quote: aQuote({ bid: d(414), ask: d(416), last: d(415) }), contract: aContract({ symbol: 'MSFT' }), limits: someLimits({ maxPositionNotional: d(1000) }) } },
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
    expect(PRE_TRADE_RULES.length).toBe(24);
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
