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
import { BrokerUnavailableError, type BrokerPort } from './broker-port.js';
import { evaluateSignalForAccount, lateStateReasons, type AccountDecision, type EvaluationContext, type TargetAccount } from './evaluate.js';
import { BrokerInputs, contractProblem } from './broker-inputs.js';
import { classifyAnswers } from './bracket-answer.js';
import type { MarketContext } from './market-context.js';
import type { OrderEventProcessor } from './order-events.js';
import { orderRefFor } from '../domain/order-ref.js';
import type { Clock } from '../domain/clock.js';
import type { AccountResult, OrderLeg, Reason, Signal, AccountType, Mode, RiskLimits, IraPolicy } from '../domain/types.js';
import { utcDay, type DailyNotional } from '../infra/daily-notional.js';
import type { Ack } from './order-events.js';
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
  /** per-account notional placed today (limits.maxDailyNotional); without it the daily limit sees 0 */
  readonly dailyNotional?: DailyNotional;
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
  private readonly inputs: BrokerInputs;

  constructor(private readonly d: ExecutionDeps) {
    this.inputs = new BrokerInputs(d);
  }

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
    const { decision, audited, ctx } = await this.decide(task);
    if (decision.kind === 'DENIED') {
      await audited;
      // no price because the broker went away is an outage, not a verdict: the job runs again later
      if (!this.d.broker.isReadyForOrders() && decision.reasons.some((r) => r.code === 'NO_PRICE')) {
        throw new BrokerUnavailableError(`no price for ${task.signal.instrument.symbol} while IB is not ready; the signal is evaluated again once it is`);
      }
      return result(decision, 'DENIED', decision.reasons);
    }
    return this.submit(task, decision, audited, ctx);
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
  private async decide(task: AccountTask): Promise<{ decision: AccountDecision; audited: Promise<unknown>; ctx: EvaluationContext }> {
    const { signal, target } = task;
    const p = this.d.policy;
    const stockBuy = signal.side === 'BUY' && signal.instrument.secType === 'STK';
    const [snap, quote, contract, listed, states] = await Promise.all([
      !target.linked ? undefined : stockBuy ? this.d.market.accountForBuy(target.account, signal.instrument) : this.d.market.account(target.account).then((snapshot) => ({ snapshot, pending: [] })),
      this.d.market.quote(signal.instrument).catch(() => undefined),
      this.d.market.contract(signal.instrument).then((c) => ({ contract: c }), (e: unknown) => contractProblem(signal.instrument, e)),
      this.d.outbox.listWorking(target.account),
      this.d.tradingState.effective(target.account),
    ]);
    const account = snap?.snapshot;
    // our executions the cached snapshot may not show yet stay reserved in full (see MarketContext.accountForBuy)
    const pendingRefs = new Set(snap?.pending.map((w) => w.orderRef));
    const working = [...listed.filter((w) => !pendingRefs.has(w.orderRef)), ...(snap?.pending ?? [])];
    const base: EvaluationContext = {
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
      ...contract,
      working,
    };
    const ctx = { ...base, ...(await this.inputs.load(signal, base)) };
    const decision = evaluateSignalForAccount(signal, ctx);
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
    return { decision, audited, ctx };
  }

  // -- SEND -----------------------------------------------------------------------------------------

  private async submit(task: AccountTask, decision: Approved, audited: Promise<unknown>, ctx: EvaluationContext): Promise<AccountResult> {
    const { signal } = task;
    const legs = decision.legs;
    const refs = legs.map((l) => l.orderRef);
    const entry = legs[0];
    if (!entry) throw new Error(`approved decision for ${signal.id} has no legs`);
    await this.waitForBroker();
    // the wait may have outlasted the signal: nothing is written or sent for an expired one
    const expired = await this.denyIfExpired(task);
    if (expired) {
      await audited;
      return expired;
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
        multiplier: decision.multiplier.toNumber(), // from contract details, never the producer's

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
      this.recordDaily(decision, now),
    ]);
    const gate = states.effective;
    const late = gate === 'ACTIVE' || gate === ctx.tradingState ? [] : await this.lateReasons(task, decision, ctx, gate);
    if (late.length > 0) {
      await this.discard(signal.id, refs);
      await this.d.audit.append({ type: 'decision', account: entry.account, signalId: signal.id, data: { jobId: task.jobId, decision: 'DENIED', reasons: late, late: true } });
      return { ...result(decision, 'DENIED', late), quantity: 0 };
    }

    const acks = legs.map((l) => this.d.events.awaitAck(l.orderRef, this.d.policy.ackTimeoutMs));
    const ack = { cancel: () => acks.forEach((a) => a.cancel()) };
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
    return this.answer(decision, placed, await Promise.all(acks.map((a) => a.promise)));
  }

  /**
   * The outcome from the broker's answers to every leg (entry first): PLACED only when every leg was
   * accepted. A rejected entry is REJECTED with its reason. A rejected child leaves the entry untransmitted
   * (it waits for the last leg) and unprotected: the entry is cancelled, and the outcome is REJECTED with
   * the child's reason. A leg without an answer makes the whole order UNRESOLVED.
   */
  private async answer(decision: Approved, placed: readonly { orderRef: string; orderId: number }[], answers: readonly (Ack | undefined)[]): Promise<AccountResult> {
    const entry = decision.legs[0]!;
    const entryId = placed.find((p) => p.orderRef === entry.orderRef)?.orderId;
    const ids = { orderRef: entry.orderRef, ...(entryId !== undefined ? { orderId: entryId } : {}) };
    const a = classifyAnswers(decision.legs, answers);
    switch (a.kind) {
      case 'rejected': {
        const notes = a.cancelRest ? [await this.cancelFamily(decision, placed)] : [];
        return { ...result(decision, 'REJECTED', [a.reason]), notes: [...decision.notes, ...notes], ...ids };
      }
      case 'unanswered': {
        for (const leg of a.legs) await this.d.events.apply(leg.orderRef, 'TIMEOUT', {}, 'ack-timeout');
        const rec = await this.d.outbox.get(entry.orderRef);
        return this.unresolved(decision, rec, `no answer from the broker for the ${a.legs.map((l) => l.leg).join(' and ')} leg(s) within ${this.d.policy.ackTimeoutMs} ms`);
      }
      case 'placed':
        return { ...result(decision, 'PLACED', []), ...ids, ...(a.orderId !== undefined ? { orderId: a.orderId } : {}), ...(a.permId !== undefined ? { permId: a.permId } : {}) };
    }
  }

  /**
   * A bracket child was rejected: cancels the entry, and with it (as IB does) its accepted children. An
   * entry that already executed (a later child transmitted it) is not cancelled, so the accepted
   * protective leg stays with the position. Returns a note for the outcome.
   */
  private async cancelFamily(decision: Approved, placed: readonly { orderRef: string; orderId: number }[]): Promise<string> {
    const entry = decision.legs[0]!;
    const id = placed.find((p) => p.orderRef === entry.orderRef)?.orderId;
    const rec = await this.d.outbox.get(entry.orderRef);
    if (rec && (rec.state === 'FILLED' || rec.state === 'PARTIALLY_FILLED')) {
      return `a bracket child was rejected after the entry executed (${rec.state}, ${rec.filled} filled): the entry cannot be cancelled, and its accepted protective leg stays working`;
    }
    if (id === undefined || !rec || rec.state === 'CANCELLED' || rec.state === 'REJECTED') return 'a bracket child was rejected; the entry is not working';
    try {
      await this.d.events.apply(entry.orderRef, 'CANCEL_REQUESTED', { note: 'a bracket child was rejected' }, 'bracket-rejected');
      await this.d.broker.cancelOrder(id);
    } catch (e) {
      this.d.logger.error({ err: e, orderRef: entry.orderRef }, 'cancelling the entry of a rejected bracket failed; reconciliation will see it');
      return `a bracket child was rejected and cancelling the entry ${id} failed (${(e as Error).message}); reconciliation settles it`;
    }
    return `a bracket child was rejected, so the entry ${id} (which waits for its last leg) was cancelled with its children; their reservations are released once the broker confirms`;
  }

  /** Records the entry's notional for limits.maxDailyNotional (idempotent per orderRef). */
  private async recordDaily(decision: Approved, now: number): Promise<void> {
    const entry = decision.legs[0];
    if (!entry || !this.d.dailyNotional || !this.d.policy.limits.maxDailyNotional?.gt(0)) return;
    await this.d.dailyNotional.record(entry.account, utcDay(now), entry.orderRef, decision.notional);
  }

  /**
   * The trading state changed while the signal was evaluated: HALTED and REDUCE_ONLY are re-checked on
   * every leg with the same rules as the evaluation, on a fresh snapshot and the working orders (this
   * decision's own intents left out).
   */
  private async lateReasons(task: AccountTask, decision: Approved, ctx: EvaluationContext, gate: EvaluationContext['tradingState']): Promise<readonly Reason[]> {
    const [account, working] = await Promise.all([this.d.market.account(task.target.account), this.d.outbox.listWorking(task.target.account)]);
    const fresh: EvaluationContext = { ...ctx, tradingState: gate, working, ...(account ? { account } : {}) };
    return lateStateReasons(task.signal, decision.legs, decision.referencePrice, fresh).map((r) => ({ ...r, message: `${r.message} (the trading state changed while the signal was evaluated)` }));
  }

  private async discard(signalId: string, refs: readonly string[]): Promise<void> {
    for (const ref of refs) {
      const rec = this.d.dailyNotional ? await this.d.outbox.get(ref) : undefined;
      await this.d.outbox.discardIntent(ref, signalId);
      if (rec && rec.leg === 'entry') await this.d.dailyNotional?.remove(rec.account, utcDay(rec.createdAt), ref);
    }
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
    // a bracket is only as placed as its legs: a rejected child makes the whole order REJECTED
    const rejectedChild = (await this.d.outbox.listBySignal(task.signal.id)).find((r) => r.account === current.account && r.leg !== 'entry' && r.state === 'REJECTED');
    if (rejectedChild) {
      return { ...this.recordResult(task, current), decision: 'REJECTED', reasons: [{ code: 'BROKER_REJECTED', message: `bracket ${rejectedChild.leg} ${rejectedChild.side} ${rejectedChild.quantity} ${rejectedChild.symbol}: ${rejectedChild.note ?? 'rejected by the broker'}` }], notes: [`resumed after a redelivery: the entry is ${current.state}`] };
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

type Approved = Extract<AccountDecision, { kind: 'APPROVED' }>;

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
