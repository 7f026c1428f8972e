/**
 * Fixture validation (zod, unknown fields rejected, errors name the field), the default household,
 * a custom fixture served over TCP, and the `ibkr-exec sim` command's refusal of a bad fixture (exit 2).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerSimCommand } from '../../src/cli/commands/sim.js';
import { CliError } from '../../src/cli/output.js';
import { DEFAULT_FIXTURE, FixtureError, loadFixture, parseFixture } from '../../src/sim/index.js';
import { connectClient, installDecodeGuard, startTestSim } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-fixture-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
installDecodeGuard();

function issues(value: unknown): string[] {
  try {
    parseFixture(value);
  } catch (e) {
    if (e instanceof FixtureError) return [...e.issues];
    throw e;
  }
  return [];
}

describe('fixture validation', () => {
  it('accepts the CONTRACT §7 example and an empty object', () => {
    const example = {
      nextOrderId: 1,
      accounts: [
        { id: 'DU1000001', accountType: 'IRA', baseCurrency: 'USD', cash: { USD: 50000 }, positions: [{ symbol: 'AAPL', quantity: 100, avgCost: 150 }] },
        { id: 'DU1000002', accountType: 'INDIVIDUAL', cash: { USD: 100000 }, positions: [{ symbol: 'MSFT', quantity: 50, avgCost: 300 }] },
        { id: 'DU1000003', accountType: 'CORPORATION', cash: { USD: 250000 }, positions: [] },
      ],
      instruments: [
        { conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', primaryExchange: 'NASDAQ', currency: 'USD', price: 190, stockType: 'COMMON', longName: 'APPLE INC', shortableShares: 50000000 },
        { symbol: 'ET', secType: 'STK', currency: 'USD', price: 17.5, stockType: 'MLP', longName: 'ENERGY TRANSFER LP' },
        { symbol: 'SAP', secType: 'STK', primaryExchange: 'IBIS', currency: 'EUR', price: 210 },
        { symbol: 'ES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202612', multiplier: '50', currency: 'USD', price: 6000, initialMargin: 16000 },
      ],
    };
    expect(issues(example)).toEqual([]);
    expect(issues({})).toEqual([]);
    expect(issues(DEFAULT_FIXTURE)).toEqual([]);
  });

  it('names each bad field', () => {
    expect(issues({ accounts: [{ id: 'DU1', cash: { USD: 'lots' } }] })).toEqual([expect.stringMatching(/^accounts\[0\]\.cash\.USD: /)]);
    expect(issues({ accounts: [{ id: 'DU1', colour: 'red' }] })).toEqual(['accounts[0].colour: unknown field']);
    expect(issues({ instrumentz: [] })).toEqual(['instrumentz: unknown field']);
    expect(issues({ instruments: [{ symbol: 'X' }] })).toEqual([expect.stringMatching(/^instruments\[0\]\.price: /)]);
    expect(issues({ fillPolicy: { maxFillQuantity: 0 } })).toEqual([expect.stringMatching(/^fillPolicy\.maxFillQuantity: /)]);
    expect(issues({ accounts: [{ id: 'DU1', positions: [{ symbol: 'NOPE', quantity: 1, avgCost: 1 }] }] })).toEqual(['accounts[0].positions[0].symbol: unknown instrument NOPE']);
    expect(issues({ accounts: [{ id: 'DU1' }, { id: 'DU1' }] })).toEqual(['accounts[1].id: duplicate account id DU1']);
  });

  it('loadFixture reports unreadable and non-JSON files', () => {
    expect(() => loadFixture(join(dir, 'missing.json'))).toThrow(/cannot read file/);
    expect(() => loadFixture(file('bad.json', '{ nope'))).toThrow(/not valid JSON/);
    expect(loadFixture(file('ok.json', '{"nextOrderId": 100}')).nextOrderId).toBe(100);
  });
});

describe('fixtures served over TCP', () => {
  const sims: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const s of sims) await s.close();
  });

  it('the default household: three accounts with their cash and positions', async () => {
    const sim = await startTestSim();
    sims.push(sim);
    const c = await connectClient(sim.port, 1);
    expect(c.accounts).toBe('DU1000001,DU1000002,DU1000003');
    expect(sim.engine.instruments.all().filter((i) => i.secType !== 'OPT').map((i) => i.symbol)).toEqual(['AAPL', 'MSFT', 'SPY', 'ET', 'SAP', 'ES', 'EUR']);
    // plus the default AAPL chain: 2 expiries × 17 strikes × 2 rights
    expect(sim.engine.instruments.all().filter((i) => i.secType === 'OPT' && i.symbol === 'AAPL')).toHaveLength(68);
  });

  it('a custom fixture: accounts, EUR cash, nextOrderId, instrument merged by symbol', async () => {
    const fixture = loadFixture(file('custom.json', JSON.stringify({
      nextOrderId: 500,
      accounts: [{ id: 'DU2000001', accountType: 'IRA', cash: { USD: 1000, EUR: 2000 }, positions: [{ symbol: 'SAP', quantity: 5, avgCost: 200 }] }],
      instruments: [{ symbol: 'NEWCO', price: 12.5, conId: 999001 }],
    })));
    const sim = await startTestSim({ fixture });
    sims.push(sim);
    const c = await connectClient(sim.port, 2);
    expect([c.accounts, c.nextValidId]).toEqual(['DU2000001', 500]);
    c.ib.reqAccountSummary(1, 'All', '$LEDGER:ALL');
    await c.until('accountSummaryEnd');
    const cash = c.of('accountSummary').filter((a) => a[2] === 'CashBalance').map((a) => [a[4], a[3]]);
    expect(cash).toEqual([['USD', '1000.00'], ['EUR', '2000.00'], ['BASE', '3160.00']]); // EUR.USD 1.08
    c.ib.reqContractDetails(2, { symbol: 'NEWCO', secType: 'STK' as never, currency: 'USD', exchange: 'SMART' });
    const [, d] = await c.until('contractDetails');
    expect(d.contract.conId).toBe(999001);
  });
});

describe('ibkr-exec sim', () => {
  it('refuses a bad fixture with one message naming the field and exit code 2', async () => {
    const program = new Command('ibkr-exec').exitOverride();
    registerSimCommand(program);
    const path = file('cli-bad.json', JSON.stringify({ accounts: [{ id: 'DU1', cash: { USD: 1 }, bogus: true }] }));
    const err = await program.parseAsync(['node', 'ibkr-exec', 'sim', '--port', '0', '--fixture', path]).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toMatch(/accounts\[0\]\.bogus: unknown field/);
    expect((err as CliError).message).not.toContain('\n');
  });

  it('refuses a bad option value with exit code 2', async () => {
    const program = new Command('ibkr-exec').exitOverride();
    registerSimCommand(program);
    const err = await program.parseAsync(['node', 'ibkr-exec', 'sim', '--port', 'x']).then(() => undefined, (e: unknown) => e);
    expect((err as CliError).exitCode).toBe(2);
  });
});
