import { describe, expect, it } from 'vitest';
import {
  applyReconcileActions,
  reconcile,
  type BrokerView,
  type LocalOrder,
  type ReconcileOptions,
  type ReconcileState,
} from '../../src/execution/reconcile.js';
import { aFill, anOrderReport, aPosition, d, IRA_ID, NOW, PERSONAL_ID } from './builders.js';

const REF = 'ix1-DU1000001-E-aaaaaaaaaaaa';
const REF2 = 'ix1-DU1000001-E-bbbbbbbbbbbb';

function aLocal(over: Partial<LocalOrder> = {}): LocalOrder {
  return { orderRef: REF, signalId: 'sig-1', account: IRA_ID, state: 'SUBMITTED', quantity: 10, sentAt: NOW - 60_000, ...over };
}

function aBroker(over: Partial<BrokerView> = {}): BrokerView {
  return { open: [], completed: [], executions: [], knownExecIds: new Set(), ...over };
}

const OPTS: ReconcileOptions = { now: NOW, connectivityClear: true, absentGraceMs: 30_000 };

describe('reconcile: adopt', () => {
  it('adopts ids and the accepted state of a SUBMITTED order the broker holds', () => {
    const actions = reconcile([aLocal()], aBroker({ open: [anOrderReport()] }), OPTS);
    expect(actions).toEqual([
      { type: 'ADOPT', orderRef: REF, account: IRA_ID, from: 'SUBMITTED', to: 'ACCEPTED', orderId: 7, permId: 9001, filled: 0, remaining: 10 },
    ]);
  });

  it('adopts an order recorded as INTENT that reached the broker before a crash', () => {
    const [a] = reconcile([aLocal({ state: 'INTENT', sentAt: undefined })], aBroker({ open: [anOrderReport()] }), OPTS);
    expect(a).toMatchObject({ type: 'ADOPT', from: 'INTENT', to: 'ACCEPTED', orderId: 7 });
  });

  it('adopts more fills on a partially filled order', () => {
    const [a] = reconcile(
      [aLocal({ state: 'PARTIALLY_FILLED', filled: 3, orderId: 7, permId: 9001 })],
      aBroker({ open: [anOrderReport({ filled: 6, remaining: 4, avgFillPrice: d(190) })] }),
      OPTS,
    );
    expect(a).toMatchObject({ type: 'ADOPT', from: 'PARTIALLY_FILLED', to: 'PARTIALLY_FILLED', filled: 6, remaining: 4 });
  });

  it('adopts a fill that raced a cancel (CANCELLED → FILLED)', () => {
    const [a] = reconcile(
      [aLocal({ state: 'CANCELLED', orderId: 7, permId: 9001 })],
      aBroker({ completed: [anOrderReport({ status: 'FILLED', filled: 10, remaining: 0, source: 'completed' })] }),
      OPTS,
    );
    expect(a).toMatchObject({ type: 'ADOPT', from: 'CANCELLED', to: 'FILLED', filled: 10 });
  });

  it('ignores an older snapshot (FILLED here, still open there; PENDING_CANCEL here, Submitted there)', () => {
    const ids = { orderId: 7, permId: 9001 };
    expect(reconcile([aLocal({ state: 'FILLED', filled: 10, ...ids })], aBroker({ open: [anOrderReport()] }), OPTS)).toEqual([]);
    expect(reconcile([aLocal({ state: 'PENDING_CANCEL', filled: 0, ...ids })], aBroker({ open: [anOrderReport()] }), OPTS)).toEqual([]);
  });

  it('never matches by orderId alone (ids are reused after a gateway restart)', () => {
    const other = anOrderReport({ orderRef: 'ix1-DU1000001-E-cccccccccccc', permId: 1234 });
    const actions = reconcile([aLocal({ orderId: 7 })], aBroker({ open: [other] }), OPTS);
    expect(actions.map((a) => a.type)).toEqual(['MARK_ABSENT', 'UNTRACKED']);
  });

  it('matches by permId when the broker did not echo the orderRef', () => {
    const [a] = reconcile([aLocal({ permId: 9001 })], aBroker({ open: [anOrderReport({ orderRef: undefined })] }), OPTS);
    expect(a).toMatchObject({ type: 'ADOPT', to: 'ACCEPTED' });
  });
});

