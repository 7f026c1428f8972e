/**
 * The Redis state identity at daemon start (real Redis, BullMQ, the simulator over TCP):
 *  - a first start writes the epoch, seeds ACTIVE and says where the state directory is;
 *  - Redis wiped while no daemon ran: the start halts with `redis state lost`, re-adopts the broker's
 *    orders before reading a signal (a re-sent id is DUPLICATE);
 *  - Redis back from an older snapshot (same epoch, audit head behind the anchor): a loss too; the old
 *    trail is archived, not deleted;
 *  - the state directory lost, Redis intact: Redis' epoch is adopted (audited) and trading goes on;
 *  - live mode on a Redis with neither AOF nor RDB refuses to start unless `redis.allowVolatile`; a Redis
 *    that does not allow CONFIG only draws a warning.
 */
import { rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { keysFor } from '../../src/infra/keys.js';
import { StateDir, type StateLossRecord } from '../../src/infra/state-dir.js';
import { decodeState } from '../../src/infra/trading-state.js';
import { readStream } from '../../src/infra/streams.js';
import { redisAclLines } from '../../src/infra/redis-acl.js';
import { describeChange, setTradingState } from '../../src/cli/commands/kill-switch.js';
import { PERSONAL, REDIS, codes, reader, resultFor, run, sig } from './pipeline-helpers.js';
import { startPrivateRedis, type PrivateRedis } from './private-redis.js';

/** A logger whose lines the test can read. */
function capture(): { logger: Logger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _e, cb) => (out.push(...chunk.toString().split('\n').filter(Boolean)), cb()) });
  return { logger: pino({ level: 'info' }, stream), lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

async function wipe(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (found.length) await redis.del(...found);
    cursor = next;
  } while (cursor !== '0');
}

