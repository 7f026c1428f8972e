import { describe, expect, it } from 'vitest';
import { blockerOf, describeBlocker, safeRedisUrl } from '../../src/app/startup.js';

const ib = (state: 'CONNECTED' | 'CONNECTING' | 'DISCONNECTED' | 'CONNECTIVITY_LOST', reason?: string) => ({ state, since: 0, ...(reason ? { reason } : {}) });
const labels = { redisLabel: 'redis://127.0.0.1:6390', ibLabel: '127.0.0.1:4002' };

describe('startup: what the daemon waits for', () => {
  it('blames Redis while it is down, whatever IB says (its reconciliation needs Redis)', () => {
    expect(blockerOf(false, ib('CONNECTING', 'reconciliation failed (Reached the max retries per request limit)'))).toBe('redis');
    expect(blockerOf(false, ib('CONNECTED'))).toBe('redis');
  });

  it('one IB blocker for the whole reconnect loop; connectivity lost is its own; none when both are up', () => {
    expect(blockerOf(true, ib('DISCONNECTED'))).toBe('ib-down');
    expect(blockerOf(true, ib('CONNECTING'))).toBe('ib-down');
    expect(blockerOf(true, ib('CONNECTIVITY_LOST'))).toBe('ib-lost');
    expect(blockerOf(true, ib('CONNECTED'))).toBe('none');
  });

  it('names the service, where it was looked for and how to start it', () => {
    expect(describeBlocker('redis', { ...labels, reason: 'connect ECONNREFUSED' })).toMatch(/^Redis is not reachable at redis:\/\/127\.0\.0\.1:6390 \(connect ECONNREFUSED\).*redis-server/);
    expect(describeBlocker('ib-down', { ...labels, reason: 'connect ECONNREFUSED 127.0.0.1:4002' })).toMatch(/^IB is not connected at 127\.0\.0\.1:4002.*TWS \/ IB Gateway running/);
    expect(describeBlocker('ib-lost', labels)).toMatch(/connectivity lost/);
  });

  it('never shows a Redis password', () => {
    expect(safeRedisUrl('redis://:hunter2@127.0.0.1:6379/0')).toBe('redis://127.0.0.1:6379/0');
    expect(safeRedisUrl('rediss://user:pw@host:6380')).toBe('rediss://host:6380');
  });
});
