/**
 * The composition root: the only file that names concrete adapters. Start-up order (crash-only: a
 * restart after a crash runs exactly this path), in any order of the services' own start:
 *   1. wait for Redis (forever, with backoff), then a warning unless maxmemory-policy is noeviction;
 *   2. the IB adapter with a fixed client id reconnects forever; the daemon waits until it is CONNECTED,
 *      i.e. after the first reconciliation pass (orders found by orderRef adopted, unresolved ones
 *      settled, missed fills published);
 *   3. the BullMQ worker starts consuming only then, and takes no new job while IB is not CONNECTED
 *      (disconnected, 1100, reconciling).
 * Every change of what the daemon waits for is logged once, naming Redis or IB (`startup.ts`).
 * A job that meets an outage goes back to BullMQ's delayed set without using an attempt
 * (`retryLater`); only an invalid payload fails (dead-letter).
 * Stop: the worker stops fetching, in-flight jobs drain (bounded), then the broker and Redis close.
 */
import { EMPTY, catchError, concatMap, defer, distinctUntilChanged, type Subscription } from 'rxjs';
import { UnrecoverableError } from 'bullmq';
import type { Config, Env } from '../config.js';
import { liveAccountsFromEnv, redisPassword } from '../config.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { AccountResult, Outcome, Signal } from '../domain/types.js';
import { createInfra, type Infra } from '../infra/index.js';
import { checkRedisPolicy, redisOptionsFor, useRedisTopology } from '../infra/redis.js';
import { standbyLease, type Standby } from './standby.js';
import { assertClusterLayout } from '../infra/cluster.js';
import { createJobLookup, createSignalSource, type SignalJob, type SignalSource } from '../ingest/bullmq-source.js';
import { DEFAULT_RETRY_BACKOFF, retryDelayMs, type RetryBackoff } from '../ingest/retry-policy.js';
import { parseSignal, formatFieldErrors, type FieldError } from '../ingest/parse-signal.js';
import { BrokerUnavailableError, type BrokerPort } from '../execution/broker-port.js';
import { noTargetResult, targetAccounts } from '../execution/evaluate.js';
import { ExecutionService, type AccountTask } from '../execution/execution-service.js';
import { deniedOutcome, resolveInstrument } from '../execution/select-instrument.js';
import { MarketContext } from '../execution/market-context.js';
import { OrderEventProcessor } from '../execution/order-events.js';
import { DuplicateGuard, UnresolvedWatch } from '../execution/order-guards.js';
import { executionTopology, type JobSettled, type Split } from '../execution/pipeline.js';
import { Reconciler } from '../execution/reconciler.js';
import { IbBroker } from '../ib/ib-broker.js';
import { CpBroker, type CpBrokerOptions } from '../cp/cp-broker.js';
import { isBrokerIra } from '../validation/rule.js';
import { isIraType } from '../domain/types.js';
import { ControlListener } from './control.js';
import { ServiceWatch, gateFetching, safeRedisUrl } from './startup.js';
import { StateGuard } from './state-guard.js';
import { checkPersistence, prepareState } from './state-setup.js';
import { startDaemonHttp, type DaemonHttp, type HttpPluginsFactory } from '../http/daemon-http.js';
import { daemonHttpPlugins } from './http-plugins.js';
import { createDaemonOps, type OpsBroker, type OpsOptions } from './ops-kit.js';
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
  /** tuning of the Client Portal adapter with `broker: "client-portal"` (tests and the demo shorten its timers) */
  readonly clientPortal?: Partial<CpBrokerOptions>;
  /** reconnect backoff of the IB adapter (tests shorten it) */
  readonly ibBackoff?: { readonly initialMs: number; readonly maxMs: number; readonly slowRetryMs?: number };
  /** how long a task waits for IB to be ready before its job goes back to delayed (default 15 s) */
  readonly brokerWaitMs?: number;
  /** an INTENT older than this with no broker trace after a clear pass is settled as never sent (default 5 min) */
  readonly orphanIntentMs?: number;
  /** delay before a job that met an outage runs again (default 1 s doubling to 60 s; tests shorten it) */
  readonly retryBackoff?: RetryBackoff;
  /** extra fastify plugins for the HTTP listener, built from the daemon's parts; default `daemonHttpPlugins` (MCP at /mcp when a token is set) */
  readonly httpPlugins?: HttpPluginsFactory;
  /** operations tuning: heartbeat period, alert retry, outage checks (`ops-kit.ts`; tests shorten them) */
  readonly ops?: OpsOptions;
}

