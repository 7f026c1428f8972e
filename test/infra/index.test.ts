import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, DEFAULT_CONFIG_INPUT } from '../../src/config.js';
import { createInfra } from '../../src/infra/index.js';
import { verifyAudit } from '../../src/infra/audit.js';
import { redisFixture } from './redis-fixture.js';

const fx = redisFixture('index');
afterAll(() => fx.cleanup());

describe('createInfra', () => {
  it('wires every store to the configured prefix on one connection', async () => {
    const parsed = parseConfig({ ...DEFAULT_CONFIG_INPUT, redis: { url: 'redis://127.0.0.1:6379', prefix: fx.prefix } }, {});
    if (!parsed.ok) throw new Error(parsed.errors.join());
    const infra = createInfra(parsed.config);
    try {
      expect(infra.keys.audit).toBe(`${fx.prefix}:audit`);
      await infra.audit.append({ type: 'TRADING_STATE', data: { previous: await infra.tradingState.setGlobal('HALTED'), current: 'HALTED' } });
      expect(await infra.redis.get(`${fx.prefix}:trading-state`)).toBe('HALTED');
      expect(await verifyAudit(infra.redis, infra.keys.audit)).toEqual({ ok: true, count: 1 });
      expect(await infra.orderIds.reserve(10)).toBe(10);
    } finally {
      await infra.close();
    }
    for (let i = 0; i < 500 && infra.redis.status !== 'end'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(infra.redis.status).toBe('end');
  });
});
