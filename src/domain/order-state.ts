/**
 * The lifecycle of one order leg this daemon sends, as an explicit pure transition table. Invariants:
 *  - every (state, event) pair not in the table is an invalid transition: the shell treats it as an
 *    invariant break (audit it, halt the account, reconcile);
 *  - the same event again in the state it led to is idempotent (`changed: false`), so redelivered broker
 *    callbacks never double-publish;
 *  - terminal states absorb nothing, except CANCELLED → FILLED (a fill that raced the cancel) and a late
 *    PARTIAL_FILL on CANCELLED (an execution IB reports after the cancel status; the state stays CANCELLED);
 *  - UNRESOLVED (no answer in time) is left only by reconciliation or a late broker answer, never by a re-send;
 *    ABSENT (the broker provably never got it) returns the order to INTENT, from where it may be re-sent.
 */
import type { BrokerOrderStatus } from '../execution/broker-port.js';

export const ORDER_STATES = [
  'INTENT',
  'SUBMITTED',
  'ACCEPTED',
  'PARTIALLY_FILLED',
  'FILLED',
  'PENDING_CANCEL',
  'CANCELLED',
  'REJECTED',
  'UNRESOLVED',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

export const ORDER_EVENTS = [
  /** handed to the socket */
  'SENT',
  /** the broker acknowledged it (PreSubmitted / Submitted) */
  'ACK',
  'PARTIAL_FILL',
  'FILL',
  'CANCEL_REQUESTED',
  'CANCELLED',
  'REJECTED',
  /** no acknowledgement within the ack timeout */
  'TIMEOUT',
  /** reconciliation found the broker's answer */
  'RESOLVED_ACCEPTED',
  'RESOLVED_PARTIALLY_FILLED',
  'RESOLVED_FILLED',
  'RESOLVED_CANCELLED',
  'RESOLVED_REJECTED',
  /** reconciliation proved the broker never received it (connectivity clear for a full query cycle) */
  'ABSENT',
] as const;
export type OrderEvent = (typeof ORDER_EVENTS)[number];

export const TERMINAL_STATES: readonly OrderState[] = ['FILLED', 'CANCELLED', 'REJECTED'];

/** States in which the order may still execute at the broker (it reserves cash or shares). */
export const WORKING_STATES: readonly OrderState[] = ['SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'UNRESOLVED'];

type Table = { readonly [S in OrderState]: Partial<Readonly<Record<OrderEvent, OrderState>>> };

/** Broker answers that also settle an UNRESOLVED order (a late answer is as good as a reconciliation). */
const LATE_ANSWERS = {
  ACK: 'ACCEPTED',
  PARTIAL_FILL: 'PARTIALLY_FILLED',
  FILL: 'FILLED',
  CANCELLED: 'CANCELLED',
  REJECTED: 'REJECTED',
  RESOLVED_ACCEPTED: 'ACCEPTED',
  RESOLVED_PARTIALLY_FILLED: 'PARTIALLY_FILLED',
  RESOLVED_FILLED: 'FILLED',
  RESOLVED_CANCELLED: 'CANCELLED',
  RESOLVED_REJECTED: 'REJECTED',
} as const;

/** The table. Read a row as "in state S, event E leads to state T". */
export const ORDER_TRANSITIONS: Table = {
  INTENT: { SENT: 'SUBMITTED' },
  SUBMITTED: {
    SENT: 'SUBMITTED',
    ACK: 'ACCEPTED',
    PARTIAL_FILL: 'PARTIALLY_FILLED',
    FILL: 'FILLED',
    CANCEL_REQUESTED: 'PENDING_CANCEL',
    CANCELLED: 'CANCELLED',
    REJECTED: 'REJECTED',
    TIMEOUT: 'UNRESOLVED',
    ABSENT: 'INTENT',
  },
  ACCEPTED: {
    ACK: 'ACCEPTED',
    PARTIAL_FILL: 'PARTIALLY_FILLED',
    FILL: 'FILLED',
    CANCEL_REQUESTED: 'PENDING_CANCEL',
    CANCELLED: 'CANCELLED',
    REJECTED: 'REJECTED',
  },
  PARTIALLY_FILLED: {
    // a stale "Submitted" after a partial fill changes nothing
    ACK: 'PARTIALLY_FILLED',
    PARTIAL_FILL: 'PARTIALLY_FILLED',
    FILL: 'FILLED',
    CANCEL_REQUESTED: 'PENDING_CANCEL',
    CANCELLED: 'CANCELLED',
  },
  PENDING_CANCEL: {
    CANCEL_REQUESTED: 'PENDING_CANCEL',
    CANCELLED: 'CANCELLED',
    PARTIAL_FILL: 'PENDING_CANCEL',
    FILL: 'FILLED',
    // IB answers a refused cancel by reporting the order working again
    ACK: 'ACCEPTED',
  },
  UNRESOLVED: { TIMEOUT: 'UNRESOLVED', ABSENT: 'INTENT', ...LATE_ANSWERS },
  FILLED: { FILL: 'FILLED', RESOLVED_FILLED: 'FILLED' },
  CANCELLED: { CANCELLED: 'CANCELLED', RESOLVED_CANCELLED: 'CANCELLED', FILL: 'FILLED', PARTIAL_FILL: 'CANCELLED' },
  REJECTED: { REJECTED: 'REJECTED', RESOLVED_REJECTED: 'REJECTED' },
};

export interface InvalidTransition {
  readonly from: OrderState;
  readonly event: OrderEvent;
  readonly message: string;
}

export type TransitionResult =
  | { readonly ok: true; readonly state: OrderState; readonly changed: boolean }
  | { readonly ok: false; readonly error: InvalidTransition };

/** Applies one event. `changed` is false for idempotent repeats (publish nothing then). */
export function applyOrderEvent(state: OrderState, event: OrderEvent): TransitionResult {
  const next = ORDER_TRANSITIONS[state][event];
  if (next === undefined) {
    return { ok: false, error: { from: state, event, message: `event ${event} is not valid in order state ${state}` } };
  }
  return { ok: true, state: next, changed: next !== state };
}

export const isTerminal = (s: OrderState): boolean => TERMINAL_STATES.includes(s);

/**
 * The event a broker order status means. PENDING_SUBMIT is SENT (TWS has it, the exchange not yet);
 * SUBMITTED/FILLED with both filled and remaining > 0 are PARTIAL_FILL; INACTIVE is REJECTED (IB's
 * "Inactive" follows a reject or a non-working order); UNKNOWN maps to no event.
 */
export function orderEventFromBrokerStatus(status: BrokerOrderStatus, filled: number, remaining: number): OrderEvent | undefined {
  const partial = filled > 0 && remaining > 0;
  switch (status) {
    case 'PENDING_SUBMIT':
      return 'SENT';
    case 'PRE_SUBMITTED':
    case 'SUBMITTED':
      return partial ? 'PARTIAL_FILL' : 'ACK';
    case 'FILLED':
      return partial ? 'PARTIAL_FILL' : 'FILL';
    case 'PENDING_CANCEL':
      return 'CANCEL_REQUESTED';
    case 'CANCELLED':
      return 'CANCELLED';
    case 'INACTIVE':
      return 'REJECTED';
    case 'UNKNOWN':
      return undefined;
  }
}

/** The state an order at the broker is in, as reconciliation adopts it (undefined for UNKNOWN). */
export function stateFromBrokerStatus(status: BrokerOrderStatus, filled: number, remaining: number): OrderState | undefined {
  const e = orderEventFromBrokerStatus(status, filled, remaining);
  if (e === undefined) return undefined;
  const direct: Readonly<Record<OrderEvent, OrderState | undefined>> = {
    SENT: 'SUBMITTED',
    ACK: 'ACCEPTED',
    PARTIAL_FILL: 'PARTIALLY_FILLED',
    FILL: 'FILLED',
    CANCEL_REQUESTED: 'PENDING_CANCEL',
    CANCELLED: 'CANCELLED',
    REJECTED: 'REJECTED',
    TIMEOUT: undefined,
    RESOLVED_ACCEPTED: undefined,
    RESOLVED_PARTIALLY_FILLED: undefined,
    RESOLVED_FILLED: undefined,
    RESOLVED_CANCELLED: undefined,
    RESOLVED_REJECTED: undefined,
    ABSENT: undefined,
  };
  return direct[e];
}
