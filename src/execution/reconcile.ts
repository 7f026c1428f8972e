/**
 * Reconciliation: our outbox records vs what the broker reports (open orders, completed orders,
 * executions, positions) → a list of actions for the shell to apply and publish. Pure. Invariants:
 *  - broker orders are matched to ours by `orderRef` first, then by `permId`; never by `orderId` alone
 *    (ids can be reused after a gateway restart);
 *  - an order is called ABSENT (re-sendable) only when it appears nowhere at the broker AND the caller
 *    says connectivity has been clear for a full query cycle AND it was sent longer ago than the grace;
 *  - a fill is published once per execId (a correction — `replacesExecId`, or `….02` of a known `….01` —
 *    is published with `correctionOf`);
 *  - idempotent: `reconcile` on the state produced by `applyReconcileActions` yields no new actions.
 */
import type { Decimal, PositionSnapshot, SecType } from '../domain/types.js';
import { isOwnOrderRef } from '../domain/order-ref.js';
import { applyOrderEvent, isTerminal, stateFromBrokerStatus, type OrderEvent, type OrderState } from '../domain/order-state.js';
import type { FillReport, OrderReport } from './broker-port.js';

/** Our record of one order leg (the outbox entry). */
export interface LocalOrder {
  readonly orderRef: string;
  /** unknown for an order adopted from the broker without a local record */
  readonly signalId?: string;
  readonly account: string;
  readonly state: OrderState;
  readonly quantity: number;
  readonly filled?: number;
  readonly orderId?: number;
  readonly permId?: number;
  /** epoch ms when it was handed to the socket */
  readonly sentAt?: number;
}

export interface BrokerView {
  readonly open: readonly OrderReport[];
  readonly completed: readonly OrderReport[];
  readonly executions: readonly FillReport[];
  /** execIds already published on `ibkr:fills` */
  readonly knownExecIds: ReadonlySet<string>;
  readonly positions?: readonly PositionSnapshot[];
}

export interface ExpectedPosition {
  readonly account: string;
  readonly symbol: string;
  readonly secType: SecType;
  readonly conId?: number;
  readonly quantity: number;
}

export interface ReconcileOptions {
  /** epoch ms */
  readonly now: number;
  /** no disconnect / 1100 / 2110 during at least one full query cycle (open, completed, executions) */
  readonly connectivityClear: boolean;
  /** a sent order younger than this is never called absent (default 0) */
  readonly absentGraceMs?: number;
  /** what our ledger expects; positions are compared only for accounts listed here */
  readonly expectedPositions?: readonly ExpectedPosition[];
  /** conflict keys already reported (suppresses repeats) */
  readonly knownConflicts?: ReadonlySet<string>;
}

interface OrderFigures {
  readonly orderId?: number;
  readonly permId?: number;
  readonly filled: number;
  readonly remaining: number;
  readonly avgFillPrice?: Decimal;
}

