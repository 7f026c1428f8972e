/**
 * SHELL: the daemon's Prometheus metrics (prom-client), one `Registry` per daemon (tests run several in one
 * process, so nothing goes to prom-client's global registry). Served at `GET /metrics` on the daemon's
 * HTTP listener (`metricsHttpPlugin`). Every name starts with `ibkr_exec_`; labels are bounded sets
 * (decisions, reason codes, order events, connection states, stages, Redis command names), never ids.
 *
 * Counters and histograms are fed by `OpsObserver` (ops-observer.ts); gauges read their value at scrape
 * time (`collect`) from the broker and from Redis, so a scrape shows the state now, not a cached one.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Redis } from 'ioredis';
import type { ConnectionStatus } from '../execution/broker-port.js';
import type { Keys } from '../infra/keys.js';
import { ORDER_STATES } from '../domain/order-state.js';

/** What the scrape-time gauges read. */
export interface MetricsSources {
  readonly redis: Redis;
  readonly keys: Keys;
  /** the IB session's current status */
  connection(): ConnectionStatus;
  /** messages sent through the pacer so far, and waiting in it now */
  pacing(): { readonly sent: number; readonly depth: number };
  /** epoch ms */
  now(): number;
}

const CONNECTION_STATES = ['CONNECTED', 'CONNECTING', 'CONNECTIVITY_LOST', 'DISCONNECTED'] as const;
/** seconds: Redis round trips are sub-millisecond on loopback, an order ack may take seconds */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const REDIS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1];

/** The daemon's metrics. */
export class DaemonMetrics {
  readonly registry = new Registry();
  /** one per account result: `decision` (PLACED, DENIED, …) and `reason` (the first reason code, or `none`) */
  readonly signalResults: Counter<'decision' | 'reason'>;
  /** jobs whose payload did not parse (dead-letter) */
  readonly invalidSignals: Counter;
  /** one per entry on the orders stream, by `event` */
  readonly orderEvents: Counter<'event'>;
  readonly fills: Counter<'side'>;
  /** queue (createdAt → pick-up), decision (pick-up → outcome), wire (pick-up → sent), ack (sent → accepted) */
  readonly latency: Histogram<'stage'>;
  readonly reconcileConflicts: Counter<'type'>;
  readonly tradingStateTrips: Counter<'state'>;
  readonly alerts: Counter<'kind' | 'delivered'>;
  readonly redisCommands: Histogram<'command'>;
  readonly heartbeats: Counter<'result'>;