export interface DaemonHandle {
  readonly broker: BrokerPort;
  readonly infra: Infra;
  readonly reconciler: Reconciler;
  /** resolves true once the daemon consumes signals, false when it was stopped before */
  readonly ready: Promise<boolean>;
  /** why `ready` resolved false when the start-up failed (a refusal such as a volatile Redis in live mode), else undefined */
  startError(): unknown;
  /** the Redis state check (tests wait on `guard.idle()`) */
  readonly guard: StateGuard;
  /** the HTTP listener (dashboard, health, webhook) on `http.host:http.port`; started first, so it exists once `ready` resolved true */
  readonly http: DaemonHttp;
  /** drains in-flight work, then closes everything; idempotent (also while still waiting for Redis or IB) */
  stop(): Promise<void>;
  /** with `ha.enabled`: resolves with the reason when this daemon led and lost the lease (it then stops itself) */
  readonly leadershipLost?: Promise<string>;
}

/** A job after its async preparation: parsed, targets resolved, earlier outcome looked up. */
interface PreparedJob {
  readonly job: SignalJob;
  readonly signal?: Signal;
  readonly errors?: readonly FieldError[];
  readonly prior?: Outcome & { readonly jobId?: string };
  /** decided for every target before any account task (an option selection that found no contract) */
  readonly denied?: Outcome;
  readonly tasks: readonly AccountTask[];
  /** results known without evaluation: DUPLICATE for accounts an earlier job handled, or a target matching nothing */
  readonly known?: readonly AccountResult[];
}

type JobValue =
  | { readonly kind: 'invalid'; readonly errors: readonly FieldError[] }
  | { readonly kind: 'outcome'; readonly outcome: Outcome; readonly fresh: boolean; readonly save?: Outcome };

/**
 * Starts the daemon; resolves once it consumes signals (however long Redis or IB take to come up).
 * Rejects only when it was stopped before that.
 */
export async function startDaemon(o: DaemonOptions): Promise<DaemonHandle> {
  const d = launchDaemon(o);
  if (!(await d.ready)) {
    const why = d.startError();
    await d.stop(); // a refusal to start must not leave the Redis connection holding the process open
    throw why instanceof Error ? why : new Error('the daemon was stopped before it consumed signals');
  }
  return d;
}

/**
 * Builds the daemon and starts bringing it up in the background; `ready` tells when it consumes. The
 * CLI uses this so SIGTERM works while the daemon still waits for Redis or IB.
 */
