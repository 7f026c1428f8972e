/**
 * SHELL: one signal × one account, end to end — the only place that decides to send an order.
 *
 *   1. a record for this (signal, account) in the outbox means it was handled before: a different job
 *      gets DUPLICATE; the same job (a redelivery after a crash or a retry) resumes from the record;
 *   2. load the context (snapshot, quote, contract, working orders, trading state) and evaluate it with
 *      the pure core; every decision is audited with the inputs it used;
 *   3. write the intent (every leg) to the outbox BEFORE any call to the broker, re-check the trading
 *      state, send, record SUBMITTED, and wait for the broker's first answer;
 *   4. no answer in time → UNRESOLVED: never re-sent blindly; reconciliation settles it.
 * A failure before anything was sent throws (the job is retried); after sending, every path ends in a
 * value. Tasks of one account never run concurrently (see pipeline.ts).
 */
import { BrokerError, BrokerUnavailableError, type BrokerPort } from './broker-port.js';
import { evaluateSignalForAccount, type AccountDecision, type TargetAccount } from './evaluate.js';
import type { MarketContext } from './market-context.js';
import type { OrderEventProcessor } from './order-events.js';
import { orderRefFor } from '../domain/order-ref.js';
import type { Clock } from '../domain/clock.js';
import type { Decimal} from '../domain/types.js';
import { type AccountResult, type OrderLeg, type Reason, type Signal, type AccountType, type Mode, type RiskLimits, type IraPolicy } from '../domain/types.js';
import type { Outbox, OutboxRecord } from '../infra/outbox.js';
import type { AuditLog } from '../infra/audit.js';
import type { StreamPublisher } from '../infra/streams.js';
import type { TradingStateStore } from '../infra/trading-state.js';
import type { Logger } from '../app/logger.js';
import { expiryReason } from '../validation/gate-rules.js';

/** One account's share of a signal job. */
export interface AccountTask {
  readonly jobId: string;
  readonly signal: Signal;
  readonly target: TargetAccount;
}

export interface ExecutionPolicy {
  readonly mode: Mode;
  readonly readOnly: boolean;
  readonly liveAccounts: readonly string[];
  readonly limits: RiskLimits;
  readonly ira: IraPolicy;
  readonly ackTimeoutMs: number;
  /** how long a task waits for the broker to become ready before failing (the job is retried) */
  readonly brokerWaitMs: number;
  /** `execution.maxSignalAgeMs` (0 = no age limit) */
  readonly maxSignalAgeMs: number;
}

export interface ExecutionDeps {
  readonly broker: BrokerPort;
  readonly market: MarketContext;
  readonly outbox: Outbox;
  readonly streams: StreamPublisher;
  readonly audit: AuditLog;
  readonly tradingState: TradingStateStore;
  readonly events: OrderEventProcessor;
  /** runs a reconciliation pass now; resolves with whether connectivity was clear throughout */
  readonly reconcileNow: () => Promise<{ readonly connectivityClear: boolean }>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: ExecutionPolicy;
}

/** What the outbox payload of a leg carries besides the leg: the job that wrote it. */
interface LegPayload {
  readonly jobId: string;
  readonly leg: OrderLeg;
}

export class ExecutionService {
  private readonly futuresMargin = new Map<string, Promise<Decimal | undefined>>();

  constructor(private readonly d: ExecutionDeps) {}

  /** Handles one account task; resolves with its result or throws when nothing was sent and a retry may help. */
  async handle(task: AccountTask): Promise<AccountResult> {
    const entryRef = orderRefFor(task.signal.id, task.target.account, 'entry');
    const existing = await this.d.outbox.get(entryRef);
    if (existing) {
      const resumed = await this.resume(task, existing);
      if (resumed) return resumed;
    }
    const expired = await this.denyIfExpired(task);
    if (expired) return expired;
    const { decision, audited } = await this.decide(task);
    if (decision.kind === 'DENIED') {
      await audited;
      // no price because the broker went away is an outage, not a verdict: the job runs again later
      if (!this.d.broker.isReadyForOrders() && decision.reasons.some((r) => r.code === 'NO_PRICE')) {
        throw new BrokerUnavailableError(`no price for ${task.signal.instrument.symbol} while IB is not ready; the signal is evaluated again once it is`);
      }
      return result(decision, 'DENIED', decision.reasons);
    }
    return this.submit(task, decision, audited);
  }

