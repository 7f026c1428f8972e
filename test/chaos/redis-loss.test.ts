/**
 * SIGKILL of a private Redis under a running daemon (real BullMQ, the simulator over TCP):
 *  - without persistence the state is lost: the daemon detects it (epoch gone), halts globally with reason
 *    `redis state lost`, rebuilds the outbox from the broker (a re-sent signal id is DUPLICATE, a working
 *    IRA sell reserves its shares again), keeps a halted account halted, trades nothing until
 *    `ibkr-exec resume`, which shows the reason and what was rebuilt; the audit chain starts again with a
 *    record naming the lost head and verifies against the anchor;
 *  - with AOF nothing is lost: no loss is detected and trading continues.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { createRedis } from '../../src/infra/redis.js';
import { keysFor } from '../../src/infra/keys.js';
import { Outbox } from '../../src/infra/outbox.js';
import { StateDir, type StateLossRecord } from '../../src/infra/state-dir.js';
import { decodeState } from '../../src/infra/trading-state.js';
import { readStream } from '../../src/infra/streams.js';
import { setTradingState, describeChange } from '../../src/cli/commands/kill-switch.js';
import { verifyAnchored } from '../../src/cli/commands/audit.js';
import { collectStatus, formatStatus } from '../../src/cli/commands/status.js';
import { BUSINESS, IRA, PERSONAL, codes, resultFor, run, sig, simState, waitFor } from '../integration/pipeline-helpers.js';
import { startPrivateRedis, type PrivateRedis } from '../integration/private-redis.js';

const noBroker = async (): Promise<never> => {
  throw new Error('no broker in this test');
};

describe('Redis restarted empty (no persistence) under a running daemon', () => {
  let redisProc: PrivateRedis;
  let stack: Stack;
  let redis: Redis;
  beforeAll(async () => {
    redisProc = await startPrivateRedis({ persistence: 'none' });
    // a short periodic pass: the position ledger is in place before the loss, and drift would show after it
    stack = await startStack({ redisUrl: redisProc.url, config: { execution: { reconcileIntervalMs: 300 } } });
    redis = createRedis(redisProc.url);
    redis.on('error', () => undefined);
  }, 30_000);
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
    await redisProc?.stop();
  });

  it('halts, rebuilds from the broker, answers DUPLICATE, trades nothing until resume, and resume shows the loss', async () => {
    const keys = keysFor(stack.config.redis.prefix);
    const dir = new StateDir(stack.config.stateDir, stack.config.redis.prefix);
    // before: a resting PERSONAL buy, a resting IRA sell of the whole AAPL position, a halted BUSINESS account
    expect(resultFor(await run(stack, sig('w-fill', { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL).decision).toBe('PLACED');
    const buy = await run(stack, sig('w-dup', { accounts: [PERSONAL], order: { type: 'LMT', limitPrice: 185 } }));
    expect(resultFor(buy, PERSONAL).decision).toBe('PLACED');
    const sell = await run(stack, sig('w-sell', { accounts: [IRA], side: 'SELL', size: { quantity: 100 }, order: { type: 'LMT', limitPrice: 195 } }));
    expect(resultFor(sell, IRA).decision).toBe('PLACED');
    await setTradingState(stack.config, 'HALTED', { account: BUSINESS });
    const bizKey = keys.tradingStateFor(BUSINESS);
    await waitFor(async () => decodeState(stack.secrets.controlKey, bizKey, dir.readMirror().values[bizKey]).state === 'HALTED', 'the halt of BUSINESS copied to the state directory');
    await waitFor(async () => (dir.readAnchor()?.seq ?? 0) > 5, 'an anchored audit head');
    const ordersBefore = (await simState(stack)).orders.length;

    await redisProc.crash();

    const loss = await waitFor(async () => {
      const raw = await redis.get(keys.stateLoss).catch(() => null);
      const l = raw === null ? undefined : (JSON.parse(raw) as StateLossRecord);
      return l?.rebuilt ? l : undefined;
    }, 'the loss detected and the outbox rebuilt', 20_000);
    expect(loss).toMatchObject({ reason: 'redis state lost', why: expect.stringMatching(/epoch .* missing/) });
    expect(loss.lostAuditHead?.seq).toBeGreaterThan(5);
    const refs = [orderRefFor('w-dup', PERSONAL, 'entry'), orderRefFor('w-sell', IRA, 'entry')];
    expect(loss.rebuilt?.orderRefs).toEqual(expect.arrayContaining(refs));
    expect(loss.rebuilt?.orderIdHighWater).toBeGreaterThanOrEqual(2);
    const outbox = new Outbox(redis, keys);
    for (const ref of refs) expect((await outbox.get(ref))?.state).toBe('ACCEPTED');
    const global = decodeState(stack.secrets.controlKey, keys.tradingState, await redis.get(keys.tradingState));
    expect(global).toMatchObject({ state: 'HALTED', reason: 'redis state lost', by: 'daemon' });
    expect(dir.readLoss()?.epoch).toBe(loss.epoch);
    const status = await collectStatus(stack.config, { clientId: 999, timeoutMs: 500, connect: noBroker });
    expect(status.stateLoss?.reason).toBe('redis state lost');
    expect(status.tradingState.global).toBe('HALTED');
    expect(formatStatus(status)).toMatch(/REDIS STATE LOST .*epoch .* missing; \d+ order\(s\) re-adopted from the broker; halted until "ibkr-exec resume"/);

    // while halted: the re-sent signal id is DUPLICATE (adopted record), nothing else trades
    const again = await run(stack, sig('w-dup', { accounts: [PERSONAL], order: { type: 'LMT', limitPrice: 185 } }));
    expect(resultFor(again, PERSONAL).decision).toBe('DUPLICATE');
    expect(codes(resultFor(await run(stack, sig('lost-biz', { accounts: [BUSINESS], size: { quantity: 1 } })), BUSINESS))).toEqual(['HALTED']);
    expect(codes(resultFor(await run(stack, sig('lost-pers', { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL))).toEqual(['HALTED']);
    expect((await simState(stack)).orders.length).toBe(ordersBefore);
    expect((await simState(stack)).orders.filter((o) => o.orderRef === refs[0])).toHaveLength(1);

    const resumed = await setTradingState(stack.config, 'ACTIVE');
    expect(resumed).toMatchObject({ previous: 'HALTED', current: 'ACTIVE', stateLoss: { reason: 'redis state lost' } });
    expect(describeChange(resumed)).toMatch(/trading was halted: redis state lost .*\n.*re-adopted/);
    expect(await redis.get(keys.stateLoss)).toBeNull();

    // after resume: BUSINESS keeps its halt, the IRA's shares are reserved by the adopted working sell
    expect(codes(resultFor(await run(stack, sig('after-biz', { accounts: [BUSINESS], size: { quantity: 1 } })), BUSINESS))).toEqual(['HALTED']);
    const iraSell = await run(stack, sig('after-ira', { accounts: [IRA], side: 'SELL', size: { quantity: 100 }, order: { type: 'LMT', limitPrice: 196 } }));
    expect(codes(resultFor(iraSell, IRA))).toContain('IRA_SHORT_SALE');
    expect(resultFor(await run(stack, sig('after-pers', { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL).decision).toBe('PLACED');
    // the fills published again from the broker are not counted twice: no position drift afterwards
    const passes = stack.daemon!.reconciler.completedPasses;
    await waitFor(async () => stack.daemon!.reconciler.completedPasses >= passes + 8, 'several periodic passes');
    expect(decodeState(stack.secrets.controlKey, keys.tradingStateFor(PERSONAL), await redis.get(keys.tradingStateFor(PERSONAL))).state).toBe('ACTIVE');

    // the new chain starts with a record naming the lost head, and verifies against the anchor
    const [first] = await readStream(redis, keys.audit);
    expect(first?.fields).toMatchObject({ seq: '1', type: 'audit.chain-start' });
    expect(JSON.parse(first?.fields.data ?? '{}')).toMatchObject({ reason: 'redis state lost', lostHead: loss.lostAuditHead });
    await waitFor(async () => dir.readAnchor()?.epoch === loss.epoch, 'the anchor moved to the new epoch');
    expect(await verifyAnchored(redis, keys.audit, keys.epoch, stack.secrets.auditKey, dir.readAnchor())).toMatchObject({ ok: true });
  }, 60_000);
});

describe('Redis with AOF killed under a running daemon', () => {
  let redisProc: PrivateRedis;
  let stack: Stack;
  let redis: Redis;
  beforeAll(async () => {
    redisProc = await startPrivateRedis({ persistence: 'aof' });
    stack = await startStack({ redisUrl: redisProc.url });
    redis = createRedis(redisProc.url);
    redis.on('error', () => undefined);
  }, 30_000);
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
    await redisProc?.stop();
  });

  it('detects no loss and trades on', async () => {
    const keys = keysFor(stack.config.redis.prefix);
    const dir = new StateDir(stack.config.stateDir, stack.config.redis.prefix);
    expect(resultFor(await run(stack, sig('aof-1', { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL).decision).toBe('PLACED');
    const epoch = await redis.get(keys.epoch);
    await redisProc.crash();
    expect(resultFor(await run(stack, sig('aof-2', { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL).decision).toBe('PLACED');
    // the daemon checked the state after the reconnect (a check is cheap; run one more to be sure it ran)
    expect(await stack.daemon!.guard.check('test')).toBe(false);
    expect(await redis.get(keys.epoch)).toBe(epoch);
    expect(await redis.get(keys.stateLoss)).toBeNull();
    expect(decodeState(stack.secrets.controlKey, keys.tradingState, await redis.get(keys.tradingState)).state).toBe('ACTIVE');
    expect(resultFor(await run(stack, sig('aof-1', { accounts: [PERSONAL], size: { quantity: 1 } }), 'aof-1-again'), PERSONAL).decision).toBe('DUPLICATE');
    await waitFor(async () => (dir.readAnchor()?.seq ?? 0) > 0, 'an anchored head');
    expect(await verifyAnchored(redis, keys.audit, keys.epoch, stack.secrets.auditKey, dir.readAnchor())).toMatchObject({ ok: true });
  }, 60_000);
});
