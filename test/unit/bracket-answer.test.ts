import { describe, expect, it } from 'vitest';
import { classifyAnswers } from '../../src/execution/bracket-answer.js';
import { buildLegs } from '../../src/execution/evaluate.js';
import type { Ack } from '../../src/execution/order-events.js';
import { aSignal, d, IRA_ID } from './builders.js';

const legs = buildLegs(aSignal({ bracket: { takeProfit: d(210), stopLoss: d(180) } }), IRA_ID, 10);
const ok = (orderId: number): Ack => ({ kind: 'accepted', orderId, permId: orderId + 100, state: 'ACCEPTED' });
const no = (orderId: number, message: string): Ack => ({ kind: 'rejected', orderId, code: 201, message });

describe('classifyAnswers: a bracket is PLACED only when the broker accepted every leg', () => {
  it.each<[string, (Ack | undefined)[], unknown]>([
    ['every leg accepted', [ok(1), ok(2), ok(3)], { kind: 'placed', orderId: 1, permId: 101 }],
    ['the entry rejected', [no(1, 'no'), no(2, 'parent'), no(3, 'parent')], { kind: 'rejected', cancelRest: false, reason: { code: 'BROKER_REJECTED', brokerCode: 201, message: 'no' } }],
    ['the last child rejected', [ok(1), ok(2), no(3, 'stop refused')], { kind: 'rejected', cancelRest: true, reason: { code: 'BROKER_REJECTED', brokerCode: 201, message: 'bracket stopLoss SELL 10 AAPL: stop refused' } }],
    ['a child rejected, another unanswered', [ok(1), undefined, no(3, 'x')], { kind: 'rejected', cancelRest: true }],
    ['a child unanswered', [ok(1), ok(2), undefined], { kind: 'unanswered' }],
  ])('%s', (_name, answers, expected) => {
    expect(classifyAnswers(legs, answers)).toMatchObject(expected as object);
  });

  it('names the unanswered legs', () => {
    const a = classifyAnswers(legs, [undefined, ok(2), undefined]);
    expect(a.kind === 'unanswered' && a.legs.map((l) => l.leg)).toEqual(['entry', 'stopLoss']);
  });
});
