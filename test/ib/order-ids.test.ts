import { describe, expect, it } from 'vitest';
import { InMemoryOrderIdStore, OrderIdAllocator, fromSingleReserve } from '../../src/ib/order-ids.js';
import type { RollbackInfo } from '../../src/ib/order-ids.js';

describe('OrderIdAllocator', () => {
  it('allocates strictly increasing ids from nextValidId', async () => {
    const a = new OrderIdAllocator(new InMemoryOrderIdStore());
    await expect(a.allocate()).rejects.toThrow(/nextValidId/);
    a.onNextValidId(100);
    expect(await a.allocate(3)).toBe(100);
    expect(await a.allocate(1)).toBe(103);
  });

  it('never goes backwards after our restart (store) or a gateway rollback, and reports the rollback', async () => {
    const store = new InMemoryOrderIdStore();
    const first = new OrderIdAllocator(store);
    first.onNextValidId(1000);
    await first.allocate(5); // 1000..1004 used
    const rollbacks: RollbackInfo[] = [];
    const second = new OrderIdAllocator(store, (r) => rollbacks.push(r)); // our restart
    second.onNextValidId(990); // gateway rolled back
    expect(await second.allocate(1)).toBe(1005);
    expect(rollbacks).toHaveLength(1);
    second.onNextValidId(1001); // reconnect: gateway still behind us
    expect(rollbacks).toHaveLength(2);
    expect(await second.allocate(1)).toBe(1006);
  });

  it('jumps above ids seen in open orders', async () => {
    const a = new OrderIdAllocator(new InMemoryOrderIdStore());
    a.onNextValidId(10);
    a.observeUsedId(50);
    expect(await a.allocate()).toBe(51);
  });

  it('adapts a single-id store', async () => {
    let highest = 7;
    const single = { reserve: (min: number) => Promise.resolve((highest = Math.max(min, highest + 1))) };
    const s = fromSingleReserve(single);
    expect(await s.reserve(1, 3)).toBe(8);
    expect(highest).toBe(10);
  });
});
