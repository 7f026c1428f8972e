/**
 * The composition root: the only file that names concrete adapters. Start-up order (crash-only: a
 * restart after a crash runs exactly this path):
 *   1. Redis layer, and a warning unless maxmemory-policy is noeviction;
 *   2. the IB adapter with a fixed client id; `connect()` resolves only after the first reconciliation
 *      pass (orders found by orderRef adopted, unresolved ones settled, missed fills published);
 *   3. the BullMQ worker starts consuming only then.
 * Stop: the worker stops fetching, in-flight jobs drain (bounded), then the broker and Redis close.
 */
import { EMPTY, catchError, concatMap, defer, type Subscription } from 'rxjs';
import { UnrecoverableError } from 'bullmq';
import type { Config, Env } from '../config.js';
import { liveAccountsFromEnv, redisPassword } from '../config.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { AccountResult, Outcome, Signal } from '../domain/types.js';
import { createInfra, type Infra } from '../infra/index.js';
import { checkRedisPolicy, redisOptionsFor } from '../infra/redis.js';
import { createSignalSource, type SignalJob, type SignalSource } from '../ingest/bullmq-source.js';
import { parseSignal, formatFieldErrors, type FieldError } from '../ingest/parse-signal.js';
import { BrokerUnavailableError, type BrokerPort } from '../execution/broker-port.js';
import { targetAccounts } from '../execution/evaluate.js';
import { ExecutionService, type AccountTask } from '../execution/execution-service.js';
import { MarketContext } from '../execution/market-context.js';
import { OrderEventProcessor } from '../execution/order-events.js';
import { executionTopology, type JobSettled, type Split } from '../execution/pipeline.js';
import { Reconciler } from '../execution/reconciler.js';
import { IbBroker } from '../ib/ib-broker.js';
import { isBrokerIra } from '../validation/rule.js';
import { isIraType } from '../domain/types.js';
import { ControlListener } from './control.js';
import { startDaemonHttp, type DaemonHttp, type HttpPluginsFactory } from '../http/daemon-http.js';
import type { Logger } from './logger.js';

export interface DaemonOptions {
  readonly config: Config;
  readonly env: Env;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** BullMQ jobs in the pipeline at once (per-account order is kept downstream); default 32 */
  readonly workerConcurrency?: number;
  /** BullMQ lock and stall settings (tests shorten them) */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** reconnect backoff of the IB adapter (tests shorten it) */
  readonly ibBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /** extra fastify plugins for the HTTP listener (MCP endpoint, metrics), built from the daemon's parts */
  readonly httpPlugins?: HttpPluginsFactory;
}

export interface DaemonHandle {
  readonly broker: BrokerPort;
  readonly infra: Infra;
  readonly reconciler: Reconciler;
  /** the HTTP listener (dashboard, health, webhook) on `http.host:http.port` */
  readonly http: DaemonHttp;
  /** drains in-flight work, then closes everything; idempotent */
  stop(): Promise<void>;
}

/** A job after its async preparation: parsed, targets resolved, earlier outcome looked up. */
interface PreparedJob {
  readonly job: SignalJob;
  readonly signal?: Signal;
  readonly errors?: readonly FieldError[];
  readonly prior?: Outcome & { readonly jobId?: string };
  readonly tasks: readonly AccountTask[];
}

type JobValue = { readonly kind: 'invalid'; readonly errors: readonly FieldError[] } | { readonly kind: 'outcome'; readonly outcome: Outcome; readonly fresh: boolean };

