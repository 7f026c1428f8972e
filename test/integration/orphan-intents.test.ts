/**
 * Orphan INTENTs are settled (issue #9): an INTENT whose job no longer exists, or that is older than the
 * bound with no broker trace after a clear pass, is settled as never sent (audited, reservation
 * released); an order in flight no longer switches off position-drift detection for other instruments.
 * Real Redis, real BullMQ, the simulator over TCP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { Decimal, type OrderLeg } from '../../src/domain/types.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { IbBroker } from '../../src/ib/ib-broker.js';
import { readStream } from '../../src/infra/streams.js';
import { TradingStateStore } from '../../src/infra/trading-state.js';
import { BUSINESS, IRA, PERSONAL, REDIS, reader, resultFor, run, sig, waitFor } from './pipeline-helpers.js';

describe('orphan INTENT records', () => {
  let stack: Stack;
  const redis = reader();
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, config: { execution: { reconcileIntervalMs: 200, inflightCheckMs: 200 } }, daemon: { orphanIntentMs: 30_000 } });
  });
  afterAll(async () => {
    redis.disconnect();
    await stack?.stop();
  });

  /** Writes an INTENT as the execution service does just before sending, for `jobId`. */
  const intent = async (signalId: string, account: string, symbol: string, quantity: number, price: number, jobId: string, createdAt: number): Promise<string> => {
    const orderRef = orderRefFor(signalId, account, 'entry');
    const leg: OrderLeg = { leg: 'entry', orderRef, signalId, account, instrument: { symbol, secType: 'STK', exchange: 'SMART', currency: 'USD' }, side: 'BUY', quantity, type: 'LMT', limitPrice: new Decimal(price), tif: 'DAY', outsideRth: false };
    const res = await stack.daemon!.infra.outbox.createIntent({ orderRef, signalId, account, leg: 'entry', symbol, secType: 'STK', currency: 'USD', side: 'BUY', quantity, price: new Decimal(price), multiplier: 1, payload: JSON.stringify({ jobId, leg }), createdAt });
    expect(res.created).toBe(true);
    return orderRef;
  };
  const passes = async (n: number): Promise<void> => {
    const start = stack.daemon!.reconciler.completedPasses;
    await waitFor(async () => stack.daemon!.reconciler.completedPasses >= start + n, `${n} reconciliation passes`);
  };

  it('an INTENT whose job is gone, and one past the bound whose job still waits, are settled and audited; a young one stays', async () => {
    await passes(3); // the position ledger has its baseline
    const outbox = stack.daemon!.infra.outbox;
    const gone = await intent('orph-gone', IRA, 'MSFT', 100, 415, 'sig-orph-gone-removed', Date.now());
    const waiting = await stack.queue.add('signal', sig('orph-old'), { jobId: 'sig-orph-old', delay: 600_000 });
    const old = await intent('orph-old', IRA, 'AAPL', 1, 190, String(waiting.id), Date.now() - 60_000);
    const liveJob = await stack.queue.add('signal', sig('orph-young'), { jobId: 'sig-orph-young', delay: 600_000 });
    const young = await intent('orph-young', PERSONAL, 'MSFT', 1, 415, String(liveJob.id), Date.now());

    await waitFor(async () => !(await outbox.get(gone)) && !(await outbox.get(old)), 'both orphans settled');
    await passes(2);
    expect((await outbox.get(young))?.state).toBe('INTENT');
    const audit = await readStream(redis, `${stack.config.redis.prefix}:audit`);
    const settled = audit.filter((e) => e.fields.type === 'order.orphan-settled').map((e) => e.fields.orderRef);
    expect(settled.sort()).toEqual([gone, old].sort());
    await waiting.remove();

    // the 41,500 the orphan reserved is free again: an IRA buy of 42,000 fits the 50,000 of cash
    const r = resultFor(await run(stack, sig('orph-after', { accounts: [IRA], instrument: { symbol: 'MSFT' }, size: { quantity: 100 }, order: { type: 'LMT', limitPrice: 420 } })), IRA);
    expect(r.decision).toBe('PLACED');
  });

  it('an order in flight on one account does not switch off drift detection for the others', async () => {
    const states = new TradingStateStore(stack.daemon!.infra.redis, stack.daemon!.infra.keys, stack.secrets.controlKey);
    expect((await stack.daemon!.infra.outbox.listByState(['INTENT'])).length).toBeGreaterThan(0); // orph-young
    await passes(2);
    const other = new IbBroker({ host: '127.0.0.1', port: stack.sim.port, clientId: 98, reconnect: false });
    await other.connect();
    const leg: OrderLeg = { leg: 'entry', orderRef: 'manual-orph', signalId: 'manual', account: BUSINESS, instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' }, side: 'BUY', quantity: 5, type: 'MKT', tif: 'DAY', outsideRth: false };
    await other.placeOrders([leg]);
    await other.disconnect();
    await waitFor(async () => (await states.getAccount(BUSINESS)) === 'REDUCE_ONLY', 'REDUCE_ONLY on the business account', 15_000);
    expect(await states.getAccount(PERSONAL)).toBe('ACTIVE');
  });
});
