/**
 * The JSON view of the engine served by GET /state (CONTRACT §7): accounts (with per-currency cash,
 * settled cash and summary values), positions, orders, executions, and connection `stats`.
 * Money and prices are JSON numbers here (a read-only view for tests and operators).
 */
import { accountTotals } from '../engine/account-values.js';
import type { SimEngine } from '../engine/engine.js';
import type { SimInstrument } from '../engine/instruments.js';
import { avgFillPrice, remainingOf } from '../engine/orders.js';

const num = (d: { toNumber(): number }): number => d.toNumber();

/** conId, secType and (options, futures) the contract fields of an instrument. */
function contractView(i: SimInstrument): Record<string, unknown> {
  const out: Record<string, unknown> = { conId: i.conId, secType: i.secType };
  if (i.lastTradeDateOrContractMonth) out['lastTradeDateOrContractMonth'] = i.lastTradeDateOrContractMonth;
  if (i.secType === 'OPT') Object.assign(out, { strike: i.strike, right: i.right, multiplier: i.multiplierText });
  return out;
}

function accountsView(engine: SimEngine): unknown[] {
  return [...engine.accounts.values()].map((a) => {
    const t = accountTotals(a, engine.market, engine.instruments);
    return {
      id: a.id,
      accountType: a.accountType,
      baseCurrency: a.baseCurrency,
      cash: Object.fromEntries([...a.cash].map(([c, v]) => [c, num(v)])),
      settledCash: Object.fromEntries([...a.settled].map(([c, v]) => [c, num(v)])),
      netLiquidation: num(t.netLiquidation.toDecimalPlaces(2)),
      totalCashValue: num(t.totalCash.toDecimalPlaces(2)),
      availableFunds: num(t.availableFunds.toDecimalPlaces(2)),
      buyingPower: num(t.buyingPower.toDecimalPlaces(2)),
    };
  });
}

function positionsView(engine: SimEngine): unknown[] {
  const out: unknown[] = [];
  for (const a of engine.accounts.values()) {
    for (const p of a.positions.values()) {
      if (p.quantity === 0 && p.realizedPnl.isZero()) continue;
      out.push({
        account: a.id, symbol: p.instrument.symbol, ...contractView(p.instrument),
        currency: p.instrument.currency, quantity: p.quantity, avgCost: num(p.avgCost), realizedPnl: num(p.realizedPnl),
      });
    }
  }
  return out;
}

/** Builds the GET /state document. */
export function stateView(engine: SimEngine): unknown {
  return {
    accounts: accountsView(engine),
    positions: positionsView(engine),
    orders: [...engine.orders.values()].map((o) => ({
      orderId: o.orderId, permId: o.permId, clientId: o.clientId, account: o.account, orderRef: o.orderRef,
      symbol: o.instrument.symbol, ...contractView(o.instrument), action: o.action, totalQuantity: o.totalQuantity, orderType: o.orderType,
      status: o.status, filled: o.filled, remaining: remainingOf(o), avgFillPrice: num(avgFillPrice(o)),
      parentId: o.parentId, ocaGroup: o.ocaGroup, tif: o.tif,
      lmtPrice: o.lmtPrice ? num(o.lmtPrice) : null, auxPrice: o.auxPrice ? num(o.auxPrice) : null,
      ackDropped: o.ackDropped, transmitted: o.transmitted,
    })),
    executions: engine.executions.map((e) => ({
      execId: e.execId, orderId: e.orderId, clientId: e.clientId, permId: e.permId, orderRef: e.orderRef,
      account: e.account, symbol: e.instrument.symbol, ...contractView(e.instrument), side: e.side, shares: e.shares, price: num(e.price),
      time: new Date(e.time).toISOString(), commission: num(e.commission), commissionCurrency: e.commissionCurrency,
    })),
    quotes: engine.instruments.all().map((i) => {
      const q = engine.market.quote(i);
      return { symbol: i.symbol, ...contractView(i), bid: num(q.bid), ask: num(q.ask), last: num(q.last), close: num(q.close) };
    }),
    stats: engine.stats.snapshot(),
  };
}
