/**
 * Handshake, START_API sequence, client-id rules and robustness, over real TCP: raw sockets check the
 * exact frames; @stoqey/ib (IBApi and IBApiNext) checks that a real client is happy (no 505 ever).
 */
import { IBApiNext } from '@stoqey/ib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { RawClient, connectClient, installDecodeGuard, startTestSim, waitFor } from './helpers.js';

let sim: SimulatorHandle;
const raws: RawClient[] = [];
const raw = (): RawClient => {
  const r = new RawClient(sim.port);
  raws.push(r);
  return r;
};

beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(async () => {
  for (const r of raws) r.socket.destroy();
  await sim.close();
});
installDecodeGuard();

describe('handshake', () => {
  it('answers with exactly [serverVersion, connectionTime] as the first frame', async () => {
    for (const [range, version] of [['v100..193', '193'], ['v100..187', '187'], ['v157..178', '178']] as const) {
      const r = raw();
      r.handshake(range);
      await waitFor(() => r.frames.length >= 1, 'reply');
      expect(r.frames[0]).toHaveLength(2);
      expect(r.frames[0]?.[0]).toBe(version);
      expect(r.frames[0]?.[1]).toMatch(/^\d{8} \d\d:\d\d:\d\d /);
    }
  });

  it('closes the socket when no common version exists', async () => {
    const r = raw();
    r.handshake('v200..210');
    await waitFor(() => r.closed, 'close');
    expect(r.frames).toEqual([]);
  });

  it('sends MANAGED_ACCTS, NEXT_VALID_ID, then 2104/2106/2158 after START_API', async () => {
    const r = raw();
    await r.start(11);
    const after = r.frames.slice(1).map((f) => (f[0] === '4' ? `4:${f[3]}` : f[0]));
    expect(after).toEqual(['15', '9', '4:2104', '4:2106', '4:2158']);
    expect(r.frames[1]).toEqual(['15', '1', 'DU1000001,DU1000002,DU1000003']);
    expect(r.frames[2]?.slice(0, 2)).toEqual(['9', '1']);
  });
});

describe('client ids', () => {
  it('answers 326 and closes a second connection with a client id in use; the first stays', async () => {
    const first = await connectClient(sim.port, 21);
    const second = await connectClient(sim.port, 21, { waitReady: false });
    await waitFor(() => second.infos.some((i) => i.code === 326), 'info 326');
    await waitFor(() => !second.ib.isConnected, 'second disconnected');
    first.ib.reqCurrentTime();
    await first.until('currentTime');
    expect(first.ib.isConnected).toBe(true);
  });

  it('lets the id be reused after its owner disconnected', async () => {
    const a = await connectClient(sim.port, 22);
    a.disconnect();
    await waitFor(() => !sim.engine.stats.snapshot().connections.some((s) => s.clientId === 22 && s.closedAt === undefined), 'closed');
    const b = await connectClient(sim.port, 22);
    expect(b.nextValidId).toBeGreaterThan(0);
  });
});

describe('robustness', () => {
  it('logs and skips an unknown message id, then keeps answering', async () => {
    const r = raw();
    await r.start(31);
    r.send([999, 1, 'x']);
    r.send([49, 1]);
    await waitFor(() => r.frames.some((f) => f[0] === '49'), 'current time');
    expect(r.closed).toBe(false);
  });

  it('closes only the connection that sent a malformed frame', async () => {
    const good = await connectClient(sim.port, 32);
    const bad = raw();
    await bad.start(33);
    bad.send(['not-a-number', 'x']);
    await waitFor(() => bad.closed, 'bad closed');
    const huge = raw();
    await huge.start(34);
    huge.socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x41]));
    await waitFor(() => huge.closed, 'huge closed');
    const garbage = raw();
    garbage.socket.write('GET / HTTP/1.1\r\n\r\n');
    await waitFor(() => garbage.closed, 'garbage closed');
    good.ib.reqCurrentTime();
    await good.until('currentTime');
  });

  it('answers a message with bad content with error 320 and keeps the connection', async () => {
    const r = raw();
    await r.start(35);
    r.send([62, 1]); // REQ_ACCOUNT_SUMMARY missing reqId, group, tags
    r.send([49, 1]);
    await waitFor(() => r.frames.some((f) => f[0] === '49'), 'current time');
    expect(r.frames.some((f) => f[0] === '4' && f[3] === '320')).toBe(true);
    expect(r.closed).toBe(false);
  });
});

describe('requests answered to @stoqey/ib', () => {
  it('IBApiNext: managed accounts, current time, next valid id', async () => {
    const next = new IBApiNext({ host: '127.0.0.1', port: sim.port, reconnectInterval: 0, connectionWatchdogInterval: 0 });
    const codes: number[] = [];
    const sub = next.error.subscribe((e) => codes.push(e.code));
    try {
      next.connect(41);
      expect(await next.getManagedAccounts()).toEqual(['DU1000001', 'DU1000002', 'DU1000003']);
      expect(Math.abs((await next.getCurrentTime()) - Date.now() / 1000)).toBeLessThan(3600);
      expect(await next.getNextValidOrderId()).toBeGreaterThan(0);
    } finally {
      sub.unsubscribe();
      next.disconnect();
    }
    expect(codes).not.toContain(505);
  });

  it('IBApi: reqIds, reqManagedAccts and reqCurrentTime', async () => {
    const c = await connectClient(sim.port, 42);
    c.ib.reqIds();
    c.ib.reqManagedAccts();
    c.ib.reqCurrentTime();
    await c.until('currentTime');
    await waitFor(() => c.of('managedAccounts').length >= 2 && c.of('nextValidId').length >= 2, 'answers');
    expect(c.of('managedAccounts').at(-1)?.[0]).toBe('DU1000001,DU1000002,DU1000003');
  });
});