/** Starts the daemon; resolves once it consumes signals. */
export async function startDaemon(o: DaemonOptions): Promise<DaemonHandle> {
  const { config, logger } = o;
  const clock = o.clock ?? systemClock;
  const password = redisPassword(o.env);
  const infra = createInfra(config, { clock, ...(password !== undefined ? { password } : {}) });
  // without a listener ioredis prints each failed reconnect to stderr as an "Unhandled error event";
  // the commands themselves still fail and are handled where they are issued
  infra.redis.on('error', (err: Error) => logger.warn({ reason: err.message }, 'Redis connection error'));
  for (const w of await checkRedisPolicy(infra.redis)) logger.warn(w);

  const liveAccounts = liveAccountsFromEnv(o.env);
  const readOnly = config.readOnly || (config.mode === 'live' && liveAccounts.length === 0);
  if (readOnly && !config.readOnly) logger.warn('mode is live but IBKR_EXEC_LIVE_ACCOUNTS is empty: starting READ-ONLY, no order will be sent');
  if (config.readOnly) logger.warn('read-only mode: signals are answered DENIED with READ_ONLY');

  // the adapter's reconnect hook needs the reconciler, which needs the adapter: tie them through a holder
  const hooks: { reconciler?: Reconciler } = {};
  const broker = new IbBroker({
    host: config.ib.host,
    port: config.ib.port,
    clientId: config.ib.clientId,
    maxMessagesPerSecond: config.ib.maxMessagesPerSecond,
    orderIdStore: infra.orderIds,
    ...(o.ibBackoff ? { backoff: o.ibBackoff } : {}),
    onReconnected: (snap) => hooks.reconciler?.onSnapshot(snap, `IB ${snap.why}`),
    logger: logger.child({ component: 'ib' }),
    queries: { quoteTimeoutMs: config.execution.quoteTimeoutMs },
    clock,
  });
  const market = new MarketContext(broker, config.accounts, clock, { snapshotMaxAgeMs: 5_000 });
  const events = new OrderEventProcessor({
    ...infra,
    clock,
    logger,
    onAccountActivity: (account, own) => market.noteActivity(account, own),
    onFillPublished: (f) => hooks.reconciler?.noteFill(f),
  });
  const reconciler = new Reconciler({
    ...infra,
    broker,
    events,
    clock,
    logger,
    absentGraceMs: config.execution.ackTimeoutMs * 2,
    inflightThresholdMs: config.execution.ackTimeoutMs,
    accounts: config.accounts.map((a) => a.id),
  });
  hooks.reconciler = reconciler;
  const subs: Subscription[] = [events.attach(broker.events$)];
  subs.push(
    broker.connection$.subscribe((s) => {
      if (s.state !== 'CONNECTED') market.invalidateAll();
      void infra.audit.append({ type: 'connection', data: { state: s.state, reason: s.reason ?? null, code: s.code ?? null } }).catch(() => undefined);
      logger.info({ state: s.state, reason: s.reason, code: s.code }, 'broker connection');
    }),
  );

  // HTTP first, so /healthz answers and /readyz says 503 while IB connects and reconciles
  let consuming = false;
  const ready = (): { ready: boolean; reason?: string } =>
    !consuming ? { ready: false, reason: 'connecting to IB and reconciling' } : broker.isReadyForOrders() ? { ready: true } : { ready: false, reason: 'IB is not ready for orders' };
  const http = await startDaemonHttp({ config, env: o.env, password, infra, broker, readOnly, clock, logger, ready, ...(o.httpPlugins ? { plugins: o.httpPlugins } : {}) }).catch(async (e: unknown) => {
    await infra.close();
    throw e;
  });
  const closeHttp = async (e: unknown): Promise<never> => {
    await http.close();
    throw e;
  };
  await broker.connect().catch(closeHttp);
  await checkAccounts(config, broker, infra, logger).catch(closeHttp);
  await infra.audit.append({ type: 'daemon.start', data: { mode: config.mode, readOnly, clientId: config.ib.clientId, accounts: config.accounts.map((a) => a.id) } });

  const exec = new ExecutionService({
    ...infra,
    broker,
    market,
    events,
    reconcileNow: () => reconciler.runNow('redelivered job'),
    clock,
    logger,
    policy: { mode: config.mode, readOnly, liveAccounts, limits: config.limits, ira: config.ira, ackTimeoutMs: config.execution.ackTimeoutMs, brokerWaitMs: 15_000 },
  });

  const source: SignalSource = createSignalSource({
    queueName: config.queue.name,
    connection: { url: config.redis.url, ...redisOptionsFor({ role: 'worker', ...(password !== undefined ? { password } : {}) }) },
    concurrency: o.workerConcurrency ?? 32,
    ...(o.lockDurationMs !== undefined ? { lockDurationMs: o.lockDurationMs } : {}),
    ...(o.stalledIntervalMs !== undefined ? { stalledIntervalMs: o.stalledIntervalMs } : {}),
  });
  source.worker.on('error', (err) => logger.error({ err }, 'BullMQ worker error'));

  const prepare = async (job: SignalJob): Promise<PreparedJob> => {
    const parsed = parseSignal(job.data);
    if (!parsed.ok) return { job, errors: parsed.errors, tasks: [] };
    const signal = parsed.signal;
    // the receipt's audit record and the look-up of an earlier outcome are independent: one round trip
    const [, prior] = await Promise.all([
      infra.audit.append({ type: 'signal', signalId: signal.id, data: { jobId: job.jobId, attempt: job.attemptsMade, payload: job.data } }),
      infra.outbox.getOutcome(signal.id) as Promise<(Outcome & { jobId?: string }) | undefined>,
    ]);
    if (prior) return { job, signal, prior, tasks: [] };
    const linked = await market.linkedAccounts();
    const tasks = targetAccounts(signal, config.accounts, linked).map((target) => ({ jobId: job.jobId, signal, target }));
    return { job, signal, tasks };
  };

  const stages = {
    split: (p: PreparedJob): Split<AccountTask, JobValue> => {
      if (p.errors) return { kind: 'done', value: { kind: 'invalid', errors: p.errors } };
      if (p.prior) return { kind: 'done', value: { kind: 'outcome', outcome: p.prior.jobId === p.job.jobId ? p.prior : duplicateOf(p.prior), fresh: false } };
      return { kind: 'tasks', tasks: p.tasks };
    },
    keyOf: (t: AccountTask) => t.target.account,
    run: (t: AccountTask) => defer(() => exec.handle(t)),
    combine: (p: PreparedJob, results: readonly AccountResult[]): JobValue => ({
      kind: 'outcome',
      outcome: { signalId: p.signal?.id ?? '', results },
      fresh: true,
    }),
  };

  const finish = async (s: JobSettled<PreparedJob, JobValue>): Promise<void> => {
    const { job } = s.job;
    if (!s.ok) {
      const err = s.error instanceof Error ? s.error : new Error(String(s.error));
      logger.warn({ err, jobId: job.jobId, retryable: err instanceof BrokerUnavailableError }, 'signal job failed before anything was sent; BullMQ retries it');
      job.fail(err);
      return;
    }
    if (s.value.kind === 'invalid') {
      const errors = s.value.errors.map((e) => `${e.path}: ${e.message}`);
      await infra.streams.deadLetter({ jobId: job.jobId, payload: job.data, errors, ts: clock.now() });
      await infra.audit.append({ type: 'signal.invalid', data: { jobId: job.jobId, errors } });
      job.fail(new UnrecoverableError(`INVALID_SIGNAL: ${formatFieldErrors(s.value.errors)}`), true);
      return;
    }
    const outcome = s.value.outcome;
    if (s.value.fresh) await infra.outbox.saveOutcome(outcome.signalId, { ...outcome, jobId: job.jobId } as Outcome);
    await infra.audit.append({ type: 'outcome', signalId: outcome.signalId, data: { jobId: job.jobId, results: outcome.results } });
    job.settle(outcome);
  };

  // a job whose preparation fails (Redis unreachable) is failed back to BullMQ, which retries it
  const prepared$ = source.jobs$.pipe(
    concatMap((job) =>
      defer(() => prepare(job)).pipe(
        catchError((e: unknown) => {
          job.fail(e instanceof Error ? e : new Error(String(e)));
          return EMPTY;
        }),
      ),
    ),
  );
  const pipeline = executionTopology(prepared$, stages);
  subs.push(
    pipeline.subscribe((s) => {
      finish(s).catch((err: unknown) => {
        logger.error({ err, jobId: s.job.job.jobId }, 'recording the outcome failed; the job will be retried');
        s.job.job.fail(err instanceof Error ? err : new Error(String(err)));
      });
    }),
  );

  const control = new ControlListener(config, password, infra, broker, logger, readOnly);
  control.start();
  // broker events that arrived while Redis was unreachable were only logged: reconcile once it is back
  let redisWasDown = false;
  infra.redis.on('error', () => (redisWasDown = true));
  infra.redis.on('ready', () => {
    if (!redisWasDown) return;
    redisWasDown = false;
    reconciler.runNow('Redis connection restored').catch((err: unknown) => logger.warn({ err }, 'reconciliation after the Redis outage failed'));
  });
  reconciler.start({ inflightCheckMs: config.execution.inflightCheckMs, intervalMs: config.execution.reconcileIntervalMs });
  source.start();
  consuming = true;
  logger.info({ queue: config.queue.name, mode: config.mode, readOnly }, 'daemon consuming signals');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      logger.info('stopping: draining in-flight signals');
      await http.close();
      const drained = source.close().then(() => true);
      const timedOut = new Promise<boolean>((r) => setTimeout(() => r(false), config.execution.shutdownTimeoutMs).unref());
      if (!(await Promise.race([drained, timedOut]))) {
        logger.warn('drain timed out; unfinished jobs will be redelivered to the next run');
        await source.worker.close(true);
      }
      control.stop();
      reconciler.stop();
      for (const s of subs) s.unsubscribe();
      await infra.audit.append({ type: 'daemon.stop', data: {} }).catch(() => undefined);
      await broker.disconnect();
      await infra.close();
    })());

  return { broker, infra, reconciler, http, stop };
}

