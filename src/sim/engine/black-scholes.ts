/**
 * Black-Scholes (no dividends) for European options: price, greeks and implied volatility. Pure
 * floating-point math (a model, not money: the simulator rounds the result to the option's tick).
 *
 * Conventions, as TWS reports them in tickOptionComputation:
 *  - `t` in years, `vol` and `rate` as fractions (0.30 = 30 %);
 *  - `vega` per 1 volatility point (a change of 0.01 in `vol`), `theta` per calendar day;
 *  - at or after expiry (`t <= 0`) the price is the intrinsic value, delta 0/±1, other greeks 0.
 */

/** Call or put. */
export type OptionRight = 'C' | 'P';

/** The inputs of one valuation. */
export interface BsInput {
  readonly right: OptionRight;
  /** underlying price */
  readonly spot: number;
  readonly strike: number;
  /** time to expiry in years */
  readonly t: number;
  readonly vol: number;
  readonly rate: number;
}

/** Price and greeks of one option. */
export interface BsResult {
  readonly price: number;
  readonly delta: number;
  readonly gamma: number;
  /** per 1 vol point */
  readonly vega: number;
  /** per calendar day */
  readonly theta: number;
}

/** Standard normal density. */
export function normPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Standard normal cumulative distribution (Zelen & Severo / Abramowitz-Stegun 26.2.17, |error| < 7.5e-8). */
export function normCdf(x: number): number {
  if (x < 0) return 1 - normCdf(-x);
  const k = 1 / (1 + 0.2316419 * x);
  const poly = k * (0.31938153 + k * (-0.356563782 + k * (1.781477937 + k * (-1.821255978 + k * 1.330274429))));
  return 1 - normPdf(x) * poly;
}

/** Intrinsic value of an option. */
export function intrinsic(right: OptionRight, spot: number, strike: number): number {
  return right === 'C' ? Math.max(spot - strike, 0) : Math.max(strike - spot, 0);
}

/** Price and greeks by Black-Scholes. */
export function blackScholes(i: BsInput): BsResult {
  const { right, spot, strike, t, vol, rate } = i;
  if (t <= 0 || vol <= 0 || spot <= 0 || strike <= 0) {
    const itm = right === 'C' ? spot > strike : spot < strike;
    return { price: intrinsic(right, spot, strike), delta: itm ? (right === 'C' ? 1 : -1) : 0, gamma: 0, vega: 0, theta: 0 };
  }
  const sqrtT = Math.sqrt(t);
  const d1 = (Math.log(spot / strike) + (rate + (vol * vol) / 2) * t) / (vol * sqrtT);
  const d2 = d1 - vol * sqrtT;
  const disc = Math.exp(-rate * t);
  const pdf = normPdf(d1);
  const gamma = pdf / (spot * vol * sqrtT);
  const vega = (spot * pdf * sqrtT) / 100;
  const decay = -(spot * pdf * vol) / (2 * sqrtT);
  if (right === 'C') {
    return {
      price: spot * normCdf(d1) - strike * disc * normCdf(d2),
      delta: normCdf(d1), gamma, vega,
      theta: (decay - rate * strike * disc * normCdf(d2)) / 365,
    };
  }
  return {
    price: strike * disc * normCdf(-d2) - spot * normCdf(-d1),
    delta: normCdf(d1) - 1, gamma, vega,
    theta: (decay + rate * strike * disc * normCdf(-d2)) / 365,
  };
}

/**
 * The volatility at which Black-Scholes gives `price` (bisection in [0.0001, 5]); undefined when the
 * price is at or below the discounted intrinsic value or above the no-arbitrage bound (no solution).
 */
export function impliedVol(price: number, i: Omit<BsInput, 'vol'>): number | undefined {
  if (i.t <= 0 || !(price > 0)) return undefined;
  const at = (vol: number): number => blackScholes({ ...i, vol }).price;
  let lo = 0.0001;
  let hi = 5;
  if (price <= at(lo) || price >= at(hi)) return undefined;
  for (let n = 0; n < 100 && hi - lo > 1e-7; n++) {
    const mid = (lo + hi) / 2;
    if (at(mid) < price) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
