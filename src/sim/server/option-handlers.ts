/**
 * Option data over the wire: REQ_SEC_DEF_OPT_PARAMS (expirations and strikes of an underlying, one
 * message per exchange, then the END) and the TICK_OPTION_COMPUTATION ticks of an option's market data
 * (bid, ask, last: implied volatility from that price and greeks at it; model: the instrument's
 * volatility and Black-Scholes value), live (10..13) or delayed (80..83) per the session's data type.
 */
import { impliedVol, type OptionRight } from '../engine/black-scholes.js';
import { optionModel, type SimInstrument } from '../engine/instruments.js';
import type { WireContract } from '../wire/messages.js';
import type { SessionContext } from './session-types.js';

const NO_SECDEF = 'No security definition has been found for the request';

/** The fields of REQ_SEC_DEF_OPT_PARAMS the handler uses. */
export interface SecDefOptRequest {
  readonly reqId: number;
  readonly underlyingSymbol: string;
  readonly futFopExchange?: string | undefined;
  readonly underlyingSecType: string;
  readonly underlyingConId: number;
}

function underlyingOf(s: SessionContext, r: SecDefOptRequest): SimInstrument | undefined {
  const byId = r.underlyingConId ? s.engine.instruments.byConId(r.underlyingConId) : undefined;
  if (byId) return byId;
  return s.engine.instruments.resolve({ symbol: r.underlyingSymbol, secType: r.underlyingSecType || 'STK' });
}

/** REQ_SEC_DEF_OPT_PARAMS: per (tradingClass, multiplier) the expirations and strikes, on SMART and CBOE; 200 for an unknown underlying. */
export function handleReqSecDefOptParams(s: SessionContext, r: SecDefOptRequest): void {
  const und = underlyingOf(s, r);
  if (!und) return s.send({ type: 'ERR_MSG', reqId: r.reqId, code: 200, message: NO_SECDEF });
  const groups = new Map<string, SimInstrument[]>();
  if (!r.futFopExchange) {
    const now = s.engine.now();
    // like IB, expired contracts are not listed
    for (const o of s.engine.instruments.optionsOf(und.conId).filter((x) => x.expiryMs === 0 || x.expiryMs > now)) {
      const key = `${o.tradingClass}|${o.multiplierText}`;
      groups.set(key, [...(groups.get(key) ?? []), o]);
    }
  }
  for (const list of groups.values()) {
    const first = list[0]!;
    const expirations = [...new Set(list.map((o) => o.lastTradeDateOrContractMonth))].sort();
    const strikes = [...new Set(list.map((o) => o.strike ?? 0))].sort((a, b) => a - b);
    for (const exchange of first.exchange === 'SMART' ? ['SMART', 'CBOE'] : [first.exchange]) {
      s.send({
        type: 'SECURITY_DEFINITION_OPTION_PARAMETER', reqId: r.reqId, exchange, underlyingConId: und.conId,
        tradingClass: first.tradingClass, multiplier: first.multiplierText || '100', expirations, strikes,
      });
    }
  }
  s.send({ type: 'SECURITY_DEFINITION_OPTION_PARAMETER_END', reqId: r.reqId });
}

const round = (x: number, dp: number): string => String(Number(x.toFixed(dp)));

/** The fields of REQ_CALC_IMPLIED_VOLAT / REQ_CALC_OPTION_PRICE the handler uses. */
export interface OptionCalcRequest {
  readonly reqId: number;
  readonly contract: WireContract;
  readonly underPrice: number;
  /** given: the option price (implied volatility asked) or the volatility (price asked) */
  readonly optionPrice?: number;
  readonly volatility?: number;
}

/**
 * REQ_CALC_IMPLIED_VOLAT / REQ_CALC_OPTION_PRICE: one TICK_OPTION_COMPUTATION with tick type 53
 * (CUST_OPTION_COMPUTATION) at the given underlying price; 200 for a contract that is not one option.
 */
