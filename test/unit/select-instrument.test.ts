/** The shell of contract selection with fake broker functions: retry vs deny, pass-through, audit. */
import { describe, expect, it } from 'vitest';
import type { Instrument, OptionChainSnapshot } from '../../src/domain/types.js';
import { BrokerError, BrokerUnavailableError } from '../../src/execution/broker-port.js';
import { resolveInstrument } from '../../src/execution/select-instrument.js';
import { aSignal, d } from './builders.js';

const NOW = Date.parse('2026-12-01T15:00:00Z');
const selecting = aSignal({ side: 'SELL', instrument: { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', right: 'C', select: { delta: d('0.3'), dte: [10, 30] } } });
const future = aSignal({ instrument: { symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD' } });
const es = (m: string, conId: number): Instrument => ({ symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD', lastTradeDateOrContractMonth: m, conId, multiplier: '50' });

function deps(over: Partial<Parameters<typeof resolveInstrument>[1]> = {}) {
  const audits: { type: string; data: unknown }[] = [];
  return { audits, deps: { now: () => NOW, audit: async (type: 'option.selection' | 'future.month', data: unknown) => { audits.push({ type, data }); }, ...over } };
}

describe('resolveInstrument', () => {
  it('passes plain signals through untouched', async () => {
    const s = aSignal();
    expect(await resolveInstrument(s, deps().deps)).toEqual({ ok: true, signal: s });
  });

  it('IB unavailable while reading the chain or the months: the error propagates (the job is retried)', async () => {
    const down = async () => { throw new BrokerUnavailableError('not connected to IB'); };
    await expect(resolveInstrument(selecting, deps({ optionChain: down }).deps)).rejects.toThrow(/not connected/);
    await expect(resolveInstrument(future, deps({ contracts: down }).deps)).rejects.toThrow(/not connected/);
  });

  it('a broker refusal denies NO_PRICE with the reason and audits it', async () => {
    const { deps: dd, audits } = deps({ optionChain: async () => { throw new BrokerError('option chain of AAPL failed: IB 200 No security definition', 'orderRejected', 200); } });
    const r = await resolveInstrument(selecting, dd);
    expect(r).toMatchObject({ ok: false, reason: { code: 'NO_PRICE', message: expect.stringMatching(/^no option contract could be selected: the AAPL option chain could not be read/) } });
    expect(audits[0]?.type).toBe('option.selection');
  });

  it('a chosen option keeps the signal exchange and currency', async () => {
    const snap: OptionChainSnapshot = {
      underlying: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' }, underlyingConId: 1, asOf: NOW, tradingClass: 'AAPL', multiplier: '100',
      expirations: ['20261218'],
      rows: [{ instrument: { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', conId: 77, lastTradeDateOrContractMonth: '20261218', strike: d(200), right: 'C', multiplier: '100' }, greeks: { delta: d('0.31') } }],
    };
    const r = await resolveInstrument(selecting, deps({ optionChain: async () => snap }).deps);
    expect(r.ok && r.signal.instrument).toMatchObject({ conId: 77, strike: d(200), right: 'C' });
    expect(r.ok && r.signal.instrument.select).toBeUndefined();
  });

  it('futures with execution.futuresMonth "deny": several months are denied as ambiguous', async () => {
    const r = await resolveInstrument(future, deps({ contracts: async () => [es('202703', 2), es('202612', 1)], futuresMonth: 'deny' }).deps);
    expect(r).toMatchObject({ ok: false, reason: { code: 'NO_PRICE', message: 'no ES futures contract could be chosen: it names 2 months (202703, 202612) and execution.futuresMonth is "deny": give instrument.lastTradeDateOrContractMonth' } });
  });

  it('futures: one listed month passes through; several → the front month, audited', async () => {
    expect(await resolveInstrument(future, deps({ contracts: async () => [es('202612', 1)] }).deps)).toEqual({ ok: true, signal: future });
    const { deps: dd, audits } = deps({ contracts: async () => [es('202703', 2), es('202612', 1)] });
    const r = await resolveInstrument(future, dd);
    expect(r.ok && r.signal.instrument).toMatchObject({ conId: 1, lastTradeDateOrContractMonth: '202612' });
    expect(audits).toEqual([{ type: 'future.month', data: { ok: true, audit: { rule: 'front month', chosen: '202612', conId: 1, considered: ['202612', '202703'] } } }]);
  });
});
