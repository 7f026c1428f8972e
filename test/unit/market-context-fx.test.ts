/**
 * FX rates for conversions to the account base currency: from IB CASH quotes (the pair, else its inverse),
 * midpoint first, cached for the max age, none → undefined (the order is then denied NO_FX_RATE).
 * The broker is a counting fake of the port.
 */
import { describe, expect, it } from 'vitest';
import { Decimal, type Instrument, type Quote } from '../../src/domain/types.js';
import { ManualClock } from '../../src/domain/clock.js';
import { MarketContext } from '../../src/execution/market-context.js';
import type { BrokerPort } from '../../src/execution/broker-port.js';

function market(quotes: Record<string, Partial<Quote>>) {
  const asked: string[] = [];
  const broker = {
    quote: async (i: Instrument) => {
      const key = `${i.symbol}.${i.currency}`;
      asked.push(`${key} ${i.secType} ${i.exchange}`);
      const q = quotes[key];
      if (!q) throw new Error(`no market data for ${key}`);
      return { delayed: false, stale: false, ts: 0, ...q } as Quote;
    },
  } as unknown as BrokerPort;
  const clock = new ManualClock(1_000);
  return { m: new MarketContext(broker, [], clock, { snapshotMaxAgeMs: 5_000, fxMaxAgeMs: 60_000 }), asked, clock };
}

describe('MarketContext.fxRate', () => {
  it('EUR → USD from the EUR.USD CASH quote midpoint, cached for the max age', async () => {
    const { m, asked, clock } = market({ 'EUR.USD': { bid: new Decimal('1.0799'), ask: new Decimal('1.0801') } });
    expect((await m.fxRate('EUR', 'USD'))?.toString()).toBe('1.08');
    expect(asked).toEqual(['EUR.USD CASH IDEALPRO']);
    clock.advance(60_000);
    await m.fxRate('EUR', 'USD');
    expect(asked).toHaveLength(1);
    clock.advance(1);
    await m.fxRate('EUR', 'USD');
    expect(asked).toHaveLength(2);
  });

  it('the inverse pair when only USD.JPY is quoted; the same currency is 1', async () => {
    const { m } = market({ 'USD.JPY': { bid: new Decimal(150), ask: new Decimal(150) } });
    expect((await m.fxRate('JPY', 'USD'))?.toFixed(6)).toBe('0.006667');
    expect((await m.fxRate('USD', 'USD'))?.toString()).toBe('1');
  });

  it('no quote at all: undefined (and not cached, so the next order asks again)', async () => {
    const { m, asked } = market({});
    expect(await m.fxRate('CHF', 'USD')).toBeUndefined();
    expect(await m.fxRate('CHF', 'USD')).toBeUndefined();
    expect(asked).toEqual(['CHF.USD CASH IDEALPRO', 'USD.CHF CASH IDEALPRO', 'CHF.USD CASH IDEALPRO', 'USD.CHF CASH IDEALPRO']);
  });
});
