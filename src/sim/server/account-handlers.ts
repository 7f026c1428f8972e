/**
 * Account requests: positions (and multi), account summary (incl. $LEDGER tags), account updates
 * (single and multi) with portfolio values. Every value is keyed by its own account: the household's
 * accounts are never summed together. Subscriptions are refreshed by `onAccountChanged`.
 */
import type { SimAccount, SimPosition } from '../engine/accounts.js';
import { ledgerValues, summaryValues, valuePosition, type AccountValue } from '../engine/account-values.js';
import { contractOf } from '../engine/order-book.js';
import type { ServerMessage, WireContract } from '../wire/messages.js';
import type { SessionContext } from './session-types.js';

const posContract = (p: SimPosition): WireContract => contractOf(p.instrument);

/** IB reports avgCost multiplied for futures (price × multiplier). */
const avgCostOf = (p: SimPosition): string => p.avgCost.mul(p.instrument.multiplier).toDecimalPlaces(6).toString();

function positionsOf(a: SimAccount, conId?: number): SimPosition[] {
  return [...a.positions.values()].filter((p) => (conId === undefined ? p.quantity !== 0 : p.instrument.conId === conId));
}

function accountsFor(s: SessionContext, account: string | undefined): SimAccount[] {
  const all = [...s.engine.accounts.values()];
  if (!account || account.toUpperCase() === 'ALL') return all;
  return all.filter((a) => a.id === account);
}

/** REQ_POSITIONS: every account's positions, POSITION_END, then updates on change. */
export function handleReqPositions(s: SessionContext): void {
  s.subs.positions = true;
  for (const a of s.engine.accounts.values()) {
    for (const p of positionsOf(a)) s.send({ type: 'POSITION', account: a.id, contract: posContract(p), position: p.quantity, avgCost: avgCostOf(p) });
  }
  s.send({ type: 'POSITION_END' });
}

/** REQ_POSITIONS_MULTI for one account (or all when "" / "All"). */
export function handleReqPositionsMulti(s: SessionContext, reqId: number, account: string | undefined, modelCode: string | undefined): void {
  s.subs.positionsMulti.set(reqId, { account, modelCode });
  for (const a of accountsFor(s, account)) {
    for (const p of positionsOf(a)) {
      s.send({ type: 'POSITION_MULTI', reqId, account: a.id, modelCode, contract: posContract(p), position: p.quantity, avgCost: avgCostOf(p) });
    }
  }
  s.send({ type: 'POSITION_MULTI_END', reqId });
}

function summaryTagValues(s: SessionContext, a: SimAccount, tags: readonly string[]): AccountValue[] {
  const { market, instruments } = s.engine;
  const out: AccountValue[] = [];
  const summary = summaryValues(a, market, instruments);
  const wanted = new Set(tags.map((t) => t.trim()).filter((t) => t !== ''));
  for (const v of summary) if (wanted.has(v.key) || wanted.has('All')) out.push(v);
  for (const t of wanted) {
    if (t === '$LEDGER') out.push(...ledgerValues(a, market, instruments, 'BASE'));
    else if (t === '$LEDGER:ALL') out.push(...ledgerValues(a, market, instruments));
    else if (t.startsWith('$LEDGER:')) out.push(...ledgerValues(a, market, instruments, t.slice(8)));
  }
  return out;
}

function sendSummary(s: SessionContext, reqId: number, a: SimAccount, tags: readonly string[]): void {
  for (const v of summaryTagValues(s, a, tags)) {
    s.send({ type: 'ACCOUNT_SUMMARY', reqId, account: a.id, tag: v.key, value: v.value, currency: v.currency });
  }
}

/** REQ_ACCOUNT_SUMMARY: requested tags of every account, ACCOUNT_SUMMARY_END, then updates on change. */
export function handleReqAccountSummary(s: SessionContext, reqId: number, group: string, tagsCsv: string): void {
  const tags = tagsCsv.split(',');
  s.subs.accountSummary.set(reqId, { tags, group });
  for (const a of s.engine.accounts.values()) sendSummary(s, reqId, a, tags);
  s.send({ type: 'ACCOUNT_SUMMARY_END', reqId });
}

function allValues(s: SessionContext, a: SimAccount): AccountValue[] {
  const { market, instruments } = s.engine;
  return [
    { key: 'AccountCode', value: a.id, currency: '' },
    { key: 'Currency', value: a.baseCurrency, currency: a.baseCurrency },
    ...summaryValues(a, market, instruments),
    ...ledgerValues(a, market, instruments),
  ];
}

