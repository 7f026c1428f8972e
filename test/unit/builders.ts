/**
 * Test data builders for the pure core. Every builder returns a complete, valid value for the default
 * household (CONTRACT §7) and takes overrides; tests state only what matters to them.
 */
import { Decimal } from '../../src/domain/types.js';
import type {
  AccountSnapshot,
  ContractInfo,
  IraPolicy,
  PositionSnapshot,
  Quote,
  RiskLimits,
  Signal,
  WorkingOrder,
} from '../../src/domain/types.js';
import type { EvaluationContext } from '../../src/execution/evaluate.js';
import type { FillReport, OrderReport } from '../../src/execution/broker-port.js';

export const d = (x: number | string): Decimal => new Decimal(x);

/** 2026-11-25T14:31:00Z, one minute after the default createdAt. */
export const NOW = Date.parse('2026-11-25T14:31:00Z');

export const IRA_ID = 'DU1000001';
export const PERSONAL_ID = 'DU1000002';
export const BUSINESS_ID = 'DU1000003';

/** A valid JSON payload (wire format) for parseSignal tests. */
export function aWireSignal(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'sig-20261125-0001',
    createdAt: '2026-11-25T14:30:00Z',
    instrument: { symbol: 'AAPL' },
    side: 'BUY',
    size: { quantity: 10 },
    ...over,
  };
}

/** A parsed BUY 10 AAPL MKT DAY signal for every account. */
export function aSignal(over: Partial<Signal> = {}): Signal {
  return {
    id: 'sig-20261125-0001',
    createdAt: Date.parse('2026-11-25T14:30:00Z'),
    instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
    side: 'BUY',
    size: { kind: 'quantity', quantity: 10 },
    order: { type: 'MKT', tif: 'DAY', outsideRth: false },
    accounts: { kind: 'all' },
    ...over,
  };
}

export function aPosition(account: string, symbol: string, quantity: number, over: Partial<PositionSnapshot> = {}): PositionSnapshot {
  return { account, symbol, secType: 'STK', currency: 'USD', quantity, avgCost: d(100), ...over };
}

function anAccount(id: string, cash: number, over: Partial<AccountSnapshot>): AccountSnapshot {
  return {
    id,
    baseCurrency: 'USD',
    netLiquidation: d(cash),
    totalCash: d(cash),
    settledCash: d(cash),
    availableFunds: d(cash),
    buyingPower: d(cash),
    cashByCurrency: { USD: d(cash) },
    positions: [],
    ...over,
  };
}

/** The Roth IRA: 50,000 USD settled, 100 AAPL (NetLiquidation 69,000 at 190). */
export function anIraAccount(over: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return anAccount(IRA_ID, 50_000, {
    declaredType: 'ROTH_IRA',
    brokerAccountType: 'IRA',
    netLiquidation: d(69_000),
    positions: [aPosition(IRA_ID, 'AAPL', 100)],
    ...over,
  });
}

/** The personal margin account: 100,000 cash, buying power 200,000, 50 MSFT. */
export function aPersonalAccount(over: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return anAccount(PERSONAL_ID, 100_000, {
    declaredType: 'PERSONAL',
    brokerAccountType: 'INDIVIDUAL',
    buyingPower: d(200_000),
    positions: [aPosition(PERSONAL_ID, 'MSFT', 50)],
    ...over,
  });
}

/** The business account: 250,000 cash, no positions. */
export function aBusinessAccount(over: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return anAccount(BUSINESS_ID, 250_000, { declaredType: 'BUSINESS', brokerAccountType: 'CORPORATION', ...over });
}

/** AAPL 189.90 / 190.10, last 190. */
export function aQuote(over: Partial<Quote> = {}): Quote {
  return { bid: d('189.90'), ask: d('190.10'), last: d(190), delayed: false, stale: false, ts: NOW - 1000, ...over };
}

export function aContract(over: Partial<ContractInfo> = {}): ContractInfo {
  return {
    conId: 265598,
    symbol: 'AAPL',
    secType: 'STK',
    exchange: 'SMART',
    primaryExchange: 'NASDAQ',
    currency: 'USD',
    longName: 'APPLE INC',
    stockType: 'COMMON',
    ...over,
  };
}

export function aWorkingOrder(over: Partial<WorkingOrder> = {}): WorkingOrder {
  return {
    orderRef: 'ix1-DU1000001-E-000000000000',
    account: IRA_ID,
    symbol: 'AAPL',
    secType: 'STK',
    side: 'BUY',
    remaining: 10,
    reservedCash: d(1900),
    currency: 'USD',
    ...over,
  };
}

export function someLimits(over: Partial<RiskLimits> = {}): RiskLimits {
  return { maxOrderQuantity: 1000, maxOrderNotional: d(100_000), priceCollarPercent: d(5), ...over };
}

export function anIraPolicy(over: Partial<IraPolicy> = {}): IraPolicy {
  return { prohibitedSymbols: [], futuresMarginMultiplier: d(2), cashBufferPercent: d(0), ...over };
}

/** An evaluation context for `account` (default: the IRA), paper mode, ACTIVE, AAPL quote and contract. */
export function anEvalContext(over: Partial<EvaluationContext> = {}): EvaluationContext {
  const account = 'account' in over ? over.account : anIraAccount();
  return {
    now: NOW,
    mode: 'paper',
    readOnly: false,
    liveAccounts: [],
    limits: someLimits(),
    ira: anIraPolicy(),
    tradingState: 'ACTIVE',
    accountId: account?.id ?? IRA_ID,
    ...(account?.declaredType !== undefined && { declaredType: account.declaredType }),
    account,
    linked: true,
    quote: aQuote(),
    contract: aContract(),
    working: [],
    ...over,
  };
}

export function anOrderReport(over: Partial<OrderReport> = {}): OrderReport {
  return {
    orderId: 7,
    permId: 9001,
    account: IRA_ID,
    orderRef: 'ix1-DU1000001-E-aaaaaaaaaaaa',
    instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
    side: 'BUY',
    quantity: 10,
    orderType: 'MKT',
    status: 'SUBMITTED',
    filled: 0,
    remaining: 10,
    source: 'open',
    ...over,
  };
}

export function aFill(over: Partial<FillReport> = {}): FillReport {
  return {
    execId: '0000e0d5.6552a1b1.01.01',
    orderId: 7,
    permId: 9001,
    account: IRA_ID,
    orderRef: 'ix1-DU1000001-E-aaaaaaaaaaaa',
    instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
    side: 'BOT',
    shares: 10,
    price: d(190),
    cumQty: 10,
    avgPrice: d(190),
    time: '20261125 09:30:01 US/Eastern',
    ...over,
  };
}