export type ReconcileAction =
  /** the broker has our order: take its ids and state (`from` may equal `to` when only ids/fills changed) */
  | ({ readonly type: 'ADOPT'; readonly orderRef: string; readonly account: string; readonly from: OrderState; readonly to: OrderState } & OrderFigures)
  /** an UNRESOLVED order's outcome is known: apply it and publish RESOLVED on `ibkr:orders` */
  | ({ readonly type: 'RESOLVE'; readonly orderRef: string; readonly account: string; readonly from: 'UNRESOLVED'; readonly to: OrderState } & OrderFigures)
  /** provably never reached the broker: back to INTENT, may be re-sent with the same orderRef */
  | { readonly type: 'MARK_ABSENT'; readonly orderRef: string; readonly account: string; readonly from: OrderState; readonly to: 'INTENT' }
  /** the broker has an order with our orderRef format that we hold no record of: record and audit it */
  | { readonly type: 'UNTRACKED'; readonly orderRef: string; readonly account: string; readonly state: OrderState; readonly report: OrderReport }
  /** an execution of ours not yet on `ibkr:fills` */
  | { readonly type: 'PUBLISH_FILL'; readonly fill: FillReport; readonly correctionOf?: string }
  /** broker position ≠ expected: set the account REDUCE_ONLY and accept the broker's figure as the new baseline */
  | { readonly type: 'POSITION_DRIFT'; readonly account: string; readonly symbol: string; readonly secType: SecType; readonly conId?: number; readonly expected: number; readonly actual: number }
  /**
   * a second broker order for one of our orderRefs (another permId): the shell cancels it when live
   * (keeping `keep`, the order our record names), audits it and sets the account REDUCE_ONLY; when both
   * traded it raises an alert
   */
  | { readonly type: 'DUPLICATE'; readonly key: string; readonly orderRef: string; readonly account: string; readonly signalId?: string; readonly keep: { readonly orderId?: number; readonly permId?: number; readonly filled: number }; readonly extra: { readonly orderId: number; readonly permId?: number; readonly status: OrderReport['status']; readonly filled: number } }
  /** something that must not happen (contradicting final states, a working order gone) */
  | { readonly type: 'CONFLICT'; readonly key: string; readonly account: string; readonly orderRef?: string; readonly message: string };

const RANK: Readonly<Record<OrderState, number>> = {
  INTENT: 0,
  SUBMITTED: 1,
  UNRESOLVED: 1,
  ACCEPTED: 2,
  PARTIALLY_FILLED: 3,
  PENDING_CANCEL: 3.5,
  FILLED: 4,
  CANCELLED: 4,
  REJECTED: 4,
};

const EVENT_FOR: Readonly<Record<OrderState, OrderEvent | undefined>> = {
  INTENT: undefined,
  SUBMITTED: 'SENT',
  UNRESOLVED: 'TIMEOUT',
  ACCEPTED: 'ACK',
  PARTIALLY_FILLED: 'PARTIAL_FILL',
  PENDING_CANCEL: 'CANCEL_REQUESTED',
  FILLED: 'FILL',
  CANCELLED: 'CANCELLED',
  REJECTED: 'REJECTED',
};

/** Broker reports of one local order; completed reports first (they are final). */
function reportsFor(o: LocalOrder, b: BrokerView): OrderReport[] {
  const match = (r: OrderReport) => r.orderRef === o.orderRef || (o.permId !== undefined && r.permId === o.permId);
  return [...b.completed.filter(match), ...b.open.filter(match)];
}

const execsFor = (o: LocalOrder, b: BrokerView): FillReport[] =>
  b.executions.filter((e) => e.orderRef === o.orderRef || (o.permId !== undefined && e.permId === o.permId));

/** The broker's view of one order: from its most final report, else from its executions alone. */
function brokerFigures(o: LocalOrder, reports: OrderReport[], execs: FillReport[]): (OrderFigures & { state: OrderState }) | undefined {
  const best = [...reports].sort((x, y) => rankOf(y) - rankOf(x))[0];
  const state = best && stateFromBrokerStatus(best.status, best.filled, best.remaining);
  if (best && state) {
    // a completedOrder report carries no average price; the executions of the same snapshot do
    const avgFillPrice = best.avgFillPrice ?? [...execs].sort((x, y) => y.cumQty - x.cumQty)[0]?.avgPrice;
    // nor, for an order this session never saw, an order id (0): take it from another report or an execution
    const orderId = [best, ...reports, ...execs].map((r) => r.orderId).find((id) => id > 0);
    return { state, ...(orderId !== undefined ? { orderId } : {}), permId: best.permId, filled: best.filled, remaining: best.remaining, avgFillPrice };
  }
  if (execs.length === 0) return undefined;
  const filled = Math.max(...execs.map((e) => e.cumQty));
  const last = execs[execs.length - 1]!;
  const done = filled >= o.quantity;
  return { state: done ? 'FILLED' : 'PARTIALLY_FILLED', orderId: last.orderId, permId: last.permId, filled, remaining: Math.max(o.quantity - filled, 0), avgFillPrice: last.avgPrice };
}