describe('reconcile: resolve', () => {
  it('resolves an UNRESOLVED order from a completed report', () => {
    const [a] = reconcile(
      [aLocal({ state: 'UNRESOLVED' })],
      aBroker({ completed: [anOrderReport({ status: 'FILLED', filled: 10, remaining: 0, avgFillPrice: d('190.05'), source: 'completed' })] }),
      OPTS,
    );
    expect(a).toEqual({ type: 'RESOLVE', orderRef: REF, account: IRA_ID, from: 'UNRESOLVED', to: 'FILLED', orderId: 7, permId: 9001, filled: 10, remaining: 0, avgFillPrice: d('190.05') });
  });

  it.each([
    [10, 'FILLED'],
    [4, 'PARTIALLY_FILLED'],
  ] as const)('resolves from executions alone (cumQty %d → %s)', (cumQty, to) => {
    const [a] = reconcile([aLocal({ state: 'UNRESOLVED' })], aBroker({ executions: [aFill({ cumQty, shares: cumQty })] }), OPTS);
    expect(a).toMatchObject({ type: 'RESOLVE', to, filled: cumQty });
  });

  it('resolves a rejected order (Inactive) to REJECTED', () => {
    const [a] = reconcile([aLocal({ state: 'UNRESOLVED' })], aBroker({ completed: [anOrderReport({ status: 'INACTIVE', source: 'completed' })] }), OPTS);
    expect(a).toMatchObject({ type: 'RESOLVE', to: 'REJECTED' });
  });

  it('keeps an UNRESOLVED order the broker only holds as PendingSubmit UNRESOLVED (learning its id)', () => {
    const broker = aBroker({ open: [anOrderReport({ status: 'PENDING_SUBMIT', permId: undefined })] });
    const [a] = reconcile([aLocal({ state: 'UNRESOLVED' })], broker, OPTS);
    expect(a).toMatchObject({ type: 'ADOPT', from: 'UNRESOLVED', to: 'UNRESOLVED', orderId: 7 });
    expect(reconcile([aLocal({ state: 'UNRESOLVED', orderId: 7 })], broker, OPTS)).toEqual([]);
  });
});

describe('reconcile: absent', () => {
  it('marks an UNRESOLVED order absent once connectivity was clear for a full cycle', () => {
    expect(reconcile([aLocal({ state: 'UNRESOLVED' })], aBroker(), OPTS)).toEqual([
      { type: 'MARK_ABSENT', orderRef: REF, account: IRA_ID, from: 'UNRESOLVED', to: 'INTENT' },
    ]);
  });

  it('never calls an order absent while connectivity was not clear', () => {
    expect(reconcile([aLocal({ state: 'UNRESOLVED' })], aBroker(), { ...OPTS, connectivityClear: false })).toEqual([]);
  });

  it('never calls an order absent within the grace after sending', () => {
    expect(reconcile([aLocal({ state: 'SUBMITTED', sentAt: NOW - 1000 })], aBroker(), OPTS)).toEqual([]);
  });

  it('does not call an INTENT (never sent) order absent', () => {
    expect(reconcile([aLocal({ state: 'INTENT', sentAt: undefined })], aBroker(), OPTS)).toEqual([]);
  });

  it('raises a CONFLICT for an accepted order the broker reports nowhere, once', () => {
    const actions = reconcile([aLocal({ state: 'ACCEPTED', orderId: 7 })], aBroker(), OPTS);
    expect(actions).toEqual([
      { type: 'CONFLICT', key: `missing:${REF}`, account: IRA_ID, orderRef: REF, message: `order ${REF} is ACCEPTED here but the broker reports it nowhere (open, completed, executions)` },
    ]);
    expect(reconcile([aLocal({ state: 'ACCEPTED' })], aBroker(), { ...OPTS, knownConflicts: new Set([`missing:${REF}`]) })).toEqual([]);
  });
});

