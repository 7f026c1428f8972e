import { describe, expect, it } from 'vitest';
import {
  applyOrderEvent,
  isTerminal,
  ORDER_EVENTS,
  ORDER_STATES,
  ORDER_TRANSITIONS,
  orderEventFromBrokerStatus,
  stateFromBrokerStatus,
  type OrderEvent,
  type OrderState,
} from '../../src/domain/order-state.js';

/** Every legal transition, written out independently of the table so a table edit is caught. */
const LEGAL: readonly [OrderState, OrderEvent, OrderState][] = [
  ['INTENT', 'SENT', 'SUBMITTED'],
  ['SUBMITTED', 'SENT', 'SUBMITTED'],
  ['SUBMITTED', 'ACK', 'ACCEPTED'],
  ['SUBMITTED', 'PARTIAL_FILL', 'PARTIALLY_FILLED'],
  ['SUBMITTED', 'FILL', 'FILLED'],
  ['SUBMITTED', 'CANCEL_REQUESTED', 'PENDING_CANCEL'],
  ['SUBMITTED', 'CANCELLED', 'CANCELLED'],
  ['SUBMITTED', 'REJECTED', 'REJECTED'],
  ['SUBMITTED', 'TIMEOUT', 'UNRESOLVED'],
  ['SUBMITTED', 'ABSENT', 'INTENT'],
  ['ACCEPTED', 'ACK', 'ACCEPTED'],
  ['ACCEPTED', 'PARTIAL_FILL', 'PARTIALLY_FILLED'],
  ['ACCEPTED', 'FILL', 'FILLED'],
  ['ACCEPTED', 'CANCEL_REQUESTED', 'PENDING_CANCEL'],
  ['ACCEPTED', 'CANCELLED', 'CANCELLED'],
  ['ACCEPTED', 'REJECTED', 'REJECTED'],
  ['PARTIALLY_FILLED', 'ACK', 'PARTIALLY_FILLED'],
  ['PARTIALLY_FILLED', 'PARTIAL_FILL', 'PARTIALLY_FILLED'],
  ['PARTIALLY_FILLED', 'FILL', 'FILLED'],
  ['PARTIALLY_FILLED', 'CANCEL_REQUESTED', 'PENDING_CANCEL'],
  ['PARTIALLY_FILLED', 'CANCELLED', 'CANCELLED'],
  ['PENDING_CANCEL', 'CANCEL_REQUESTED', 'PENDING_CANCEL'],
  ['PENDING_CANCEL', 'CANCELLED', 'CANCELLED'],
  ['PENDING_CANCEL', 'PARTIAL_FILL', 'PENDING_CANCEL'],
  ['PENDING_CANCEL', 'FILL', 'FILLED'],
  ['PENDING_CANCEL', 'ACK', 'ACCEPTED'],
  ['UNRESOLVED', 'TIMEOUT', 'UNRESOLVED'],
  ['UNRESOLVED', 'ABSENT', 'INTENT'],
  ['UNRESOLVED', 'ACK', 'ACCEPTED'],
  ['UNRESOLVED', 'PARTIAL_FILL', 'PARTIALLY_FILLED'],
  ['UNRESOLVED', 'FILL', 'FILLED'],
  ['UNRESOLVED', 'CANCELLED', 'CANCELLED'],
  ['UNRESOLVED', 'REJECTED', 'REJECTED'],
  ['UNRESOLVED', 'RESOLVED_ACCEPTED', 'ACCEPTED'],
  ['UNRESOLVED', 'RESOLVED_PARTIALLY_FILLED', 'PARTIALLY_FILLED'],
  ['UNRESOLVED', 'RESOLVED_FILLED', 'FILLED'],
  ['UNRESOLVED', 'RESOLVED_CANCELLED', 'CANCELLED'],
  ['UNRESOLVED', 'RESOLVED_REJECTED', 'REJECTED'],
  ['FILLED', 'FILL', 'FILLED'],
  ['FILLED', 'RESOLVED_FILLED', 'FILLED'],
  ['CANCELLED', 'CANCELLED', 'CANCELLED'],
  ['CANCELLED', 'RESOLVED_CANCELLED', 'CANCELLED'],
  ['CANCELLED', 'FILL', 'FILLED'],
  ['CANCELLED', 'PARTIAL_FILL', 'CANCELLED'],
  ['REJECTED', 'REJECTED', 'REJECTED'],
  ['REJECTED', 'RESOLVED_REJECTED', 'REJECTED'],
];

