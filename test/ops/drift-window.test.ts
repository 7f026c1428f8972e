/**
 * The position-drift check pauses in IB's nightly restart window: a trade the daemon did not place, made
 * while the window is open, does not put the account in REDUCE_ONLY (real daemon, Redis, the simulator over
 * TCP; the window is configured to be open now).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { windowPosition } from '../../src/app/restart-window.js';
import { IbBroker } from '../../src/ib/ib-broker.js';
import { TradingStateStore } from '../../src/infra/trading-state.js';
import type { OrderLeg } from '../../src/domain/types.js';
import { REDIS, waitFor } from '../integration/pipeline-helpers.js';

describe('position drift in the restart window', () => {
  let stack: Stack;
  let states: TradingStateStore;
  // the window opened five minutes ago and lasts an hour: open for the whole test, whenever it runs
  const now = new Date(Date.now() - 5 * 60_000);
  const hhmm = `${String(now.getUTCHours()).padStart(2, '0')}:${String(now.getUTCMinutes()).padStart(2, '0')}`;

  beforeAll(async () => {
    stack = await startStack({
      redisUrl: REDIS,
      config: { execution: { reconcileIntervalMs: 200, inflightCheckMs: 200 }, ib: { restartWindow: { time: hhmm, timeZone: 'UTC', minutes: 60 } } },
      daemon: { ops: { checkMs: 50, heartbeatMs: 200 } },
    });
    states = new TradingStateStore(stack.daemon!.infra.redis, stack.daemon!.infra.keys, stack.secrets.controlKey);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps the account ACTIVE after a hand trade while the window is open', async () => {
    expect(windowPosition(Date.now(), stack.config.ib.restartWindow).inWindow).toBe(true);
    // the ledger baseline is taken in the first quiet pass
    await waitFor(async () => (stack.daemon!.reconciler.completedPasses >= 2 ? true : undefined), 'two reconciliation passes');
    const other = new IbBroker({ host: '127.0.0.1', port: stack.sim.port, clientId: 98, reconnect: false });
    await other.connect();
    const leg: OrderLeg = {
      leg: 'entry', orderRef: 'manual-w1', signalId: 'manual', account: 'DU1000003',
      instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
      side: 'BUY', quantity: 7, type: 'MKT', tif: 'DAY', outsideRth: false,
    };
    await other.placeOrders([leg]);
    await waitFor(async () => {
      const s = await stack.admin<{ executions: { orderRef: string }[] }>('/state');
      return s.executions.some((e) => e.orderRef === 'manual-w1') ? true : undefined;
    }, 'the manual order to fill');
    await other.disconnect();
    const start = stack.daemon!.reconciler.completedPasses;
    await waitFor(async () => (stack.daemon!.reconciler.completedPasses >= start + 5 ? true : undefined), 'five more reconciliation passes');
    expect(windowPosition(Date.now(), stack.config.ib.restartWindow).inWindow).toBe(true);
    expect(await states.getAccount('DU1000003')).toBe('ACTIVE');
  });
});