  // -- DECIDE ---------------------------------------------------------------------------------------

  /**
   * SIGNAL_EXPIRED before any broker request: however long an outage delayed the job, a signal past its
   * `expiresAt` or `execution.maxSignalAgeMs` is answered (and audited) without market data.
   */
  private async denyIfExpired(task: AccountTask): Promise<AccountResult | undefined> {
    const why = expiryReason(task.signal, this.d.clock.now(), this.d.policy.maxSignalAgeMs);
    if (!why) return undefined;
    const { signal, target } = task;
    await this.d.audit.append({ type: 'decision', account: target.account, signalId: signal.id, data: { jobId: task.jobId, decision: 'DENIED', quantity: 0, reasons: [why], notes: [], inputs: { now: this.d.clock.now(), createdAt: signal.createdAt, maxSignalAgeMs: this.d.policy.maxSignalAgeMs } } });
    return { account: target.account, accountType: target.declaredType ?? 'UNKNOWN', decision: 'DENIED', quantity: 0, reasons: [why], notes: [] };
  }

  /**
   * Loads the context and evaluates. The decision's audit append is started, not awaited: the caller
   * awaits `audited` before anything is sent or returned (it overlaps with writing the intent).
   */
  private async decide(task: AccountTask): Promise<{ decision: AccountDecision; audited: Promise<unknown> }> {
    const { signal, target } = task;
    const p = this.d.policy;
    const stockBuy = signal.side === 'BUY' && signal.instrument.secType === 'STK';
    const [snap, quote, contract, listed, states] = await Promise.all([
      !target.linked ? undefined : stockBuy ? this.d.market.accountForBuy(target.account, signal.instrument) : this.d.market.account(target.account).then((snapshot) => ({ snapshot, pending: [] })),
      this.d.market.quote(signal.instrument).catch(() => undefined),
      this.d.market.contract(signal.instrument).catch((e: unknown) => this.contractProblem(e)),
      this.d.outbox.listWorking(target.account),
      this.d.tradingState.effective(target.account),
    ]);
    const account = snap?.snapshot;
    // our executions the cached snapshot may not show yet stay reserved in full (see MarketContext.accountForBuy)
    const pendingRefs = new Set(snap?.pending.map((w) => w.orderRef));
    const working = [...listed.filter((w) => !pendingRefs.has(w.orderRef)), ...(snap?.pending ?? [])];
    const futuresInitialMargin = signal.instrument.secType === 'FUT' ? await this.futuresInitialMargin(task) : undefined;
    const decision = evaluateSignalForAccount(signal, {
      now: this.d.clock.now(),
      maxSignalAgeMs: p.maxSignalAgeMs,
      mode: p.mode,
      readOnly: p.readOnly,
      liveAccounts: p.liveAccounts,
      limits: p.limits,
      ira: p.ira,
      tradingState: states.effective,
      accountId: target.account,
      ...(target.declaredType ? { declaredType: target.declaredType } : {}),
      ...(account ? { account } : {}),
      linked: target.linked,
      ...(quote ? { quote } : {}),
      ...(contract ? { contract } : {}),
      working,
      ...(futuresInitialMargin ? { futuresInitialMargin } : {}),
    });
    const audited = this.d.audit.append({
      type: 'decision',
      account: target.account,
      signalId: signal.id,
      data: {
        jobId: task.jobId,
        decision: decision.kind,
        quantity: decision.quantity,
        reasons: decision.kind === 'DENIED' ? decision.reasons : [],
        notes: decision.notes,
        inputs: decision.inputs,
        tradingState: states,
      },
    });
    audited.catch(() => undefined); // awaited by the caller; this only keeps it from being reported as unhandled meanwhile
    return { decision, audited };
  }

