/** The pure part of the competing-session handling (10197) in the connection state machine. */
import { describe, expect, it } from 'vitest';
import { COMPETING_SESSION_REASON, initialConnState, isReady, reduceConn, type ConnEvent, type ConnState } from '../../src/ib/connection-state.js';
import { blockerOf, describeBlocker } from '../../src/app/startup.js';

const run = (events: ConnEvent[], s: ConnState = initialConnState(0)) => {
  const actions = [];
  for (const e of events) {
    const r = reduceConn(s, e, 1);
    s = r.state;
    actions.push(...r.actions);
  }
  return { s, actions };
};

describe('10197 competing session', () => {
  const up: ConnEvent[] = [{ type: 'connecting' }, { type: 'sessionReady' }, { type: 'reconciled', seq: 1 }];

  it('blocks orders with the reason and reconnects slowly, one more doubling step per refused attempt', () => {
    const a = run([...up, { type: 'code', code: 10197, message: 'No market data during competing live session' }]);
    expect(isReady(a.s)).toBe(false);
    expect(a.s.status).toMatchObject({ state: 'DISCONNECTED', code: 10197, reason: COMPETING_SESSION_REASON });
    const b = run([{ type: 'socketClosed', reason: 'competing session (10197)' }, { type: 'connecting' }, { type: 'socketClosed', reason: 'refused' }], a.s);
    expect(b.actions).toEqual([
      { type: 'scheduleReconnect', slow: true, competingRetries: 1 },
      { type: 'scheduleReconnect', slow: true, competingRetries: 2 },
    ]);
    expect(b.s.status.code).toBe(10197);
  });

  it('is over once a session comes up again; taken again soon, the backoff goes on doubling', () => {
    const a = run([...up, { type: 'code', code: 10197, message: 'x' }, { type: 'socketClosed', reason: 'x' }, { type: 'connecting' }, { type: 'sessionReady' }]);
    expect(a.s.competing).toBe(false);
    expect(isReady(run([{ type: 'reconciled', seq: a.s.reconcileSeq }], a.s).s)).toBe(true);
    const b = run([{ type: 'reconciled', seq: a.s.reconcileSeq }, { type: 'socketClosed', reason: 'plain drop' }], a.s);
    expect(b.actions.at(-1)).toEqual({ type: 'scheduleReconnect', slow: false });
    // the other login takes it again a minute later: the next delay is the doubled one
    const again = reduceConn(run([{ type: 'reconciled', seq: a.s.reconcileSeq }], a.s).s, { type: 'code', code: 10197, message: 'x' }, 60_000);
    expect(reduceConn(again.state, { type: 'socketClosed', reason: 'x' }, 60_001).actions).toEqual([{ type: 'scheduleReconnect', slow: true, competingRetries: 2 }]);
    // hours later it starts over
    const later = reduceConn(again.state, { type: 'code', code: 10197, message: 'y' }, 60_000);
    expect(later.state.competingRetries).toBe(1);
    const fresh = reduceConn({ ...again.state, competing: false, status: { state: 'CONNECTED', since: 0 } }, { type: 'code', code: 10197, message: 'y' }, 60_000 + 31 * 60_000);
    expect(fresh.state.competingRetries).toBe(0);
  });

  it('is its own blocker with its own sentence (not "is TWS running?")', () => {
    const status = { state: 'DISCONNECTED' as const, since: 0, code: 10197, reason: COMPETING_SESSION_REASON };
    expect(blockerOf(true, status)).toBe('ib-competing');
    const text = describeBlocker('ib-competing', { redisLabel: 'r', ibLabel: '127.0.0.1:4002', reason: status.reason });
    expect(text).toMatch(/^IB session at 127\.0\.0\.1:4002 was taken by a competing session \(IB error 10197\)/);
    expect(text).not.toMatch(/is TWS/);
  });
});
