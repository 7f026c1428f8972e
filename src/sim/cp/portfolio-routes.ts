/**
 * Accounts and portfolio: /iserver/accounts (primes the session), POST /iserver/account (switch),
 * /portfolio/accounts, /portfolio/{acct}/positions/{page} (paged), /portfolio/{acct}/summary and
 * /portfolio/{acct}/ledger, built from the shared engine's accounts. Money as JSON numbers, as IBKR does
 * on these endpoints.
 */
import { accountTotals, ledgerValues, valuePosition } from '../engine/account-values.js';
import type { SimAccount } from '../engine/accounts.js';
import { fail, ok, type CpAnswer, type CpRoute, type CpSimState } from './cp-types.js';

const CP_TYPE: Record<string, string> = { IRA: 'IRA', INDIVIDUAL: 'INDIVIDUAL', CORPORATION: 'CORPORATION' };

function account(s: CpSimState, id: string | undefined): SimAccount | undefined {
  return id === undefined ? undefined : s.engine.accounts.get(id);
}

function iserverAccounts(s: CpSimState): CpAnswer {
  s.session.primed = true;
  const ids = s.engine.accountIds();
  return ok({
    accounts: ids,
    acctProps: Object.fromEntries(ids.map((id) => [id, { hasChildAccounts: false, supportsCashQty: true, supportsFractions: false, allowCustomerTime: false }])),
    aliases: Object.fromEntries(ids.map((id) => [id, id])),
    allowFeatures: { showGFIS: true, allowedAssetTypes: 'STK,OPT,FUT,CASH' },
    selectedAccount: s.session.selectedAccount, sessionId: s.session.sessionId, isFT: false, isPaper: ids.every((i) => i.startsWith('D')),
  });
}

function portfolioAccounts(s: CpSimState): CpAnswer {
  return ok([...s.engine.accounts.values()].map((a) => ({
    id: a.id, accountId: a.id, accountVan: a.id, accountTitle: a.id, displayName: a.id, accountAlias: null,
    currency: a.baseCurrency, type: CP_TYPE[a.accountType.toUpperCase()] ?? a.accountType, tradingType: a.isIra ? 'STKCASH' : 'STKMRGN',
    faclient: false, clearingStatus: 'O', covestor: false, parent: { mmc: [], accountId: '', isMParent: false, isMChild: false, isMultiplex: false },
    desc: a.id, brokerageAccess: true,
  })));
}

function positions(s: CpSimState, acct: string | undefined, pageText: string | undefined): CpAnswer {
  const a = account(s, acct);
  if (!a) return fail(400, `accountId is not valid: ${acct ?? ''}`);
  const page = Number(pageText);
  if (!Number.isInteger(page) || page < 0) return fail(400, `page must be an integer >= 0, got ${pageText ?? ''}`);
  const all = [...a.positions.values()].filter((p) => p.quantity !== 0);
  const size = s.positionsPageSize;
  return ok(all.slice(page * size, (page + 1) * size).map((p) => {
    const i = p.instrument;
    const v = valuePosition(p, s.engine.market);
    return {
      acctId: a.id, conid: i.conId, contractDesc: i.symbol, ticker: i.symbol, position: p.quantity,
      mktPrice: v.price.toNumber(), mktValue: v.value.toNumber(), currency: i.currency,
      avgCost: p.avgCost.toNumber(), avgPrice: p.avgPrice.toNumber(),
      realizedPnl: p.realizedPnl.toNumber(), unrealizedPnl: v.unrealized.toNumber(),
      assetClass: i.secType, expiry: i.lastTradeDateOrContractMonth || null,
      putOrCall: i.right || null, strike: String(i.strike ?? 0), multiplier: i.secType === 'STK' ? 0 : i.multiplier.toNumber(),
      undConid: i.underlyingConId, listingExchange: i.primaryExchange || i.exchange, name: i.longName, pageSize: size,
    };
  }));
}

function summary(s: CpSimState, acct: string | undefined): CpAnswer {
  const a = account(s, acct);
  if (!a) return fail(400, `accountId is not valid: ${acct ?? ''}`);
  const t = accountTotals(a, s.engine.market, s.engine.instruments);
  const ts = s.engine.now();
  const money = (d: { toNumber(): number }): unknown => ({ amount: d.toNumber(), currency: a.baseCurrency, isNull: false, timestamp: ts, value: null, severity: 0 });
  return ok({
    accounttype: { amount: 0, currency: null, isNull: false, timestamp: ts, value: a.accountType, severity: 0 },
    netliquidation: money(t.netLiquidation), totalcashvalue: money(t.totalCash), settledcash: money(t.settledCash),
    availablefunds: money(t.availableFunds), buyingpower: money(t.buyingPower), excessliquidity: money(t.excessLiquidity),
    equitywithloanvalue: money(t.netLiquidation), grosspositionvalue: money(t.grossPositionValue),
    initmarginreq: money(t.initMargin), maintmarginreq: money(t.maintMargin),
  });
}

function ledger(s: CpSimState, acct: string | undefined): CpAnswer {
  const a = account(s, acct);
  if (!a) return fail(400, `accountId is not valid: ${acct ?? ''}`);
  const out: Record<string, Record<string, unknown>> = {};
  for (const v of ledgerValues(a, s.engine.market, s.engine.instruments)) {
    const e = (out[v.currency] ??= { currency: v.currency, acctcode: a.id, key: 'LedgerList', secondkey: v.currency, timestamp: Math.floor(s.engine.now() / 1000) });
    const key = LEDGER_KEYS[v.key];
    if (key) e[key] = Number(v.value);
  }
  return ok(out);
}

const LEDGER_KEYS: Record<string, string> = {
  CashBalance: 'cashbalance', SettledCash: 'settledcash', StockMarketValue: 'stockmarketvalue', FuturesPNL: 'futuremarketvalue',
  NetLiquidationByCurrency: 'netliquidationvalue', UnrealizedPnL: 'unrealizedpnl', RealizedPnL: 'realizedpnl', ExchangeRate: 'exchangerate',
};

function switchAccount(s: CpSimState, body: unknown): CpAnswer {
  const id = (body as { acctId?: unknown } | undefined)?.acctId;
  if (typeof id !== 'string' || !s.engine.accounts.has(id)) return fail(500, `acctId is not valid: ${String(id)}`);
  if (id === s.session.selectedAccount) return ok({ set: false, acctId: id, message: 'Account already set' });
  s.session.selectedAccount = id;
  return ok({ set: true, acctId: id });
}

/** The account and portfolio routes. */
export const portfolioRoutes: readonly CpRoute[] = [
  { method: 'GET', pattern: /^\/iserver\/accounts$/, tier: 'brokerage', handle: (s) => iserverAccounts(s) },
  { method: 'POST', pattern: /^\/iserver\/account$/, tier: 'brokerage', primed: true, handle: (s, r) => switchAccount(s, r.body) },
  { method: 'GET', pattern: /^\/portfolio\/accounts$/, tier: 'sso', handle: (s) => portfolioAccounts(s) },
  { method: 'GET', pattern: /^\/portfolio\/([^/]+)\/positions\/([^/]+)$/, tier: 'sso', handle: (s, r) => positions(s, r.params[0], r.params[1]) },
  { method: 'GET', pattern: /^\/portfolio\/([^/]+)\/summary$/, tier: 'sso', handle: (s, r) => summary(s, r.params[0]) },
  { method: 'GET', pattern: /^\/portfolio\/([^/]+)\/ledger$/, tier: 'sso', handle: (s, r) => ledger(s, r.params[0]) },
];
