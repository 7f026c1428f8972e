/**
 * What the broker's first answers to every leg of one order mean (CONTRACT §4). Pure. Invariants:
 *  - PLACED only when every leg was accepted;
 *  - the first rejected leg decides: the entry's reason, or the child's reason prefixed with the leg
 *    (`bracket stopLoss SELL 10 AAPL: …`); a rejected child means the rest of the bracket must be cancelled
 *    (the entry waits untransmitted for its last leg, or would run unprotected);
 *  - otherwise a leg without an answer makes the order UNRESOLVED.
 */
import type { OrderLeg, Reason } from '../domain/types.js';
import type { Ack } from './order-events.js';

export type LegsAnswer =
  | { readonly kind: 'placed'; readonly orderId?: number; readonly permId?: number }
  | { readonly kind: 'rejected'; readonly leg: OrderLeg; readonly reason: Reason; readonly cancelRest: boolean }
  | { readonly kind: 'unanswered'; readonly legs: readonly OrderLeg[] };

/** Classifies the answers (`answers[i]` for `legs[i]`, undefined = none in time). */
export function classifyAnswers(legs: readonly OrderLeg[], answers: readonly (Ack | undefined)[]): LegsAnswer {
  const at = answers.findIndex((a) => a?.kind === 'rejected');
  const rejected = answers[at];
  const leg = legs[at];
  if (rejected?.kind === 'rejected' && leg) {
    const prefix = leg.leg === 'entry' ? '' : `bracket ${leg.leg} ${leg.side} ${leg.quantity} ${leg.instrument.symbol}: `;
    const reason: Reason = { code: 'BROKER_REJECTED', message: `${prefix}${rejected.message}`, ...(rejected.code !== undefined ? { brokerCode: rejected.code } : {}) };
    return { kind: 'rejected', leg, reason, cancelRest: leg.leg !== 'entry' };
  }
  const missing = legs.filter((_, i) => answers[i] === undefined);
  if (missing.length > 0) return { kind: 'unanswered', legs: missing };
  const first = answers[0];
  return first?.kind === 'accepted' ? { kind: 'placed', orderId: first.orderId, ...(first.permId !== undefined ? { permId: first.permId } : {}) } : { kind: 'placed' };
}
