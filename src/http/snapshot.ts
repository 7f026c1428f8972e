/**
 * `GET /api/state`: everything the page shows on first load, in one JSON object. Broker facts (accounts,
 * positions, working orders, prices) come from the daemon's own IB session and are cached briefly; when
 * TWS is down the last good snapshot is kept and `brokerError` says so. Redis facts (trading state, fills,
 * decisions, audit) are read fresh. `cursor` is the newest stream id at the time of the snapshot: the page
 * opens `/events?since=<cursor>`, so nothing between the snapshot and the live feed is lost.
 */
import type { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import type { Config } from '../config.js';
import type { Keys } from '../infra/keys.js';
import { effectiveState, type TradingStateStore } from '../infra/trading-state.js';
import { tailAudit, type AuditRecord, type VerifyResult } from '../infra/audit.js';
import { tailStream } from '../infra/streams.js';
import type { BrokerAccountSummary, BrokerPort, ConnectionStatus, OrderReport } from '../execution/broker-port.js';
import type { PositionSnapshot } from '../domain/types.js';
import type { Clock } from '../domain/clock.js';
import { compareIds } from './events.js';
import { accountRules, appendSample, decisionRows, householdTotals, type DecisionRow, type PricedPosition } from './views.js';

/** What the dashboard needs from the broker (a subset of BrokerPort). */
export type DashboardBroker = Pick<BrokerPort, 'connection$' | 'isReadyForOrders' | 'managedAccounts' | 'accountSummaries' | 'positions' | 'openOrders' | 'cancelOrder' | 'quote'>;

export interface SnapshotDeps {
  readonly config: Config;
  readonly readOnly: boolean;
  readonly redis: Redis;
  readonly keys: Keys;
  readonly tradingState: TradingStateStore;
  readonly broker: DashboardBroker;
  readonly queue: Queue;
  readonly clock: Clock;
  readonly connection: () => ConnectionStatus | undefined;
  readonly ready: () => { ready: boolean; reason?: string };
  readonly clientId: number;
  /** recomputes the keyed audit chain (AuditLog.verify) */
  readonly verifyAudit: () => Promise<VerifyResult>;
  /** told once each time the chain check turns from passing (or not yet run) to broken (the AUDIT_VERIFY_FAILED alert) */
  readonly onAuditBroken?: (seq: number, reason: string) => void;
}

interface BrokerFacts {
  readonly at: number;
  readonly linked: readonly string[];
  readonly summaries: readonly BrokerAccountSummary[];
  readonly positions: readonly PricedPosition[];
  readonly orders: readonly OrderReport[];
}

interface AuditCheck {
  readonly ok: boolean;
  readonly through: number;
  readonly seq?: number;
  readonly reason?: string;
  readonly at: number;
}

const QUOTE_WAIT_MS = 1500;
const WORKING = new Set(['PENDING_SUBMIT', 'PRE_SUBMITTED', 'SUBMITTED', 'PENDING_CANCEL']);

/** Builds snapshots; keeps the broker cache, the audit check and the net-liquidation history. */
export class SnapshotBuilder {
  private facts: BrokerFacts | undefined;
  private lastFetch = 0;
  private sampler: ReturnType<typeof setInterval> | undefined;
  private inflight: Promise<BrokerFacts> | undefined;
  private brokerError: string | undefined;
  private auditCheck: AuditCheck | undefined;
  private auditRunning: Promise<void> | undefined;
  private readonly prices = new Map<string, { price: string; at: number }>();
  readonly netLiq = new Map<string, [number, string][]>();

  constructor(private readonly d: SnapshotDeps) {}

  /** Forgets the cached broker facts: an order or fill event means they changed. */
  invalidate(): void {
    this.facts = this.facts ? { ...this.facts, at: 0 } : undefined;
  }

  /**
   * Broker facts at most `maxAgeMs` old (one request in flight at a time, and at most one a second: the
   * dashboard shares the IB message budget with order placement).
   */
  async brokerFacts(maxAgeMs = 2000): Promise<BrokerFacts | undefined> {
    if (this.facts && this.d.clock.now() - this.facts.at < maxAgeMs) return this.facts;
    const wait = 1000 - (this.d.clock.now() - this.lastFetch);
    if (!this.inflight && wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
    if (!this.inflight) {
      this.lastFetch = this.d.clock.now();
      this.inflight = this.fetchFacts().finally(() => (this.inflight = undefined));
    }
    try {
      this.facts = await this.inflight;
      this.brokerError = undefined;
      this.sampleNetLiq(this.facts);
    } catch (e) {
      this.brokerError = e instanceof Error ? e.message : String(e);
    }
    return this.facts;
  }

  /** Samples net liquidation every `everyMs` while no page asks (the chart covers the day, not only open tabs). */
  startSampling(everyMs = 60_000): void {
    this.sampler ??= setInterval(() => void this.brokerFacts(everyMs / 2), everyMs);
    this.sampler.unref();
  }

  stopSampling(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
  }

  private async fetchFacts(): Promise<BrokerFacts> {
    const b = this.d.broker;
    const [linked, summaries, positions, orders] = await Promise.all([b.managedAccounts(), b.accountSummaries(), b.positions(), b.openOrders()]);
    return { at: this.d.clock.now(), linked, summaries, positions: await this.priced(positions), orders };
  }

  /**
   * Marks stock positions to market (last, else mid, else close) from the adapter's streaming quotes; a quote
   * that is not in within `QUOTE_WAIT_MS` leaves the position at cost this time. Futures and options stay at
   * cost: IB's avgCost includes the multiplier, which a position report does not carry.
   */
  private async priced(positions: readonly PositionSnapshot[]): Promise<PricedPosition[]> {
    return Promise.all(
      positions.filter((p) => p.quantity !== 0).map(async (p) => {
        const base = { account: p.account, symbol: p.symbol, secType: p.secType, currency: p.currency, quantity: p.quantity, avgCost: p.avgCost.toString(), ...(p.conId !== undefined ? { conId: p.conId } : {}) };
        if (p.secType !== 'STK') return { ...base, price: null };
        const key = p.conId !== undefined ? String(p.conId) : `${p.symbol}/${p.currency}`;
        let cached = this.prices.get(key);
        if (!cached || this.d.clock.now() - cached.at > 15_000) {
          const quote = this.d.broker.quote({ symbol: p.symbol, secType: p.secType, exchange: 'SMART', currency: p.currency, ...(p.conId !== undefined ? { conId: p.conId } : {}) }).catch(() => undefined);
          const q = await Promise.race([quote, new Promise<undefined>((r) => setTimeout(() => r(undefined), QUOTE_WAIT_MS).unref())]);
          const px = q?.last ?? (q?.bid && q?.ask ? q.bid.plus(q.ask).div(2) : q?.close);
          if (px) this.prices.set(key, (cached = { price: px.toString(), at: this.d.clock.now() }));
        }
        return { ...base, price: cached?.price ?? null };
      }),
    );
  }

  private sampleNetLiq(f: BrokerFacts): void {
    for (const s of f.summaries) {
      if (s.netLiquidation !== undefined) this.netLiq.set(s.account, appendSample(this.netLiq.get(s.account) ?? [], f.at, s.netLiquidation.toString()));
    }
  }

  /**
   * The audit chain check (`ibkr-exec audit verify`'s computation, over the whole chain), recomputed in the
   * background: when the chain grew, at most every 15 s or 1 ms per record, whichever is longer (a long
   * chain costs about that much to verify); when it did not, every 10 minutes.
   */
  private audit(newestSeq?: number): AuditCheck | undefined {
    const c = this.auditCheck;
    const age = c ? this.d.clock.now() - c.at : Number.POSITIVE_INFINITY;
    const grew = newestSeq !== undefined && c !== undefined && newestSeq > c.through;
    const due = !c || age > 600_000 || (grew && age > Math.max(15_000, c.through));
    if (due && !this.auditRunning) {
      this.auditRunning = this.d.verifyAudit()
        .then((r) => {
          if (!r.ok && this.auditCheck?.ok !== false) this.d.onAuditBroken?.(r.seq, r.reason);
          this.auditCheck = r.ok ? { ok: true, through: r.count, at: this.d.clock.now() } : { ok: false, through: r.seq - 1, seq: r.seq, reason: r.reason, at: this.d.clock.now() };
        })
        .catch(() => undefined)
        .finally(() => (this.auditRunning = undefined));
    }
    return this.auditCheck;
  }

  /** Waits for a running audit check (tests, first load). */
  async auditSettled(): Promise<void> {
    this.audit();
    await this.auditRunning;
  }

  /** The whole snapshot. */
  async build(): Promise<Record<string, unknown>> {
    const d = this.d;
    const cursor = await this.cursor();
    const ids = d.config.accounts.map((a) => a.id);
    const [ts, fills, auditTail, facts, counts, workers] = await Promise.all([
      d.tradingState.snapshot(ids),
      tailStream(d.redis, d.keys.fills, 50),
      tailAudit(d.redis, d.keys.audit, 1000),
      this.brokerFacts(),
      d.queue.getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => undefined),
      d.queue.getWorkersCount().catch(() => undefined),
    ]);
    if (!this.auditCheck) await this.auditSettled();
    const newestSeq = auditTail[auditTail.length - 1]?.seq;
    return {
      mode: d.config.mode,
      readOnly: d.readOnly,
      asOf: d.clock.now(),
      cursor,
      health: { tws: d.connection() ?? null, redis: { ok: d.redis.status === 'ready' }, worker: { workers: workers ?? null, counts: counts ?? null, queue: d.config.queue.name }, ready: d.ready() },
      tradingState: { global: ts.global, accounts: ts.accounts, effective: Object.fromEntries(ids.map((id) => [id, effectiveState(ts.global, ts.accounts[id])])) },
      broker: { asOf: facts?.at ?? null, error: this.brokerError ?? null, host: d.config.ib.host, port: d.config.ib.port },
      accounts: this.accounts(facts),
      positions: facts?.positions ?? [],
      totals: householdTotals(facts?.positions ?? []),
      orders: (facts?.orders ?? []).filter((o) => WORKING.has(o.status)).map((o) => this.orderRow(o)),
      fills: fills.reverse(),
      decisions: decisionRows(auditTail).slice(0, 200) satisfies DecisionRow[],
      audit: { records: auditTail.slice(-25).reverse().map(shortAudit), check: this.audit(newestSeq) ?? null },
      netLiq: Object.fromEntries(this.netLiq),
    };
  }

  private async cursor(): Promise<string> {
    const k = this.d.keys;
    const last = await Promise.all([k.orders, k.fills, k.audit].map((key) => this.d.redis.xrevrange(key, '+', '-', 'COUNT', 1)));
    return last.map((e) => e[0]?.[0] ?? '0-0').sort(compareIds).pop() ?? '0-0';
  }

  private accounts(facts: BrokerFacts | undefined): Record<string, unknown>[] {
    const declared = this.d.config.accounts;
    const ids = [...declared.map((a) => a.id), ...(facts?.linked ?? []).filter((id) => !declared.some((a) => a.id === id))];
    return ids.map((id) => {
      const a = declared.find((x) => x.id === id);
      const s = facts?.summaries.find((x) => x.account === id);
      return {
        id,
        label: a?.label ?? null,
        type: a?.type ?? null,
        linked: facts ? facts.linked.includes(id) : null,
        brokerAccountType: s?.accountType ?? null,
        rules: accountRules(a?.type, this.d.config),
        currency: s?.baseCurrency ?? 'USD',
        netLiquidation: s?.netLiquidation?.toString() ?? null,
        settledCash: (s?.settledCash ?? s?.totalCashValue)?.toString() ?? null,
        buyingPower: s?.buyingPower?.toString() ?? null,
      };
    });
  }

  private orderRow(o: OrderReport): Record<string, unknown> {
    return {
      orderId: o.orderId,
      orderRef: o.orderRef ?? null,
      account: o.account,
      symbol: o.instrument.symbol,
      side: o.side,
      quantity: o.quantity,
      filled: o.filled,
      remaining: o.remaining,
      orderType: o.orderType,
      limitPrice: o.limitPrice?.toString() ?? null,
      stopPrice: o.stopPrice?.toString() ?? null,
      status: o.status,
      cancellable: o.clientId === undefined || o.clientId === this.d.clientId,
    };
  }
}

function shortAudit(r: AuditRecord): Record<string, unknown> {
  return { seq: r.seq, ts: r.ts, type: r.type, account: r.account, signalId: r.signalId, orderRef: r.orderRef, data: r.data, hash: r.hash.slice(0, 12) };
}