function rankOf(r: OrderReport): number {
  const s = stateFromBrokerStatus(r.status, r.filled, r.remaining);
  return s ? RANK[s] : -1;
}

/**
 * Whether the broker's `to` is news for a local `from` (true), an older snapshot to ignore (false), or a
 * contradiction (two different final states). From a terminal state only the table's moves count
 * (CANCELLED → FILLED); otherwise the lifecycle rank decides (a snapshot taken before our cancel request
 * must not undo PENDING_CANCEL).
 */
function isAdvance(from: OrderState, to: OrderState): boolean | 'conflict' {
  if (isTerminal(from)) {
    const ev = EVENT_FOR[to];
    if (ev !== undefined && applyOrderEvent(from, ev).ok) return true;
    return isTerminal(to) && to !== from ? 'conflict' : false;
  }
  return RANK[to] >= RANK[from];
}

const bookingOf = (r: { permId?: number; orderId: number }): string => (r.permId !== undefined ? `p${r.permId}` : `id${r.orderId}`);

/**
 * Splits the broker reports of one orderRef into the booking our record names (its permId, else its
 * order id, else the first booked: the lowest permId) and the others (one report each, the most final).
 */
function splitBookings(o: LocalOrder, reports: readonly OrderReport[]): { keep: string | undefined; others: OrderReport[] } {
  const bookings = [...new Set(reports.map(bookingOf))];
  if (bookings.length <= 1) return { keep: bookings[0], others: [] };
  const byPerm = o.permId !== undefined ? `p${o.permId}` : undefined;
  const byId = o.orderId !== undefined ? reports.find((r) => r.orderId === o.orderId) : undefined;
  const first = [...reports].sort((x, y) => (x.permId ?? Infinity) - (y.permId ?? Infinity))[0]!;
  const keepKey = byPerm !== undefined && bookings.includes(byPerm) ? byPerm : bookingOf(byId ?? first);
  const others = bookings.filter((b) => b !== keepKey).map((b) => [...reports.filter((r) => bookingOf(r) === b)].sort((x, y) => rankOf(y) - rankOf(x))[0]!);
  return { keep: keepKey, others };
}

function duplicateActions(local: readonly LocalOrder[], b: BrokerView): ReconcileAction[] {
  return local.flatMap((o) => {
    const { others } = splitBookings(o, reportsFor(o, b));
    return others.map((r): ReconcileAction => ({
      type: 'DUPLICATE',
      key: `duplicate:${o.orderRef}:${bookingOf(r)}:${r.status}:${r.filled > 0}`,
      orderRef: o.orderRef,
      account: o.account,
      ...(o.signalId !== undefined ? { signalId: o.signalId } : {}),
      keep: { ...(o.orderId !== undefined ? { orderId: o.orderId } : {}), ...(o.permId !== undefined ? { permId: o.permId } : {}), filled: o.filled ?? 0 },
      extra: { orderId: r.orderId, ...(r.permId !== undefined ? { permId: r.permId } : {}), status: r.status, filled: r.filled },
    }));
  });
}

function absentAction(o: LocalOrder, opts: ReconcileOptions): ReconcileAction | undefined {
  if (!opts.connectivityClear) return undefined;
  if (o.state === 'SUBMITTED' || o.state === 'UNRESOLVED') {
    const oldEnough = o.sentAt === undefined || opts.now - o.sentAt >= (opts.absentGraceMs ?? 0);
    return oldEnough ? { type: 'MARK_ABSENT', orderRef: o.orderRef, account: o.account, from: o.state, to: 'INTENT' } : undefined;
  }
  if (o.state === 'ACCEPTED' || o.state === 'PARTIALLY_FILLED' || o.state === 'PENDING_CANCEL') {
    const message = `order ${o.orderRef} is ${o.state} here but the broker reports it nowhere (open, completed, executions)`;
    return { type: 'CONFLICT', key: `missing:${o.orderRef}`, account: o.account, orderRef: o.orderRef, message };
  }
  return undefined;
}

