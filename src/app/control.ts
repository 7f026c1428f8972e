/**
 * Operator commands to a running daemon, over the `<prefix>:control` stream. The kill switch itself is
 * the trading-state keys (read before every order); `ibkr-exec halt --cancel` also asks the daemon to
 * cancel its working orders here, because IB lets only the client id that placed an order cancel it.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Infra } from '../infra/index.js';
import { createRedis } from '../infra/redis.js';
import { fieldsToRecord } from '../infra/streams.js';
import type { BrokerPort } from '../execution/broker-port.js';
import type { Logger } from './logger.js';

const WORKING = ['SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'UNRESOLVED'] as const;

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
    private readonly readOnly: boolean = config.readOnly,
  ) {}

  start(): void {
    this.running = true;
    this.conn = createRedis(this.config.redis.url, { role: 'worker', connectionName: 'ibkr-exec:control', ...(this.password !== undefined ? { password: this.password } : {}) });
    this.conn.on('error', () => undefined);
    void this.loop();
  }

  stop(): void {
    this.running = false;
    this.conn?.disconnect();
  }

  private async loop(): Promise<void> {
    while (this.running && this.conn) {
      try {
        // "$" must be resolved once: re-sent after every empty BLOCK it would skip requests added in between
        if (this.lastId === '$') this.lastId = (await this.conn.xrevrange(this.infra.keys.control, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
        const res = (await this.conn.xread('BLOCK', 1000, 'STREAMS', this.infra.keys.control, this.lastId)) as [string, [string, string[]][]][] | null;
        for (const [, entries] of res ?? []) {
          for (const [id, flat] of entries) {
            this.lastId = id;
            await this.handle(fieldsToRecord(flat));
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
   * `{action: "cancel", account?, orderRefs?}`: cancel this daemon's working orders (all accounts when none
   * given); with `orderRefs` (comma list, from MCP's cancel_order) only those, and never a global cancel.
   */
  async handle(cmd: Readonly<Record<string, string>>): Promise<void> {
    if (cmd.action !== 'cancel') return;
    const account = cmd.account || undefined;
    const refs = cmd.orderRefs ? new Set(cmd.orderRefs.split(',')) : undefined;
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
