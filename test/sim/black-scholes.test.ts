/**
 * The simulator's Black-Scholes against known values (Hull, Options, Futures and Other Derivatives,
 * example 15.6: S=42, K=40, r=10 %, σ=20 %, T=0.5 → call 4.76, put 0.81), put-call parity, greek
 * ranges and the implied-volatility inverse.
 */
import { describe, expect, it } from 'vitest';
import { blackScholes, impliedVol, normCdf } from '../../src/sim/engine/black-scholes.js';

const hull = { spot: 42, strike: 40, t: 0.5, vol: 0.2, rate: 0.1 } as const;

describe('black-scholes', () => {
  it('normCdf matches the table', () => {
    expect(normCdf(0)).toBeCloseTo(0.5, 7);
    expect(normCdf(1.96)).toBeCloseTo(0.975, 4);
    expect(normCdf(-1)).toBeCloseTo(0.158655, 5);
  });

  it('prices Hull example 15.6', () => {
    const c = blackScholes({ ...hull, right: 'C' });
    const p = blackScholes({ ...hull, right: 'P' });
    expect(c.price).toBeCloseTo(4.76, 2);
    expect(p.price).toBeCloseTo(0.81, 2);
    // d1 = 0.7693 → N(d1) = 0.7791
    expect(c.delta).toBeCloseTo(0.7791, 3);
    expect(p.delta).toBeCloseTo(0.7791 - 1, 3);
    expect(c.gamma).toBeCloseTo(p.gamma, 12);
    expect(c.vega).toBeCloseTo(p.vega, 12);
  });

  it('holds put-call parity C − P = S − K e^(−rT)', () => {
    for (const strike of [150, 190, 230]) {
      const x = { spot: 190, strike, t: 45 / 365, vol: 0.3, rate: 0.04 };
      const c = blackScholes({ ...x, right: 'C' }).price;
      const p = blackScholes({ ...x, right: 'P' }).price;
      expect(c - p).toBeCloseTo(190 - strike * Math.exp(-0.04 * x.t), 8);
    }
  });

  it('keeps prices above intrinsic and greeks in range', () => {
    for (const strike of [100, 180, 190, 200, 300]) {
      for (const right of ['C', 'P'] as const) {
        const r = blackScholes({ right, spot: 190, strike, t: 0.2, vol: 0.3, rate: 0.04 });
        const intrinsicValue = right === 'C' ? Math.max(190 - strike, 0) : Math.max(strike - 190, 0);
        expect(r.price).toBeGreaterThanOrEqual(right === 'C' ? intrinsicValue : intrinsicValue - strike * (1 - Math.exp(-0.04 * 0.2)));
        if (right === 'C') expect(r.delta).toBeGreaterThanOrEqual(0);
        else expect(r.delta).toBeLessThanOrEqual(0);
        expect(Math.abs(r.delta)).toBeLessThanOrEqual(1);
        expect(r.gamma).toBeGreaterThanOrEqual(0);
        expect(r.vega).toBeGreaterThanOrEqual(0);
        if (right === 'C') expect(r.theta).toBeLessThan(0);
      }
    }
  });

  it('is intrinsic at expiry', () => {
    expect(blackScholes({ right: 'C', spot: 190, strike: 180, t: 0, vol: 0.3, rate: 0.04 })).toEqual({ price: 10, delta: 1, gamma: 0, vega: 0, theta: 0 });
    expect(blackScholes({ right: 'P', spot: 190, strike: 180, t: 0, vol: 0.3, rate: 0.04 }).price).toBe(0);
  });

  it('implied volatility inverts the price', () => {
    const x = { right: 'C' as const, spot: 190, strike: 200, t: 30 / 365, rate: 0.04 };
    const price = blackScholes({ ...x, vol: 0.35 }).price;
    expect(impliedVol(price, x)).toBeCloseTo(0.35, 5);
    expect(impliedVol(5, { ...x, strike: 180 })).toBeUndefined(); // below intrinsic (10)
    expect(impliedVol(500, x)).toBeUndefined();
  });
});
