/** The query CLI commands in-process against the simulator (real commander program, real socket). */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config.js';
import type { Config } from '../../src/config.js';
import { registerQueryCommands } from '../../src/cli/commands/queries.js';
import { CliError } from '../../src/cli/output.js';
import { HOUSEHOLD, simState, startSim } from './support/sim.js';
import type { Sim } from './support/sim.js';

let sim: Sim;
let config: Config;

beforeAll(async () => {
  sim = await startSim(61, { fixture: HOUSEHOLD });
  const res = parseConfig(DEFAULT_CONFIG_INPUT, { IB_PORT: String(sim.port), IB_CLIENT_ID: '880' });
  if (!res.ok) throw new Error(res.errors.join('; '));
  config = res.config;
});

afterAll(async () => {
  await sim?.close();
});

async function cli(args: string[], cfg: Config = config): Promise<string> {
  let out = '';
  const program = new Command('ibkr-exec').option('--json').option('--verbose').exitOverride();
  registerQueryCommands(program, { loadConfig: () => cfg, out: (t) => (out += t) });
  await program.parseAsync(['node', 'ibkr-exec', ...args]);
  return out;
}

describe('query CLI', () => {
  it('positions --json lists every position of all three accounts', async () => {
    const rows = JSON.parse(await cli(['--json', 'positions'])) as { account: string; symbol: string; quantity: number }[];
    const state = await simState(sim);
    const expected = state.positions.filter((p) => p.quantity !== 0).map((p) => `${p.account}:${p.symbol}:${p.quantity}`).sort();
    expect(rows.map((r) => `${r.account}:${r.symbol}:${r.quantity}`).sort()).toEqual(expected);
    expect(new Set(rows.map((r) => r.account))).toEqual(new Set(['DU1000001', 'DU1000002', 'DU1000003']));
    expect(rows).toHaveLength(5);
  });

  it('summary shows net liquidation, cash and buying power per account', async () => {
    const text = await cli(['summary']);
    for (const id of ['DU1000001', 'DU1000002', 'DU1000003']) expect(text).toMatch(new RegExp(`^${id}\\b.*`, 'm'));
    expect(text).toMatch(/net liquidation/);
    expect(text).toMatch(/buying power/);
    const json = JSON.parse(await cli(['--json', 'summary'])) as { account: string; netLiquidation: string; totalCashValue: string; buyingPower: string }[];
    expect(json.map((r) => r.account).sort()).toEqual(['DU1000001', 'DU1000002', 'DU1000003']);
    for (const r of json) {
      expect(Number(r.netLiquidation)).toBeGreaterThan(0);
      expect(Number(r.totalCashValue)).toBeGreaterThan(0);
      expect(Number(r.buyingPower)).toBeGreaterThan(0);
    }
  });

  it('accounts marks an undeclared linked account', async () => {
    const res = parseConfig({ ...DEFAULT_CONFIG_INPUT, accounts: DEFAULT_CONFIG_INPUT.accounts.slice(0, 2) }, { IB_PORT: String(sim.port) });
    if (!res.ok) throw new Error(res.errors.join('; '));
    const rows = JSON.parse(await cli(['--json', 'accounts'], res.config)) as { account: string; status: string }[];
    expect(rows.find((r) => r.account === 'DU1000003')?.status).toBe('undeclared');
    expect(rows.find((r) => r.account === 'DU1000001')?.status).toBe('declared');
  });

  it('uses config clientId + 1, never the daemon id', async () => {
    await cli(['accounts']);
    const st = await simState(sim);
    const ids = new Set((st.stats?.connections ?? []).map((c) => c.clientId));
    expect(ids.has(881)).toBe(true);
    expect(ids.has(880)).toBe(false);
  });

  it('quote, history, orders and fills run', async () => {
    expect(await cli(['quote', 'AAPL'])).toMatch(/AAPL/);
    const bars = JSON.parse(await cli(['--json', 'history', 'AAPL', '--bar', '1d', '--duration', '1M'])) as unknown[];
    expect(bars.length).toBeGreaterThan(5);
    expect(await cli(['orders'])).toMatch(/orderId/);
    expect(await cli(['fills'])).toMatch(/execId/);
  });

  it('fails with one clear sentence when TWS is unreachable', async () => {
    const res = parseConfig(DEFAULT_CONFIG_INPUT, { IB_PORT: '1' });
    if (!res.ok) throw new Error(res.errors.join('; '));
    const err = await cli(['positions'], res.config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toBe(
      'cannot reach TWS / IB Gateway at 127.0.0.1:1: connection refused — is it running, is the API enabled, is the port right (TWS 7497 paper / 7496 live, Gateway 4002/4001)?');
  });
});
