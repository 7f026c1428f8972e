/**
 * Rebuilding the outbox from the broker after Redis lost its state (pure). Every order and execution the
 * broker reports with our orderRef format becomes one outbox record in the state the broker reports, so
 *  - a re-sent signal id maps (by its deterministic orderRef) onto the adopted record: DUPLICATE, not a
 *    second order;
 *  - working orders reserve their cash / shares again (IRA checks see them);
 *  - the order-id high-water mark is the highest id the broker has seen from us.
 * What the broker cannot tell (which signal or job an order came from, outcomes, the old audit trail) is
 * gone; the adopted records say so in their note.
 */
import { isOwnOrderRef } from '../domain/order-ref.js';
import { stateFromBrokerStatus, type OrderState } from '../domain/order-state.js';
import type { LegName } from '../domain/types.js';
import type { BrokerSnapshot } from './reconciler.js';
import type { FillReport, OrderReport } from './broker-port.js';

/** The job id an adopted record carries: no real job has it, so every delivery of its signal is a duplicate. */
export const ADOPTED_JOB_ID = 'adopted-after-redis-state-loss';
/** The signal id of an adopted record (the orderRef's hash cannot be reversed). */
export const ADOPTED_SIGNAL_ID = 'unknown-adopted';

/** One record to adopt (the outbox's `adopt` input, minus what the shell adds). */
export interface Adoption {
  readonly orderRef: string;
  readonly signalId: string;
  readonly account: string;
  readonly leg: LegName;
  readonly symbol: string;
  readonly secType: OrderReport['instrument']['secType'];
  readonly currency: string;
  readonly side: OrderReport['side'];
  readonly quantity: number;
  readonly price?: OrderReport['limitPrice'];
  readonly multiplier: number;
  readonly state: OrderState;
  readonly orderId?: number;
  readonly permId?: number;
  readonly filled: number;
  readonly avgFillPrice?: OrderReport['avgFillPrice'];
  readonly note: string;
  readonly payload: string;
  readonly createdAt: number;
}

const LEG_OF: Readonly<Record<string, LegName>> = { E: 'entry', T: 'takeProfit', S: 'stopLoss' };

/** `ix1-<account>-<E|T|S>-<hash>` → the leg name (entry when unreadable). */
export function legOfOrderRef(ref: string): LegName {
  const code = ref.split('-').at(-2) ?? 'E';
  return LEG_OF[code] ?? 'entry';
}

const NOTE = 'adopted from the broker after a loss of Redis state: its signal and job are unknown';

function fromReport(r: OrderReport & { orderRef: string }, now: number): Adoption {
  const state = stateFromBrokerStatus(r.status, r.filled, r.remaining) ?? (r.filled > 0 ? 'PARTIALLY_FILLED' : 'ACCEPTED');
  const price = r.limitPrice ?? r.stopPrice ?? r.avgFillPrice;
  return {
    orderRef: r.orderRef,
    signalId: ADOPTED_SIGNAL_ID,
    account: r.account,
    leg: legOfOrderRef(r.orderRef),
    symbol: r.instrument.symbol,
    secType: r.instrument.secType,
    currency: r.instrument.currency,
    side: r.side,
    quantity: r.quantity,
    ...(price !== undefined ? { price } : {}),
    multiplier: Number(r.instrument.multiplier ?? 1) || 1,
    state,
    orderId: r.orderId,
    ...(r.permId !== undefined ? { permId: r.permId } : {}),
    filled: r.filled,
    ...(r.avgFillPrice !== undefined ? { avgFillPrice: r.avgFillPrice } : {}),
    note: NOTE,
    payload: JSON.stringify({ jobId: ADOPTED_JOB_ID, leg: { orderRef: r.orderRef, account: r.account, instrument: r.instrument, side: r.side, quantity: r.quantity, type: r.orderType } }),
    createdAt: now,
  };
}

/** An execution whose order the broker no longer lists (older completed orders age out): a FILLED record. */
function fromExecutions(ref: string, execs: readonly FillReport[], now: number): Adoption | undefined {
  const last = [...execs].sort((a, b) => a.cumQty - b.cumQty).at(-1);
  if (!last) return undefined;
  return {
    orderRef: ref,
    signalId: ADOPTED_SIGNAL_ID,
    account: last.account,
    leg: legOfOrderRef(ref),
    symbol: last.instrument.symbol,
    secType: last.instrument.secType,
    currency: last.instrument.currency,
    side: last.side === 'BOT' ? 'BUY' : 'SELL',
    quantity: last.cumQty,
    price: last.avgPrice,
    multiplier: Number(last.instrument.multiplier ?? 1) || 1,
    state: 'FILLED',
    orderId: last.orderId,
    ...(last.permId !== undefined ? { permId: last.permId } : {}),
    filled: last.cumQty,
    avgFillPrice: last.avgPrice,
    note: `${NOTE}; only its executions were reported`,
    payload: JSON.stringify({ jobId: ADOPTED_JOB_ID, leg: { orderRef: ref, account: last.account, instrument: last.instrument, side: last.side } }),
    createdAt: now,
  };
}

/** The records to adopt and the order-id high-water mark, from one broker snapshot (pure). */
export function adoptionsFrom(snap: BrokerSnapshot, now: number): { readonly adoptions: readonly Adoption[]; readonly maxOrderId: number; readonly executions: number } {
  const byRef = new Map<string, Adoption>();
  // completed first, then open: the open (live) report of an order wins over an older completed one
  for (const r of [...snap.completedOrders, ...snap.openOrders]) {
    if (r.orderRef !== undefined && isOwnOrderRef(r.orderRef)) byRef.set(r.orderRef, fromReport(r as OrderReport & { orderRef: string }, now));
  }
  const own = snap.executions.filter((e) => isOwnOrderRef(e.orderRef));
  const execRefs = new Set(own.map((e) => e.orderRef as string));
  for (const ref of execRefs) {
    if (byRef.has(ref)) continue;
    const a = fromExecutions(ref, own.filter((e) => e.orderRef === ref), now);
    if (a) byRef.set(ref, a);
  }
  const ids = [...snap.openOrders, ...snap.completedOrders, ...snap.executions].map((x) => x.orderId).filter((n) => Number.isSafeInteger(n) && n > 0);
  return { adoptions: [...byRef.values()], maxOrderId: ids.length ? Math.max(...ids) : 0, executions: own.length };
}