describe('reconcile: conflicts and untracked orders', () => {
  it('two broker orders for one orderRef: our record follows the first booking, the second is a DUPLICATE to cancel', () => {
    const actions = reconcile([aLocal()], aBroker({ open: [anOrderReport({ orderId: 8, permId: 9002 }), anOrderReport()] }), OPTS);
    expect(actions[0]).toMatchObject({ type: 'ADOPT', orderId: 7, permId: 9001, to: 'ACCEPTED' });
    expect(actions[1]).toMatchObject({ type: 'DUPLICATE', orderRef: REF, extra: { orderId: 8, permId: 9002, status: 'SUBMITTED' } });
    // the kept one is the one our record names, even when it is not the first booked
    const named = reconcile([aLocal({ orderId: 8, permId: 9002, state: 'ACCEPTED' })], aBroker({ open: [anOrderReport(), anOrderReport({ orderId: 8, permId: 9002 })] }), OPTS);
    expect(named).toEqual([expect.objectContaining({ type: 'DUPLICATE', keep: { orderId: 8, permId: 9002, filled: 0 }, extra: expect.objectContaining({ permId: 9001 }) })]);
    // reported once per state of the duplicate
    const known = new Set(actions.filter((a) => a.type === 'DUPLICATE').map((a) => (a as { key: string }).key));
    expect(reconcile([aLocal({ orderId: 7, permId: 9001, state: 'ACCEPTED' })], aBroker({ open: [anOrderReport({ orderId: 8, permId: 9002 }), anOrderReport()] }), { ...OPTS, knownConflicts: known })).toEqual([]);
  });

  it('flags contradicting final states', () => {
    const [a] = reconcile([aLocal({ state: 'REJECTED' })], aBroker({ completed: [anOrderReport({ status: 'FILLED', filled: 10, remaining: 0 })] }), OPTS);
    expect(a).toMatchObject({ type: 'CONFLICT', message: `order ${REF} is REJECTED here but FILLED at the broker` });
  });

  it('reports an order with our orderRef format that has no local record, and ignores foreign ones', () => {
    const ours = anOrderReport({ orderRef: REF2, orderId: 11, permId: 9011 });
    const manual = anOrderReport({ orderRef: 'manual-tws', orderId: 12, permId: 9012 });
    const actions = reconcile([], aBroker({ open: [ours, manual] }), OPTS);
    expect(actions).toEqual([{ type: 'UNTRACKED', orderRef: REF2, account: IRA_ID, state: 'ACCEPTED', report: ours }]);
  });
});

describe('reconcile: fills', () => {
  it('publishes each execution of ours once, skipping known and foreign ones', () => {
    const e1 = aFill({ execId: 'e1.01', shares: 4, cumQty: 4 });
    const e2 = aFill({ execId: 'e2.01', shares: 6, cumQty: 10 });
    const foreign = aFill({ execId: 'x.01', orderRef: undefined, permId: 777 });
    const actions = reconcile([], aBroker({ executions: [e1, e2, e2, foreign], knownExecIds: new Set(['e1.01']) }), OPTS);
    expect(actions).toEqual([{ type: 'PUBLISH_FILL', fill: e2 }]);
  });

  it('publishes a correction with the execId it replaces', () => {
    const corrected = aFill({ execId: 'e1.02' });
    expect(reconcile([], aBroker({ executions: [corrected], knownExecIds: new Set(['e1.01']) }), OPTS)).toEqual([
      { type: 'PUBLISH_FILL', fill: corrected, correctionOf: 'e1.01' },
    ]);
  });

  it('takes the replaced execId from the adapter when it knows it', () => {
    const corrected = aFill({ execId: 'zz.07', replacesExecId: 'e1.01' });
    expect(reconcile([], aBroker({ executions: [corrected] }), OPTS)).toEqual([{ type: 'PUBLISH_FILL', fill: corrected, correctionOf: 'e1.01' }]);
  });

  it('counts an execution matched by permId as ours', () => {
    const e = aFill({ orderRef: undefined, permId: 9001 });
    expect(reconcile([aLocal({ state: 'FILLED', filled: 10, orderId: 7, permId: 9001 })], aBroker({ executions: [e] }), OPTS)).toEqual([{ type: 'PUBLISH_FILL', fill: e }]);
  });
});

