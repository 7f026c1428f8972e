/**
 * Option queries of the adapter and the CLI over TCP against the simulator (issue 12): chain params,
 * a chain snapshot with greeks, one option's greeks, option positions with their contract fields, and
 * the `chain`, `quote` (option) and `positions` (greeks, delta exposure) commands.
 */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config.js';
import type { Config } from '../../src/config.js';
import { registerQueryCommands } from '../../src/cli/commands/queries.js';
import { CliError } from '../../src/cli/output.js';
import { Decimal } from '../../src/domain/types.js';
import type { Instrument } from '../../src/domain/types.js';
import type { IbBroker } from '../../src/ib/ib-broker.js';
import { OPTIONS_FIXTURE, EXP } from '../sim/options-fixture.js';
import { freshClientId, makeBroker, startSim } from './support/sim.js';
import type { Sim } from './support/sim.js';

const AAPL: Instrument = { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' };
const CALL_200: Instrument = { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: EXP,
  strike: new Decimal(200), right: 'C', multiplier: '100' };

let sim: Sim;
let broker: IbBroker;
let config: Config;

beforeAll(async () => {
  sim = await startSim(12, { fixture: OPTIONS_FIXTURE });
  broker = makeBroker(sim.port, { clientId: freshClientId() });
  await broker.connect();
  const res = parseConfig(DEFAULT_CONFIG_INPUT, { IB_PORT: String(sim.port), IB_CLIENT_ID: String(freshClientId()) });
  if (!res.ok) throw new Error(res.errors.join('; '));
  config = res.config;
});

afterAll(async () => {
  await broker?.disconnect();
  await sim?.close();
});

async function cli(args: string[]): Promise<string> {
  let out = '';
  const program = new Command('ibkr-exec').option('--json').option('--verbose').exitOverride();
  registerQueryCommands(program, { loadConfig: () => config, out: (t) => (out += t) });
  await program.parseAsync(['node', 'ibkr-exec', ...args]);
  return out;
}

describe('adapter option queries', () => {
  it('optionChainParams: expirations and strikes of the underlying on SMART', async () => {
    const params = await broker.optionChainParams(AAPL);
    const smart = params.find((p) => p.exchange === 'SMART')!;
    expect(smart).toMatchObject({ underlyingConId: 265598, tradingClass: 'AAPL', multiplier: '100', expirations: [EXP, '20280121'] });
    expect(smart.strikes.map(String)).toEqual(['180', '190', '200', '210', '220']);
  });

  it('optionChain: the strikes nearest the money with quotes, greeks and conIds', async () => {
    const snap = await broker.optionChain(AAPL, { expiry: EXP, strikes: 3 });
    expect(snap.underlyingPrice?.toNumber()).toBe(190);
    expect(snap.rows.map((r) => `${r.instrument.strike?.toString()}${r.instrument.right}`)).toEqual(['180C', '180P', '190C', '190P', '200C', '200P']);
    for (const r of snap.rows) {
      expect(r.instrument.conId).toBeGreaterThan(0);
      expect(r.bid!.lt(r.ask!)).toBe(true);
      const d = r.greeks!.delta!.toNumber();
      if (r.instrument.right === 'C') expect(d).toBeGreaterThan(0);
      else expect(d).toBeLessThan(0);
      expect(r.greeks!.source).toBe('model');
    }
    const calls = await broker.optionChain(AAPL, { right: 'P', strikes: 2 });
    expect(calls.rows.every((r) => r.instrument.right === 'P' && r.instrument.lastTradeDateOrContractMonth === EXP)).toBe(true);
    await expect(broker.optionChain(AAPL, { expiry: '20300101' })).rejects.toThrow(/no expiration 20300101/);
  });

  it('contract details of an option or future that names several contracts fail as ambiguous (200)', async () => {
    await expect(broker.contractDetails({ symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: EXP, right: 'C' }))
      .rejects.toMatchObject({ code: 200, message: expect.stringMatching(/ambiguous: 5 contracts match/) });
    await expect(broker.contractDetails({ symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD' })).rejects.toMatchObject({ code: 200 });
    expect((await broker.contractDetails(CALL_200)).conId).toBeGreaterThan(0);
  });

  it('optionGreeks and quote of one option; positions carry the option fields', async () => {
    const g = await broker.optionGreeks(CALL_200);
    expect(g?.impliedVol?.toNumber()).toBeCloseTo(0.3, 6);
    expect(g?.undPrice?.toNumber()).toBe(190);
    const q = await broker.quote(CALL_200);
    expect(q.bid?.gt(0)).toBe(true);
    const pos = (await broker.positions()).find((p) => p.account === 'DU1000001' && p.secType === 'OPT');
    expect(pos).toMatchObject({ symbol: 'AAPL', quantity: -1, lastTradeDateOrContractMonth: EXP, right: 'C', multiplier: '100' });
    expect(pos?.strike?.toNumber()).toBe(200);
  });
});

describe('CLI', () => {
  it('chain: a table with greeks; --json the snapshot; bad options are usage errors', async () => {
    const table = await cli(['chain', 'AAPL', '--expiry', EXP, '--strikes', '2', '--right', 'C']);
    expect(table).toMatch(/AAPL 190 \(conId 265598, class AAPL, ×100\)/);
    expect(table).toMatch(/iv %.*delta.*gamma.*vega.*theta/);
    expect(table.trim().split('\n')).toHaveLength(2 + 2 + 1); // header line, table header + rule, 2 rows
    const json = JSON.parse(await cli(['--json', 'chain', 'AAPL', '--expiry', EXP, '--strikes', '1'])) as { rows: { instrument: { strike: string; right: string }; greeks: { delta: string } }[] };
    expect(json.rows.map((r) => `${r.instrument.strike}${r.instrument.right}`)).toEqual(['190C', '190P']);
    expect(Number(json.rows[0]!.greeks.delta)).toBeGreaterThan(0.5);
    const bad = await cli(['chain', 'AAPL', '--right', 'X']).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(CliError);
    expect((bad as CliError).exitCode).toBe(2);
  });

  it('quote of an option shows its greeks', async () => {
    const out = JSON.parse(await cli(['--json', 'quote', `AAPL ${EXP} 200 C`])) as { greeks: { delta: string; impliedVol: string } };
    expect(Number(out.greeks.delta)).toBeGreaterThan(0.3);
    expect(Number(out.greeks.delta)).toBeLessThan(0.7);
    const table = await cli(['quote', 'AAPL', '--expiry', EXP, '--strike', '200', '--right', 'C']);
    expect(table).toMatch(/delta/);
  });

  it('positions: options with greeks and the delta exposure per account and in total', async () => {
    const table = await cli(['positions']);
    expect(table).toMatch(/delta exposure per underlying/);
    const exposure = JSON.parse(await cli(['--json', 'positions', '--exposure'])) as { account: string; underlying: string; shares: number; optionDelta: string; total: string }[];
    const ira = exposure.find((r) => r.account === 'DU1000001' && r.underlying === 'AAPL')!;
    const delta = (await broker.optionGreeks(CALL_200))!.delta!.toNumber();
    expect(ira.shares).toBe(200);
    expect(Number(ira.optionDelta)).toBeCloseTo(-delta * 100, 2);
    expect(Number(ira.total)).toBeCloseTo(200 - delta * 100, 2);
    expect(exposure.find((r) => r.account === 'TOTAL' && r.underlying === 'AAPL')).toBeDefined();
    const rows = JSON.parse(await cli(['--json', 'positions'])) as { secType: string; greeks?: { delta: string } }[];
    expect(rows.find((r) => r.secType === 'OPT')?.greeks?.delta).toBeDefined();
  });
});
