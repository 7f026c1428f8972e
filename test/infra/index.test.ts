import { randomBytes } from 'node:crypto';
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
    const secrets = { controlKey: randomBytes(32), auditKey: randomBytes(32) };
    const infra = createInfra(parsed.config, { secrets });
    try {
      expect(infra.keys.audit).toBe(`${fx.prefix}:audit`);
      await infra.audit.append({ type: 'TRADING_STATE', data: { previous: await infra.tradingState.setGlobal('HALTED'), current: 'HALTED' } });
      expect(JSON.parse((await infra.redis.get(`${fx.prefix}:trading-state`)) ?? '{}')).toMatchObject({ state: 'HALTED', sig: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(await infra.tradingState.getGlobal()).toBe('HALTED');
      expect(await verifyAudit(infra.redis, infra.keys.audit, secrets.auditKey)).toEqual({ ok: true, count: 1 });
      expect(await verifyAudit(infra.redis, infra.keys.audit, randomBytes(32))).toMatchObject({ ok: false, seq: 1 });
      expect(await infra.orderIds.reserve(10)).toBe(10);
    } finally {
      await infra.close();
    }
    for (let i = 0; i < 500 && infra.redis.status !== 'end'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(infra.redis.status).toBe('end');
  });
});
