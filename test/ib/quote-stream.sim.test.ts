/** Streaming quotes against the simulator over TCP: no message in steady state, ticks, LRU lines, sessions. */
import type { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Instrument, Quote } from '../../src/domain/types.js';
import type { IbBroker } from '../../src/ib/ib-broker.js';
import type { IbQueryOptions } from '../../src/ib/ib-queries.js';
import { AAPL, MSFT, makeBroker, simPost, simState, startSim, waitStatus, waitUntil } from './support/sim.js';
import type { Sim } from './support/sim.js';

const SPY: Instrument = { ...AAPL, symbol: 'SPY' };
const REQ_MKT_DATA = 1;
const CANCEL_MKT_DATA = 2;

let sim: Sim;
const brokers: IbBroker[] = [];

beforeAll(async () => {
  sim = await startSim(21);
});

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.disconnect()));
});

afterAll(async () => {
  await sim?.close();
});

interface Wire {
  broker: IbBroker;
  hub: EventEmitter;
  /** [message id, request id] of every message sent */
  sent: [number, number][];
  count: (msgId: number) => number;
}

async function connected(queries: IbQueryOptions = {}): Promise<Wire> {
  const broker = makeBroker(sim.port, { queries });
  brokers.push(broker);
  const hub = (broker as unknown as { conn: { hub: EventEmitter } }).conn.hub;
  const sent: [number, number][] = [];
  hub.on('sent', (tokens: unknown[]) => sent.push([Number(tokens[0]), Number(tokens[2])]));
  await broker.connect();
  return { broker, hub, sent, count: (id) => sent.filter(([m]) => m === id).length };
}

async function simQuote(symbol: string): Promise<{ bid: number; ask: number; last: number }> {
  const quotes = (await simState(sim)).quotes as { symbol: string; bid: number; ask: number; last: number }[];
  const q = quotes.find((x) => x.symbol === symbol);
  if (!q) throw new Error(`no simulator quote for ${symbol}`);
  return q;
}

async function expectMatchesSim(q: Quote, symbol: string): Promise<void> {
  const s = await simQuote(symbol);
  expect(q.last?.toNumber()).toBe(s.last);
  expect(q.bid?.toNumber()).toBe(s.bid);
  expect(q.ask?.toNumber()).toBe(s.ask);
  expect(q.stale).toBe(false);
}