describe('applyOrderEvent', () => {
  it.each(LEGAL)('%s + %s → %s', (from, event, to) => {
    expect(applyOrderEvent(from, event)).toEqual({ ok: true, state: to, changed: from !== to });
  });

  it('rejects every pair not listed as legal (the table has no hidden transitions)', () => {
    const legal = new Set(LEGAL.map(([f, e]) => `${f}+${e}`));
    for (const from of ORDER_STATES) {
      for (const event of ORDER_EVENTS) {
        const r = applyOrderEvent(from, event);
        expect(r.ok, `${from}+${event}`).toBe(legal.has(`${from}+${event}`));
      }
    }
  });

  it.each<[OrderState, OrderEvent]>([
    ['INTENT', 'ACK'],
    ['INTENT', 'FILL'],
    ['FILLED', 'CANCELLED'],
    ['FILLED', 'REJECTED'],
    ['REJECTED', 'FILL'],
    ['CANCELLED', 'ACK'],
    ['ACCEPTED', 'TIMEOUT'],
    ['ACCEPTED', 'SENT'],
    ['PARTIALLY_FILLED', 'REJECTED'],
  ])('refuses %s + %s with a message naming both', (from, event) => {
    expect(applyOrderEvent(from, event)).toEqual({
      ok: false,
      error: { from, event, message: `event ${event} is not valid in order state ${from}` },
    });
  });

  it('treats a repeated event as idempotent (changed: false)', () => {
    for (const [s, e] of [['ACCEPTED', 'ACK'], ['FILLED', 'FILL'], ['CANCELLED', 'CANCELLED'], ['UNRESOLVED', 'TIMEOUT']] as const) {
      expect(applyOrderEvent(s, e)).toMatchObject({ ok: true, changed: false });
    }
  });

  it('lets a fill that raced a cancel win (CANCELLED → FILLED)', () => {
    expect(applyOrderEvent('CANCELLED', 'FILL')).toEqual({ ok: true, state: 'FILLED', changed: true });
  });

  it('marks only FILLED, CANCELLED and REJECTED terminal', () => {
    expect(ORDER_STATES.filter(isTerminal)).toEqual(['FILLED', 'CANCELLED', 'REJECTED']);
    expect(Object.keys(ORDER_TRANSITIONS).sort()).toEqual([...ORDER_STATES].sort());
  });
});

describe('broker status → event', () => {
  it.each([
    ['PENDING_SUBMIT', 0, 10, 'SENT', 'SUBMITTED'],
    ['PRE_SUBMITTED', 0, 10, 'ACK', 'ACCEPTED'],
    ['SUBMITTED', 0, 10, 'ACK', 'ACCEPTED'],
    ['SUBMITTED', 4, 6, 'PARTIAL_FILL', 'PARTIALLY_FILLED'],
    ['FILLED', 10, 0, 'FILL', 'FILLED'],
    ['FILLED', 4, 6, 'PARTIAL_FILL', 'PARTIALLY_FILLED'],
    ['PENDING_CANCEL', 0, 10, 'CANCEL_REQUESTED', 'PENDING_CANCEL'],
    ['CANCELLED', 3, 7, 'CANCELLED', 'CANCELLED'],
    ['INACTIVE', 0, 10, 'REJECTED', 'REJECTED'],
    ['UNKNOWN', 0, 10, undefined, undefined],
  ] as const)('%s (filled %d, remaining %d) → %s / %s', (status, filled, remaining, event, state) => {
    expect(orderEventFromBrokerStatus(status, filled, remaining)).toBe(event);
    expect(stateFromBrokerStatus(status, filled, remaining)).toBe(state);
  });
});
