import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';

const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('daemon end to end (smoke)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('places one market order per account for a BUY to ALL', async () => {
    const job = await stack.send({ id: 'smoke-1', createdAt: new Date().toISOString(), instrument: { symbol: 'AAPL' }, side: 'BUY', size: { quantity: 10 } });
    const outcome = await stack.outcome(job);
    console.log(JSON.stringify(outcome, null, 1));
    expect(outcome.results.map((r) => [r.account, r.decision, r.quantity])).toEqual([
      ['DU1000001', 'PLACED', 10],
      ['DU1000002', 'PLACED', 10],
      ['DU1000003', 'PLACED', 10],
    ]);
  });
});
