/**
 * Operator commands to a running daemon, over the `<prefix>:control` stream (CONTRACT §5): `action`
 * cancel / halt / reduce-only / resume, `account` (optional), `reason`, `ts`, `nonce`, `sig`. The kill
 * switch itself is the signed trading-state keys (read before every order); `ibkr-exec halt --cancel` also
 * asks the daemon to cancel its working orders here, because IB lets only the client id that placed an
 * order cancel it.
 *
 * Every command must carry an HMAC (`sig`, signing.ts) with the control key: a producer that can write
 * Redis (every producer can, for BullMQ) cannot cancel or lift a halt. Replays are refused: `ts` must lie
 * within ±`CONTROL_WINDOW_MS` of the daemon's clock and each `nonce` is accepted once (remembered for the
 * window). A command that fails any check is ignored, logged and audited (`control.rejected`).
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Infra } from '../infra/index.js';
import { createRedis } from '../infra/redis.js';
import { fieldsToRecord } from '../infra/streams.js';
import type { BrokerPort } from '../execution/broker-port.js';
import type { Logger } from './logger.js';
import type { Clock } from '../domain/clock.js';
import type { TradingState } from '../domain/types.js';
import { verifyControl } from '../infra/signing.js';

const WORKING = ['SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'UNRESOLVED'] as const;

/** How far a command's `ts` may be from the daemon's clock (either way). */
export const CONTROL_WINDOW_MS = 300_000;

const STATE_OF: Readonly<Record<string, TradingState>> = { halt: 'HALTED', 'reduce-only': 'REDUCE_ONLY', resume: 'ACTIVE' };

export class ControlListener {
  private running = false;
  private conn: Redis | undefined;
  private lastId = '$';

  constructor(
    private readonly config: Config,
    private readonly password: string | undefined,
    private readonly infra: Infra,
    private readonly broker: BrokerPort,
    private readonly logger: Logger,
    /** read-only (config, or live mode without confirmation): no cancel ever leaves the process (CONTRACT §2) */
    private readonly readOnly: boolean,
    private readonly controlKey: Buffer,
    private readonly clock: Clock,
  ) {}

  /** nonce → ts of commands accepted within the window */
  private readonly seen = new Map<string, number>();

  private reading: (() => void) | undefined;

  /** Starts reading; resolves once the first read position is known (or its first attempt failed). */
  start(): Promise<void> {
    this.running = true;
    this.conn = createRedis(this.config.redis.url, { role: 'worker', connectionName: 'ibkr-exec:control', ...(this.password !== undefined ? { password: this.password } : {}) });
    this.conn.on('error', () => undefined);
    const started = new Promise<void>((r) => (this.reading = r));
    void this.loop();
    return started;
  }

  stop(): void {
    this.running = false;
    this.conn?.disconnect();
  }