function portfolioMessage(s: SessionContext, a: SimAccount, p: SimPosition): ServerMessage {
  const v = valuePosition(p, s.engine.market);
  const contract = { ...posContract(p), exchange: undefined };
  return {
    type: 'PORTFOLIO_VALUE', contract, position: p.quantity, marketPrice: v.price.toString(),
    marketValue: v.value.toDecimalPlaces(2).toString(), averageCost: avgCostOf(p),
    unrealizedPNL: v.unrealized.toDecimalPlaces(2).toString(), realizedPNL: p.realizedPnl.toDecimalPlaces(2).toString(),
    accountName: a.id,
  };
}

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

function sendAccountUpdates(s: SessionContext, a: SimAccount, conId?: number): void {
  for (const v of allValues(s, a)) s.send({ type: 'ACCT_VALUE', key: v.key, value: v.value, currency: v.currency, accountName: a.id });
  for (const p of positionsOf(a, conId)) s.send(portfolioMessage(s, a, p));
  s.send({ type: 'ACCT_UPDATE_TIME', timeStamp: hhmm(s.engine.now()) });
}

/** REQ_ACCOUNT_DATA (reqAccountUpdates): values, portfolio, time, ACCT_DOWNLOAD_END; or unsubscribe. */
export function handleReqAccountData(s: SessionContext, subscribe: boolean, acctCode: string | undefined): void {
  if (!subscribe) {
    s.subs.accountUpdates = undefined;
    return;
  }
  const a = acctCode ? s.engine.accounts.get(acctCode) : [...s.engine.accounts.values()][0];
  if (!a) {
    s.send({ type: 'ERR_MSG', reqId: -1, code: 321, message: `Error validating request:-'bc' : cause - Invalid account code ${acctCode ?? ''}` });
    return;
  }
  s.subs.accountUpdates = a.id;
  sendAccountUpdates(s, a);
  s.send({ type: 'ACCT_DOWNLOAD_END', accountName: a.id });
}

const LEDGER_NLV_KEYS = new Set(['CashBalance', 'TotalCashBalance', 'NetLiquidationByCurrency', 'NetLiquidation', 'RealizedPnL', 'UnrealizedPnL', 'ExchangeRate']);

function sendUpdatesMulti(s: SessionContext, reqId: number, a: SimAccount, modelCode: string | undefined, ledgerAndNLV: boolean): void {
  for (const v of allValues(s, a)) {
    if (ledgerAndNLV && !LEDGER_NLV_KEYS.has(v.key)) continue;
    s.send({ type: 'ACCOUNT_UPDATE_MULTI', reqId, account: a.id, modelCode, key: v.key, value: v.value, currency: v.currency });
  }
}

/** REQ_ACCOUNT_UPDATES_MULTI: values of one account (all when "" / "All"), then END. */
export function handleReqAccountUpdatesMulti(s: SessionContext, reqId: number, account: string | undefined, modelCode: string | undefined, ledgerAndNLV: boolean): void {
  s.subs.accountUpdatesMulti.set(reqId, { account, modelCode, ledgerAndNLV });
  for (const a of accountsFor(s, account)) sendUpdatesMulti(s, reqId, a, modelCode, ledgerAndNLV);
  s.send({ type: 'ACCOUNT_UPDATE_MULTI_END', reqId });
}

/** Pushes fresh data of a changed account to every subscription of the session that covers it. */
export function onAccountChanged(s: SessionContext, accountId: string, conId: number | undefined): void {
  const a = s.engine.accounts.get(accountId);
  if (!a) return;
  const changed = conId === undefined ? [] : positionsOf(a, conId);
  if (s.subs.positions) {
    for (const p of changed) s.send({ type: 'POSITION', account: a.id, contract: posContract(p), position: p.quantity, avgCost: avgCostOf(p) });
  }
  for (const [reqId, sub] of s.subs.positionsMulti) {
    if (accountsFor(s, sub.account).includes(a)) {
      for (const p of changed) {
        s.send({ type: 'POSITION_MULTI', reqId, account: a.id, modelCode: sub.modelCode, contract: posContract(p), position: p.quantity, avgCost: avgCostOf(p) });
      }
    }
  }
  for (const [reqId, sub] of s.subs.accountSummary) sendSummary(s, reqId, a, sub.tags);
  if (s.subs.accountUpdates === a.id) sendAccountUpdates(s, a, conId ?? -1);
  for (const [reqId, sub] of s.subs.accountUpdatesMulti) {
    if (accountsFor(s, sub.account).includes(a)) sendUpdatesMulti(s, reqId, a, sub.modelCode, sub.ledgerAndNLV);
  }
}
