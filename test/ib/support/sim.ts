/**
 * Test support for the IB adapter's TCP tests: start the simulator in-process on free ports, talk to its
 * admin HTTP API, build IbBrokers pointed at it, and wait for conditions with bounded polling.
 */
import net from 'node:net';
import { firstValueFrom } from 'rxjs';
import { filter, timeout } from 'rxjs/operators';
import { orderRefFor } from '../../../src/domain/order-ref.js';
import type { Instrument, OrderLeg } from '../../../src/domain/types.js';
import type { BrokerEvent, ConnectionStatus } from '../../../src/execution/broker-port.js';
import { IbBroker } from '../../../src/ib/ib-broker.js';
import type { IbBrokerOptions } from '../../../src/ib/ib-broker.js';
import { DEFAULT_FIXTURE, startSimulator } from '../../../src/sim/index.js';
import type { Fixture } from '../../../src/sim/index.js';

export type Sim = Awaited<ReturnType<typeof startSimulator>>;

/** The default household with a position in every account and a second currency (EUR) in DU1000002. */
export const HOUSEHOLD: Fixture = {
  ...DEFAULT_FIXTURE,
  accounts: [
    { id: 'DU1000001', accountType: 'IRA', baseCurrency: 'USD', cash: { USD: 50_000 }, positions: [{ symbol: 'AAPL', quantity: 100, avgCost: 150 }] },
    { id: 'DU1000002', accountType: 'INDIVIDUAL', baseCurrency: 'USD', cash: { USD: 100_000, EUR: 1_000 },
      positions: [{ symbol: 'MSFT', quantity: 50, avgCost: 300 }, { symbol: 'SAP', quantity: 10, avgCost: 200 }] },
    { id: 'DU1000003', accountType: 'CORPORATION', baseCurrency: 'USD', cash: { USD: 250_000 },
      positions: [{ symbol: 'SPY', quantity: 20, avgCost: 500 }, { symbol: 'ES', quantity: 1, avgCost: 6000 }] },
  ],
};

export async function startSim(seed = 7, extra: Record<string, unknown> = {}): Promise<Sim> {
  return startSimulator({ port: 0, adminPort: 0, tickIntervalMs: 0, seed, ...extra } as Parameters<typeof startSimulator>[0]);
}

export interface SimState {
  accounts: { id: string; [k: string]: unknown }[];
  positions: { account: string; symbol: string; quantity: number; [k: string]: unknown }[];
  orders: { orderId: number; permId: number; clientId: number; account: string; orderRef: string; symbol: string; action: string;
    totalQuantity: number; orderType: string; status: string; filled: number }[];
  executions: { execId: string; orderId: number; orderRef: string; account: string; symbol: string; side: string; shares: number; price: number }[];
  stats?: { maxMessagesPerSecond: number; totalMessages: number;
    connections: { connectionId: number; clientId?: number; messages: number; maxPerSecond: number; violations: number; closedAt?: number }[] };
  [k: string]: unknown;
}

export async function simState(sim: Sim): Promise<SimState> {
  const r = await fetch(`http://127.0.0.1:${sim.adminPort}/state`);
  if (!r.ok) throw new Error(`GET /state ${r.status}`);
  return (await r.json()) as SimState;
}

export async function simPost(sim: Sim, path: '/fault' | '/price', body: unknown): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${sim.adminPort}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`POST ${path} ${r.status}: ${await r.text()}`);
}

let nextClientId = 100 + Math.floor(Math.random() * 500);
/** A client id unused by other tests in this process. */
export const freshClientId = (): number => (nextClientId += 1);

export function makeBroker(port: number, opts: Partial<IbBrokerOptions> = {}): IbBroker {
  return new IbBroker({
    host: '127.0.0.1',
    port,
    clientId: opts.clientId ?? freshClientId(),
    backoff: { initialMs: 50, maxMs: 400 },
    random: () => 0.5,
    livenessIntervalMs: 0,
    connectTimeoutMs: 15_000,
    ...opts,
  });
}

/** Bounded polling: resolves when `pred` returns a truthy value, rejects after `ms`. */
export async function waitUntil<T>(pred: () => T | Promise<T>, ms = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function waitStatus(b: IbBroker, pred: (s: ConnectionStatus) => boolean, ms = 10_000): Promise<ConnectionStatus> {
  return firstValueFrom(b.connection$.pipe(filter(pred), timeout(ms)));
}

/** Collects every broker event. */
export function collect(b: IbBroker): BrokerEvent[] {
  const out: BrokerEvent[] = [];
  b.events$.subscribe((e) => out.push(e));
  return out;
}

export const AAPL: Instrument = { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' };
export const MSFT: Instrument = { symbol: 'MSFT', secType: 'STK', exchange: 'SMART', currency: 'USD' };

let sig = 0;
/** A leg with a unique signal id (and so a unique orderRef). */
export function leg(over: Partial<OrderLeg> & { account?: string } = {}): OrderLeg {
  sig += 1;
  const signalId = over.signalId ?? `t-${process.pid}-${Date.now()}-${sig}`;
  const account = over.account ?? 'DU1000002';
  const name = over.leg ?? 'entry';
  return {
    leg: name,
    orderRef: orderRefFor(signalId, account, name),
    signalId,
    account,
    instrument: AAPL,
    side: 'BUY',
    quantity: 1,
    type: 'MKT',
    tif: 'DAY',
    outsideRth: false,
    ...over,
  };
}

/** Last status event for an orderRef. */
export function lastStatus(events: readonly BrokerEvent[], orderRef: string): string | undefined {
  const s = events.filter((e) => e.type === 'orderStatus' && e.update.orderRef === orderRef);
  const last = s.at(-1);
  return last?.type === 'orderStatus' ? last.update.status : undefined;
}

/**
 * A TCP proxy in front of the simulator that can freeze its current connections (nothing forwarded,
 * nothing closed) to simulate a half-open socket. New connections after `freeze()` work normally.
 */
export async function startFreezableProxy(targetPort: number): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  const live: { a: net.Socket; b: net.Socket; frozen: boolean }[] = [];
  const server = net.createServer((a) => {
    const b = net.connect(targetPort, '127.0.0.1');
    const pair = { a, b, frozen: false };
    live.push(pair);
    a.on('data', (d) => { if (!pair.frozen) b.write(d); });
    b.on('data', (d) => { if (!pair.frozen) a.write(d); });
    // the client giving up reaches the server even when frozen (the partition heals when it reconnects)
    a.on('close', () => b.destroy());
    b.on('close', () => { if (!pair.frozen) a.destroy(); });
    a.on('error', () => undefined);
    b.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    freeze: () => live.forEach((p) => (p.frozen = true)),
    close: () => {
      live.forEach((p) => { p.a.destroy(); p.b.destroy(); });
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
