import { afterAll, describe, expect, it } from 'vitest';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { Decimal, type OrderLeg, type Outcome } from '../../src/domain/types.js';
import { OrderIdStore, Outbox, ReconcileCheckpoint, legToPayload, payloadToLeg, type NewOutboxRecord } from '../../src/infra/outbox.js';
import { redisFixture } from './redis-fixture.js';

const fx = redisFixture('outbox');
const redis = fx.connect();
const outbox = new Outbox(redis, fx.keys);
afterAll(() => fx.cleanup());

function intent(signalId: string, account: string, over: Partial<NewOutboxRecord> = {}): NewOutboxRecord {
  return {
    orderRef: orderRefFor(signalId, account, 'entry'),
    signalId,
    account,
    leg: 'entry',
    symbol: 'AAPL',
    secType: 'STK',
    currency: 'USD',
    side: 'BUY',
    quantity: 10,
    price: new Decimal('190.25'),
    multiplier: 1,
    createdAt: 1000,
    ...over,
  };
}

describe('Outbox.createIntent', () => {
  it('creates an INTENT record once and returns the existing one after', async () => {
    const rec = intent('sig-a', 'DU1');
    const first = await outbox.createIntent(rec);
    expect(first.created).toBe(true);
    const again = await outbox.createIntent({ ...rec, quantity: 999 });
    expect(again).toMatchObject({ created: false, existing: { orderRef: rec.orderRef, quantity: 10, state: 'INTENT' } });
    const got = await outbox.get(rec.orderRef);
    expect(got).toMatchObject({ signalId: 'sig-a', account: 'DU1', leg: 'entry', side: 'BUY', quantity: 10, filled: 0, multiplier: 1, state: 'INTENT', createdAt: 1000, updatedAt: 1000 });
    expect(got?.price?.toString()).toBe('190.25');
    expect(got?.orderId).toBeUndefined();
  });

  it('has exactly one winner among 50 concurrent creators on 2 connections', async () => {
    const other = new Outbox(fx.connect(), fx.keys);
    const rec = intent('sig-race', 'DU2');
    const res = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? outbox : other).createIntent({ ...rec, quantity: i + 1 })));
    const winners = res.filter((r) => r.created);
    expect(winners).toHaveLength(1);
    const stored = await outbox.get(rec.orderRef);
    expect(stored?.quantity).toBe(winners[0]?.record.quantity);
    expect(res.every((r) => r.created || r.existing.quantity === stored?.quantity)).toBe(true);
    expect(await outbox.listBySignal('sig-race')).toHaveLength(1);
  });
});