describe('streaming quotes', () => {
  it('subscribes once: the second quote for the same symbol sends no message', async () => {
    const w = await connected();
    const first = await w.broker.quote(AAPL);
    await expectMatchesSim(first, 'AAPL');
    expect(w.count(REQ_MKT_DATA)).toBe(1);
    const before = w.broker.stats().messagesSent;
    const simBefore = (await simState(sim)).stats!.connections.find((c) => c.clientId === w.broker.stats().clientId && !c.closedAt)!.messages;
    const second = await w.broker.quote(AAPL);
    expect(second.last?.toString()).toBe(first.last?.toString());
    expect(w.broker.stats().messagesSent).toBe(before);
    const simAfter = (await simState(sim)).stats!.connections.find((c) => c.clientId === w.broker.stats().clientId && !c.closedAt)!.messages;
    expect(simAfter).toBe(simBefore);
    expect(w.count(CANCEL_MKT_DATA)).toBe(0);
  });

  it('concurrent first calls share one subscription', async () => {
    const w = await connected();
    const qs = await Promise.all([w.broker.quote(MSFT), w.broker.quote(MSFT), w.broker.quote(MSFT)]);
    expect(w.count(REQ_MKT_DATA)).toBe(1);
    for (const q of qs) await expectMatchesSim(q, 'MSFT');
  });

  it('reflects a price change in the next quote, without a new request', async () => {
    const w = await connected();
    const first = await w.broker.quote(AAPL);
    const sent = w.broker.stats().messagesSent;
    const target = first.last!.add(3.25).toNumber();
    await simPost(sim, '/price', { symbol: 'AAPL', price: target });
    const q = await waitUntil(async () => {
      const x = await w.broker.quote(AAPL);
      return x.last?.toNumber() === target ? x : undefined;
    }, 10_000, 'the new AAPL price in the quote');
    await expectMatchesSim(q, 'AAPL');
    expect(w.broker.stats().messagesSent).toBe(sent);
  });

  it('keeps at most marketDataLines subscriptions, cancelling the least recently used', async () => {
    const w = await connected({ marketDataLines: 2 });
    await w.broker.quote(AAPL);
    await w.broker.quote(MSFT);
    await w.broker.quote(AAPL); // AAPL is now the most recently used: MSFT goes first
    expect(w.count(CANCEL_MKT_DATA)).toBe(0);
    const spy = await w.broker.quote(SPY);
    await expectMatchesSim(spy, 'SPY');
    expect(w.count(CANCEL_MKT_DATA)).toBe(1);
    const msftReq = w.sent.filter(([m]) => m === REQ_MKT_DATA)[1]![1];
    expect(w.sent.find(([m]) => m === CANCEL_MKT_DATA)![1]).toBe(msftReq);
    const spyReq = w.sent.filter(([m]) => m === REQ_MKT_DATA)[2]![1];
    // AAPL is still subscribed (no new request) and now the most recent; MSFT subscribes again and evicts SPY
    await expectMatchesSim(await w.broker.quote(AAPL), 'AAPL');
    expect(w.count(REQ_MKT_DATA)).toBe(3);
    await expectMatchesSim(await w.broker.quote(MSFT), 'MSFT');
    expect(w.count(REQ_MKT_DATA)).toBe(4);
    expect(w.sent.filter(([m]) => m === CANCEL_MKT_DATA).map(([, id]) => id)).toEqual([msftReq, spyReq]);
    // the evicted SPY comes back with a correct quote
    await expectMatchesSim(await w.broker.quote(SPY), 'SPY');
    expect(w.count(CANCEL_MKT_DATA)).toBe(3);
  });

  it('evicts a quote subscription when a shortable-shares request needs the last line', async () => {
    const w = await connected({ marketDataLines: 1 });
    await w.broker.quote(AAPL);
    expect(await w.broker.shortableShares(AAPL)).toBeGreaterThan(0);
    expect(w.count(CANCEL_MKT_DATA)).toBeGreaterThanOrEqual(1);
    await expectMatchesSim(await w.broker.quote(AAPL), 'AAPL');
    expect(w.count(REQ_MKT_DATA)).toBe(3);
  });

  it('subscribes again on the new session after a disconnect', async () => {
    const w = await connected();
    await w.broker.quote(SPY);
    expect(w.count(REQ_MKT_DATA)).toBe(1);
    let ended = 0;
    w.hub.on('sessionEnded', () => (ended += 1));
    await simPost(sim, '/fault', { action: 'disconnect' });
    await waitUntil(() => ended > 0, 10_000, 'the session to end');
    await waitStatus(w.broker, (s) => s.state === 'CONNECTED', 15_000);
    const q = await w.broker.quote(SPY);
    expect(w.count(REQ_MKT_DATA)).toBe(2);
    await expectMatchesSim(q, 'SPY');
    const target = q.last!.sub(1.5).toNumber();
    await simPost(sim, '/price', { symbol: 'SPY', price: target });
    await waitUntil(async () => (await w.broker.quote(SPY)).last?.toNumber() === target, 10_000, 'the new SPY price');
    expect(w.count(REQ_MKT_DATA)).toBe(2);
  });

  it('falls back to delayed data after 354 and keeps streaming delayed ticks', async () => {
    const w = await connected();
    let injected = 0;
    w.hub.on('sent', (tokens: unknown[]) => {
      if (Number(tokens[0]) === REQ_MKT_DATA && injected === 0) {
        injected = Number(tokens[2]);
        w.hub.emit('error', new Error('Requested market data is not subscribed.'), 354, injected);
      }
    });
    const q = await w.broker.quote(MSFT);
    expect(injected).toBeGreaterThan(0);
    expect(q.delayed).toBe(true);
    await expectMatchesSim(q, 'MSFT');
    // the failed request was cancelled, the delayed one stays open
    expect(w.sent.filter(([m]) => m === CANCEL_MKT_DATA).map(([, id]) => id)).toEqual([injected]);
    const target = q.last!.add(2).toNumber();
    await simPost(sim, '/price', { symbol: 'MSFT', price: target });
    const next = await waitUntil(async () => {
      const x = await w.broker.quote(MSFT);
      return x.last?.toNumber() === target ? x : undefined;
    }, 10_000, 'the new MSFT price');
    expect(next.delayed).toBe(true);
    expect(w.count(REQ_MKT_DATA)).toBe(2);
  });

  it('marks a quote stale when no tick arrived within quoteFreshMs, fresh again on the next tick', async () => {
    const w = await connected({ quoteFreshMs: 200 });
    const first = await w.broker.quote(AAPL);
    const old = await waitUntil(async () => {
      const x = await w.broker.quote(AAPL);
      return x.stale ? x : undefined;
    }, 10_000, 'a stale quote');
    const target = first.last!.add(1).toNumber();
    await simPost(sim, '/price', { symbol: 'AAPL', price: target });
    const fresh = await waitUntil(async () => {
      const x = await w.broker.quote(AAPL);
      return !x.stale && x.last?.toNumber() === target ? x : undefined;
    }, 10_000, 'a fresh quote');
    expect(fresh.ts).toBeGreaterThan(old.ts);
    expect(w.count(REQ_MKT_DATA)).toBe(1);
  });

  it('subscribes again after 1101 (connectivity restored, data lost)', async () => {
    const w = await connected();
    await w.broker.quote(MSFT);
    w.hub.emit('error', new Error('Connectivity between IB and TWS has been restored - data lost.'), 1101, -1);
    await expectMatchesSim(await w.broker.quote(MSFT), 'MSFT');
    expect(w.count(REQ_MKT_DATA)).toBe(2);
    expect(w.count(CANCEL_MKT_DATA)).toBe(0);
  });

  it('fails a quote for an unknown contract and does not keep the subscription', async () => {
    const w = await connected();
    const err = await w.broker.quote({ ...AAPL, symbol: 'ZZZZNOPE' }).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(200);
    await w.broker.quote({ ...AAPL, symbol: 'ZZZZNOPE' }).catch(() => undefined);
    expect(w.count(REQ_MKT_DATA)).toBe(2);
  });
});
