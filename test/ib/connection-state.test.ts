import { describe, expect, it } from 'vitest';
import type { ConnEvent, ConnState } from '../../src/ib/connection-state.js';
import { initialConnState, isReady, reduceConn } from '../../src/ib/connection-state.js';

const run = (events: ConnEvent[], s: ConnState = initialConnState(0)) => {
  const actions = [];
  let t = 0;
  for (const e of events) {
    const r = reduceConn(s, e, (t += 1));
    s = r.state;
    actions.push(...r.actions);
  }
  return { s, actions };
};

describe('connection state machine', () => {
  it('is not ready until the first reconciliation pass completes', () => {
    const a = run([{ type: 'connecting' }, { type: 'sessionReady' }]);
    expect(a.s.status.state).toBe('CONNECTING');
    expect(isReady(a.s)).toBe(false);
    expect(a.actions).toEqual([{ type: 'reconcile', seq: 1, why: 'session' }]);
    const b = run([{ type: 'reconciled', seq: 1 }], a.s);
    expect(b.s.status.state).toBe('CONNECTED');
    expect(isReady(b.s)).toBe(true);
  });

  it('1100 blocks orders until 1102 AND a reconciliation pass', () => {
    const up = run([{ type: 'connecting' }, { type: 'sessionReady' }, { type: 'reconciled', seq: 1 }]).s;
    const lost = run([{ type: 'code', code: 1100, message: 'lost' }, { type: 'code', code: 1100, message: 'again' }], up);
    expect(lost.s.status).toMatchObject({ state: 'CONNECTIVITY_LOST', code: 1100, reason: 'lost' });
    const restored = run([{ type: 'code', code: 1102, message: 'ok' }], lost.s);
    expect(restored.s.status.state).toBe('CONNECTIVITY_LOST');
    expect(isReady(restored.s)).toBe(false);
    expect(restored.actions).toEqual([{ type: 'reconcile', seq: 2, why: 'restored' }]);
    expect(run([{ type: 'reconciled', seq: 1 }], restored.s).s.status.state).toBe('CONNECTIVITY_LOST'); // stale pass
    expect(run([{ type: 'reconciled', seq: 2 }], restored.s).s.status.state).toBe('CONNECTED');
    // a new 1100 during the pass wins over the pass
    const again = run([{ type: 'code', code: 2110, message: 'x' }, { type: 'reconciled', seq: 2 }], restored.s);
    expect(again.s.status.state).toBe('CONNECTIVITY_LOST');
  });

  it('1101/1102 without a preceding loss change nothing', () => {
    const up = run([{ type: 'connecting' }, { type: 'sessionReady' }, { type: 'reconciled', seq: 1 }]).s;
    expect(run([{ type: 'code', code: 1102, message: '' }], up).s).toBe(up);
  });

  it('326 reports DISCONNECTED with the reason and asks for a slow retry', () => {
    const r = run([{ type: 'connecting' }, { type: 'code', code: 326, message: 'in use' }, { type: 'socketClosed', reason: 'closed' }]);
    expect(r.s.status).toMatchObject({ state: 'DISCONNECTED', code: 326 });
    expect(r.s.status.reason).toMatch(/in use/);
    expect(r.actions).toEqual([{ type: 'scheduleReconnect', slow: true }]);
  });

  it('a socket close schedules a normal reconnect; a failed pass is retried', () => {
    const r = run([{ type: 'connecting' }, { type: 'socketClosed', reason: 'refused' }]);
    expect(r.s.status).toMatchObject({ state: 'DISCONNECTED', reason: 'refused' });
    expect(r.actions).toEqual([{ type: 'scheduleReconnect', slow: false }]);
    const p = run([{ type: 'connecting' }, { type: 'sessionReady' }, { type: 'reconcileFailed', seq: 1, reason: 'timeout' }]);
    expect(p.actions.at(-1)).toEqual({ type: 'reconcile', seq: 2, why: 'session' });
    expect(isReady(p.s)).toBe(false);
  });

  it('stopped ignores everything but a new connect', () => {
    const s = run([{ type: 'connecting' }, { type: 'stopped' }, { type: 'socketClosed', reason: 'x' }]);
    expect(s.s.phase).toBe('stopped');
    expect(s.actions).toEqual([]);
  });
});