/** The action (if any) for one local order. */
function orderAction(o: LocalOrder, b: BrokerView, opts: ReconcileOptions): ReconcileAction | undefined {
  // a second booking of this orderRef is a DUPLICATE of its own (duplicateActions); our record follows the first
  const all = reportsFor(o, b);
  const { keep, others } = splitBookings(o, all);
  const reports = others.length === 0 ? all : all.filter((r) => bookingOf(r) === keep);
  const otherIds = new Set(others.map((r) => r.orderId));
  const otherPerms = new Set(others.flatMap((r) => (r.permId === undefined ? [] : [r.permId])));
  const execs = execsFor(o, b).filter((e) => !(e.permId !== undefined ? otherPerms.has(e.permId) : otherIds.has(e.orderId)));
  const f = brokerFigures(o, reports, execs);
  if (!f) return absentAction(o, opts);
  const advance = isAdvance(o.state, f.state);
  if (advance === 'conflict') {
    const message = `order ${o.orderRef} is ${o.state} here but ${f.state} at the broker`;
    return { type: 'CONFLICT', key: `state:${o.orderRef}:${f.state}`, account: o.account, orderRef: o.orderRef, message };
  }
  // An UNRESOLVED order the broker merely holds (PendingSubmit) stays UNRESOLVED: present, not settled.
  const to = advance && !(o.state === 'UNRESOLVED' && f.state === 'SUBMITTED') ? f.state : o.state;
  const filled = Math.max(o.filled ?? 0, f.filled);
  const orderId = f.orderId ?? o.orderId;
  const permId = f.permId ?? o.permId;
  if (to === o.state && filled === (o.filled ?? 0) && orderId === o.orderId && permId === o.permId) return undefined;
  const figures: OrderFigures = {
    filled,
    remaining: to === f.state ? f.remaining : Math.max(o.quantity - filled, 0),
    ...(orderId !== undefined && { orderId }),
    ...(permId !== undefined && { permId }),
    ...(f.avgFillPrice !== undefined && { avgFillPrice: f.avgFillPrice }),
  };
  if (o.state === 'UNRESOLVED' && to !== 'UNRESOLVED') {
    return { type: 'RESOLVE', orderRef: o.orderRef, account: o.account, from: 'UNRESOLVED', to, ...figures };
  }
  return { type: 'ADOPT', orderRef: o.orderRef, account: o.account, from: o.state, to, ...figures };
}

function untrackedActions(local: readonly LocalOrder[], b: BrokerView): ReconcileAction[] {
  const refs = new Set(local.map((o) => o.orderRef));
  const perms = new Set(local.flatMap((o) => (o.permId === undefined ? [] : [o.permId])));
  const out = new Map<string, ReconcileAction>();
  for (const r of [...b.completed, ...b.open]) {
    const ref = r.orderRef;
    if (!ref || !isOwnOrderRef(ref) || refs.has(ref) || (r.permId !== undefined && perms.has(r.permId)) || out.has(ref)) continue;
    const state = stateFromBrokerStatus(r.status, r.filled, r.remaining);
    if (state) out.set(ref, { type: 'UNTRACKED', orderRef: ref, account: r.account, state, report: r });
  }
  return [...out.values()];
}

const execBase = (id: string): string => id.replace(/\.\d+$/, '');

