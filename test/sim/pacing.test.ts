/**
 * Pacing like TWS: more than maxMessagesPerSecond client messages in a second → error 100 per extra
 * message, and the third violation drops the connection; 'pace' mode delays instead. Stats expose the
 * most messages seen in any one-second window. No timing is asserted: bursts are sent in one write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { encodeFrame } from '../../src/sim/wire/index.js';
import { RawClient, admin, connectClient, installDecodeGuard, startTestSim, waitFor } from './helpers.js';

let sim: SimulatorHandle | undefined;
const raws: RawClient[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.socket.destroy();
  await sim?.close();
  sim = undefined;
});
installDecodeGuard();

function burst(r: RawClient, n: number): void {
  const frames = Array.from({ length: n }, () => encodeFrame([49, 1]));
  r.socket.write(Buffer.concat(frames));
}

describe('pacing', () => {
  it("'reject': error 100 for messages over the limit, connection dropped after the third violation", async () => {
    sim = await startTestSim({ maxMessagesPerSecond: 10 });
    const r = new RawClient(sim.port);
    raws.push(r);
    await r.start(1); // START_API = message 1
    burst(r, 20);
    await waitFor(() => r.closed, 'connection dropped');
    const errors = r.frames.filter((f) => f[0] === '4' && f[3] === '100');
    expect(errors).toHaveLength(3);
    expect(errors[0]?.[4]).toBe('Max rate of messages per second has been exceeded:max=10 rec=11 (1)');
    // 9 answered when START_API is still in the window, 10 on a machine slow enough to push it out
    expect(r.frames.filter((f) => f[0] === '49').length).toBeGreaterThanOrEqual(9);
    expect(r.frames.filter((f) => f[0] === '49').length).toBeLessThanOrEqual(10);
    const stats = sim.engine.stats.snapshot();
    expect(stats.connections[0]?.violations).toBe(3);
    expect(stats.maxMessagesPerSecond).toBe(13);
  });

  it('default limit is 50: a 60-message burst is refused, a client within the limit is not', async () => {
    sim = await startTestSim();
    const r = new RawClient(sim.port);
    raws.push(r);
    await r.start(2);
    burst(r, 60);
    await waitFor(() => r.closed, 'dropped');
    expect(r.frames.find((f) => f[0] === '4' && f[3] === '100')?.[4]).toMatch(/max=50 rec=51/);
    const c = await connectClient(sim.port, 3); // stoqey paces itself at 40/s by default
    for (let i = 0; i < 45; i++) c.ib.reqCurrentTime();
    await waitFor(() => c.of('currentTime').length === 45, '45 answers');
    expect(c.errors.filter((e) => e.code === 100)).toEqual([]);
  });

  it("'pace': a burst is delayed, never refused; GET /state reports the max per second", async () => {
    sim = await startTestSim({ pacing: 'pace', maxMessagesPerSecond: 10 });
    const r = new RawClient(sim.port);
    raws.push(r);
    await r.start(4);
    burst(r, 25);
    await waitFor(() => r.frames.filter((f) => f[0] === '49').length === 25, 'all 25 answered', 15_000);
    expect(r.frames.some((f) => f[0] === '4' && f[3] === '100')).toBe(false);
    expect(r.closed).toBe(false);
    const st = (await admin(sim, 'GET', '/state')).json;
    expect(st.stats.maxMessagesPerSecond).toBeGreaterThanOrEqual(25);
    expect(st.stats.connections[0]).toMatchObject({ clientId: 4, messages: 26, violations: 0 });
  });
});

describe('+PACEAPI', () => {
  it('a client that sends the +PACEAPI connect option is paced, not refused', async () => {
    sim = await startTestSim({ maxMessagesPerSecond: 10 });
    const r = new RawClient(sim.port);
    raws.push(r);
    r.handshake('v100..193 +PACEAPI');
    await waitFor(() => r.frames.length >= 1, 'handshake');
    r.send([71, 2, 5, '']);
    burst(r, 15);
    await waitFor(() => r.frames.filter((f) => f[0] === '49').length === 15, 'all 15 answered', 15_000);
    expect(r.frames.some((f) => f[0] === '4' && f[3] === '100')).toBe(false);
  });
});