describe('Outbox transitions and listings', () => {
  it('markSent → update moves the state indexes with the record', async () => {
    const rec = intent('sig-b', 'DU3');
    await outbox.createIntent(rec);
    const sent = await outbox.markSent(rec.orderRef, 1004, 2002);
    expect(sent).toMatchObject({ ok: true, record: { state: 'SUBMITTED', orderId: 1004, sentAt: 2002, updatedAt: 2002 } });
    expect(await outbox.markSent(rec.orderRef, 1004, 2003)).toMatchObject({ ok: true, record: { state: 'SUBMITTED', sentAt: 2002 } });
    expect(await outbox.markSent(rec.orderRef, 1005, 2003)).toMatchObject({ ok: false, reason: 'STATE_MISMATCH', record: { orderId: 1004 } });
    expect((await outbox.findByOrderId(1004))?.orderRef).toBe(rec.orderRef);
    const upd = await outbox.update(
      rec.orderRef,
      { state: 'PARTIALLY_FILLED', permId: 777, filled: 4, avgFillPrice: new Decimal('190.2'), updatedAt: 2004 },
      { ifStateIn: ['SUBMITTED'] },
    );
    expect(upd).toMatchObject({ ok: true, record: { state: 'PARTIALLY_FILLED', permId: 777, filled: 4 } });
    if (upd.ok) expect(upd.record.avgFillPrice?.toString()).toBe('190.2');
    expect((await outbox.listByState(['SUBMITTED', 'INTENT'])).map((r) => r.orderRef)).not.toContain(rec.orderRef);
    expect((await outbox.listByState(['PARTIALLY_FILLED', 'FILLED'])).map((r) => r.orderRef)).toEqual([rec.orderRef]);
  });

  it('markSent after an ack stores the orderId without moving the state back', async () => {
    const rec = intent('sig-c', 'DU3');
    await outbox.createIntent(rec);
    await outbox.update(rec.orderRef, { state: 'ACCEPTED', permId: 1, updatedAt: 3000 });
    expect(await outbox.markSent(rec.orderRef, 2001, 3001)).toMatchObject({ ok: true, record: { state: 'ACCEPTED', orderId: 2001 } });
  });

  it('two writers racing the same compare-and-set: exactly one wins', async () => {
    const rec = intent('sig-cas', 'DU3');
    await outbox.createIntent(rec);
    const other = new Outbox(fx.connect(), fx.keys);
    const res = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? outbox : other).update(rec.orderRef, { state: i % 4 < 2 ? 'SUBMITTED' : 'REJECTED', updatedAt: i }, { ifStateIn: ['INTENT'] }),
      ),
    );
    expect(res.filter((r) => r.ok)).toHaveLength(1);
    const final = await outbox.get(rec.orderRef);
    expect((await outbox.listByState(['INTENT', 'SUBMITTED', 'REJECTED'])).filter((r) => r.orderRef === rec.orderRef)).toHaveLength(1);
    expect(['SUBMITTED', 'REJECTED']).toContain(final?.state);
  });

  it('update with ifStateIn is a compare-and-set; a missing record is NOT_FOUND', async () => {
    const rec = intent('sig-d', 'DU3');
    await outbox.createIntent(rec);
    await outbox.update(rec.orderRef, { state: 'FILLED', filled: 10, updatedAt: 4000 });
    const late = await outbox.update(rec.orderRef, { state: 'ACCEPTED', updatedAt: 4001 }, { ifStateIn: ['INTENT', 'SUBMITTED'] });
    expect(late).toMatchObject({ ok: false, reason: 'STATE_MISMATCH', record: { state: 'FILLED' } });
    expect(await outbox.update('ix1-none', { state: 'FILLED', updatedAt: 1 })).toEqual({ ok: false, reason: 'NOT_FOUND' });
    expect(await outbox.get('ix1-none')).toBeUndefined();
  });

  it('listWorking reserves cash for BUYs and shares for SELLs of one account, excluding finished orders', async () => {
    const buy = intent('sig-w1', 'DU9', { quantity: 10, price: new Decimal('100.5') });
    const fut = intent('sig-w2', 'DU9', { symbol: 'ES', secType: 'FUT', quantity: 2, price: new Decimal(6000), multiplier: 50 });
    const sell = intent('sig-w3', 'DU9', { side: 'SELL', quantity: 7 });
    const done = intent('sig-w4', 'DU9');
    const otherAcct = intent('sig-w5', 'DU8');
    for (const r of [buy, fut, sell, done, otherAcct]) await outbox.createIntent(r);
    await outbox.update(buy.orderRef, { state: 'PARTIALLY_FILLED', filled: 4, updatedAt: 5 });
    await outbox.update(done.orderRef, { state: 'CANCELLED', updatedAt: 5 });
    const working = await outbox.listWorking('DU9');
    const by = Object.fromEntries(working.map((w) => [w.orderRef, w]));
    expect(Object.keys(by).sort()).toEqual([buy.orderRef, fut.orderRef, sell.orderRef].sort());
    expect(by[buy.orderRef]).toMatchObject({ remaining: 6, side: 'BUY', symbol: 'AAPL', currency: 'USD' });
    expect(by[buy.orderRef]?.reservedCash.toString()).toBe('603');
    // a futures order reserves margin (the IRA futures rule sums it), never its notional as cash
    expect(by[fut.orderRef]?.reservedCash.toString()).toBe('0');
    expect(by[fut.orderRef]).toMatchObject({ remaining: 2, multiplier: 50, leg: 'entry' });
    expect(by[sell.orderRef]).toMatchObject({ remaining: 7, side: 'SELL' });
    expect(by[sell.orderRef]?.reservedCash.toString()).toBe('0');
  });

  it('saves and returns a signal outcome', async () => {
    const outcome: Outcome = {
      signalId: 'sig-o',
      results: [{ account: 'DU1', accountType: 'PERSONAL', decision: 'PLACED', quantity: 5, orderRef: 'ix1-x', orderId: 9, reasons: [], notes: [] }],
    };
    expect(await outbox.getOutcome('sig-o')).toBeUndefined();
    await outbox.saveOutcome('sig-o', outcome);
    expect(await outbox.getOutcome('sig-o')).toEqual(outcome);
  });
});

