/**
 * The fencing guard on a real Redis: every state-changing write of the infra layer on a fenced connection
 * carries the lease token and is refused with FENCED when another daemon leads, when the lease expired, or
 * when the holder's own monotonic clock says its lease may have lapsed (a paused process).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { Decimal } from '../../src/domain/types.js';
import { FencedError, fenceConnection } from '../../src/infra/fencing.js';
import { infraOn } from '../../src/infra/index.js';
import { LeaderLease, readLeader } from '../../src/infra/lease.js';
import { redisFixture } from '../infra/redis-fixture.js';

const fx = redisFixture('fencing');
afterAll(() => fx.cleanup());
const secrets = { controlKey: randomBytes(32), auditKey: randomBytes(32) };

/** A lease with a hand-driven monotonic clock (a frozen process sees no time pass). */
function leaseWithClock(holder: string, redis = fx.connect()) {
  const clock = { t: 0 };
  const lease = new LeaderLease({ redis, keys: fx.keys, holder, leaseMs: 60_000, monotonic: () => clock.t, pollMs: 20 });
  return { lease, clock, redis };
}

/** Every kind of state-changing write the daemon makes, through the infra layer on `redis`. */
function writes(redis: ReturnType<typeof fx.connect>) {
  const infra = infraOn(redis, fx.prefix, { secrets });
  const ref = orderRefFor(`sig-${randomBytes(4).toString('hex')}`, 'DU1', 'entry');
  return {
    outbox: () => infra.outbox.createIntent({ orderRef: ref, signalId: 's', account: 'DU1', leg: 'entry', symbol: 'AAPL', secType: 'STK', currency: 'USD', side: 'BUY', quantity: 1, multiplier: 1, createdAt: 1 }),
    outcome: () => infra.outbox.saveOutcome('s', { signalId: 's', results: [] }),
    orderIds: () => infra.orderIds.reserve(1),
    stream: () => infra.streams.deadLetter({ jobId: 'j', payload: {}, errors: [], ts: 1 }),
    tradingState: () => infra.tradingState.setGlobal('HALTED', { reason: 'test' }),
    audit: () => infra.audit.append({ type: 'test', data: {} }),
    notional: () => infra.dailyNotional.record('DU1', '2026-01-01', ref, new Decimal(1)),
  };
}

/** Every key under the prefix with its type and size (what a refused write must leave unchanged). */
async function snapshot(): Promise<Record<string, string>> {
  const r = fx.connect();
  const keys = await r.keys(`${fx.prefix}:*`);
  const out: Record<string, string> = {};
  for (const k of keys.sort()) out[k] = `${await r.type(k)} ${await r.memory('USAGE', k)} ${await r.dump(k).then((d) => d?.length ?? 0)}`;
  return out;
}

describe('fenced writes', () => {
  it('pass for the leader, are refused FENCED for a daemon whose lease was taken over, and a lost lease is reported', async () => {
    const a = leaseWithClock('daemon A');
    fenceConnection(a.redis, a.lease);
    const aw = writes(a.redis);
    expect(await a.lease.acquire(new AbortController().signal)).toBe(true);
    for (const w of Object.values(aw)) await w();
    expect((await readLeader(a.redis, fx.keys))?.holder).toBe('daemon A');

    // A is "frozen": its clock does not move, but at Redis the lease is gone and B takes it
    await fx.connect().del(fx.keys.leader);
    const b = leaseWithClock('daemon B');
    fenceConnection(b.redis, b.lease);
    expect(await b.lease.acquire(new AbortController().signal)).toBe(true);
    expect(Number(b.lease.currentToken)).toBeGreaterThan(Number(a.lease.currentToken));

    const before = await snapshot();
    for (const [name, w] of Object.entries(aw)) {
      await expect(w(), name).rejects.toBeInstanceOf(FencedError);
    }
    expect(await snapshot()).toEqual(before);
    for (const w of Object.values(writes(b.redis))) await w();
  });

  it('refuses locally, with no round trip, once the holder\'s monotonic clock passed the validity', async () => {
    await fx.connect().del(fx.keys.leader);
    const a = leaseWithClock('daemon C');
    fenceConnection(a.redis, a.lease);
    expect(await a.lease.acquire(new AbortController().signal)).toBe(true);
    const lost: string[] = [];
    a.lease.onLost((why) => lost.push(why));
    await writes(a.redis).orderIds();
    a.clock.t += 60_000; // woke after a pause as long as the lease
    expect(a.lease.valid()).toBe(false);
    expect(lost).toHaveLength(1);
    await expect(writes(a.redis).audit()).rejects.toThrow(/^FENCED/);
    await a.lease.release(); // a lost lease is never released (it may be someone else's by now)
    expect((await readLeader(a.redis, fx.keys))?.holder).toBe('daemon C');
  });

  it('a standby waits while the lease is held and acquires it once released', async () => {
    await fx.connect().del(fx.keys.leader);
    const a = leaseWithClock('daemon D');
    expect(await a.lease.acquire(new AbortController().signal)).toBe(true);
    const b = leaseWithClock('daemon E');
    const seen: string[] = [];
    const got = b.lease.acquire(new AbortController().signal, (h) => seen.push(h));
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    expect(seen[0]).toMatch(/^\d+:daemon D$/);
    await a.lease.release();
    expect(await got).toBe(true);
    expect((await readLeader(b.redis, fx.keys))?.holder).toBe('daemon E');
    await b.lease.release();
  });

  it('an unfenced connection (ha disabled, CLI) writes as before', async () => {
    for (const w of Object.values(writes(fx.connect()))) await w();
  });
});