/** The outcome a different job with an already handled signal id gets: DUPLICATE everywhere. */
function duplicateOf(prior: Outcome & { readonly jobId?: string }): Outcome {
  return {
    signalId: prior.signalId,
    results: prior.results.map((r) => ({
      ...r,
      decision: 'DUPLICATE' as const,
      reasons: [],
      notes: [`signal ${prior.signalId} was already handled${prior.jobId ? ` by job ${prior.jobId}` : ''} (${r.decision}); nothing new was sent`],
    })),
  };
}

/**
 * Start-up check of the declared household against what IB reports: a declared account that is not
 * linked, or whose type contradicts IB's AccountType, is logged as an error and audited (its signals are
 * then denied UNKNOWN_ACCOUNT / ACCOUNT_TYPE_MISMATCH); a linked account not declared is reported once.
 */
async function checkAccounts(config: Config, broker: BrokerPort, infra: Infra, logger: Logger): Promise<void> {
  const [linked, summaries] = await Promise.all([broker.managedAccounts(), broker.accountSummaries()]);
  const problems: string[] = [];
  for (const a of config.accounts) {
    const s = summaries.find((x) => x.account === a.id);
    if (!linked.includes(a.id)) problems.push(`account ${a.id} is declared but not linked to this IB login: it is never traded`);
    else if (s?.accountType !== undefined && isIraType(a.type) !== isBrokerIra(s.accountType)) {
      problems.push(`account ${a.id} is declared ${a.type} but IB reports AccountType ${s.accountType}: trading on it is stopped until the config is fixed`);
    }
  }
  const undeclared = linked.filter((id) => !config.accounts.some((a) => a.id === id));
  for (const p of problems) logger.error(p);
  if (undeclared.length) logger.info({ undeclared }, 'linked accounts not declared in the config are shown by queries and never traded');
  await infra.audit.append({ type: 'accounts.check', data: { linked, problems, undeclared } });
}