export function handleOptionCalc(s: SessionContext, r: OptionCalcRequest): void {
  const ins = s.engine.instruments.resolve(r.contract);
  if (!ins || ins.secType !== 'OPT' || ins.strike === undefined) return s.send({ type: 'ERR_MSG', reqId: r.reqId, code: 200, message: NO_SECDEF });
  const now = s.engine.now();
  const t = Math.max(ins.expiryMs - now, 0) / (365 * 86_400_000);
  const vol = r.volatility ?? impliedVol(r.optionPrice ?? 0, { right: ins.right as OptionRight, spot: r.underPrice, strike: ins.strike, t, rate: ins.rate });
  const g = vol === undefined ? undefined : optionModel(ins, r.underPrice, now, vol);
  s.send({
    type: 'TICK_OPTION_COMPUTATION', reqId: r.reqId, tickType: 53, tickAttrib: 1, impliedVol: vol === undefined ? -1 : round(vol, 6),
    delta: g ? round(g.delta, 6) : -2, optPrice: r.optionPrice !== undefined ? r.optionPrice : g ? round(g.price, 4) : -1, pvDividend: 0,
    gamma: g ? round(g.gamma, 6) : -2, vega: g ? round(g.vega, 6) : -2, theta: g ? round(g.theta, 6) : -2, undPrice: r.underPrice,
  });
}

/**
 * Generic tick 106 → TICK_GENERIC 24 (option implied volatility): an option's own volatility, or for an
 * underlying the volatility of its nearest-the-money option (none when it has no options).
 */
export function sendImpliedVolTick(s: SessionContext, reqId: number, ins: SimInstrument): void {
  let vol: number | undefined;
  if (ins.secType === 'OPT') vol = ins.impliedVolatility;
  else {
    const spot = s.engine.market.quote(ins).last.toNumber();
    const atm = s.engine.instruments.optionsOf(ins.conId).sort((a, b) => Math.abs((a.strike ?? 0) - spot) - Math.abs((b.strike ?? 0) - spot) || a.expiryMs - b.expiryMs)[0];
    vol = atm?.impliedVolatility;
  }
  if (vol !== undefined && vol > 0) s.send({ type: 'TICK_GENERIC', reqId, tickType: 24, value: round(vol, 6) });
}

/** The four TICK_OPTION_COMPUTATION messages of an option (no-op for other instruments). */
export function sendOptionComputations(s: SessionContext, reqId: number, ins: SimInstrument): void {
  if (ins.secType !== 'OPT' || ins.strike === undefined) return;
  const und = s.engine.instruments.byConId(ins.underlyingConId);
  if (!und) return;
  const spot = s.engine.market.quote(und).last.toNumber();
  const q = s.engine.market.quote(ins);
  const now = s.engine.now();
  const delayed = s.marketDataType >= 3;
  const t = Math.max(ins.expiryMs - now, 0) / (365 * 86_400_000);
  const at = (tickType: number, price: number, vol: number | undefined): void => {
    const g = vol === undefined ? undefined : optionModel(ins, spot, now, vol);
    s.send({
      type: 'TICK_OPTION_COMPUTATION', reqId, tickType: delayed ? tickType + 70 : tickType, tickAttrib: 1,
      impliedVol: vol === undefined ? -1 : round(vol, 6), delta: g ? round(g.delta, 6) : -2, optPrice: round(price, 4),
      pvDividend: 0, gamma: g ? round(g.gamma, 6) : -2, vega: g ? round(g.vega, 6) : -2, theta: g ? round(g.theta, 6) : -2,
      undPrice: round(spot, 4),
    });
  };
  const iv = (price: number): number | undefined =>
    impliedVol(price, { right: ins.right as OptionRight, spot, strike: ins.strike ?? 0, t, rate: ins.rate });
  at(10, q.bid.toNumber(), iv(q.bid.toNumber()));
  at(11, q.ask.toNumber(), iv(q.ask.toNumber()));
  at(12, q.last.toNumber(), iv(q.last.toNumber()));
  at(13, optionModel(ins, spot, now).price, ins.impliedVolatility);
}
