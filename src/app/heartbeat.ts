/**
 * SHELL: the daemon's heartbeat — its own view, written every `intervalMs` to `<prefix>:daemon:status` as JSON
 * with a TTL of three intervals, so a daemon that died leaves no heartbeat behind. `ibkr-exec status` shows it
 * and says plainly when there is none (no daemon) or it is stale.
 *
 * Per account, the effective state the daemon trades it with, and why (`accountView`, pure):
 *   READ_ONLY (read-only mode, live mode without confirmation, a live id in paper mode) >
 *   NOT_LINKED (declared, not linked to this IB login) > TYPE_MISMATCH (declared type contradicts IB's
 *   AccountType) > the trading state (global × account: ACTIVE / REDUCE_ONLY / HALTED).
 */
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { TradingState } from '../domain/types.js';
import { isIraType } from '../domain/types.js';
import type { BrokerAccountSummary, ConnectionStatus } from '../execution/broker-port.js';
import type { Infra } from '../infra/index.js';
import { effectiveState } from '../infra/trading-state.js';
import { isBrokerIra } from '../validation/rule.js';
import type { Logger } from './logger.js';
import type { DaemonMetrics } from './metrics.js';

/** The effective state of one account as the daemon sees it. */
export type AccountEffective = TradingState | 'READ_ONLY' | 'TYPE_MISMATCH' | 'NOT_LINKED';

export interface HeartbeatAccount {
  readonly account: string;
  readonly type: string;
  readonly label: string | null;
  readonly linked: boolean | null;
  readonly brokerAccountType: string | null;
  readonly tradingState: TradingState;
  readonly effective: AccountEffective;
  readonly why: string | null;
}

/** The heartbeat's JSON (`<prefix>:daemon:status`). */
export interface DaemonHeartbeat {
  readonly version: 1;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  /** epoch ms of this beat; `status` calls a beat older than `staleAfterMs` stale */
  readonly ts: number;
  readonly staleAfterMs: number;
  readonly mode: string;
  readonly readOnly: boolean;
  readonly ib: { readonly host: string; readonly port: number; readonly clientId: number; readonly state: string; readonly since: number; readonly reason: string | null; readonly code: number | null };
  readonly restartWindow: { readonly time: string; readonly timeZone: string; readonly minutes: number; readonly inWindow: boolean };
  readonly queue: { readonly name: string; readonly consuming: boolean; readonly taking: boolean; readonly handled: number };
  readonly tradingState: { readonly global: TradingState };
  readonly accounts: readonly HeartbeatAccount[];
}

/** Facts for one account → its effective state and why (pure). */
export function accountView(f: {
  config: Config;
  readOnly: boolean;
  liveAccounts: readonly string[];
  account: Config['accounts'][number];
  linked: readonly string[] | undefined;
  summary: BrokerAccountSummary | undefined;
  global: TradingState;
  own: TradingState;
}): { effective: AccountEffective; why: string | null } {
  const { config, account: a } = f;
  if (config.readOnly) return { effective: 'READ_ONLY', why: 'readOnly: true in the config' };
  if (f.readOnly) return { effective: 'READ_ONLY', why: 'mode is live but IBKR_EXEC_LIVE_ACCOUNTS is empty' };
  if (config.mode === 'paper' && !a.id.startsWith('DU')) return { effective: 'READ_ONLY', why: 'paper mode: not a paper account id (DU…)' };
  if (config.mode === 'live' && !f.liveAccounts.includes(a.id)) return { effective: 'READ_ONLY', why: 'live mode: not listed in IBKR_EXEC_LIVE_ACCOUNTS' };
  if (f.linked && !f.linked.includes(a.id)) return { effective: 'NOT_LINKED', why: 'declared but not linked to this IB login' };
  const t = f.summary?.accountType;
  if (t !== undefined && isIraType(a.type) !== isBrokerIra(t)) return { effective: 'TYPE_MISMATCH', why: `declared ${a.type} but IB reports AccountType ${t}` };
  const eff = effectiveState(f.global, f.own);
  if (eff === 'ACTIVE') return { effective: 'ACTIVE', why: null };
  return { effective: eff, why: f.global !== 'ACTIVE' ? `global trading state ${f.global}` : `account trading state ${f.own}` };
}