export function launchDaemon(o: DaemonOptions): DaemonHandle {
  const { config, logger } = o;
  const clock = o.clock ?? systemClock;
  const password = redisPassword(o.env);
  useRedisTopology(config.redis); // through Redis Sentinel when redis.sentinels is set (docs/ha.md)
  const state = prepareState(config, o.env, logger, clock);
  const infra = createInfra(config, { clock, secrets: state.secrets, onAuditAppended: state.anchor.note, ...(password !== undefined ? { password } : {}) });
  // without a listener ioredis prints each failed reconnect to stderr as an "Unhandled error event";
  // the commands themselves still fail and are handled where they are issued; `ServiceWatch` logs the outage once
  infra.redis.on('error', (err: Error) => logger.debug({ reason: err.message }, 'Redis connection error'));
  const retryBackoff = o.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
  // hot standby (ha.enabled, docs/ha.md): every write fenced by the leader lease; undefined otherwise
  const ha: Standby | undefined = standbyLease(config, infra, logger);

  const liveAccounts = liveAccountsFromEnv(o.env);
  const readOnly = config.readOnly || (config.mode === 'live' && liveAccounts.length === 0);
  if (readOnly && !config.readOnly) logger.warn('mode is live but IBKR_EXEC_LIVE_ACCOUNTS is empty: starting READ-ONLY, no order will be sent');
  if (config.readOnly) logger.warn('read-only mode: signals are answered DENIED with READ_ONLY');

  // the adapter's reconnect hook needs the reconciler, which needs the adapter: tie them through a holder
  const hooks: { reconciler?: Reconciler } = {};
  // `broker: "client-portal"` swaps the adapter; everything below talks to the BrokerPort only
  const broker: BrokerPort & OpsBroker & { start(): void } = config.broker === 'client-portal' ? new CpBroker({
    baseUrl: config.clientPortal.baseUrl, caFile: config.clientPortal.caFile, fingerprint: config.clientPortal.fingerprint,
    onReconnected: (snap) => hooks.reconciler?.onSnapshot(snap, `Client Portal ${snap.why}`),
    logger: logger.child({ component: 'cp' }), clock, ...o.clientPortal,
  }) : new IbBroker({
    host: config.ib.host,
    port: config.ib.port,
    clientId: config.ib.clientId,
    ...(ha ? { mayWrite: () => ha.lease.valid() } : {}),
    maxMessagesPerSecond: config.ib.maxMessagesPerSecond,
    orderIdStore: infra.orderIds,
    ...(o.ibBackoff ? { backoff: o.ibBackoff } : {}),
    ...(o.ibBackoff?.slowRetryMs !== undefined ? { slowRetryMs: o.ibBackoff.slowRetryMs } : {}), // after 326 / 10197
    onReconnected: (snap) => hooks.reconciler?.onSnapshot(snap, `IB ${snap.why}`),
    logger: logger.child({ component: 'ib' }),
    queries: { quoteTimeoutMs: config.execution.quoteTimeoutMs },
    clock,
  });
  // Redis state identity (state-guard.ts): checked in `bringUp` before anything is appended or traded
  const guard = new StateGuard({ infra, dir: state.dir, anchor: state.anchor, broker, accounts: config.accounts.map((a) => a.id), clock, logger, afterRebuild: () => (reconciler.resetLedger(), reconciler.runNow('outbox rebuilt after a loss of Redis state')) });
  const market = new MarketContext(broker, config.accounts, clock, { snapshotMaxAgeMs: 5_000 });
  // one ref, one order: a second booking of one of our orderRefs is cancelled at once (live or in a pass)
  const duplicates = new DuplicateGuard({ broker, tradingState: infra.tradingState, audit: infra.audit, logger });
  const events = new OrderEventProcessor({
    ...infra,
    clock,
    logger,
    onDuplicate: (d) => duplicates.onDuplicate(d),
    onAccountActivity: (account, own) => market.noteActivity(account, own),
    onFillPublished: (f) => hooks.reconciler?.noteFill(f),
  });
  const workerConnection = { url: config.redis.url, ...redisOptionsFor({ role: 'worker', ...(password !== undefined ? { password } : {}) }) };
  const jobs = createJobLookup(config.queue.name, workerConnection);
  const reconciler = new Reconciler({
    ...infra,
    jobIsLive: (id) => jobs.isLive(id),
    duplicates,
    unresolved: new UnresolvedWatch({ tradingState: infra.tradingState, audit: infra.audit, logger, maxCycles: config.execution.maxUnresolvedCycles }),
    ...(o.orphanIntentMs !== undefined ? { orphanIntentMs: o.orphanIntentMs } : {}),
    broker,
    events,
    clock,
    logger,
    absentGraceMs: config.execution.ackTimeoutMs * 2,
    inflightThresholdMs: config.execution.ackTimeoutMs,
    accounts: config.accounts.map((a) => a.id),
    driftPaused: () => ops.observer.inWindow(), // `ops` is built below; passes start after it exists
  });
  hooks.reconciler = reconciler;
  // metrics, heartbeat, alerts, per-signal/order/fill log lines, restart window (ops-kit.ts): observes infra, never in the order path
  const ops = createDaemonOps({ config, infra, broker, readOnly, liveAccounts, clock, logger, consuming: () => consuming, ...(o.ops ? { options: o.ops } : {}) });
  const subs: Subscription[] = [events.attach(broker.events$)];
  /** connection changes, audited: subscribed in `bringUp` after the state check, so nothing is appended before it */
  const auditConnection = (): Subscription =>
    broker.connection$.pipe(distinctUntilChanged((a, b) => a.state === b.state)).subscribe((s) => {
      if (s.state !== 'CONNECTED') market.invalidateAll();
      void infra.audit.append({ type: 'connection', data: { state: s.state, reason: s.reason ?? null, code: s.code ?? null } }).catch(() => undefined);
      logger.debug({ state: s.state, reason: s.reason, code: s.code }, 'broker connection');
    });
  const watch = new ServiceWatch({ redis: infra.redis, redisLabel: safeRedisUrl(config.redis.url), connection$: broker.connection$, ibLabel: `${config.ib.host}:${config.ib.port}`, logger, expectedOutage: () => ops.expectedOutage() });
  watch.start();

  // HTTP first (in `bringUp`), so /healthz answers and /readyz says 503 while Redis and IB come up and reconcile
  let consuming = false;
  let http: DaemonHttp | undefined;
  const readiness = (): { ready: boolean; reason?: string } =>
    !consuming ? { ready: false, reason: 'connecting to IB and reconciling (after Redis answers)' } : broker.isReadyForOrders() ? { ready: true } : { ready: false, reason: 'IB is not ready for orders' };

  const exec = new ExecutionService({
    ...infra,
    broker,
    market,
    events,
    reconcileNow: () => reconciler.runNow('redelivered job'),
    clock,
    logger,
    policy: { mode: config.mode, readOnly, liveAccounts, limits: config.limits, ira: config.ira, ackTimeoutMs: config.execution.ackTimeoutMs, brokerWaitMs: o.brokerWaitMs ?? 15_000, maxSignalAgeMs: config.execution.maxSignalAgeMs },
  });

  const source: SignalSource = createSignalSource({
    queueName: config.queue.name,
    connection: workerConnection,
    concurrency: o.workerConcurrency ?? 32,
    ...(o.lockDurationMs !== undefined ? { lockDurationMs: o.lockDurationMs } : {}),
    ...(o.stalledIntervalMs !== undefined ? { stalledIntervalMs: o.stalledIntervalMs } : {}),
    onDelayError: (jobId, err) => logger.warn({ jobId, err }, 'could not move the job back to delayed (Redis?); the stall check redelivers it'),
  });
  // BullMQ reports each failed Redis command of its loop; the outage itself is logged once by ServiceWatch
  source.worker.on('error', (err) => logger.debug({ err }, 'BullMQ worker error'));
  /** An outage, not a verdict: the job runs again later, without using an attempt. */
  const retryLater = (job: SignalJob, e: unknown): void => {
    const err = e instanceof Error ? e : new Error(String(e));
    const delayMs = retryDelayMs(job.attemptsStarted, retryBackoff);
    const known = err instanceof BrokerUnavailableError;
    logger[known ? 'info' : 'warn']({ err: known ? err.message : err, jobId: job.jobId, delayMs }, 'signal job met an outage before it could finish; it runs again later (no attempt used)');
    job.retryLater(err, delayMs);
  };

  const prepare = async (job: SignalJob): Promise<PreparedJob> => {
    const parsed = parseSignal(job.data, { now: clock.now() });
    if (!parsed.ok) return { job, errors: parsed.errors, tasks: [] };
    const signal = parsed.signal;
    // the receipt's audit record and the look-up of an earlier outcome are independent: one round trip
    const [, prior] = await Promise.all([
      infra.audit.append({ type: 'signal', signalId: signal.id, data: { jobId: job.jobId, attempt: job.attemptsMade, payload: job.data } }),
      infra.outbox.getOutcome(signal.id) as Promise<(Outcome & { jobId?: string }) | undefined>,
    ]);
    if (prior?.jobId === job.jobId) return { job, signal, prior, tasks: [] };
    const linked = await market.linkedAccounts();
    const targets = targetAccounts(signal, config.accounts, linked);
    const none = noTargetResult(signal, config.accounts, targets);
    if (none) return { job, signal, tasks: [], known: [none] };
    // an option by delta/DTE, a future without a month: pinned to one contract before any account (issue 12)
    const chosen = await resolveInstrument(signal, {
      ...(broker.optionChain ? { optionChain: (u, q) => broker.optionChain!(u, q) } : {}),
      ...(broker.contracts ? { contracts: (q) => broker.contracts!(q) } : {}), futuresMonth: config.execution.futuresMonth, now: () => clock.now(),
      audit: (type, data) => infra.audit.append({ type, signalId: signal.id, data: { jobId: job.jobId, ...data } }),
    });
    if (!chosen.ok) return { job, signal, denied: deniedOutcome(signal.id, targets, chosen.reason), tasks: [] };
    // a reused signal id from another job: accounts it handled are DUPLICATE, new accounts are evaluated
    const handled = new Set(prior?.results.map((r) => r.account));
    const tasks = targets.filter((t) => !handled.has(t.account)).map((target) => ({ jobId: job.jobId, signal: chosen.signal, target }));
    return { job, signal: chosen.signal, tasks, ...(prior ? { prior, known: duplicateOf(prior).results.filter((r) => targets.some((t) => t.account === r.account)) } : {}) };
  };

  const stages = {
    split: (p: PreparedJob): Split<AccountTask, JobValue> => {
      if (p.errors) return { kind: 'done', value: { kind: 'invalid', errors: p.errors } };
      if (p.prior?.jobId === p.job.jobId) return { kind: 'done', value: { kind: 'outcome', outcome: p.prior, fresh: false } };
      if (p.denied) return { kind: 'done', value: { kind: 'outcome', outcome: p.denied, fresh: true } };
      if (p.tasks.length === 0) return { kind: 'done', value: { kind: 'outcome', outcome: { signalId: p.signal?.id ?? '', results: p.known ?? [] }, fresh: !p.prior } };
      return { kind: 'tasks', tasks: p.tasks };
    },
    keyOf: (t: AccountTask) => t.target.account,
    run: (t: AccountTask) => defer(() => exec.handle(t)),
    combine: (p: PreparedJob, results: readonly AccountResult[]): JobValue => {
      const signalId = p.signal?.id ?? '';
      const outcome = { signalId, results: [...(p.known ?? []), ...results] };
      // what is stored keeps the earlier job's own results, so a later reuse still sees what they were
      return { kind: 'outcome', outcome, fresh: true, ...(p.prior ? { save: { ...p.prior, jobId: p.job.jobId, results: [...p.prior.results, ...results] } as Outcome } : {}) };
    },
  };

  const finish = async (s: JobSettled<PreparedJob, JobValue>): Promise<void> => {
    const { job } = s.job;
    if (!s.ok) {
      // an account whose order was sent keeps its record: the next run resumes it, the others are evaluated again
      retryLater(job, s.error);
      return;
    }
    if (s.value.kind === 'invalid') {
      const errors = s.value.errors.map((e) => `${e.path}: ${e.message}`);
      await infra.streams.deadLetter({ jobId: job.jobId, payload: job.data, errors, ts: clock.now() });
      await infra.audit.append({ type: 'signal.invalid', data: { jobId: job.jobId, errors } });
      job.fail(new UnrecoverableError(`INVALID_SIGNAL: ${formatFieldErrors(s.value.errors)}`));
      return;
    }
    const outcome = s.value.outcome;
    if (s.value.fresh) await infra.outbox.saveOutcome(outcome.signalId, s.value.save ?? ({ ...outcome, jobId: job.jobId } as Outcome));
    await infra.audit.append({ type: 'outcome', signalId: outcome.signalId, data: { jobId: job.jobId, results: outcome.results } });
    job.settle(outcome);
  };

  // a job whose preparation fails (Redis or IB unreachable) runs again later
  const prepared$ = source.jobs$.pipe(
    concatMap((job) =>
      defer(() => prepare(job)).pipe(
        catchError((e: unknown) => {
          retryLater(job, e);
          return EMPTY;
        }),
      ),
    ),
  );
  const pipeline = executionTopology(prepared$, stages);
  subs.push(
    pipeline.subscribe((s) => {
      finish(s).catch((err: unknown) => {
        logger.warn({ err, jobId: s.job.job.jobId }, 'recording the outcome failed; the job runs again later');
        retryLater(s.job.job, err);
      });
    }),
  );

  const control = new ControlListener(config, password, infra, broker, logger, readOnly, state.secrets.controlKey, clock);
  // broker events that arrived while Redis was unreachable were only logged: reconcile once it is back
  let redisWasDown = false;
  infra.redis.on('error', () => (redisWasDown = true));
  infra.redis.on('close', () => (redisWasDown = true));
  infra.redis.on('ready', () => {
    if (!redisWasDown) return;
    redisWasDown = false;
    // the state check first: a Redis that came back empty halts trading before anything else runs
    guard
      .onRedisReady()
      .catch((err: unknown) => logger.warn({ err }, 'checking the Redis state after the outage failed; the periodic check retries'))
      .then(() => reconciler.runNow('Redis connection restored'))
      .catch((err: unknown) => logger.warn({ err }, 'reconciliation after the Redis outage failed'));
  });

  const abort = new AbortController();
  /** Waits for Redis, then IB (both forever); checks the household; then consumes while IB is CONNECTED. */
  const bringUp = async (): Promise<boolean> => {
    http = await startDaemonHttp({ config, env: o.env, password, infra, broker, readOnly, clock, logger, ready: readiness, plugins: ops.plugins(o.httpPlugins ?? daemonHttpPlugins),
      onAuditBroken: (seq, reason) => ops.alerts.notify({ kind: 'AUDIT_VERIFY_FAILED', text: `the audit chain is broken at seq ${seq}: ${reason}; run \`ibkr-exec audit verify\``, details: { seq, reason } }) });
    ops.start();
    if (!(await watch.waitForRedis(abort.signal))) return false;
    if (ha && !(await ha.lead(abort.signal, () => void broker.disconnect().finally(() => void stop())))) return false;
    for (const w of await checkRedisPolicy(infra.redis)) logger.warn(w);
    await checkPersistence(infra.redis, config, logger); // live mode refuses a Redis that keeps nothing on disk
    await assertClusterLayout(infra.redis, config.redis.prefix, config.queue.name); // one household, one hash slot
    await guard.check('daemon start');
    subs.push(auditConnection());
    broker.start();
    for (;;) {
      if (!(await watch.waitForIb(abort.signal))) return false;
      try {
        await guard.idle(); // a loss found at start: the outbox is rebuilt from the broker before any signal is read
        await checkAccounts(config, broker, infra, logger);
        await infra.audit.append({ type: 'daemon.start', data: { mode: config.mode, readOnly, clientId: config.ib.clientId, accounts: config.accounts.map((a) => a.id) } });
        break;
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'start-up check of the accounts failed (Redis or IB went away); retrying once both are up');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (abort.signal.aborted) return false;
    await control.start();
    guard.start();
    reconciler.start({ inflightCheckMs: config.execution.inflightCheckMs, intervalMs: config.execution.reconcileIntervalMs });
    subs.push(gateFetching(broker.connection$, source, logger, ops.window$));
    source.start();
    consuming = true;
    logger.info({ queue: config.queue.name, mode: config.mode, readOnly }, 'daemon consuming signals');
    return true;
  };
  let startError: unknown;
  const ready = bringUp().catch((err: unknown) => {
    startError = err;
    logger.error({ err }, 'the daemon could not start');
    return false;
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      logger.info('stopping: draining in-flight signals');
      abort.abort();
      watch.stop();
      await http?.close();
      await ops.stop();
      const drained = source.close().then(() => true);
      const timedOut = new Promise<boolean>((r) => setTimeout(() => r(false), config.execution.shutdownTimeoutMs).unref());
      if (!(await Promise.race([drained, timedOut]))) {
        logger.warn('drain timed out; unfinished jobs will be redelivered to the next run');
        await source.worker.close(true);
      }
      control.stop();
      guard.stop();
      reconciler.stop();
      for (const s of subs) s.unsubscribe();
      await infra.audit.append({ type: 'daemon.stop', data: {} }).catch(() => undefined);
      state.anchor.flush();
      await broker.disconnect();
      await ha?.lease.release();
      await jobs.close().catch(() => undefined);
      await infra.close();
    })());

  return {
    broker,
    infra,
    reconciler,
    ready,
    startError: () => startError,
    guard,
    ...(ha ? { leadershipLost: ha.lost } : {}),
    get http(): DaemonHttp {
      if (!http) throw new Error('the HTTP listener is not started yet (wait for `ready`)');
      return http;
    },
    stop,
  };
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
