/**
 * Detects a loss of Redis state and fails closed (CONTRACT §2 `stateDir`). The daemon keeps the identity
 * of its Redis state (`<p>:epoch`, written once) and a copy in the state directory, with the last anchored
 * audit head and the signed trading-state values as last seen. At start, on every Redis reconnect and
 * every few seconds it compares them:
 *
 *  - no copy and an empty Redis: a first start. The epoch is written, `ACTIVE` seeded (signed) for the
 *    global and every declared account: nothing for a newcomer to do.
 *  - no copy but Redis has an epoch: the state directory was lost (or this is a new host) while Redis
 *    kept everything. Redis' epoch is adopted, the current head anchored, a warning logged and audited;
 *    trading continues (truncation before this moment can no longer be detected).
 *  - same epoch, and the audit head in Redis not behind the anchored one: nothing happened. Trading-state
 *    keys that went missing are written back from the copy (at start).
 *  - otherwise (epoch missing or different, or the head behind the anchor: a restart from an older
 *    snapshot) Redis lost state: a new epoch; the old trail, if any, is archived under a new name (never
 *    deleted); the trading-state keys are written back from the copy and the global state set HALTED with
 *    reason `redis state lost` (in Redis and the state directory); a new audit chain starts with a record
 *    naming the lost head; the outbox and order-id mark are rebuilt from the broker (adopt.ts); trading
 *    resumes only after `ibkr-exec resume`.
 * While Redis is empty and before the check ran, nothing trades either: a missing trading-state value
 * reads as HALTED and the audit log refuses to start a new chain by itself.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { parseHead, type Head } from '../infra/audit.js';
import type { AuditAnchor } from '../infra/audit-anchor.js';
import type { Infra } from '../infra/index.js';
import type { StateDir, StateLossRecord } from '../infra/state-dir.js';
import type { BrokerPort } from '../execution/broker-port.js';
import { adoptionsFrom } from '../execution/adopt.js';
import type { Logger } from './logger.js';

export const STATE_LOST_REASON = 'redis state lost';

export interface StateGuardDeps {
  readonly infra: Omit<Infra, 'close'>;
  readonly dir: StateDir;
  readonly anchor: AuditAnchor;
  readonly broker: BrokerPort;
  readonly accounts: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** run after the outbox was rebuilt (a reconciliation pass publishes the fills of adopted orders) */
  readonly afterRebuild?: () => Promise<unknown>;
}

export class StateGuard {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private mirrorTimer: NodeJS.Timeout | undefined;
  private rebuilding: Promise<void> | undefined;
  private stopped = false;
  /** `<key>|<raw>` of invalid trading-state values already logged and audited */
  private readonly reported = new Set<string>();

  constructor(private readonly d: StateGuardDeps) {
    d.infra.tradingState.onInvalid = (key, raw, problem) => void this.reportInvalid(key, raw, problem).catch(() => undefined);
    // a value older than the one last seen at a key is a replay: the copy tells the store what it last saw
    for (const [key, raw] of Object.entries(d.dir.readMirror().values)) {
      const ts = tsOf(raw);
      if (ts !== undefined) d.infra.tradingState.noteFloor(key, ts);
    }
  }

  /** Compares the Redis epoch with the state directory's copy; serialized. Resolves true when state was lost. */
  check(when: string): Promise<boolean> {
    const p = this.chain.then(() => this.checkNow(when));
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Periodic checks and the trading-state mirror; `onRedisReady` is for the daemon's reconnect hook. */
  start(o: { intervalMs?: number } = {}): void {
    const tick = (): void => void this.check('periodic check').catch(() => undefined);
    this.timer = setInterval(tick, o.intervalMs ?? 2000);
    this.timer.unref();
    this.mirrorTimer = setInterval(() => void this.updateMirror().catch(() => undefined), 1000);
    this.mirrorTimer.unref();
  }

  onRedisReady(): Promise<boolean> {
    return this.check('Redis reconnected');
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.mirrorTimer) clearInterval(this.mirrorTimer);
  }

