/**
 * End to end with a wire spy between the daemon and the simulator: read-only mode and a HALTED account
 * send nothing at all to the broker for an order (not even a what-if margin probe for a future); signals
 * with a NUL in a string field are dead-lettered and never reach the wire; a reused signal id with a new
 * account evaluates the new account; a `{types}` target matching no declared account gets a clear result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { startDaemon, type DaemonHandle } from '../../src/app/daemon.js';
import { createLogger } from '../../src/app/logger.js';
import { readStream } from '../../src/infra/streams.js';
import { Decimal } from '../../src/domain/types.js';
import { BUSINESS, IRA, PERSONAL, REDIS, codes, reader, resultFor, run, sig } from './pipeline-helpers.js';
import { MSG, startWireSpy, type WireSpy } from './wire-spy.js';

const ES = { symbol: 'ES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202612' };

describe('pipeline on the wire', () => {
  let stack: Stack;
  let spy: WireSpy;
  let daemon: DaemonHandle | undefined;
  const start = async (over: Record<string, unknown> = {}) => {
    daemon = await startDaemon({ config: { ...stack.config, ...over, ib: { ...stack.config.ib, port: spy.port } }, env: {}, logger: createLogger({ silent: true }) });
  };
  const stop = async () => {
    await daemon?.stop();
    daemon = undefined;
  };

  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, noDaemon: true, config: { limits: { maxOrderQuantity: 1000, maxOrderNotional: 100_000, priceCollarPercent: 5, maxOrderNotionalBySecType: { FUT: 10_000_000 } } } });
    spy = await startWireSpy(stack.sim.port);
  });
  afterAll(async () => {
    await stop();
    await spy?.close();
    await stack?.stop();
  });

  it('a HALTED account: a futures signal for it sends nothing to the broker (no what-if)', async () => {
    await start();
    try {
      await daemon!.infra.tradingState.setAccount(IRA, 'HALTED');
      const before = spy.sent(MSG.PLACE_ORDER).length;
      const outcome = await run(stack, sig('wire-halted-es', { instrument: ES, accounts: [IRA], size: { quantity: 1 } }));
      expect(codes(resultFor(outcome, IRA))).toEqual(['HALTED']);
      expect(spy.sent(MSG.PLACE_ORDER).slice(before)).toEqual([]);
      await daemon!.infra.tradingState.setAccount(IRA, 'ACTIVE');
    } finally {
      await stop();
    }
  });

  it('read-only: a futures signal is DENIED READ_ONLY everywhere and no placeOrder (not even whatIf) leaves the process', async () => {
    await start({ readOnly: true });
    try {
      const before = spy.sent(MSG.PLACE_ORDER).length;
      const outcome = await run(stack, sig('wire-ro-es', { instrument: ES, size: { quantity: 1 } }));
      expect(outcome.results.map((r) => [r.account, r.decision, codes(r)])).toEqual([
        [IRA, 'DENIED', ['READ_ONLY']],
        [PERSONAL, 'DENIED', ['READ_ONLY']],
        [BUSINESS, 'DENIED', ['READ_ONLY']],
      ]);
      expect(spy.sent(MSG.PLACE_ORDER).slice(before)).toEqual([]);
    } finally {
      await stop();
    }
  });

  it('a NUL in any broker-bound string field: dead-lettered as INVALID_SIGNAL, nothing on the wire', async () => {
    await start();
    try {
      const payloads = [
        { instrument: { symbol: 'AAPL\u0000STK' } },
        { instrument: { symbol: 'AAPL', exchange: 'SMART\u0000' } },
        { instrument: { symbol: 'AAPL', primaryExchange: 'NASDAQ\u0000' } },
        { order: { type: 'MKT', algo: { strategy: 'Adaptive\u0000' } } },
        { order: { type: 'MKT', algo: { strategy: 'Adaptive', params: { adaptivePriority: 'Normal\u0000' } } } },
      ];
      const seen = spy.frames.length;
      for (const [n, p] of payloads.entries()) {
        const job = await stack.send(sig(`wire-nul-${n}`, p));
        await expect(stack.outcome(job)).rejects.toThrow(/INVALID_SIGNAL/);
      }
      const redis = reader();
      try {
        const dead = await readStream(redis, `${stack.config.redis.prefix}:dead-letter`);
        expect(dead.filter((e) => String(e.fields.jobId).includes('wire-nul-'))).toHaveLength(payloads.length);
      } finally {
        redis.disconnect();
      }
      const requests = spy.frames.slice(seen).filter((f) => f[0] === MSG.PLACE_ORDER || f[0] === MSG.REQ_CONTRACT_DATA || f[0] === MSG.REQ_MKT_DATA);
      expect(requests.filter((f) => f.some((x) => x.includes('AAPL')))).toEqual([]);
    } finally {
      await stop();
    }
  });

  it('a reused signal id with another account evaluates the new account (the earlier one is DUPLICATE)', async () => {
    await start();
    try {
      const a = await run(stack, sig('wire-reuse', { accounts: [PERSONAL], instrument: { symbol: 'SPY' }, size: { quantity: 1 } }), 'job-reuse-a');
      expect(resultFor(a, PERSONAL).decision).toBe('PLACED');
      const b = await run(stack, sig('wire-reuse', { accounts: [PERSONAL, BUSINESS], instrument: { symbol: 'SPY' }, size: { quantity: 1 } }), 'job-reuse-b');
      expect(b.results.map((r) => [r.account, r.decision])).toEqual([
        [PERSONAL, 'DUPLICATE'],
        [BUSINESS, 'PLACED'],
      ]);
      const c = await run(stack, sig('wire-reuse', { accounts: [BUSINESS], instrument: { symbol: 'SPY' }, size: { quantity: 1 } }), 'job-reuse-c');
      expect(c.results.map((r) => [r.account, r.decision])).toEqual([[BUSINESS, 'DUPLICATE']]);
    } finally {
      await stop();
    }
  });

  it('limits.maxDailyNotional: entry orders placed today count, a denied one does not', async () => {
    await start({ limits: { ...stack.config.limits, maxDailyNotional: new Decimal(50_000) } });
    try {
      const buy = (id: string, quantity: number) => run(stack, sig(id, { accounts: [BUSINESS], size: { quantity } }));
      expect(resultFor(await buy('wire-daily-1', 100), BUSINESS).decision).toBe('PLACED');
      const over = resultFor(await buy('wire-daily-2', 200), BUSINESS);
      expect(codes(over)).toEqual(['MAX_DAILY_NOTIONAL']);
      expect(over.reasons[0]!.message).toMatch(/already placed today in DU1000003 that is above limits.maxDailyNotional of 50,000.00 USD/);
      expect(resultFor(await buy('wire-daily-3', 100), BUSINESS).decision).toBe('PLACED');
      expect(codes(resultFor(await buy('wire-daily-4', 100), BUSINESS))).toEqual(['MAX_DAILY_NOTIONAL']);
    } finally {
      await stop();
    }
  });

  it('{types: [...]} matching no declared account: one DENIED UNKNOWN_ACCOUNT result that says so', async () => {
    await start();
    try {
      const outcome = await run(stack, sig('wire-no-target', { accounts: { types: ['TRADITIONAL_IRA'] } }));
      expect(outcome.results).toHaveLength(1);
      expect(outcome.results[0]).toMatchObject({ decision: 'DENIED', quantity: 0, account: 'types:TRADITIONAL_IRA' });
      expect(outcome.results[0]!.reasons[0]!.message).toMatch(/matches no account declared in the config/);
    } finally {
      await stop();
    }
  });
});
