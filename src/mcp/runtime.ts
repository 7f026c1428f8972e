/**
 * SHELL: the MCP server's own parts, built from the config — a TWS query session with a client id of its
 * own (default `ib.clientId + 1`, never the daemon's), a Redis connection on the daemon's prefix, and a
 * producer on the daemon's queue. The server starts even when TWS or the daemon is down: reads that need
 * them say so as tool errors, and the session reconnects by itself.
 */
import { loadKeys } from '../infra/secrets.js';
import { StateDir } from '../infra/state-dir.js';
import { Queue, QueueEvents } from 'bullmq';
import type { Config, Env } from '../config.js';
import { liveAccountsFromEnv, redisPassword } from '../config.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { Outcome } from '../domain/types.js';
import type { ConnectionStatus } from '../execution/broker-port.js';
import { IbBroker } from '../ib/ib-broker.js';
import { createInfra } from '../infra/index.js';
import { redisOptionsFor } from '../infra/redis.js';
import { SIGNAL_JOB_OPTIONS } from '../ingest/enqueue.js';
import type { EnqueuePort, McpBroker, McpContext } from './context.js';
import { PreviewStore } from './preview-store.js';

/** What the runtime is built from. */
export interface McpRuntimeOptions {
  readonly config: Config;
  readonly env: Env;
  /** default `config.ib.clientId + 1` */
  readonly clientId?: number;
  readonly clock?: Clock;
  readonly outcomeWaitMs?: number;
  readonly brokerWaitMs?: number;
}

/** The built context and how to close it. */
export interface McpRuntime {
  readonly ctx: McpContext;
  /** closes the TWS session, the queue and Redis; idempotent */
  close(): Promise<void>;
}

