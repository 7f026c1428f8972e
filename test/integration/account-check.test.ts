import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { readStream } from '../../src/infra/streams.js';
import { REDIS } from './pipeline-helpers.js';

describe('start-up check of the declared household', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: REDIS,
      config: {
        accounts: [
          { id: 'DU1000001', type: 'ROTH_IRA' },
          { id: 'DU1000002', type: 'TRADITIONAL_IRA' },
          { id: 'DU7777777', type: 'BUSINESS' },
        ],
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('audits a type that contradicts IB, a declared account that is not linked, and linked ones not declared', async () => {
    const { redis, keys } = stack.daemon!.infra;
    const check = (await readStream(redis, keys.audit)).find((e) => e.fields.type === 'accounts.check');
    expect(check).toBeDefined();
    const data = JSON.parse(check!.fields.data ?? '{}') as { problems: string[]; undeclared: string[] };
    expect(data.problems).toHaveLength(2);
    expect(data.problems[0]).toMatch(/DU1000002 is declared TRADITIONAL_IRA but IB reports AccountType INDIVIDUAL/);
    expect(data.problems[1]).toMatch(/DU7777777 is declared but not linked/);
    expect(data.undeclared).toEqual(['DU1000003']);
  });
});
