/**
 * Signed control against a running daemon (real Redis, BullMQ, the simulator over TCP): anyone who can
 * write Redis (every producer) can neither cancel orders nor lift a halt.
 *  - control commands that are unsigned, signed with another key, stale, or replayed are ignored and
 *    audited; a properly signed one is obeyed once;
 *  - a trading-state value that is missing, unsigned, forged or an older value put back reads HALTED.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { keysFor } from '../../src/infra/keys.js';
import { signControl } from '../../src/infra/signing.js';
import { encodeState } from '../../src/infra/trading-state.js';
import { setTradingState } from '../../src/cli/commands/kill-switch.js';
import { BUSINESS, PERSONAL, REDIS, codes, entries, reader, resultFor, run, sig, simState, waitFor } from '../integration/pipeline-helpers.js';

describe('signed control', () => {
  let stack: Stack;
  let redis: Redis;
  const keys = () => keysFor(stack.config.redis.prefix);
  const rejected = async () => (await entries(redis, keys().audit)).filter((e) => e.fields.type === 'control.rejected').map((e) => JSON.parse(e.fields.data ?? '{}') as { why: string; action: string });

  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS });
    redis = reader();
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  it('ignores and audits unsigned, forged, stale and replayed commands; obeys a signed one once', async () => {
    const placed = await run(stack, sig('ctl-rest', { accounts: [PERSONAL], size: { quantity: 2 }, order: { type: 'LMT', limitPrice: 185 } }));
    const ref = resultFor(placed, PERSONAL).orderRef as string;
    const stream = keys().control;
    await redis.xadd(stream, '*', 'action', 'cancel');
    await redis.xadd(stream, '*', ...signControl(randomBytes(32), stream, { action: 'cancel' }, Date.now()));
    await redis.xadd(stream, '*', ...signControl(stack.secrets.controlKey, stream, { action: 'cancel' }, Date.now() - 10 * 60_000));
    const signedHalt = signControl(stack.secrets.controlKey, stream, { action: 'halt', account: BUSINESS, reason: 'test' }, Date.now());
    await redis.xadd(stream, '*', ...signedHalt);
    await redis.xadd(stream, '*', ...signedHalt); // the same command again: a replay
    await waitFor(async () => (await rejected()).length >= 4, 'four rejected commands audited');
    expect((await rejected()).map((r) => r.why)).toEqual([
      'unsigned',
      expect.stringMatching(/bad signature/),
      expect.stringMatching(/not within 300 s/),
      expect.stringMatching(/replayed/),
    ]);
    // the order still works at the broker; the signed halt was applied
    expect((await simState(stack)).orders.find((o) => o.orderRef === ref)?.status).toBe('Submitted');
    expect(codes(resultFor(await run(stack, sig('ctl-biz', { accounts: [BUSINESS], size: { quantity: 1 } })), BUSINESS))).toEqual(['HALTED']);
    const audited = (await entries(redis, keys().audit)).filter((e) => e.fields.type === 'trading-state').map((e) => JSON.parse(e.fields.data ?? '{}') as Record<string, unknown>);
    expect(audited.at(-1)).toMatchObject({ scope: BUSINESS, current: 'HALTED', by: 'control', reason: 'test' });

    await redis.xadd(stream, '*', ...signControl(stack.secrets.controlKey, stream, { action: 'resume', account: BUSINESS }, Date.now()));
    await waitFor(async () => resultFor(await run(stack, sig(`ctl-biz-${Date.now()}`, { accounts: [BUSINESS], size: { quantity: 1 } })), BUSINESS).decision === 'PLACED', 'BUSINESS trades after the signed resume');

    // a daemon restart forgets nothing: the halt command, XADDed again, is still a replay
    await stack.daemon!.stop();
    await stack.startDaemon();
    await redis.xadd(stream, '*', ...signedHalt);
    await waitFor(async () => (await rejected()).length >= 5, 'the replay after a restart audited');
    expect((await rejected()).at(-1)?.why).toMatch(/replayed/);
    expect(resultFor(await run(stack, sig('ctl-biz-after-restart', { accounts: [BUSINESS], size: { quantity: 1 } })), BUSINESS).decision).toBe('PLACED');
  });

  it('a forged, unsigned or replayed trading-state value cannot lift a halt', async () => {
    const k = keys().tradingState;
    const activeBefore = await redis.get(k);
    await setTradingState(stack.config, 'HALTED');
    // the daemon reads the state before every order (and polls it): once it has seen the halt, putting an
    // older validly signed value back is a replay (before that, only the Redis ACL protects the key)
    expect(codes(resultFor(await run(stack, sig('forged-seen', { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL))).toEqual(['HALTED']);
    const attempts = [
      'ACTIVE',
      encodeState(randomBytes(32), k, 'ACTIVE', Date.now() + 1000, { by: 'attacker' }),
      activeBefore ?? '',
      encodeState(stack.secrets.controlKey, keys().tradingStateFor(PERSONAL), 'ACTIVE', Date.now() + 1000, { by: 'copied' }),
    ];
    for (const [i, value] of attempts.entries()) {
      await redis.set(k, value);
      const r = resultFor(await run(stack, sig(`forged-${i}`, { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL);
      expect(codes(r), `attempt ${i}`).toEqual(['HALTED']);
    }
    // each bad value was logged and audited once by the daemon's copy to the state directory
    await waitFor(async () => (await entries(redis, keys().audit)).filter((e) => e.fields.type === 'trading-state.invalid').length >= 3, 'the invalid values audited');
    await redis.del(k);
    expect(codes(resultFor(await run(stack, sig('forged-missing', { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL))).toEqual(['HALTED']);
    await setTradingState(stack.config, 'ACTIVE');
    expect(resultFor(await run(stack, sig('forged-after', { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL).decision).toBe('PLACED');
  });
});
