/**
 * Client Portal specifics of CpBroker against cp-sim over HTTPS on 127.0.0.1: the reply chain with a
 * safe and an unsafe question, the 429 penalty box waited out (not hammered), a competing session never
 * taken over, multi-account order lists per account, and the certificate pin.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { CpBroker } from '../../src/cp/cp-broker.js';
import { Decimal } from '../../src/domain/types.js';
import type { BrokerEvent } from '../../src/execution/broker-port.js';
import { startCpSimulator, type CpSimulatorHandle } from '../../src/sim/cp/index.js';
import { HOUSEHOLD, lastStatus, leg, waitUntil } from '../ib/support/sim.js';

const SCALE = 0.02;
let sim: CpSimulatorHandle | undefined;
let broker: CpBroker | undefined;
afterEach(async () => {
  await broker?.disconnect();
  await sim?.close();
  broker = undefined;
  sim = undefined;
});

async function setup(over: Partial<ConstructorParameters<typeof CpBroker>[0]> = {}): Promise<{ s: CpSimulatorHandle; b: CpBroker; events: BrokerEvent[] }> {
  const s = await startCpSimulator({ port: 0, adminPort: 0, tickIntervalMs: 0, fixture: HOUSEHOLD, rateLimitScale: SCALE });
  sim = s;
  const b = new CpBroker({ baseUrl: s.baseUrl, fingerprint: s.certificate?.fingerprint256 ?? null, pacingScale: SCALE, tickleMs: 100, pollMs: 100, warmupMs: 50, lookupMs: 100, ...over });
  broker = b;
  const events: BrokerEvent[] = [];
  b.events$.subscribe((e) => events.push(e));
  return { s, b, events };
}

async function fault(s: CpSimulatorHandle, body: unknown): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${s.adminPort}/fault`, { method: 'POST', body: JSON.stringify(body) });
  expect(r.status).toBe(200);
}

const rejection = (events: BrokerEvent[], ref: string): string | undefined => {
  const e = events.find((x) => x.type === 'orderRejected' && x.orderRef === ref);
  return e?.type === 'orderRejected' ? e.message : undefined;
};

describe('CpBroker on the Client Portal simulator', () => {
  it('confirms a safe question and books; declines an unsafe one and rejects with its text', async () => {
    const { s, b, events } = await setup();
    await b.connect();
    await fault(s, { action: 'question-next', messageId: 'o10151', text: 'Market order risk.' });
    const ok = leg({ type: 'LMT', limitPrice: new Decimal(150) }); // also o163: 150 is >3 % off 190
    const [placed] = await b.placeOrders([ok]);
    expect(placed?.orderId).toBeGreaterThan(0);
    expect([...s.engine.orders.values()].filter((o) => o.orderRef === ok.orderRef)).toHaveLength(1);

    await fault(s, { action: 'question-next', messageId: 'o10151', text: 'Market order risk.' });
    await fault(s, { action: 'question-next', messageId: 'o383', text: 'The size exceeds the Size Limit of 500.' });
    const bad = leg({ type: 'MKT' });
    await b.placeOrders([bad]);
    expect(rejection(events, bad.orderRef)).toContain('o383');
    expect(rejection(events, bad.orderRef)).toContain('Size Limit of 500');
    expect([...s.engine.orders.values()].some((o) => o.orderRef === bad.orderRef)).toBe(false);
    expect(s.state.pending).toBeUndefined();
  });

  it('waits out the 429 penalty box instead of hammering the gateway', async () => {
    const { s, b } = await setup();
    await b.connect();
    await fault(s, { action: 'penalty-box', ms: 1500 });
    const before = s.state.limiter.rejected;
    const pos = await b.positions();
    expect(pos.some((p) => p.account === 'DU1000002' && p.symbol === 'MSFT')).toBe(true);
    expect(s.state.limiter.rejected - before).toBe(1);
  });

  it('never takes over a competing session: it says why and waits', async () => {
    const { s, b } = await setup();
    await b.connect();
    await fault(s, { action: 'competing-session' });
    const down = await firstValueFrom(b.connection$.pipe(filter((c) => c.state === 'DISCONNECTED' && /competing/.test(c.reason ?? '')), timeout(5000)));
    expect(down.reason).toMatch(/competing session/);
    await new Promise((r) => setTimeout(r, 400)); // several tickle periods
    expect(s.state.session.state).toBe('competing');
    await expect(b.placeOrders([leg({ type: 'MKT' })])).rejects.toThrow(/competing session/);
  });

  it('re-authenticates after the session expired without any request of ours, and resumes', async () => {
    const { s, b, events } = await setup();
    await b.connect();
    await fault(s, { action: 'session-expired' });
    await firstValueFrom(b.connection$.pipe(filter((c) => c.state === 'DISCONNECTED'), timeout(5000)));
    await firstValueFrom(b.connection$.pipe(filter((c) => c.state === 'CONNECTED'), timeout(5000)));
    expect(s.state.session.state).toBe('authenticated');
    const l = leg({ type: 'MKT', account: 'DU1000003' });
    await b.placeOrders([l]);
    await waitUntil(() => lastStatus(events, l.orderRef) === 'FILLED', 5000, 'fill after re-auth');
  });

  it('lists the orders of every linked account (each queried by id), not only the selected one', async () => {
    const { s, b } = await setup();
    await b.connect();
    const a = leg({ type: 'LMT', limitPrice: new Decimal(150), account: 'DU1000002' });
    const c = leg({ type: 'LMT', limitPrice: new Decimal(150), account: 'DU1000003' });
    await b.placeOrders([a]);
    await b.placeOrders([c]);
    expect(s.state.session.selectedAccount).toBe('DU1000001');
    const open = await b.openOrders();
    expect(open.filter((o) => o.orderRef === a.orderRef || o.orderRef === c.orderRef).map((o) => o.account).sort()).toEqual(['DU1000002', 'DU1000003']);
  });

  it('refuses a gateway whose certificate is not the pinned one, and refuses to run unpinned', async () => {
    const { s } = await setup();
    const wrong = new CpBroker({ baseUrl: s.baseUrl, fingerprint: 'AA:'.repeat(31) + 'AA' });
    await expect(wrong.connect()).rejects.toThrow(/not the pinned one/);
    const none = new CpBroker({ baseUrl: s.baseUrl });
    await expect(none.connect()).rejects.toThrow(/clientPortal.fingerprint.*or clientPortal.caFile/);
    expect(s.state.session.primed).toBe(false); // nothing reached the API
  });
});