function fillActions(local: readonly LocalOrder[], b: BrokerView): ReconcileAction[] {
  const perms = new Set(local.flatMap((o) => (o.permId === undefined ? [] : [o.permId])));
  const knownByBase = new Map([...b.knownExecIds].map((id) => [execBase(id), id]));
  const seen = new Set<string>();
  const out: ReconcileAction[] = [];
  for (const e of b.executions) {
    const ours = isOwnOrderRef(e.orderRef) || (e.permId !== undefined && perms.has(e.permId));
    if (!ours || b.knownExecIds.has(e.execId) || seen.has(e.execId)) continue;
    seen.add(e.execId);
    const prior = e.replacesExecId ?? knownByBase.get(execBase(e.execId));
    out.push(prior ? { type: 'PUBLISH_FILL', fill: e, correctionOf: prior } : { type: 'PUBLISH_FILL', fill: e });
  }
  return out;
}

const positionKey = (p: { account: string; symbol: string; secType: SecType; conId?: number }): string =>
  `${p.account}|${p.secType}|${p.symbol}|${p.secType === 'OPT' ? (p.conId ?? '') : ''}`;

function driftActions(b: BrokerView, opts: ReconcileOptions): ReconcileAction[] {
  const expected = opts.expectedPositions;
  if (!expected || !b.positions) return [];
  const accounts = new Set(expected.map((e) => e.account));
  const table = new Map<string, { ref: ExpectedPosition | PositionSnapshot; expected: number; actual: number }>();
  for (const e of expected) table.set(positionKey(e), { ref: e, expected: (table.get(positionKey(e))?.expected ?? 0) + e.quantity, actual: 0 });
  for (const p of b.positions.filter((p) => accounts.has(p.account))) {
    const k = positionKey(p);
    const row = table.get(k) ?? { ref: p, expected: 0, actual: 0 };
    table.set(k, { ...row, actual: row.actual + p.quantity });
  }
  return [...table.values()]
    .filter((r) => r.expected !== r.actual)
    .map(({ ref, expected: exp, actual }) => ({
      type: 'POSITION_DRIFT' as const,
      account: ref.account,
      symbol: ref.symbol,
      secType: ref.secType,
      ...(ref.conId !== undefined && { conId: ref.conId }),
      expected: exp,
      actual,
    }));
}

/**
 * Compares local records with the broker and returns what to do, in this order: per-order actions
 * (ADOPT, RESOLVE, MARK_ABSENT, CONFLICT), DUPLICATE bookings, UNTRACKED orders, PUBLISH_FILL, POSITION_DRIFT.
 * Pitfall: pass `connectivityClear: true` only after a full open+completed+executions cycle with no
 * disconnect or 1100/2110 in between; otherwise nothing is ever called absent.
 */
export function reconcile(local: readonly LocalOrder[], broker: BrokerView, opts: ReconcileOptions): ReconcileAction[] {
  const known = opts.knownConflicts ?? new Set<string>();
  const perOrder = local.flatMap((o) => {
    const a = orderAction(o, broker, opts);
    return a ? [a] : [];
  });
  return [...perOrder, ...duplicateActions(local, broker), ...untrackedActions(local, broker), ...fillActions(local, broker), ...driftActions(broker, opts)].filter(
    (a) => (a.type !== 'CONFLICT' && a.type !== 'DUPLICATE') || !known.has(a.key),
  );
}

/** What reconciliation reads and the shell persists between passes. */
export interface ReconcileState {
  readonly local: readonly LocalOrder[];
  readonly knownExecIds: ReadonlySet<string>;
  readonly expectedPositions: readonly ExpectedPosition[];
  readonly knownConflicts: ReadonlySet<string>;
}

function applyToOrder(o: LocalOrder, a: ReconcileAction): LocalOrder {
  if ((a.type === 'ADOPT' || a.type === 'RESOLVE') && a.orderRef === o.orderRef) {
    const { orderId, permId, filled } = a;
    return { ...o, state: a.to, filled, ...(orderId !== undefined && { orderId }), ...(permId !== undefined && { permId }) };
  }
  if (a.type === 'MARK_ABSENT' && a.orderRef === o.orderRef) return { ...o, state: 'INTENT' };
  return o;
}