  /** Resolves when a rebuild started by a loss has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await this.chain;
    await this.rebuilding;
  }

  private async checkNow(when: string): Promise<boolean> {
    const { redis, keys } = this.d.infra;
    const [redisEpoch, headRaw] = await Promise.all([redis.get(keys.epoch), redis.get(keys.auditHead)]);
    const local = this.d.dir.readEpoch();
    if (local === undefined) {
      await this.firstSight(redisEpoch);
      return false;
    }
    const head = parseHead(headRaw);
    const anchor = this.d.dir.readAnchor();
    if (redisEpoch === local.epoch) {
      if (anchor === undefined || anchor.epoch !== local.epoch || head.seq >= anchor.seq) {
        if (when === 'daemon start') await this.restoreMissingStates();
        return false;
      }
      await this.lost(when, `the audit head in Redis (seq ${head.seq}) is behind the one anchored in ${this.d.dir.dir} (seq ${anchor.seq}): Redis came back from an older snapshot`, local.epoch, anchor, head);
      return true;
    }
    const why = redisEpoch === null ? `the Redis state epoch ${keys.epoch} is missing` : `the Redis state epoch is ${redisEpoch}, not ${local.epoch}`;
    await this.lost(when, why, local.epoch, anchor && anchor.epoch === local.epoch ? anchor : undefined, head);
    return true;
  }

  /** No copy in the state directory: a first start, or a lost / new state directory. */
  private async firstSight(redisEpoch: string | null): Promise<void> {
    const { redis, keys, tradingState, audit } = this.d.infra;
    const now = new Date(this.d.clock.now()).toISOString();
    if (redisEpoch !== null) {
      this.d.dir.writeEpoch({ epoch: redisEpoch, since: now });
      this.d.anchor.setEpoch(redisEpoch);
      this.d.logger.warn({ stateDir: this.d.dir.dir, epoch: redisEpoch }, 'the state directory holds no copy of the Redis state epoch (lost, or a new host); adopting the one in Redis — truncation of the audit trail before now cannot be detected');
      await audit.append({ type: 'state.dir-adopted', data: { epoch: redisEpoch, stateDir: this.d.dir.dir } });
      await this.updateMirror();
      return;
    }
    const epoch = randomUUID();
    const wrote = await redis.set(keys.epoch, epoch, 'NX');
    const actual = wrote === 'OK' ? epoch : ((await redis.get(keys.epoch)) ?? epoch);
    this.d.dir.writeEpoch({ epoch: actual, since: now });
    this.d.anchor.setEpoch(actual);
    const seeded = await tradingState.seedActive(this.d.accounts, { by: 'daemon', reason: 'first start' });
    this.d.logger.info({ stateDir: this.d.dir.dir, epoch: actual, seeded }, 'first start: Redis state epoch written and kept in the state directory');
    await audit.append({ type: 'state.epoch', data: { epoch: actual, firstStart: true, seeded } });
    await this.updateMirror();
  }

  /** Trading-state keys missing from Redis are written back from the copy (each audited). */
  private async restoreMissingStates(): Promise<void> {
    const { redis, tradingState, audit } = this.d.infra;
    const raw = await tradingState.raw(this.d.accounts);
    const mirror = this.d.dir.readMirror().values;
    for (const [key, value] of Object.entries(raw)) {
      const saved = mirror[key];
      if (value !== null || saved === undefined) continue;
      if ((await redis.set(key, saved, 'NX')) === 'OK') {
        this.d.logger.warn({ redisKey: key }, 'a trading-state key was missing; written back from the state directory');
        await audit.append({ type: 'trading-state.restored', data: { key, value: JSON.parse(saved) as unknown } });
      }
    }
  }

  private async lost(when: string, why: string, lostEpoch: string, anchor: Head | undefined, head: Head): Promise<void> {
    const { redis, keys, tradingState, audit } = this.d.infra;
    const epoch = randomUUID();
    const at = new Date(this.d.clock.now()).toISOString();
    this.d.logger.error({ why, when, lostEpoch, epoch }, 'Redis lost its state: trading is HALTED globally until an operator runs "ibkr-exec resume"');
    // halt first (a missing key already reads HALTED; this makes the reason visible), then everything else
    const mirror = this.d.dir.readMirror().values;
    for (const [key, value] of Object.entries(mirror)) if (key !== keys.tradingState) await redis.set(key, value);
    await tradingState.setGlobal('HALTED', { by: 'daemon', reason: STATE_LOST_REASON });
    if (head.seq > 0 || (await redis.exists(keys.audit)) === 1) await this.archiveTrail(epoch);
    await redis.set(keys.epoch, epoch);
    const prev = this.d.dir.readEpoch();
    this.d.dir.writeEpoch({ epoch, since: at, lost: [...(prev?.lost ?? []), lostEpoch] });
    this.d.anchor.setEpoch(epoch);
    const loss: StateLossRecord = { reason: STATE_LOST_REASON, detectedAt: at, why, when, lostEpoch, epoch, lostAuditHead: anchor ? { seq: anchor.seq, hash: anchor.hash } : null };
    await this.saveLoss(loss);
    await audit.restartChain({ type: 'audit.chain-start', data: { reason: STATE_LOST_REASON, why, lostEpoch, epoch, lostHead: loss.lostAuditHead, archivedAs: head.seq > 0 ? keys.auditArchive(epoch) : null } });
    await audit.append({ type: 'trading-state', data: { scope: 'global', current: 'HALTED', reason: STATE_LOST_REASON, by: 'daemon' } });
    await this.updateMirror();
    this.rebuilding = this.rebuild(loss);
  }

