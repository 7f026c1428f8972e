/**
 * End to end (real Redis, BullMQ, the daemon and the simulator over TCP): an IRA BUY bracket on a symbol
 * the IRA does not hold is placed with all three legs accepted by the simulator — the take-profit and
 * stop-loss only close what the entry opens, and count once as one OCA group — while a plain IRA SELL
 * beyond the position, sent straight to the simulator, is still refused with error 201.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { connectClient, type TestClient } from '../sim/helpers.js';
import { IRA, REDIS, orderEvents, reader, resultFor, run, sig, simOrdersFor, waitFor } from './pipeline-helpers.js';

describe('IRA bracket on a symbol not yet held', () => {
  let stack: Stack;
  let redis: Redis;
  let direct: TestClient | undefined;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS });
    redis = reader();
  });
  afterAll(async () => {
    direct?.disconnect();
    redis?.disconnect();
    await stack?.stop();
  });

  it('BUY 10 MSFT with take-profit and stop-loss is PLACED, all three legs accepted, and the children go live once the entry fills', async () => {
    expect((await simOrdersFor(stack, IRA)).length).toBe(0);
    const outcome = await run(stack, sig('ira-bracket-1', {
      instrument: { symbol: 'MSFT' }, accounts: [IRA], size: { quantity: 10 },
      order: { type: 'LMT', limitPrice: 400, tif: 'GTC' }, bracket: { takeProfit: 440, stopLoss: 380 },
    }));
    expect(resultFor(outcome, IRA).decision).toBe('PLACED');
    const refs = (['entry', 'takeProfit', 'stopLoss'] as const).map((leg) => orderRefFor('ira-bracket-1', IRA, leg));
    const legs = await waitFor(async () => {
      const o = (await simOrdersFor(stack, IRA)).filter((x) => refs.includes(x.orderRef));
      return o.length === 3 ? o : undefined;
    }, 'three IRA legs in the simulator');
    const entry = legs.find((o) => o.orderRef === refs[0])!;
    expect(entry).toMatchObject({ action: 'BUY', totalQuantity: 10, status: 'Submitted' });
    for (const child of legs.filter((o) => o !== entry)) expect(child).toMatchObject({ action: 'SELL', totalQuantity: 10, parentId: entry.orderId, status: 'PreSubmitted' });
    for (const ref of refs) {
      const events = (await orderEvents(redis, stack, ref)).map((e) => e.fields.event);
      expect(events, ref).not.toContain('REJECTED');
    }
    // the entry fills: both children work, one OCA group against the 10 shares bought
    await stack.admin('/price', { symbol: 'MSFT', price: 399 });
    await waitFor(async () => {
      const o = (await simOrdersFor(stack, IRA)).filter((x) => refs.includes(x.orderRef));
      return o.find((x) => x.orderRef === refs[0])?.status === 'Filled' && o.filter((x) => x.status === 'Submitted').length === 2;
    }, 'the entry Filled and both children Submitted');
    for (const ref of refs.slice(1)) await waitFor(async () => (await orderEvents(redis, stack, ref)).some((e) => e.fields.event === 'ACCEPTED'), `${ref} ACCEPTED`);
  });

  it('a plain IRA SELL beyond the position, sent straight to the simulator, is refused with error 201', async () => {
    direct = await connectClient(stack.sim.port, 77);
    const id = direct.nextValidId!;
    direct.ib.placeOrder(id, { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' } as never,
      { action: 'SELL', totalQuantity: 101, orderType: 'MKT', account: IRA, transmit: true } as never);
    const [err] = await direct.until('error', (a) => a[2] === id && a[1] === 201, 'error 201');
    expect(String(err.message)).toMatch(/SHORT SALES ARE NOT PERMITTED IN AN IRA/);
    expect((await simOrdersFor(stack, IRA)).some((o) => o.symbol === 'AAPL')).toBe(false);
  });
});
