/** MarketContext quotes: cached up to quoteMaxAgeMs, renewed in the background past half that age. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { Decimal, type Instrument, type Quote } from '../../src/domain/types.js';
import type { BrokerPort } from '../../src/execution/broker-port.js';
import { MarketContext } from '../../src/execution/market-context.js';

const AAPL: Instrument = { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' };

function context() {
  const clock = new ManualClock(10_000);
  let calls = 0;
  const broker = {
    quote: async (): Promise<Quote> => {
      calls += 1;
      return { last: new Decimal(100 + calls), delayed: false, stale: false, ts: clock.now() };
    },
  } as unknown as BrokerPort;
  const market = new MarketContext(broker, [], clock, { quoteMaxAgeMs: 1_000, snapshotMaxAgeMs: 5_000 });
  return { market, clock, calls: () => calls };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('MarketContext quotes', () => {
  it('answers from the cache while the quote is young, without asking the broker', async () => {
    const { market, clock, calls } = context();
    expect((await market.quote(AAPL)).last?.toString()).toBe('101');
    clock.advance(400);
    expect((await market.quote(AAPL)).last?.toString()).toBe('101');
    expect(calls()).toBe(1);
  });

  it('past half its age answers from the cache and renews it in the background once', async () => {
    const { market, clock, calls } = context();
    await market.quote(AAPL);
    clock.advance(600);
    const [a, b] = await Promise.all([market.quote(AAPL), market.quote(AAPL)]);
    expect([a.last?.toString(), b.last?.toString()]).toEqual(['101', '101']);
    await settle();
    expect(calls()).toBe(2);
    expect((await market.quote(AAPL)).last?.toString()).toBe('102');
  });

  it('never answers with a quote older than quoteMaxAgeMs: it waits for a new one', async () => {
    const { market, clock, calls } = context();
    await market.quote(AAPL);
    clock.advance(1_001);
    expect((await market.quote(AAPL)).last?.toString()).toBe('102');
    expect(calls()).toBe(2);
  });
});
