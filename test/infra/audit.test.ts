import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { Decimal } from '../../src/domain/types.js';
import { AuditChainError, AuditLog, GENESIS_HASH, canonicalJson, tailAudit, verifyAudit } from '../../src/infra/audit.js';
import { readStream, type StreamEntry } from '../../src/infra/streams.js';
import { redisFixture } from './redis-fixture.js';

const fx = redisFixture('audit');
const redis = fx.connect();
const KEY = randomBytes(32);
afterAll(() => fx.cleanup());

let n = 0;
const streamKey = (): string => `${fx.prefix}:audit-${++n}`;

async function fill(key: string, count: number): Promise<AuditLog> {
  const log = new AuditLog(redis, key, KEY);
  for (let i = 0; i < count; i++) await log.append({ type: 'TEST', account: 'DU1', signalId: `s${i}`, data: { i } });
  return log;
}

/** Rewrite the stream (same ids) after `edit` transforms its entries: the only way to "edit" a stream. */
async function rewrite(key: string, edit: (entries: StreamEntry[]) => StreamEntry[]): Promise<void> {
  const entries = edit(await readStream(redis, key));
  await redis.del(key);
  for (const e of entries) await redis.xadd(key, e.id, ...Object.entries(e.fields).flat());
}

describe('AuditLog.append', () => {
  it('writes seq, ts, type, account, signalId, orderRef, data, prev, hash with hash = HMAC-SHA256(audit key, prev ‖ canonical)', async () => {
    const key = streamKey();
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 14, 30));
    const log = new AuditLog(redis, key, KEY, { clock });
    await log.append({ type: 'SIGNAL_RECEIVED', signalId: 'sig-1', data: { z: 1, a: { y: new Decimal('1.50'), b: [2, 1] } } });
    const r2 = await log.append({ type: 'ORDER_SENT', account: 'DU1', signalId: 'sig-1', orderRef: 'ix1-a', data: 'x' });
    const [e1, e2] = await readStream(redis, key);
    expect(e1?.fields).toMatchObject({ seq: '1', ts: '2026-11-25T14:30:00.000Z', type: 'SIGNAL_RECEIVED', account: '', signalId: 'sig-1', orderRef: '', prev: GENESIS_HASH });
    expect(e1?.fields.data).toBe('{"a":{"b":[2,1],"y":"1.5"},"z":1}');
    const canonical =
      '{"account":"","data":{"a":{"b":[2,1],"y":"1.5"},"z":1},"orderRef":"","seq":1,"signalId":"sig-1","ts":"2026-11-25T14:30:00.000Z","type":"SIGNAL_RECEIVED"}';
    expect(e1?.fields.hash).toBe(createHmac('sha256', KEY).update(GENESIS_HASH + canonical).digest('hex'));
    expect(e2?.fields).toMatchObject({ seq: '2', prev: e1?.fields.hash, hash: r2.hash, account: 'DU1', orderRef: 'ix1-a', data: '"x"' });
    expect(await redis.get(`${key}:head`)).toBe(`2:${r2.hash}`);
    expect(await verifyAudit(redis, key, KEY)).toEqual({ ok: true, count: 2 });
  });

  it('canonicalJson sorts keys recursively and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [{ y: 1, x: 2 }] } })).toBe('{"a":{"c":[{"x":2,"y":1}]},"b":1}');
  });

  it('keeps one valid chain under 200 concurrent appends from 2 connections (and 2 logs per connection)', async () => {
    const key = streamKey();
    const c1 = fx.connect();
    const c2 = fx.connect();
    const logs = [new AuditLog(c1, key, KEY), new AuditLog(c2, key, KEY), new AuditLog(c1, key, KEY), new AuditLog(c2, key, KEY)];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (logs[i % 4] as AuditLog).append({ type: 'CONCURRENT', data: { i } })),
    );
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(await verifyAudit(redis, key, KEY)).toEqual({ ok: true, count: 200 });
    // the writers really raced: all four start from an empty head, so at least three lose once
    expect(logs.reduce((s, l) => s + l.stats.conflicts, 0)).toBeGreaterThanOrEqual(3);
    const data = (await readStream(redis, key)).map((e) => JSON.parse(e.fields.data ?? '') as { i: number }).map((d) => d.i);
    expect(new Set(data).size).toBe(200);
  });

  it('refuses to extend a stream whose head key is gone', async () => {
    const key = streamKey();
    await fill(key, 3);
    await redis.del(`${key}:head`);
    await expect(new AuditLog(redis, key, KEY).append({ type: 'X', data: {} })).rejects.toBeInstanceOf(AuditChainError);
    expect(await redis.xlen(key)).toBe(3);
  });

  it('tailAudit returns the newest records oldest first, data parsed', async () => {
    const key = streamKey();
    const log = await fill(key, 5);
    const tail = await log.tail(2);
    expect(tail.map((r) => [r.seq, r.signalId, r.data])).toEqual([
      [4, 's3', { i: 3 }],
      [5, 's4', { i: 4 }],
    ]);
    expect((await tailAudit(redis, key, 10)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('verifyAudit', () => {
  it('accepts an empty trail', async () => {
    expect(await verifyAudit(redis, streamKey(), KEY)).toEqual({ ok: true, count: 0 });
  });

  it('detects an edited data field at its seq', async () => {
    const key = streamKey();
    await fill(key, 10);
    await rewrite(key, (es) => es.map((e) => (e.fields.seq === '6' ? { ...e, fields: { ...e.fields, data: '{"i":99}' } } : e)));
    expect(await verifyAudit(redis, key, KEY)).toMatchObject({ ok: false, seq: 6, reason: expect.stringMatching(/hash/) });
  });

  it('detects an edited account, an edited hash and an edited prev at their seq', async () => {
    for (const [field, seq] of [['account', 3], ['hash', 4], ['prev', 7]] as const) {
      const key = streamKey();
      await fill(key, 10);
      await rewrite(key, (es) => es.map((e) => (e.fields.seq === String(seq) ? { ...e, fields: { ...e.fields, [field]: 'f'.repeat(64) } } : e)));
      const res = await verifyAudit(redis, key, KEY);
      // an edited hash is caught on its own record already
      expect(res).toMatchObject({ ok: false, seq });
    }
  });

  it('detects a deleted record, naming the missing seq', async () => {
    const key = streamKey();
    await fill(key, 10);
    const entries = await readStream(redis, key);
    await redis.xdel(key, entries[3]?.id ?? '');
    expect(await verifyAudit(redis, key, KEY)).toMatchObject({ ok: false, seq: 4 });
  });

  it('detects reordered records at the first misplaced seq', async () => {
    const key = streamKey();
    await fill(key, 10);
    await rewrite(key, (es) => es.map((e, i) => (i === 6 ? { ...e, fields: es[7]!.fields } : i === 7 ? { ...e, fields: es[6]!.fields } : e)));
    expect(await verifyAudit(redis, key, KEY)).toMatchObject({ ok: false, seq: 7 });
  });

  it('detects truncation of the tail through the head key', async () => {
    const key = streamKey();
    await fill(key, 10);
    const entries = await readStream(redis, key);
    await redis.xdel(key, entries[8]?.id ?? '', entries[9]?.id ?? '');
    expect(await verifyAudit(redis, key, KEY)).toMatchObject({ ok: false, seq: 9, reason: expect.stringMatching(/truncated/) });
  });

  it('detects a head key that falls behind the stream', async () => {
    const key = streamKey();
    await fill(key, 5);
    const [e3] = (await readStream(redis, key)).slice(2, 3);
    await redis.set(`${key}:head`, `3:${e3?.fields.hash ?? ''}`);
    expect(await verifyAudit(redis, key, KEY)).toMatchObject({ ok: false, seq: 4 });
  });
});