  constructor(private readonly src: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'ibkr_exec_process_' });
    this.signalResults = new Counter({ name: 'ibkr_exec_signal_results_total', help: 'Per-account signal results by decision and first reason code', labelNames: ['decision', 'reason'], registers });
    this.invalidSignals = new Counter({ name: 'ibkr_exec_signals_invalid_total', help: 'Signal jobs whose payload did not parse (dead-lettered)', registers });
    this.orderEvents = new Counter({ name: 'ibkr_exec_order_events_total', help: 'Order state changes published on the orders stream, by event', labelNames: ['event'], registers });
    this.fills = new Counter({ name: 'ibkr_exec_fills_total', help: 'Executions published on the fills stream', labelNames: ['side'], registers });
    this.latency = new Histogram({ name: 'ibkr_exec_latency_seconds', help: 'Signal latency by stage: queue (createdAt to pick-up), decision (pick-up to outcome), wire (pick-up to order sent), ack (sent to accepted)', labelNames: ['stage'], buckets: LATENCY_BUCKETS, registers });
    this.reconcileConflicts = new Counter({ name: 'ibkr_exec_reconciliation_conflicts_total', help: 'Conflicts found by reconciliation (CONFLICT, POSITION_DRIFT, DUPLICATE_ORDER, UNRESOLVED_TOO_LONG)', labelNames: ['type'], registers });
    this.tradingStateTrips = new Counter({ name: 'ibkr_exec_trading_state_trips_total', help: 'Trading-state changes to REDUCE_ONLY or HALTED made by the daemon or an operator', labelNames: ['state'], registers });
    this.alerts = new Counter({ name: 'ibkr_exec_alerts_total', help: 'Alert-level events, by kind and whether a webhook took it', labelNames: ['kind', 'delivered'], registers });
    this.redisCommands = new Histogram({ name: 'ibkr_exec_redis_command_seconds', help: 'Redis commands of the daemon connection (send to reply), by command', labelNames: ['command'], buckets: REDIS_BUCKETS, registers });
    this.heartbeats = new Counter({ name: 'ibkr_exec_heartbeats_total', help: 'Heartbeats written to <prefix>:daemon:status', labelNames: ['result'], registers });
    this.gauges(registers);
  }

  /** Scrape-time gauges: connection, pacing, outbox by state, UNRESOLVED count and age. */
  private gauges(registers: Registry[]): void {
    const src = this.src;
    new Gauge({
      name: 'ibkr_exec_ib_connection_state', help: 'IB session state (1 for the current one)', labelNames: ['state'], registers,
      collect() {
        const now = src.connection().state;
        for (const s of CONNECTION_STATES) this.set({ state: s }, s === now ? 1 : 0);
      },
    });
    new Gauge({ name: 'ibkr_exec_ib_connection_state_seconds', help: 'Seconds since the IB session entered its current state', registers, collect() { this.set(Math.max(0, (src.now() - src.connection().since) / 1000)); } });
    new Gauge({ name: 'ibkr_exec_pacing_queue_depth', help: 'Messages waiting in the outbound pacer', registers, collect() { this.set(src.pacing().depth); } });
    new Counter({ name: 'ibkr_exec_ib_messages_sent_total', help: 'Messages sent to TWS / IB Gateway through the pacer (rate() gives messages/s)', registers, collect() { this.reset(); this.inc(src.pacing().sent); } });
    let last: { at: number; sent: number } | undefined;
    new Gauge({
      name: 'ibkr_exec_ib_messages_per_second', help: 'Messages/s sent to IB since the previous scrape', registers,
      collect() {
        const p = { at: src.now(), sent: src.pacing().sent };
        this.set(last && p.at > last.at ? ((p.sent - last.sent) * 1000) / (p.at - last.at) : 0);
        last = p;
      },
    });
    new Gauge({
      name: 'ibkr_exec_orders', help: 'Orders in the outbox by state', labelNames: ['state'], registers,
      async collect() {
        const sizes = await Promise.all(ORDER_STATES.map((s) => src.redis.scard(src.keys.outboxState(s))));
        ORDER_STATES.forEach((s, i) => this.set({ state: s }, sizes[i] ?? 0));
      },
    });
    new Gauge({ name: 'ibkr_exec_unresolved_orders', help: 'Orders sent with no answer yet (UNRESOLVED; reconciliation settles them)', registers, async collect() { this.set(await src.redis.scard(src.keys.outboxState('UNRESOLVED'))); } });
    new Gauge({
      name: 'ibkr_exec_unresolved_oldest_seconds', help: 'Age of the oldest UNRESOLVED order (0 when none)', registers,
      async collect() {
        this.set(await oldestUnresolvedSeconds(src));
      },
    });
  }

  /** The Prometheus text exposition. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

async function oldestUnresolvedSeconds(src: MetricsSources): Promise<number> {
  const refs = await src.redis.smembers(src.keys.outboxState('UNRESOLVED'));
  if (refs.length === 0) return 0;
  const raw = await Promise.all(refs.slice(0, 200).map((r) => src.redis.hget(src.keys.outboxOrder(r), 'updatedAt')));
  const times = raw.map(Number).filter((t) => Number.isFinite(t) && t > 0);
  return times.length ? Math.max(0, (src.now() - Math.min(...times)) / 1000) : 0;
}

/** `GET /metrics` on the daemon's listener. */
export function metricsHttpPlugin(metrics: DaemonMetrics): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    app.get('/metrics', async (_req, reply) => {
      const { contentType, body } = await metrics.text();
      return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
    });
  };
}