  /** A contract the broker does not know is reported as a broker refusal; anything else is retried. */
  private contractProblem(e: unknown): undefined {
    if (e instanceof BrokerError && e.code === 200) return undefined;
    throw e;
  }

  private futuresInitialMargin(task: AccountTask): Promise<Decimal | undefined> {
    const i = task.signal.instrument;
    const key = `${i.symbol}|${i.exchange}|${i.lastTradeDateOrContractMonth ?? ''}`;
    let p = this.futuresMargin.get(key);
    if (!p) {
      const probe: OrderLeg = {
        leg: 'entry',
        orderRef: orderRefFor(`whatif:${key}`, task.target.account, 'entry'),
        signalId: task.signal.id,
        account: task.target.account,
        instrument: i,
        side: 'BUY',
        quantity: 1,
        type: 'MKT',
        tif: 'DAY',
        outsideRth: false,
      };
      p = this.d.broker.whatIf(probe).then((r) => r.initMarginChange ?? r.initMarginAfter);
      this.futuresMargin.set(key, p);
      p.catch(() => this.futuresMargin.delete(key));
    }
    return p.catch(() => undefined);
  }

  // -- SEND -----------------------------------------------------------------------------------------

  private async submit(task: AccountTask, decision: Extract<AccountDecision, { kind: 'APPROVED' }>, audited: Promise<unknown>): Promise<AccountResult> {
    const { signal } = task;
    const legs = decision.legs;
    const refs = legs.map((l) => l.orderRef);
    const entry = legs[0];
    if (!entry) throw new Error(`approved decision for ${signal.id} has no legs`);
    await this.waitForBroker();
    // the wait may have outlasted the signal: nothing is written or sent for an expired one
    const late = await this.denyIfExpired(task);
    if (late) {
      await audited;
      return late;
    }
    const now = this.d.clock.now();
    for (const leg of legs) {
      const created = await this.d.outbox.createIntent({
        orderRef: leg.orderRef,
        signalId: signal.id,
        account: leg.account,
        leg: leg.leg,
        symbol: leg.instrument.symbol,
        secType: leg.instrument.secType,
        currency: leg.instrument.currency,
        side: leg.side,
        quantity: leg.quantity,
        price: leg.limitPrice ?? leg.stopPrice ?? decision.referencePrice,
        multiplier: Number(leg.instrument.multiplier ?? 1) || 1,
        payload: JSON.stringify({ jobId: task.jobId, leg } satisfies LegPayload),
        createdAt: now,
      });
      if (!created.created) {
        // another delivery of this signal got here first: never send twice
        await audited;
        return (await this.resume(task, created.existing)) ?? this.unresolved(decision, created.existing, 'a concurrent delivery holds this order');
      }
    }
    await audited;
    // the kill switch is read once more right before the broker call (alongside the intent's audit record)
    const [, states] = await Promise.all([
      this.d.audit.append({ type: 'order.intent', account: entry.account, signalId: signal.id, orderRef: entry.orderRef, data: { jobId: task.jobId, legs } }),
      this.d.tradingState.effective(entry.account),
    ]);
    const gate = states.effective;
    if (gate === 'HALTED' || (gate === 'REDUCE_ONLY' && !(await this.reduces(task, decision)))) {
      await this.discard(signal.id, refs);
      const reason: Reason = { code: gate, message: `trading state is ${gate} for ${entry.account} (changed while the signal was evaluated)` };
      await this.d.audit.append({ type: 'decision', account: entry.account, signalId: signal.id, data: { jobId: task.jobId, decision: 'DENIED', reasons: [reason], late: true } });
      return { ...result(decision, 'DENIED', [reason]), quantity: 0 };
    }

    const ack = this.d.events.awaitAck(entry.orderRef, this.d.policy.ackTimeoutMs);
    this.d.events.beginSend(refs);
    let placed;
    try {
      placed = await this.d.broker.placeOrders(legs);
    } catch (e) {
      this.d.events.endSend(refs);
      ack.cancel();
      if (e instanceof BrokerUnavailableError) {
        await this.discard(signal.id, refs);
        throw e;
      }
      // unknown whether anything left the socket: the legs become UNRESOLVED (an INTENT record would
      // never be settled once this job has answered), and reconciliation settles them by orderRef
      this.d.logger.error({ err: e, orderRef: entry.orderRef }, 'placeOrders failed after the intent was written');
      for (const ref of refs) {
        await this.d.events.apply(ref, 'SENT', { note: `sending failed: ${(e as Error).message}` }, 'send-error');
        await this.d.events.apply(ref, 'TIMEOUT', {}, 'send-error');
      }
      const rec = await this.d.outbox.get(entry.orderRef);
      return this.unresolved(decision, rec, `sending failed: ${(e as Error).message}`);
    }
    const sentAt = this.d.clock.now();
    try {
      for (const p of placed) {
        await this.d.outbox.markSent(p.orderRef, p.orderId, sentAt);
        const leg = legs.find((l) => l.orderRef === p.orderRef);
        if (leg) await this.d.streams.orderEvent({ event: 'SUBMITTED', signalId: signal.id, account: leg.account, orderRef: leg.orderRef, orderId: p.orderId, symbol: leg.instrument.symbol, side: leg.side, quantity: leg.quantity, filled: 0, remaining: leg.quantity, ts: sentAt });
      }
      await this.d.audit.append({ type: 'order.sent', account: entry.account, signalId: signal.id, orderRef: entry.orderRef, data: { placed } });
    } finally {
      this.d.events.endSend(refs);
    }
    const answer = await ack.promise;
    const entryId = placed.find((p) => p.orderRef === entry.orderRef)?.orderId;
    if (!answer) {
      const rec = await this.d.events.apply(entry.orderRef, 'TIMEOUT', {}, 'ack-timeout');
      return this.unresolved(decision, rec, `no answer from the broker within ${this.d.policy.ackTimeoutMs} ms`);
    }
    if (answer.kind === 'rejected') {
      const reason: Reason = { code: 'BROKER_REJECTED', message: answer.message, ...(answer.code !== undefined ? { brokerCode: answer.code } : {}) };
      return { ...result(decision, 'REJECTED', [reason]), orderRef: entry.orderRef, ...(entryId !== undefined ? { orderId: entryId } : {}) };
    }
    return {
      ...result(decision, 'PLACED', []),
      orderRef: entry.orderRef,
      orderId: answer.orderId,
      ...(answer.permId !== undefined ? { permId: answer.permId } : {}),
    };
  }

