import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { IbBroker } from '../../src/ib/ib-broker.js';
import { TradingStateStore } from '../../src/infra/trading-state.js';
import type { OrderLeg } from '../../src/domain/types.js';

import { REDIS, waitFor } from './pipeline-helpers.js';

describe('position drift between the broker and our ledger', () => {
  let stack: Stack;
  let states: TradingStateStore;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, config: { execution: { reconcileIntervalMs: 200, inflightCheckMs: 200 } } });
    states = new TradingStateStore(stack.daemon!.infra.redis, stack.daemon!.infra.keys, stack.secrets.controlKey);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps accounts ACTIVE while every position change comes from our own fills', async () => {
    const job = await stack.send({ id: 'drift-own-1', createdAt: new Date().toISOString(), instrument: { symbol: 'MSFT' }, side: 'BUY', size: { quantity: 3 }, accounts: ['DU1000002'] });
    expect((await stack.outcome(job)).results[0]?.decision).toBe('PLACED');
    const start = stack.daemon!.reconciler.completedPasses;
    await waitFor(async () => (stack.daemon!.reconciler.completedPasses >= start + 4 ? true : undefined), 'four more reconciliation passes');
    expect(await states.getAccount('DU1000002')).toBe('ACTIVE');
  });

  it('puts the account in REDUCE_ONLY when a trade it did not place changes a position', async () => {
    // another API client (as a person trading in TWS would) buys in the business account
    const other = new IbBroker({ host: '127.0.0.1', port: stack.sim.port, clientId: 99, reconnect: false });
    await other.connect();
    const leg: OrderLeg = {
      leg: 'entry', orderRef: 'manual-1', signalId: 'manual', account: 'DU1000003',
      instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
      side: 'BUY', quantity: 7, type: 'MKT', tif: 'DAY', outsideRth: false,
    };
    await other.placeOrders([leg]);
    await waitFor(async () => {
      const s = await stack.admin<{ executions: { orderRef: string }[] }>('/state');
      return s.executions.some((e) => e.orderRef === 'manual-1') ? true : undefined;
    }, 'the manual order to fill');
    await other.disconnect();
    const state = await waitFor(async () => ((await states.getAccount('DU1000003')) === 'REDUCE_ONLY' ? 'REDUCE_ONLY' : undefined), 'REDUCE_ONLY on DU1000003');
    expect(state).toBe('REDUCE_ONLY');
    expect(await states.getAccount('DU1000002')).toBe('ACTIVE');
  });
});
