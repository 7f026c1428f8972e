/**
 * Reconnects, client ids, order ids and connectivity loss against the simulator over TCP.
 * Each test uses its own simulator so faults do not leak.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerUnavailableError } from '../../src/execution/broker-port.js';
import type { BrokerEvent, ConnectionStatus } from '../../src/execution/broker-port.js';
import type { IbBroker } from '../../src/ib/ib-broker.js';
import { InMemoryOrderIdStore } from '../../src/ib/order-ids.js';
import type { ReconciliationSnapshot } from '../../src/ib/ib-reconcile.js';
import { collect, lastStatus, leg, makeBroker, simPost, simState, startFreezableProxy, startSim, waitStatus, waitUntil } from './support/sim.js';
import type { Sim } from './support/sim.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
});

async function setup(opts: Parameters<typeof makeBroker>[1] = {}): Promise<{ sim: Sim; broker: IbBroker; events: BrokerEvent[]; statuses: ConnectionStatus[] }> {
  const sim = await startSim(31);
  cleanup.push(() => sim.close());
  const broker = makeBroker(sim.port, opts);
  cleanup.push(() => broker.disconnect());
  const events = collect(broker);
  const statuses: ConnectionStatus[] = [];
  broker.connection$.subscribe((s) => statuses.push(s));
  await broker.connect();
  return { sim, broker, events, statuses };
}

async function placeAndFill(broker: IbBroker, events: BrokerEvent[]): Promise<number> {
  const l = leg({ type: 'MKT' });
  const [p] = await broker.placeOrders([l]);
  await waitUntil(() => lastStatus(events, l.orderRef) === 'FILLED', 10_000, 'fill');
  return p!.orderId;
}

const clientIdsSeen = async (sim: Sim): Promise<number[]> => {
  const st = await simState(sim);
  const fromStats = (st.stats?.connections ?? []).map((c) => c.clientId).filter((c): c is number => c !== undefined);
  const fromState = typeof st.clientId === 'number' ? [st.clientId] : [];
  return [...new Set([...fromStats, ...fromState])];
};

describe.each([
  ['disconnect', { action: 'disconnect' }],
  ['restart', { action: 'restart' }],
  ['restart with rollbackOrderIds', { action: 'restart', rollbackOrderIds: true }],
])('reconnect after %s', (_name, fault) => {
  it('keeps the same client id and never reuses an order id (no 103)', async () => {
    const clientId = 4242;
    const { sim, broker, events, statuses } = await setup({ clientId });
    const before = await placeAndFill(broker, events);
    const n = statuses.length;
    await simPost(sim, '/fault', fault);
    await waitUntil(() => statuses.slice(n).some((s) => s.state !== 'CONNECTED'), 10_000, 'drop seen');
    await waitStatus(broker, (s) => s.state === 'CONNECTED', 15_000);
    expect(await clientIdsSeen(sim)).toEqual([clientId]);
    const after = await placeAndFill(broker, events);
    expect(after).toBeGreaterThan(before);
    expect(events.some((e) => e.type === 'orderRejected' && e.code === 103)).toBe(false);
    expect(broker.stats().decoderErrors).toBe(0);
  });
});

describe('order ids across our own restart', () => {
  it('continues above the stored high-water mark even when the gateway rolls back', async () => {
    const store = new InMemoryOrderIdStore();
    const { sim, broker, events } = await setup({ orderIdStore: store, clientId: 4343 });
    const first = await placeAndFill(broker, events);
    await broker.disconnect();
    await simPost(sim, '/fault', { action: 'restart', rollbackOrderIds: true });
    const again = makeBroker(sim.port, { orderIdStore: store, clientId: 4343 });
    cleanup.push(() => again.disconnect());
    const ev2 = collect(again);
    await again.connect();
    const second = await placeAndFill(again, ev2);
    expect(second).toBeGreaterThan(first);
    expect(ev2.some((e) => e.type === 'orderRejected' && e.code === 103)).toBe(false);
  });
});

describe('connectivity lost (1100 → 1102)', () => {
  it('blocks orders with BrokerUnavailableError, then reconciles before accepting orders again', async () => {
    const passes: ReconciliationSnapshot[] = [];
    const { sim, broker, events } = await setup({ onReconnected: (s) => void passes.push(s) });
    expect(passes.map((p) => p.why)).toEqual(['session']);
    await simPost(sim, '/fault', { action: 'connectivity-lost', ms: 1500 });
    const lost = await waitStatus(broker, (s) => s.state === 'CONNECTIVITY_LOST');
    expect(lost.code).toBe(1100);
    expect(broker.isReadyForOrders()).toBe(false);
    await expect(broker.placeOrders([leg()])).rejects.toBeInstanceOf(BrokerUnavailableError);
    await waitStatus(broker, (s) => s.state === 'CONNECTED', 10_000);
    expect(passes.map((p) => p.why)).toEqual(['session', 'restored']);
    expect(broker.isReadyForOrders()).toBe(true);
    await placeAndFill(broker, events);
  });
});

describe('a failing reconciliation hook', () => {
  it('keeps orders blocked and retries the pass until it succeeds', async () => {
    let calls = 0;
    const sim = await startSim(33);
    cleanup.push(() => sim.close());
    const broker = makeBroker(sim.port, { reconcileRetryMs: 100, onReconnected: () => {
      calls += 1;
      if (calls === 1) throw new Error('redis down');
    } });
    cleanup.push(() => broker.disconnect());
    const seen: ConnectionStatus[] = [];
    broker.connection$.subscribe((st) => seen.push(st));
    await broker.connect();
    expect(calls).toBe(2);
    const failed = seen.find((st) => /reconciliation failed \(redis down\)/.test(st.reason ?? ''));
    expect(failed?.state).toBe('CONNECTING');
    expect(seen.findIndex((st) => st.state === 'CONNECTED')).toBeGreaterThan(seen.indexOf(failed!));
  });
});

describe('client id in use (326)', () => {
  it('reports DISCONNECTED with the reason and does not change its id', async () => {
    const { sim } = await setup({ clientId: 5151 });
    const dup = makeBroker(sim.port, { clientId: 5151, reconnect: false });
    cleanup.push(() => dup.disconnect());
    const err = await dup.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerUnavailableError);
    expect(String((err as Error).message)).toMatch(/already in use/);
    expect(dup.stats().clientId).toBe(5151);
  });

  it('with reconnect on, schedules the next attempt slowly (slowRetryMs), never with another id', async () => {
    const { sim } = await setup({ clientId: 5252 });
    const logs: { msg: string; obj: Record<string, unknown> }[] = [];
    const rec = (obj: object, msg?: string): void => void logs.push({ msg: msg ?? '', obj: obj as Record<string, unknown> });
    const dup = makeBroker(sim.port, { clientId: 5252, slowRetryMs: 45_000, logger: { debug: rec, info: rec, warn: rec, error: rec } });
    cleanup.push(() => dup.disconnect());
    const seen: ConnectionStatus[] = [];
    dup.connection$.subscribe((st) => seen.push(st));
    void dup.connect().catch(() => undefined);
    const down = await waitStatus(dup, (st) => st.state === 'DISCONNECTED' && st.code === 326, 10_000);
    expect(down.reason).toMatch(/already in use/);
    const scheduled = await waitUntil(() => logs.find((l) => l.msg === 'IB: reconnect scheduled'), 5_000, 'reconnect scheduled');
    expect(scheduled.obj.delayMs).toBe(45_000);
    expect(seen.filter((st) => st.state === 'CONNECTING')).toHaveLength(1);
    expect(await clientIdsSeen(sim)).toEqual([5252]);
  });
});

describe('liveness probe', () => {
  it('detects a half-open socket and reconnects with the same client id', async () => {
    const sim = await startSim(41);
    cleanup.push(() => sim.close());
    const proxy = await startFreezableProxy(sim.port);
    cleanup.push(() => proxy.close());
    const broker = makeBroker(proxy.port, { clientId: 6161, livenessIntervalMs: 200, livenessTimeoutMs: 400 });
    cleanup.push(() => broker.disconnect());
    const statuses: ConnectionStatus[] = [];
    broker.connection$.subscribe((s) => statuses.push(s));
    await broker.connect();
    const n = statuses.length;
    proxy.freeze();
    const down = await waitStatus(broker, (s) => s.state === 'DISCONNECTED', 5_000);
    expect(down.reason).toMatch(/liveness/);
    await waitUntil(() => statuses.slice(n).some((s) => s.state === 'CONNECTED'), 10_000, 'reconnected');
    expect(await clientIdsSeen(sim)).toEqual([6161]);
  });
});