  /** REDUCE_ONLY flipped on during evaluation: allowed only when this order shrinks a position. */
  private async reduces(task: AccountTask, decision: Extract<AccountDecision, { kind: 'APPROVED' }>): Promise<boolean> {
    const snap = await this.d.market.account(task.target.account);
    const pos = snap?.positions.find((p) => p.symbol === task.signal.instrument.symbol && p.secType === task.signal.instrument.secType)?.quantity ?? 0;
    return task.signal.side === 'SELL' ? decision.quantity <= pos : pos < 0 && decision.quantity <= -pos;
  }

  private async discard(signalId: string, refs: readonly string[]): Promise<void> {
    for (const ref of refs) await this.d.outbox.discardIntent(ref, signalId);
  }

  /** Waits (bounded) until the broker accepts orders; throws BrokerUnavailableError otherwise. */
  private async waitForBroker(): Promise<void> {
    const deadline = this.d.clock.now() + this.d.policy.brokerWaitMs;
    while (!this.d.broker.isReadyForOrders()) {
      if (this.d.clock.now() >= deadline) throw new BrokerUnavailableError('the broker connection is not ready for orders');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // -- RESUME ---------------------------------------------------------------------------------------

  /**
   * A record exists for this (signal, account). Returns the result it implies, or undefined when the
   * order provably never reached the broker and may be sent now (same orderRef).
   */
  private async resume(task: AccountTask, rec: OutboxRecord): Promise<AccountResult | undefined> {
    const owner = payloadOf(rec)?.jobId;
    const base = this.recordResult(task, rec);
    if (owner !== undefined && owner !== task.jobId) {
      return { ...base, decision: 'DUPLICATE', reasons: [], notes: [`signal ${task.signal.id} was already handled for ${rec.account} by job ${owner} (${rec.state}); nothing new was sent`] };
    }
    let current: OutboxRecord | undefined = rec;
    if (rec.state === 'INTENT' || rec.state === 'SUBMITTED' || rec.state === 'UNRESOLVED') {
      const pass = await this.d.reconcileNow();
      current = await this.d.outbox.get(rec.orderRef);
      if (!current) return undefined; // discarded: never sent
      if (current.state === 'INTENT' && pass.connectivityClear) {
        const refs = (await this.d.outbox.listBySignal(task.signal.id)).filter((r) => r.account === rec.account).map((r) => r.orderRef);
        await this.discard(task.signal.id, refs);
        await this.d.audit.append({ type: 'order.absent', account: rec.account, signalId: task.signal.id, orderRef: rec.orderRef, data: { jobId: task.jobId, note: 'not at the broker after a full reconciliation pass; evaluating again' } });
        return undefined;
      }
      // still undetermined (connectivity not clear during the pass, or sent too recently to be called absent):
      // nothing settles an INTENT or SUBMITTED record once its job has completed, so the job is retried instead
      if (current.state === 'INTENT' || current.state === 'SUBMITTED') {
        throw new BrokerUnavailableError(`order ${rec.orderRef} is ${current.state} and its fate is not known yet (connectivity clear: ${pass.connectivityClear}); the job is retried`);
      }
    }
    return this.fromRecord(task, current);
  }

  private fromRecord(task: AccountTask, rec: OutboxRecord): AccountResult {
    const base = this.recordResult(task, rec);
    switch (rec.state) {
      case 'ACCEPTED':
      case 'PARTIALLY_FILLED':
      case 'FILLED':
      case 'PENDING_CANCEL':
      case 'CANCELLED':
        return { ...base, decision: 'PLACED', notes: [`resumed after a redelivery: the order is ${rec.state} at the broker`] };
      case 'REJECTED':
        return { ...base, decision: 'REJECTED', reasons: [{ code: 'BROKER_REJECTED', message: rec.note ?? 'rejected by the broker' }] };
      default:
        return { ...base, decision: 'UNRESOLVED', notes: [`resumed after a redelivery: the order is ${rec.state}; reconciliation will settle it and publish RESOLVED on the orders stream`] };
    }
  }

  private recordResult(task: AccountTask, rec: OutboxRecord): AccountResult {
    return {
      account: rec.account,
      accountType: task.target.declaredType ?? ('UNKNOWN' as AccountType | 'UNKNOWN'),
      decision: 'UNRESOLVED',
      quantity: rec.quantity,
      orderRef: rec.orderRef,
      ...(rec.orderId !== undefined ? { orderId: rec.orderId } : {}),
      ...(rec.permId !== undefined ? { permId: rec.permId } : {}),
      reasons: [],
      notes: [],
    };
  }

  private unresolved(decision: AccountDecision, rec: OutboxRecord | undefined, why: string): AccountResult {
    return {
      ...result(decision, 'UNRESOLVED', []),
      notes: [...decision.notes, `${why}; never re-sent blindly: reconciliation settles it and publishes RESOLVED on the orders stream`],
      ...(rec ? { orderRef: rec.orderRef } : {}),
      ...(rec?.orderId !== undefined ? { orderId: rec.orderId } : {}),
    };
  }
}

function payloadOf(rec: OutboxRecord): LegPayload | undefined {
  try {
    const p = JSON.parse(rec.payload ?? '') as Partial<LegPayload>;
    return typeof p.jobId === 'string' && p.leg ? (p as LegPayload) : undefined;
  } catch {
    return undefined;
  }
}

function result(decision: AccountDecision, kind: AccountResult['decision'], reasons: readonly Reason[]): AccountResult {
  return {
    account: decision.account,
    accountType: decision.accountType,
    decision: kind,
    quantity: kind === 'DENIED' ? 0 : decision.quantity,
    reasons,
    notes: decision.notes,
  };
}
