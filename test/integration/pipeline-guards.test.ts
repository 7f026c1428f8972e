/**
 * End to end: the guards that keep orders from leaving the process at all — `readOnly: true`, paper mode
 * meeting a non-DU (live-looking) account, and live mode without IBKR_EXEC_LIVE_ACCOUNTS. Each needs its
 * own daemon configuration, so each has its own stack.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { DEFAULT_FIXTURE, type Fixture } from '../../src/sim/index.js';
import { DEFAULT_CONFIG_INPUT } from '../../src/config.js';
import { BUSINESS, IRA, PERSONAL, REDIS, codes, resultFor, run, sig, simState } from './pipeline-helpers.js';

describe('pipeline: read-only, paper and live guards', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('readOnly: true answers DENIED READ_ONLY for every account and sends nothing', async () => {
    stack = await startStack({ redisUrl: REDIS, config: { readOnly: true } });
    const outcome = await run(stack, sig('ro-1'));
    expect(outcome.results.map((r) => [r.account, r.decision, codes(r)])).toEqual([
      [IRA, 'DENIED', ['READ_ONLY']],
      [PERSONAL, 'DENIED', ['READ_ONLY']],
      [BUSINESS, 'DENIED', ['READ_ONLY']],
    ]);
    expect((await simState(stack)).orders).toEqual([]);
  });

  it('paper mode refuses an account whose id does not start with DU (READ_ONLY) and still trades the DU account', async () => {
    const LIVE_LOOKING = 'U2000001';
    const fixture: Fixture = {
      ...DEFAULT_FIXTURE,
      accounts: [
        { id: LIVE_LOOKING, accountType: 'INDIVIDUAL', baseCurrency: 'USD', cash: { USD: 100_000 } },
        { id: PERSONAL, accountType: 'INDIVIDUAL', baseCurrency: 'USD', cash: { USD: 100_000 } },
      ],
    };
    const accounts = [
      { id: LIVE_LOOKING, type: 'PERSONAL', label: 'live by mistake' },
      { id: PERSONAL, type: 'PERSONAL', label: 'Personal' },
    ];
    stack = await startStack({ redisUrl: REDIS, fixture, config: { accounts } });
    const outcome = await run(stack, sig('paper-1'));
    const live = resultFor(outcome, LIVE_LOOKING);
    expect(live.decision).toBe('DENIED');
    expect(codes(live)).toEqual(['READ_ONLY']);
    expect(live.reasons[0]?.message).toMatch(/paper/);
    expect(resultFor(outcome, PERSONAL)).toMatchObject({ decision: 'PLACED', quantity: 10 });
    const orders = (await simState(stack)).orders;
    expect(orders.map((o) => o.account)).toEqual([PERSONAL]);
  });

  it('live mode without IBKR_EXEC_LIVE_ACCOUNTS starts read-only: READ_ONLY everywhere, nothing sent', async () => {
    // the test Redis keeps nothing on disk: live mode accepts it only with redis.allowVolatile (state-loss.test.ts)
    stack = await startStack({ redisUrl: REDIS, config: { mode: 'live', redis: { allowVolatile: true } }, env: {} });
    const outcome = await run(stack, sig('live-1'));
    expect(outcome.results).toHaveLength(DEFAULT_CONFIG_INPUT.accounts.length);
    for (const r of outcome.results) {
      expect(r.decision).toBe('DENIED');
      expect(codes(r)).toEqual(['READ_ONLY']);
    }
    expect((await simState(stack)).orders).toEqual([]);
  });

  it('live mode trades exactly the accounts IBKR_EXEC_LIVE_ACCOUNTS lists', async () => {
    stack = await startStack({ redisUrl: REDIS, config: { mode: 'live', redis: { allowVolatile: true } }, env: { IBKR_EXEC_LIVE_ACCOUNTS: PERSONAL } });
    const outcome = await run(stack, sig('live-2'));
    expect(outcome.results.map((r) => [r.account, r.decision, codes(r)])).toEqual([
      [IRA, 'DENIED', ['READ_ONLY']],
      [PERSONAL, 'PLACED', []],
      [BUSINESS, 'DENIED', ['READ_ONLY']],
    ]);
    expect((await simState(stack)).orders.map((o) => o.account)).toEqual([PERSONAL]);
  });

  it('a declared type that contradicts IB is ACCOUNT_TYPE_MISMATCH; a declared account IB does not link is UNKNOWN_ACCOUNT', async () => {
    const accounts = [
      { id: IRA, type: 'PERSONAL', label: 'an IRA declared personal' },
      { id: PERSONAL, type: 'PERSONAL' },
      { id: 'DU1000009', type: 'BUSINESS', label: 'not linked' },
    ];
    stack = await startStack({ redisUrl: REDIS, config: { accounts } });
    const outcome = await run(stack, sig('types-1'));
    expect(outcome.results.map((r) => [r.account, r.decision, codes(r)])).toEqual([
      [IRA, 'DENIED', ['ACCOUNT_TYPE_MISMATCH']],
      [PERSONAL, 'PLACED', []],
      ['DU1000009', 'DENIED', ['UNKNOWN_ACCOUNT']],
    ]);
    expect(resultFor(outcome, IRA).reasons[0]?.message).toMatch(/IRA/);
    expect((await simState(stack)).orders.map((o) => o.account)).toEqual([PERSONAL]);
  });
});
