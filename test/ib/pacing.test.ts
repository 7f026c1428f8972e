import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { Pacer } from '../../src/ib/ib-pacer.js';
import type { PacerTimers } from '../../src/ib/ib-pacer.js';
import { HistoricalPacer, LineBudget, OutboundLimiter, SlidingWindow, TokenBucket, backoffDelay } from '../../src/ib/pacing.js';

describe('TokenBucket', () => {
  it('allows a burst of capacity, then refills at the rate', () => {
    const b = new TokenBucket(4, 40, 0);
    for (let i = 0; i < 4; i += 1) expect(b.tryTake(0)).toBe(true);
    expect(b.tryTake(0)).toBe(false);
    expect(b.waitMs(0)).toBe(25);
    expect(b.tryTake(25)).toBe(true);
    expect(b.tryTake(25)).toBe(false);
  });
});

describe('SlidingWindow', () => {
  it('never admits more than limit events in any window', () => {
    const w = new SlidingWindow(3, 1000);
    w.record(0);
    w.record(10);
    w.record(20);
    expect(w.waitMs(500)).toBe(500);
    expect(w.waitMs(1000)).toBe(0);
    w.record(1000);
    expect(w.waitMs(1000)).toBe(10);
  });
});

describe('OutboundLimiter', () => {
  it('keeps every 1 s window at or below the budget over a long burst', () => {
    const lim = new OutboundLimiter(0, { perSecond: 40 });
    const sent: number[] = [];
    let now = 0;
    while (sent.length < 500) {
      const w = lim.waitMs(now);
      if (w > 0) now += w;
      else if (lim.tryTake(now)) sent.push(now);
    }
    let max = 0;
    for (let i = 0; i < sent.length; i += 1) {
      const inWindow = sent.filter((t) => t > sent[i]! - 1000 && t <= sent[i]!).length;
      max = Math.max(max, inWindow);
    }
    expect(max).toBeLessThanOrEqual(40);
    expect(max).toBeGreaterThanOrEqual(35); // and it does use the budget
  });
});

describe('Pacer', () => {
  const manualTimers = (clock: ManualClock) => {
    const pending: { at: number; fn: () => void }[] = [];
    const timers: PacerTimers = {
      setTimeout: (fn, ms) => {
        const t = { at: clock.now() + ms, fn };
        pending.push(t);
        return t;
      },
      clearTimeout: (h) => {
        const i = pending.indexOf(h as never);
        if (i >= 0) pending.splice(i, 1);
      },
    };
    const runAll = (): void => {
      while (pending.length > 0) {
        pending.sort((a, b) => a.at - b.at);
        const t = pending.shift()!;
        clock.set(Math.max(clock.now(), t.at));
        t.fn();
      }
    };
    return { timers, runAll };
  };

  it('sends orders before queued data requests and keeps FIFO within a priority', async () => {
    const clock = new ManualClock(0);
    const { timers, runAll } = manualTimers(clock);
    const pacer = new Pacer(clock, 10, timers);
    const order: string[] = [];
    const ps: Promise<void>[] = [];
    for (let i = 0; i < 5; i += 1) ps.push(pacer.submit('data', () => order.push(`d${i}`)));
    ps.push(pacer.submit('order', () => order.push('o1')));
    ps.push(pacer.submit('order', () => order.push('o2')));
    runAll();
    await Promise.all(ps);
    expect(order[0]).toBe('d0'); // burst of 1 token went out at once
    expect(order.slice(1, 3)).toEqual(['o1', 'o2']);
    expect(order.slice(3)).toEqual(['d1', 'd2', 'd3', 'd4']);
  });

  it('rejects queued tasks on failAll and when the gate closes', async () => {
    const clock = new ManualClock(0);
    const { timers } = manualTimers(clock);
    const pacer = new Pacer(clock, 10, timers);
    await pacer.submit('data', () => undefined);
    const queued = pacer.submit('order', () => undefined);
    pacer.failAll(new Error('gone'));
    await expect(queued).rejects.toThrow('gone');
    const clock2 = new ManualClock(0);
    const p2 = new Pacer(clock2, 10, manualTimers(clock2).timers);
    await expect(p2.submit('order', () => undefined, () => new Error('closed'))).rejects.toThrow('closed');
  });
});

describe('HistoricalPacer', () => {
  it('spaces identical requests by 15 s', () => {
    const h = new HistoricalPacer();
    h.record('k', 'c', 0);
    expect(h.waitMs('k', 'c', 1000)).toBe(14_000);
    expect(h.waitMs('other', 'c2', 1000)).toBe(0);
  });
  it('allows at most 5 per contract in 2 s and 60 per 10 min', () => {
    const h = new HistoricalPacer();
    for (let i = 0; i < 5; i += 1) h.record(`k${i}`, 'c', i);
    expect(h.waitMs('k9', 'c', 10)).toBe(1990);
    expect(h.waitMs('k9', 'other', 10)).toBe(0);
    const g = new HistoricalPacer();
    for (let i = 0; i < 60; i += 1) g.record(`k${i}`, `c${i}`, i * 1000);
    expect(g.waitMs('new', 'cnew', 60_000)).toBe(540_000);
  });
});

describe('LineBudget', () => {
  it('caps concurrent lines', () => {
    const l = new LineBudget(2);
    expect(l.tryAcquire()).toBe(true);
    expect(l.tryAcquire()).toBe(true);
    expect(l.tryAcquire()).toBe(false);
    l.release();
    expect(l.tryAcquire()).toBe(true);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, caps, and applies jitter from the injected random', () => {
    const o = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
    expect(backoffDelay(0, o, () => 0)).toBe(100);
    expect(backoffDelay(3, o, () => 0)).toBe(800);
    expect(backoffDelay(10, o, () => 0)).toBe(1000);
    expect(backoffDelay(10, o, () => 1)).toBe(500);
  });
});