/**
 * The state after the shell applied `actions` (the reference semantics of each action; the shell does the
 * same to its stores). POSITION_DRIFT accepts the broker's quantity as the new expectation.
 */
export function applyReconcileActions(s: ReconcileState, actions: readonly ReconcileAction[]): ReconcileState {
  let local = s.local.map((o) => actions.reduce(applyToOrder, o));
  const execIds = new Set(s.knownExecIds);
  const conflicts = new Set(s.knownConflicts);
  let expected = [...s.expectedPositions];
  for (const a of actions) {
    if (a.type === 'PUBLISH_FILL') execIds.add(a.fill.execId);
    if (a.type === 'CONFLICT' || a.type === 'DUPLICATE') conflicts.add(a.key);
    if (a.type === 'UNTRACKED') {
      const r = a.report;
      local = [...local, { orderRef: a.orderRef, account: a.account, state: a.state, quantity: r.quantity, filled: r.filled, orderId: r.orderId, ...(r.permId !== undefined && { permId: r.permId }) }];
    }
    if (a.type === 'POSITION_DRIFT') {
      const k = positionKey(a);
      expected = [...expected.filter((e) => positionKey(e) !== k), { account: a.account, symbol: a.symbol, secType: a.secType, ...(a.conId !== undefined && { conId: a.conId }), quantity: a.actual }];
    }
  }
  return { local, knownExecIds: execIds, expectedPositions: expected, knownConflicts: conflicts };
}

// -- ORPHAN INTENTS ----------------------------------------------------------------------------------

/** An INTENT record as the orphan check sees it (the shell looks its job up first). */
export interface IntentView {
  readonly orderRef: string;
  readonly account: string;
  /** epoch ms the intent was written */
  readonly createdAt: number;
  /** its BullMQ job no longer exists or has finished: nothing will ever send or settle this intent */
  readonly jobGone: boolean;
}

export interface OrphanOptions {
  readonly now: number;
  /** the pass that produced `broker` saw no disconnect / 1100 (else nothing is judged) */
  readonly connectivityClear: boolean;
  /** when the broker queries of that pass started: a younger intent may be missing from them */
  readonly snapshotFrom: number;
  /** an intent older than this with no broker trace is settled even if its job still exists */
  readonly orphanAfterMs: number;
}

/** Why one INTENT is settled as never sent. */
export interface OrphanIntent {
  readonly orderRef: string;
  readonly account: string;
  readonly why: string;
}

/**
 * INTENT records that provably never reached the broker and that nothing will settle: no open or
 * completed order and no execution carries their orderRef after a clear pass, and either their job is
 * gone or they are older than `orphanAfterMs`. Pure. The shell settles each as never sent (audited; the
 * record is removed, which releases its reservation).
 */
export function orphanIntents(intents: readonly IntentView[], b: Pick<BrokerView, 'open' | 'completed' | 'executions'>, o: OrphanOptions): OrphanIntent[] {
  if (!o.connectivityClear) return [];
  const traced = new Set([...b.open, ...b.completed, ...b.executions].map((r) => r.orderRef).filter((r): r is string => Boolean(r)));
  return intents.flatMap((i): OrphanIntent[] => {
    if (traced.has(i.orderRef) || i.createdAt >= o.snapshotFrom) return [];
    if (i.jobGone) return [{ orderRef: i.orderRef, account: i.account, why: 'its job no longer exists or has finished, and the broker has no trace of it' }];
    if (o.now - i.createdAt >= o.orphanAfterMs) {
      return [{ orderRef: i.orderRef, account: i.account, why: `written ${Math.round((o.now - i.createdAt) / 1000)} s ago (bound ${Math.round(o.orphanAfterMs / 1000)} s) and the broker has no trace of it` }];
    }
    return [];
  });
}