describe('reconcile: positions', () => {
  it('reports drift per instrument for the accounts it has expectations for', () => {
    const actions = reconcile(
      [],
      aBroker({ positions: [aPosition(IRA_ID, 'AAPL', 90), aPosition(IRA_ID, 'MSFT', 5), aPosition(PERSONAL_ID, 'TSLA', 1)] }),
      { ...OPTS, expectedPositions: [{ account: IRA_ID, symbol: 'AAPL', secType: 'STK', quantity: 100 }, { account: IRA_ID, symbol: 'SPY', secType: 'STK', quantity: 3 }] },
    );
    expect(actions).toEqual([
      { type: 'POSITION_DRIFT', account: IRA_ID, symbol: 'AAPL', secType: 'STK', expected: 100, actual: 90 },
      { type: 'POSITION_DRIFT', account: IRA_ID, symbol: 'SPY', secType: 'STK', expected: 3, actual: 0 },
      { type: 'POSITION_DRIFT', account: IRA_ID, symbol: 'MSFT', secType: 'STK', expected: 0, actual: 5 },
    ]);
  });

  it('reports nothing when positions match or no expectation is given', () => {
    const broker = aBroker({ positions: [aPosition(IRA_ID, 'AAPL', 100)] });
    expect(reconcile([], broker, { ...OPTS, expectedPositions: [{ account: IRA_ID, symbol: 'AAPL', secType: 'STK', quantity: 100 }] })).toEqual([]);
    expect(reconcile([], broker, OPTS)).toEqual([]);
  });
});

describe('reconcile: idempotence', () => {
  it('gives no new actions after the first pass is applied', () => {
    const local: LocalOrder[] = [
      aLocal({ orderRef: REF, state: 'SUBMITTED' }),
      aLocal({ orderRef: REF2, state: 'UNRESOLVED', sentAt: NOW - 120_000 }),
      aLocal({ orderRef: 'ix1-DU1000001-E-dddddddddddd', state: 'UNRESOLVED' }),
      aLocal({ orderRef: 'ix1-DU1000001-E-eeeeeeeeeeee', state: 'ACCEPTED', orderId: 40 }),
    ];
    const broker = aBroker({
      open: [anOrderReport(), anOrderReport({ orderRef: 'ix1-DU1000002-E-ffffffffffff', account: PERSONAL_ID, orderId: 30, permId: 9030 })],
      completed: [anOrderReport({ orderRef: REF2, orderId: 8, permId: 9002, status: 'FILLED', filled: 10, remaining: 0, source: 'completed' })],
      executions: [aFill({ orderRef: REF2, execId: 'f2.01', orderId: 8, permId: 9002 })],
      positions: [aPosition(IRA_ID, 'AAPL', 110)],
    });
    const state: ReconcileState = {
      local,
      knownExecIds: new Set(),
      expectedPositions: [{ account: IRA_ID, symbol: 'AAPL', secType: 'STK', quantity: 100 }],
      knownConflicts: new Set(),
    };
    const opts = (s: ReconcileState): ReconcileOptions => ({ ...OPTS, expectedPositions: s.expectedPositions, knownConflicts: s.knownConflicts });
    const first = reconcile(state.local, { ...broker, knownExecIds: state.knownExecIds }, opts(state));
    expect(first.map((a) => a.type).sort()).toEqual(['ADOPT', 'CONFLICT', 'MARK_ABSENT', 'POSITION_DRIFT', 'PUBLISH_FILL', 'RESOLVE', 'UNTRACKED']);
    const next = applyReconcileActions(state, first);
    expect(reconcile(next.local, { ...broker, knownExecIds: next.knownExecIds }, opts(next))).toEqual([]);
  });
});