/** The query session as the tools see it: an IbBroker plus its connection state. */
function querySession(broker: IbBroker, clientId: number): McpBroker & { readonly ib: IbBroker } {
  let status: ConnectionStatus = { state: 'DISCONNECTED', since: Date.now(), reason: 'not connected yet' };
  broker.connection$.subscribe((s) => (status = s));
  // IB refuses an identical historical request within 15 s (the pacer waits): keep a fee rate a minute
  const fees = new Map<string, { at: number; value: ReturnType<IbBroker['borrowFee']> }>();
  const borrowFee: IbBroker['borrowFee'] = (i) => {
    const key = `${i.symbol}|${i.currency}|${i.conId ?? ''}`;
    const hit = fees.get(key);
    if (hit && Date.now() - hit.at < 60_000) return hit.value;
    const value = broker.borrowFee(i);
    fees.set(key, { at: Date.now(), value });
    value.catch(() => fees.delete(key));
    return value;
  };
  return {
    ib: broker,
    clientId,
    managedAccounts: () => broker.managedAccounts(),
    accountSummaries: () => broker.accountSummaries(),
    positions: () => broker.positions(),
    contractDetails: (i) => broker.contractDetails(i),
    quote: (i) => broker.quote(i),
    historicalBars: (i, r) => broker.historicalBars(i, r),
    shortableShares: (i) => broker.shortableShares(i),
    borrowFee,
    whatIf: (l) => broker.whatIf(l),
    openOrders: () => broker.openOrders(),
    executions: (q) => broker.executions(q),
    optionChain: (u, q) => broker.optionChain(u, q),
    optionChainParams: (u) => broker.optionChainParams(u),
    connected: () => status.state === 'CONNECTED',
    serverVersion: () => undefined,
    ready: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (status.state !== 'CONNECTED') {
        if (Date.now() >= deadline) throw new Error(`${status.state.toLowerCase()}${status.reason ? ` (${status.reason})` : ''}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/**
 * Rejects after `ms` with a message the tools map to "Redis is not reachable": BullMQ waits for its
 * connection without a bound when Redis is down.
 */
function bounded<T>(p: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Connection is closed: ${what} got no answer from Redis within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The daemon's queue as an EnqueuePort. */
function enqueuePort(queue: Queue, events: QueueEvents): EnqueuePort {
  return {
    add: async (jobId, payload) => {
      if (await bounded(queue.getJob(jobId), 'looking up the job')) return false;
      await bounded(queue.add('signal', payload, { ...SIGNAL_JOB_OPTIONS, jobId }), 'adding the job');
      return true;
    },
    outcome: async (jobId, timeoutMs) => {
      const job = await bounded(queue.getJob(jobId), 'looking up the job');
      if (!job) return undefined;
      try {
        return (await job.waitUntilFinished(events, timeoutMs)) as Outcome;
      } catch (e) {
        if (/timed out/i.test((e as Error).message)) return undefined;
        throw e;
      }
    },
    jobState: async (jobId) => {
      const job = await bounded(queue.getJob(jobId), 'looking up the job');
      return job ? await bounded(job.getState(), 'reading the job state') : undefined;
    },
    workers: () => bounded(queue.getWorkersCount(), 'counting the workers'),
  };
}

/** Builds the runtime; the TWS session connects in the background. */
export async function createMcpRuntime(o: McpRuntimeOptions): Promise<McpRuntime> {
  const { config } = o;
  if (o.clientId === config.ib.clientId) throw new Error(`client id ${o.clientId} is the daemon's (ib.clientId); the MCP server needs one of its own`);
  const clock = o.clock ?? systemClock;
  const password = redisPassword(o.env);
  const liveAccounts = liveAccountsFromEnv(o.env);
  // the daemon's keys (same host: its state directory; elsewhere IBKR_EXEC_*_KEY_FILE): a missing key says to run `ibkr-exec init`
  const keys = loadKeys({ env: o.env, stateDir: config.stateDir });
  const secrets = { controlKey: keys.control.key, auditKey: keys.audit.key };
  const infra = createInfra(config, { clock, secrets, declaredAccounts: config.accounts.map((a) => a.id), ...(password !== undefined ? { password } : {}) });
  infra.redis.on('error', () => undefined); // reported by get_connection_status and as tool errors
  const connection = { url: config.redis.url, ...redisOptionsFor({ role: 'producer', ...(password !== undefined ? { password } : {}) }) };
  const queue = new Queue(config.queue.name, { connection });
  queue.on('error', () => undefined);
  const events = new QueueEvents(config.queue.name, { connection: { url: config.redis.url, ...redisOptionsFor({ role: 'worker', ...(password !== undefined ? { password } : {}) }) } });
  events.on('error', () => undefined);
  const clientId = o.clientId ?? config.ib.clientId + 1;
  const ib = new IbBroker({ host: config.ib.host, port: config.ib.port, clientId, maxMessagesPerSecond: Math.max(1, Math.floor(config.ib.maxMessagesPerSecond / 2)), queries: { quoteTimeoutMs: config.execution.quoteTimeoutMs }, clock });
  const broker = querySession(ib, clientId);
  void ib.connect().catch(() => undefined); // keeps reconnecting in the background
  const ctx: McpContext = {
    config,
    readOnly: config.readOnly || (config.mode === 'live' && liveAccounts.length === 0),
    liveAccounts,
    clock,
    secrets,
    stateDir: new StateDir(config.stateDir, config.redis.prefix),
    broker,
    infra,
    queue: enqueuePort(queue, events),
    previews: new PreviewStore(infra.redis, config.redis.prefix),
    redisConnected: async () => {
      try {
        return (await Promise.race([infra.redis.ping(), new Promise<string>((r) => setTimeout(() => r('timeout'), 2000).unref())])) === 'PONG';
      } catch {
        return false;
      }
    },
    outcomeWaitMs: o.outcomeWaitMs ?? 30_000,
    brokerWaitMs: o.brokerWaitMs ?? 5_000,
  };
  let closing: Promise<void> | undefined;
  return {
    ctx,
    close: () =>
      (closing ??= (async () => {
        await ib.disconnect().catch(() => undefined);
        // BullMQ's close waits for a connection that may never come (Redis down): bounded, then dropped
        const drop = (p: Promise<unknown>): void => void p.catch(() => undefined);
        await bounded(events.close(), 'closing queue events', 3_000).catch(() => drop(events.disconnect()));
        await bounded(queue.close(), 'closing the queue', 3_000).catch(() => drop(queue.disconnect()));
        await bounded(infra.close(), 'closing Redis', 3_000).catch(() => infra.redis.disconnect());
      })()),
  };
}