export interface HeartbeatOptions {
  readonly config: Config;
  readonly infra: Infra;
  readonly readOnly: boolean;
  readonly liveAccounts: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  readonly connection: () => ConnectionStatus;
  readonly managedAccounts: () => Promise<readonly string[]>;
  readonly accountSummaries: () => Promise<readonly BrokerAccountSummary[]>;
  readonly consuming: () => boolean;
  readonly inWindow: () => boolean;
  /** default 5 s */
  readonly intervalMs?: number;
}

/** Writes the heartbeat every interval; deletes it at stop. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt: string;
  private summaries: { at: number; list: readonly BrokerAccountSummary[] } | undefined;
  private beating: Promise<void> | undefined;

  constructor(private readonly o: HeartbeatOptions) {
    this.startedAt = new Date(o.clock.now()).toISOString();
  }

  private get intervalMs(): number {
    return this.o.intervalMs ?? 5_000;
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops beating and removes the heartbeat (a stopped daemon is "not running" at once). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    await this.o.infra.redis.del(this.o.infra.keys.daemonStatus).catch(() => undefined);
  }

  private tick(): Promise<void> {
    if (this.beating) return this.beating;
    this.beating = this.beat()
      .then(() => void this.o.metrics.heartbeats.inc({ result: 'ok' }))
      .catch((err: unknown) => {
        this.o.metrics.heartbeats.inc({ result: 'failed' });
        this.o.logger.debug({ err }, 'heartbeat not written (Redis?)');
      })
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  /** Builds and writes one heartbeat. */
  async beat(): Promise<DaemonHeartbeat> {
    const hb = await this.build();
    await this.o.infra.redis.set(this.o.infra.keys.daemonStatus, JSON.stringify(hb), 'PX', hb.staleAfterMs);
    return hb;
  }

  private async build(): Promise<DaemonHeartbeat> {
    const { config, infra } = this.o;
    const c = this.o.connection();
    const ids = config.accounts.map((a) => a.id);
    const readings = await infra.tradingState.readings(ids);
    const global = readings.global?.state ?? 'HALTED';
    const up = c.state === 'CONNECTED';
    const linked = up ? await this.o.managedAccounts().catch(() => undefined) : undefined;
    const summaries = up ? await this.freshSummaries() : this.summaries?.list;
    const accounts = config.accounts.map((a): HeartbeatAccount => {
      const summary = summaries?.find((s) => s.account === a.id);
      const own = readings[a.id]?.state ?? 'HALTED';
      const v = accountView({ config, readOnly: this.o.readOnly, liveAccounts: this.o.liveAccounts, account: a, linked, summary, global, own });
      return { account: a.id, type: a.type, label: a.label ?? null, linked: linked ? linked.includes(a.id) : null, brokerAccountType: summary?.accountType ?? null, tradingState: own, ...v };
    });
    const handled = (await this.o.metrics.signalResults.get()).values.reduce((n, v) => n + v.value, 0);
    const inWindow = this.o.inWindow();
    return {
      version: 1, pid: process.pid, host: hostname(), startedAt: this.startedAt, ts: this.o.clock.now(), staleAfterMs: this.intervalMs * 3, mode: config.mode, readOnly: this.o.readOnly,
      ib: { host: config.ib.host, port: config.ib.port, clientId: config.ib.clientId, state: c.state, since: c.since, reason: c.reason ?? null, code: c.code ?? null },
      restartWindow: { ...config.ib.restartWindow, inWindow },
      queue: { name: config.queue.name, consuming: this.o.consuming(), taking: this.o.consuming() && up && !inWindow, handled },
      tradingState: { global },
      accounts,
    };
  }

  /** Account summaries at most once a minute (each costs IB messages). */
  private async freshSummaries(): Promise<readonly BrokerAccountSummary[] | undefined> {
    const now = this.o.clock.now();
    if (this.summaries && now - this.summaries.at < 60_000) return this.summaries.list;
    const list = await this.o.accountSummaries().catch(() => undefined);
    if (list) this.summaries = { at: now, list };
    return list ?? this.summaries?.list;
  }
}
