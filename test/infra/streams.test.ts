import { afterAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/domain/types.js';
import type { FillReport } from '../../src/execution/broker-port.js';
import { StreamPublisher, readStream, splitExecId, type FillInput } from '../../src/infra/streams.js';
import { redisFixture } from './redis-fixture.js';

const fx = redisFixture('streams');
const redis = fx.connect();
const pub = new StreamPublisher(redis, fx.keys);
afterAll(() => fx.cleanup());

const TS = Date.UTC(2026, 10, 25, 14, 30, 1, 250);
const ISO = '2026-11-25T14:30:01.250Z';

function fill(execId: string, over: Partial<FillReport> = {}): FillInput {
  return {
    execId,
    orderId: 1004,
    permId: 2104881,
    account: 'DU1000002',
    orderRef: 'ix1-DU1000002-E-abc',
    instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
    side: 'BOT',
    shares: 50,
    price: new Decimal('190.25'),
    cumQty: 50,
    avgPrice: new Decimal('190.25'),
    time: '20261125 14:30:01 US/Eastern',
    signalId: 'sig-1',
    ts: TS,
    ...over,
  };
}

const fillsFor = async (execPrefix: string) =>
  (await readStream(redis, fx.keys.fills)).filter((e) => (e.fields.execId ?? '').startsWith(execPrefix));

describe('StreamPublisher.orderEvent', () => {
  it('writes exactly the CONTRACT §5 fields, all strings, decimals exact, absent values empty', async () => {
    await pub.orderEvent({
      event: 'SUBMITTED', signalId: 'sig-1', account: 'DU1000002', orderRef: 'ix1-x', symbol: 'AAPL', side: 'BUY',
      quantity: 50, filled: 0, remaining: 50, ts: TS,
    });
    await pub.orderEvent({
      event: 'REJECTED', signalId: 'sig-1', account: 'DU1000002', orderRef: 'ix1-x', orderId: 7, permId: 99, symbol: 'AAPL',
      side: 'BUY', quantity: 50, filled: 10, remaining: 40, avgFillPrice: new Decimal('190.10000001'), ts: TS, reason: '201 no',
    });
    const [a, b] = await readStream(redis, fx.keys.orders);
    expect(a?.fields).toEqual({
      event: 'SUBMITTED', signalId: 'sig-1', account: 'DU1000002', orderRef: 'ix1-x', orderId: '', permId: '',
      symbol: 'AAPL', side: 'BUY', quantity: '50', filled: '0', remaining: '50', avgFillPrice: '', ts: ISO,
    });
    expect(b?.fields).toMatchObject({ orderId: '7', permId: '99', filled: '10', avgFillPrice: '190.10000001', reason: '201 no' });
  });
});

describe('StreamPublisher.fill', () => {
  it('writes the CONTRACT §5 fields with type FILL', async () => {
    const r = await pub.fill(fill('0001.aa.01.01', { commission: new Decimal('1.05'), commissionCurrency: 'USD' }));
    expect(r.status).toBe('FILL');
    const [e] = await fillsFor('0001.');
    expect(e?.fields).toEqual({
      type: 'FILL', execId: '0001.aa.01.01', signalId: 'sig-1', account: 'DU1000002', orderRef: 'ix1-DU1000002-E-abc',
      orderId: '1004', permId: '2104881', symbol: 'AAPL', side: 'BOT', shares: '50', price: '190.25', cumQty: '50',
      avgPrice: '190.25', time: '20261125 14:30:01 US/Eastern', commission: '1.05', commissionCurrency: 'USD', ts: ISO,
    });
  });

  it('never writes two entries for one execId', async () => {
    expect((await pub.fill(fill('0002.aa.01.01'))).status).toBe('FILL');
    expect((await pub.fill(fill('0002.aa.01.01'))).status).toBe('DUPLICATE');
    expect((await pub.fill(fill('0002.aa.01.01', { shares: 1 }))).status).toBe('DUPLICATE');
    expect(await fillsFor('0002.')).toHaveLength(1);
  });

  it('dedupes under concurrent appends from two connections', async () => {
    const other = new StreamPublisher(fx.connect(), fx.keys);
    const ids = Array.from({ length: 40 }, (_, i) => `0003.c.${i}.01`);
    const results = await Promise.all(ids.flatMap((id) => [pub.fill(fill(id)), other.fill(fill(id)), pub.fill(fill(id))]));
    expect(results.filter((r) => r.status === 'FILL')).toHaveLength(40);
    expect(results.filter((r) => r.status === 'DUPLICATE')).toHaveLength(80);
    const entries = await fillsFor('0003.');
    expect(new Set(entries.map((e) => e.fields.execId)).size).toBe(40);
    expect(entries).toHaveLength(40);
  });

  it('publishes a correction (same prefix, higher last segment) as type CORRECTION naming the corrected execId', async () => {
    await pub.fill(fill('0004.bb.01.01', { shares: 50 }));
    const r = await pub.fill(fill('0004.bb.01.02', { shares: 40, cumQty: 40 }));
    expect(r).toMatchObject({ status: 'CORRECTION', corrects: '0004.bb.01.01' });
    const entries = await fillsFor('0004.');
    expect(entries.map((e) => [e.fields.type, e.fields.execId, e.fields.corrects])).toEqual([
      ['FILL', '0004.bb.01.01', undefined],
      ['CORRECTION', '0004.bb.01.02', '0004.bb.01.01'],
    ]);
  });

  it('does not publish a stale original arriving after its correction', async () => {
    await pub.fill(fill('0005.bb.01.02'));
    expect(await pub.fill(fill('0005.bb.01.01'))).toEqual({ status: 'SUPERSEDED', by: '0005.bb.01.02' });
    expect(await fillsFor('0005.')).toHaveLength(1);
  });

  it('honours replacesExecId when the original is unknown to the prefix map', async () => {
    const r = await pub.fill(fill('0009.new.01.02', { replacesExecId: '0009.old.01.01' }));
    expect(r).toMatchObject({ status: 'CORRECTION', corrects: '0009.old.01.01' });
    expect((await fillsFor('0009.'))[0]?.fields).toMatchObject({ type: 'CORRECTION', corrects: '0009.old.01.01' });
  });

  it('reports which execIds were published', async () => {
    await pub.fill(fill('0010.a.01.01'));
    expect(await pub.publishedExecIds(['0010.a.01.01', '0010.b.01.01'])).toEqual(new Set(['0010.a.01.01']));
    expect(await pub.publishedExecIds([])).toEqual(new Set());
    expect((await pub.publishedExecIds()).has('0010.a.01.01')).toBe(true);
  });

  it('treats execIds without dots as independent', () => {
    expect(splitExecId('sim-42')).toEqual({ prefix: 'sim-42', suffix: '' });
    expect(splitExecId('a.b.01.02')).toEqual({ prefix: 'a.b.01', suffix: '02' });
  });
});

describe('StreamPublisher.commission', () => {
  const c = (execId: string) => ({ execId, commission: new Decimal('0.35'), currency: 'USD', ts: TS });

  it('a commission after the fill is a later COMMISSION entry with the same execId, once', async () => {
    await pub.fill(fill('0006.x.01.01'));
    expect((await pub.commission(c('0006.x.01.01'))).status).toBe('COMMISSION');
    expect((await pub.commission(c('0006.x.01.01'))).status).toBe('DUPLICATE');
    const entries = await fillsFor('0006.');
    expect(entries.map((e) => e.fields)).toEqual([
      expect.objectContaining({ type: 'FILL', execId: '0006.x.01.01' }),
      { type: 'COMMISSION', execId: '0006.x.01.01', commission: '0.35', commissionCurrency: 'USD', ts: ISO },
    ]);
    expect(entries[0]?.fields.commission).toBeUndefined();
  });

  it('a commission before the fill is written into the fill entry itself', async () => {
    expect((await pub.commission(c('0007.x.01.01'))).status).toBe('PENDING');
    await pub.fill(fill('0007.x.01.01'));
    expect((await pub.commission(c('0007.x.01.01'))).status).toBe('DUPLICATE');
    const entries = await fillsFor('0007.');
    expect(entries).toHaveLength(1);
    expect(entries[0]?.fields).toMatchObject({ type: 'FILL', commission: '0.35', commissionCurrency: 'USD' });
  });

  it('a fill that carried its commission makes a later report a duplicate', async () => {
    await pub.fill(fill('0008.x.01.01', { commission: new Decimal(1), commissionCurrency: 'USD' }));
    expect((await pub.commission(c('0008.x.01.01'))).status).toBe('DUPLICATE');
    expect(await fillsFor('0008.')).toHaveLength(1);
  });
});

describe('StreamPublisher.deadLetter', () => {
  it('writes jobId, payload (verbatim or JSON), errors (JSON array), ts', async () => {
    await pub.deadLetter({ jobId: 'j1', payload: '{"id":', errors: ['payload: not JSON'], ts: TS });
    await pub.deadLetter({ jobId: 'j2', payload: { id: 'x', side: 'HOLD' }, errors: ['side: expected BUY or SELL', 'size: required'], ts: TS });
    const [a, b] = await readStream(redis, fx.keys.deadLetter);
    expect(a?.fields).toEqual({ jobId: 'j1', payload: '{"id":', errors: '["payload: not JSON"]', ts: ISO });
    expect(b?.fields).toEqual({ jobId: 'j2', payload: '{"id":"x","side":"HOLD"}', errors: '["side: expected BUY or SELL","size: required"]', ts: ISO });
  });
});
