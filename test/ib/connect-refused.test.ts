/** A real socket to a closed loopback port: one attempt, a clear error, no retry loop. */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { BrokerUnavailableError } from '../../src/execution/broker-port.js';
import type { ConnectionStatus } from '../../src/execution/broker-port.js';
import { IbBroker } from '../../src/ib/ib-broker.js';

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('connect to a closed port', () => {
  it('rejects with BrokerUnavailableError naming ECONNREFUSED and ends DISCONNECTED', async () => {
    const port = await closedPort();
    const b = new IbBroker({ host: '127.0.0.1', port, clientId: 9, reconnect: false, livenessIntervalMs: 0 });
    const seen: ConnectionStatus[] = [];
    b.connection$.subscribe((s) => seen.push(s));
    const err = await b.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerUnavailableError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(seen.map((s) => s.state)).toEqual(['DISCONNECTED', 'CONNECTING', 'DISCONNECTED']);
    expect(b.isReadyForOrders()).toBe(false);
    await expect(b.positions()).rejects.toBeInstanceOf(BrokerUnavailableError);
    await b.disconnect();
  });

  it('keeps retrying with backoff (same id) until connect() times out', async () => {
    const port = await closedPort();
    const b = new IbBroker({ host: '127.0.0.1', port, clientId: 9, backoff: { initialMs: 20, maxMs: 40 }, connectTimeoutMs: 600, livenessIntervalMs: 0 });
    let connecting = 0;
    b.connection$.subscribe((s) => (connecting += s.state === 'CONNECTING' ? 1 : 0));
    await expect(b.connect()).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(connecting).toBeGreaterThan(2);
    expect(b.stats().clientId).toBe(9);
    await b.disconnect();
  });
});