  /** The old trail (a stale snapshot's) is kept under a new name: never deleted, no longer continued. */
  private async archiveTrail(epoch: string): Promise<void> {
    const { redis, keys } = this.d.infra;
    if ((await redis.exists(keys.audit)) === 1) await redis.rename(keys.audit, keys.auditArchive(epoch));
    if ((await redis.exists(keys.auditHead)) === 1) await redis.rename(keys.auditHead, `${keys.auditArchive(epoch)}:head`);
  }

  private async saveLoss(loss: StateLossRecord): Promise<void> {
    this.d.dir.writeLoss(loss);
    await this.d.infra.redis.set(this.d.infra.keys.stateLoss, JSON.stringify(loss));
  }

  /** Re-adopts every order of ours the broker reports; retried until the broker answers. */
  private async rebuild(loss: StateLossRecord): Promise<void> {
    const { outbox, orderIds, audit } = this.d.infra;
    for (let attempt = 0; !this.stopped; attempt++) {
      if (!this.d.broker.isReadyForOrders()) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      try {
        const snap = { openOrders: await this.d.broker.openOrders(), completedOrders: await this.d.broker.completedOrders(), executions: await this.d.broker.executions() };
        const { adoptions, maxOrderId, executions } = adoptionsFrom(snap, this.d.clock.now());
        const adopted: string[] = [];
        for (const a of adoptions) if (await outbox.adopt(a)) adopted.push(a.orderRef);
        const highWater = maxOrderId > 0 ? await orderIds.observe(maxOrderId) : await orderIds.peek();
        const rebuilt = { at: new Date(this.d.clock.now()).toISOString(), orders: adopted.length, orderRefs: adopted, executions, orderIdHighWater: highWater };
        await this.saveLoss({ ...loss, rebuilt });
        await audit.append({ type: 'state.rebuilt', data: rebuilt });
        this.d.logger.warn(rebuilt, 'outbox rebuilt from the broker after the loss of Redis state; review, then run "ibkr-exec resume"');
        await this.d.afterRebuild?.().catch((err: unknown) => this.d.logger.warn({ err }, 'reconciliation after the rebuild failed'));
        return;
      } catch (err) {
        if (attempt === 0) this.d.logger.warn({ err }, 'rebuilding the outbox from the broker failed; retrying until the broker answers');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** A value that reads HALTED because it is unsigned, forged or replayed: one warning and one audit record. */
  private async reportInvalid(key: string, raw: string, problem: string): Promise<void> {
    const id = `${key}|${raw}`;
    if (this.reported.has(id)) return;
    if (this.reported.size >= 1000) this.reported.clear(); // bounded: a flood of values cannot grow it forever
    this.reported.add(id);
    this.d.logger.warn({ redisKey: key, problem }, 'a trading-state value reads HALTED: it is not validly signed with the control key');
    await this.d.infra.audit.append({ type: 'trading-state.invalid', data: { key, problem, value: raw.slice(0, 200) } });
  }

  /** Copies every validly signed trading-state value to the state directory (the newest per key). */
  private async updateMirror(): Promise<void> {
    const { tradingState } = this.d.infra;
    const raw = await tradingState.raw(this.d.accounts);
    const mirror = this.d.dir.readMirror();
    const values: Record<string, string> = { ...mirror.values };
    let changed = false;
    for (const [key, value] of Object.entries(raw)) {
      if (value === null || values[key] === value) continue;
      const r = tradingState.read(key, value);
      if (r.problem !== undefined) continue; // reported through onInvalid
      const saved = values[key];
      if (saved !== undefined && (r.ts ?? 0) < (tsOf(saved) ?? 0)) continue;
      values[key] = value;
      changed = true;
    }
    if (changed) this.d.dir.writeMirror({ values });
  }
}

function tsOf(raw: string): number | undefined {
  try {
    const ts = (JSON.parse(raw) as { ts?: unknown }).ts;
    return typeof ts === 'number' ? ts : undefined;
  } catch {
    return undefined;
  }
}