describe('OrderIdStore', () => {
  it('reserve returns max(highest + 1, min) and never goes backwards', async () => {
    const ids = new OrderIdStore(redis, fx.keys);
    expect(await ids.peek()).toBe(0);
    expect(await ids.reserve(100)).toBe(100);
    expect(await ids.reserve(1)).toBe(101); // a gateway rollback (lower nextValidId) does not lower ids
    expect(await ids.reserve(200, 3)).toBe(200);
    expect(await ids.peek()).toBe(202);
    expect(await ids.reserve(0)).toBe(203);
    expect(await ids.observe(150)).toBe(203);
    expect(await ids.observe(500)).toBe(500);
    expect(await ids.reserve(0)).toBe(501);
    await expect(ids.reserve(-1)).rejects.toThrow(RangeError);
    await expect(ids.reserve(1, 0)).rejects.toThrow(RangeError);
  });

  it('hands out disjoint increasing ranges to concurrent callers on 2 connections', async () => {
    const a = new OrderIdStore(fx.connect(), fx.keys);
    const b = new OrderIdStore(fx.connect(), fx.keys);
    const start = (await a.peek()) + 1;
    const firsts = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).reserve(1, i % 3 === 0 ? 2 : 1)));
    const all = firsts.flatMap((f, i) => (i % 3 === 0 ? [f, f + 1] : [f]));
    expect(new Set(all).size).toBe(all.length);
    expect(Math.min(...all)).toBe(start);
    expect(Math.max(...all)).toBe(start + all.length - 1);
    expect(await a.peek()).toBe(start + all.length - 1);
  });
});

describe('ReconcileCheckpoint', () => {
  it('only moves forward', async () => {
    const cp = new ReconcileCheckpoint(redis, fx.keys);
    expect(await cp.get()).toBeUndefined();
    expect(await cp.advance(1_764_000_000_000)).toBe(1_764_000_000_000);
    expect(await cp.advance(1_700_000_000_000)).toBe(1_764_000_000_000);
    expect(await cp.get()).toBe(1_764_000_000_000);
  });
});

describe('leg payload codec', () => {
  it('round-trips an OrderLeg with exact Decimals', () => {
    const leg: OrderLeg = {
      leg: 'stopLoss', orderRef: 'ix1-DU1-S-abc', signalId: 's', account: 'DU1',
      instrument: { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', strike: new Decimal('192.5'), right: 'C' },
      side: 'SELL', quantity: 3, type: 'STP LMT', limitPrice: new Decimal('179.99'), stopPrice: new Decimal('180.01'),
      tif: 'GTC', outsideRth: false, parentRef: 'ix1-DU1-E-abc', ocaGroup: 'oca',
    };
    const back = payloadToLeg(legToPayload(leg));
    expect(back).toEqual(leg);
    expect(back.limitPrice).toBeInstanceOf(Decimal);
    expect(back.instrument.strike?.toString()).toBe('192.5');
  });
});