describe('the Redis state identity at daemon start', () => {
  let stack: Stack;
  let redis: Redis;
  const log = capture();
  const keys = () => keysFor(stack.config.redis.prefix);
  const dir = () => new StateDir(stack.config.stateDir, stack.config.redis.prefix);
  const globalState = async () => decodeState(stack.secrets.controlKey, keys().tradingState, await redis.get(keys().tradingState));

  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, logger: log.logger });
    redis = reader();
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  it('a first start writes the epoch, keeps it in the state directory and seeds ACTIVE (signed)', async () => {
    const epoch = await redis.get(keys().epoch);
    expect(epoch).toMatch(/^[0-9a-f-]{36}$/);
    expect(dir().readEpoch()?.epoch).toBe(epoch);
    expect(await globalState()).toMatchObject({ state: 'ACTIVE', by: 'daemon', reason: 'first start' });
    expect(log.lines().some((l) => /first start: Redis state epoch written/.test(l.msg))).toBe(true);
    const audit = await readStream(redis, keys().audit);
    expect(audit[0]?.fields.type).toBe('state.epoch');
  });

  it('Redis wiped while no daemon ran: the start halts, re-adopts the broker orders before any signal, answers DUPLICATE', async () => {
    const placed = await run(stack, sig('start-dup', { accounts: [PERSONAL], order: { type: 'LMT', limitPrice: 185 } }));
    expect(resultFor(placed, PERSONAL).decision).toBe('PLACED');
    await stack.daemon!.stop();
    await wipe(redis, stack.config.redis.prefix);
    await stack.startDaemon();
    expect(await globalState()).toMatchObject({ state: 'HALTED', reason: 'redis state lost' });
    const loss = JSON.parse((await redis.get(keys().stateLoss)) ?? '{}') as StateLossRecord;
    expect(loss).toMatchObject({ when: 'daemon start', why: expect.stringMatching(/missing/), rebuilt: { orderRefs: expect.arrayContaining([orderRefFor('start-dup', PERSONAL, 'entry')]) } });
    expect(resultFor(await run(stack, sig('start-dup', { accounts: [PERSONAL], order: { type: 'LMT', limitPrice: 185 } }), 'start-dup-again'), PERSONAL).decision).toBe('DUPLICATE');
    expect(codes(resultFor(await run(stack, sig('start-new', { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL))).toEqual(['HALTED']);
  });

  it('Redis back from an older snapshot (audit head behind the anchor) is a loss; the old trail is archived', async () => {
    const epoch = await redis.get(keys().epoch);
    await stack.daemon!.stop();
    const anchor = dir().readAnchor()!;
    dir().writeAnchor({ ...anchor, seq: anchor.seq + 50 }); // as if Redis came back missing the last 50 records
    await stack.startDaemon();
    const loss = JSON.parse((await redis.get(keys().stateLoss)) ?? '{}') as StateLossRecord;
    expect(loss).toMatchObject({ lostEpoch: epoch, why: expect.stringMatching(/behind the one anchored/) });
    expect(loss.epoch).not.toBe(epoch);
    expect(await redis.xlen(keys().auditArchive(loss.epoch))).toBeGreaterThan(0);
    expect((await readStream(redis, keys().audit))[0]?.fields.type).toBe('audit.chain-start');
  });

  it('the state directory lost while Redis kept everything: the Redis epoch is adopted and audited, trading goes on', async () => {
    await stack.daemon!.stop();
    await redis.del(keys().stateLoss);
    await redis.set(keys().tradingState, (await redis.get(keys().tradingStateFor(PERSONAL))) ?? ''); // an ACTIVE value… of another key
    const epoch = await redis.get(keys().epoch);
    rmSync(dir().dir, { recursive: true, force: true });
    await stack.startDaemon();
    expect(await redis.get(keys().epoch)).toBe(epoch);
    expect(dir().readEpoch()?.epoch).toBe(epoch);
    expect((await readStream(redis, keys().audit)).some((e) => e.fields.type === 'state.dir-adopted')).toBe(true);
    expect(await redis.get(keys().stateLoss)).toBeNull();
    // a copied value does not verify under the global key: still HALTED until an operator resumes
    expect((await globalState()).state).toBe('HALTED');
  });

  it('resume refuses while the rebuild has not finished, unless --force', async () => {
    const loss: StateLossRecord = { reason: 'redis state lost', detectedAt: new Date().toISOString(), why: 'test', when: 'test', lostEpoch: 'a', epoch: 'b', lostAuditHead: null };
    await redis.set(keys().stateLoss, JSON.stringify(loss));
    await expect(setTradingState(stack.config, 'ACTIVE')).rejects.toThrow(/has not finished rebuilding the outbox from the broker yet; wait for it .* or resume with --force/);
    expect((await globalState()).state).toBe('HALTED');
    const forced = await setTradingState(stack.config, 'ACTIVE', { force: true });
    expect(forced).toMatchObject({ current: 'ACTIVE', stateLoss: { why: 'test' } });
    expect(describeChange(forced)).toMatch(/NOT rebuilt from the broker \(--force\)/);
    expect(await redis.get(keys().stateLoss)).toBeNull();
  });

  it('an unreadable state file stops the start with a sentence naming it (nothing guessed)', async () => {
    await stack.daemon!.stop();
    stack.daemon = undefined;
    writeFileSync(join(dir().dir, 'epoch.json'), '{ not json');
    await expect(stack.startDaemon()).rejects.toThrow(new RegExp(`${join(dir().dir, 'epoch.json')} is not valid JSON`));
    rmSync(join(dir().dir, 'epoch.json'));
  });
});

describe('Redis persistence at start in live mode', () => {
  let volatile: PrivateRedis;
  let noConfig: PrivateRedis;
  const stacks: Stack[] = [];
  const aclDir = mkdtempSync(join(tmpdir(), 'ibkr-exec-acl-'));
  beforeAll(async () => {
    volatile = await startPrivateRedis({ persistence: 'none' });
    // a Redis that does not allow CONFIG (as managed Redis): the daemon user without +config|get
    const file = join(aclDir, 'users.acl');
    writeFileSync(file, redisAclLines({ prefix: 'x', queue: 'y', daemonPassword: 'pw' }).map((l) => l.replace(/ ~\S+/g, '').replace('+config|get', '~*')).join('\n') + '\n');
    noConfig = await startPrivateRedis({ persistence: 'none', aclFile: file });
  }, 30_000);
  afterAll(async () => {
    for (const s of stacks) await s.stop();
    await volatile?.stop();
    await noConfig?.stop();
    rmSync(aclDir, { recursive: true, force: true });
  });

  it('refuses to start on a Redis with neither AOF nor RDB, naming redis.allowVolatile; starts with it', async () => {
    const refused = await startStack({ redisUrl: volatile.url, config: { mode: 'live' }, noDaemon: true });
    stacks.push(refused);
    await expect(refused.startDaemon()).rejects.toThrow(/live mode needs a Redis that persists .*redis\.allowVolatile: true/);
    const allowed = await startStack({ redisUrl: volatile.url, config: { mode: 'live', redis: { allowVolatile: true } } });
    stacks.push(allowed);
    expect(allowed.daemon).toBeDefined();
  });

  it('a Redis that refuses CONFIG GET: one warning, and the daemon starts', async () => {
    const log = capture();
    const s = await startStack({ redisUrl: noConfig.url, env: { REDIS_PASSWORD: 'pw' }, config: { mode: 'live' }, logger: log.logger });
    stacks.push(s);
    expect(log.lines().some((l) => /could not read Redis persistence settings/.test(l.msg))).toBe(true);
  });
});