  private async loop(): Promise<void> {
    while (this.running && this.conn) {
      try {
        // "$" must be resolved once: re-sent after every empty BLOCK it would skip requests added in between
        if (this.lastId === '$') this.lastId = await this.startAfterExisting(this.conn).finally(() => this.reading?.());
        const res = (await this.conn.xread('BLOCK', 1000, 'STREAMS', this.infra.keys.control, this.lastId)) as [string, [string, string[]][]][] | null;
        for (const [, entries] of res ?? []) {
          for (const [id, flat] of entries) {
            this.lastId = id;
            await this.handle(fieldsToRecord(flat), id);
          }
        }
      } catch (err) {
        if (!this.running) return;
        this.logger.warn({ err }, 'control stream read failed');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /**
   * Where reading starts: after the newest entry. The nonces of the entries already there (within the
   * window) count as seen, so a copy of one of them XADDed again after a restart is a replay, not a command.
   */
  private async startAfterExisting(conn: Redis): Promise<string> {
    const recent = await conn.xrevrange(this.infra.keys.control, '+', '-', 'COUNT', 1000);
    const now = this.clock.now();
    for (const [, flat] of recent) {
      const f = fieldsToRecord(flat);
      const ts = Number(f.ts);
      if (f.nonce && Number.isFinite(ts) && Math.abs(now - ts) <= CONTROL_WINDOW_MS) this.seen.set(f.nonce, ts);
    }
    return recent[0]?.[0] ?? '0-0';
  }

  /** Why a command is refused (unsigned, forged, stale or replayed), or undefined when it may run. */
  authenticate(cmd: Readonly<Record<string, string>>): string | undefined {
    if (cmd.sig === undefined) return 'unsigned';
    if (!verifyControl(this.controlKey, this.infra.keys.control, cmd)) return 'bad signature (not signed with this control key)';
    const now = this.clock.now();
    const ts = Number(cmd.ts);
    if (!Number.isFinite(ts) || Math.abs(now - ts) > CONTROL_WINDOW_MS) return `ts ${cmd.ts ?? '(none)'} is not within ${CONTROL_WINDOW_MS / 1000} s of now (stale or replayed)`;
    if (!cmd.nonce) return 'no nonce';
    for (const [n, t] of this.seen) if (now - t > 2 * CONTROL_WINDOW_MS) this.seen.delete(n);
    if (this.seen.has(cmd.nonce)) return 'replayed (this nonce was already used)';
    this.seen.set(cmd.nonce, ts);
    return undefined;
  }

  /** One command from the stream: authenticated, then run; anything refused is audited. */
  async handle(cmd: Readonly<Record<string, string>>, id = ''): Promise<void> {
    const problem = this.authenticate(cmd);
    const state = STATE_OF[cmd.action ?? ''];
    if (problem !== undefined || (cmd.action !== 'cancel' && state === undefined)) {
      const why = problem ?? `unknown action ${JSON.stringify(cmd.action ?? '')}`;
      this.logger.warn({ id, action: cmd.action, account: cmd.account, why }, 'control command ignored');
      await this.infra.audit.append({ type: 'control.rejected', account: cmd.account ?? '', data: { id, action: cmd.action ?? null, why, fields: Object.keys(cmd) } });
      return;
    }
    const account = cmd.account || undefined;
    if (state !== undefined) return this.setState(state, account, cmd.reason);
    return this.cancel(account, cmd.orderRefs ? new Set(cmd.orderRefs.split(',')) : undefined);
  }

  /** halt / reduce-only / resume from the stream: the signed trading state, set by the daemon. */
  private async setState(state: TradingState, account: string | undefined, reason: string | undefined): Promise<void> {
    if (account !== undefined && !this.config.accounts.some((a) => a.id === account)) {
      await this.infra.audit.append({ type: 'control.rejected', account, data: { action: state, why: 'account not declared' } });
      return;
    }
    const meta = { by: 'control', ...(reason ? { reason } : {}) };
    const previous = account === undefined ? await this.infra.tradingState.setGlobal(state, meta) : await this.infra.tradingState.setAccount(account, state, meta);
    await this.infra.audit.append({ type: 'trading-state', account: account ?? '', data: { scope: account ?? 'global', previous, current: state, by: 'control', reason: reason ?? null } });
    this.logger.warn({ account: account ?? 'global', previous, current: state }, 'trading state set by a control command');
  }

  /**
   * `cancel`: cancel this daemon's working orders (all accounts when none given); with `orderRefs` (comma
   * list, from MCP's cancel_order) only those, and never a global cancel.
   */
  private async cancel(account: string | undefined, refs: ReadonlySet<string> | undefined): Promise<void> {
    const working = (await this.infra.outbox.listByState(WORKING)).filter((r) => r.orderId !== undefined && (!account || r.account === account) && (!refs || refs.has(r.orderRef)));
    if (this.readOnly) {
      await this.infra.audit.append({ type: 'kill-switch.cancel', account: account ?? '', data: { requested: working.length, cancelled: 0, global: false, refused: 'read-only mode: no cancel leaves the process' } });
      this.logger.warn({ account: account ?? 'ALL' }, 'kill switch: cancel request ignored in read-only mode (no cancel leaves the process)');
      return;
    }
    let cancelled = 0;
    for (const r of working) {
      try {
        await this.broker.cancelOrder(r.orderId as number);
        cancelled += 1;
      } catch (err) {
        this.logger.warn({ err, orderRef: r.orderRef }, 'cancel failed');
      }
    }
    if (!account && !refs) await this.broker.cancelAll().catch((err: unknown) => this.logger.warn({ err }, 'global cancel failed'));
    await this.infra.audit.append({ type: 'kill-switch.cancel', account: account ?? '', data: { requested: working.length, cancelled, global: !account && !refs, ...(refs ? { orderRefs: [...refs] } : {}) } });
    this.logger.warn({ account: account ?? 'ALL', cancelled }, 'kill switch: working orders cancelled');
  }
}
