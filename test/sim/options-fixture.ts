/**
 * A household with options: an IRA holding 200 AAPL and one short AAPL 20271217 200 C, a margin
 * account, an AAPL chain (two expiries, strikes 180..220 by 10) and two ES months.
 */
import type { Fixture } from '../../src/sim/index.js';

export const EXP = '20271217';
export const OPTIONS_FIXTURE: Fixture = {
  accounts: [
    {
      id: 'DU1000001', accountType: 'IRA', cash: { USD: 50_000 },
      positions: [
        { symbol: 'AAPL', quantity: 200, avgCost: 150 },
        { symbol: 'AAPL', secType: 'OPT', lastTradeDateOrContractMonth: EXP, strike: 200, right: 'C', quantity: -1, avgCost: 12 },
      ],
    },
    { id: 'DU1000002', accountType: 'INDIVIDUAL', cash: { USD: 100_000 }, positions: [] },
  ],
  instruments: [
    { symbol: 'ES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202612', multiplier: '50', localSymbol: 'ESZ6', price: 6000, minTick: 0.25, initialMargin: 16000 },
    { symbol: 'ES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202703', multiplier: '50', localSymbol: 'ESH7', price: 6050, minTick: 0.25, initialMargin: 16000 },
  ],
  chains: [{ underlying: 'AAPL', expiries: [EXP, '20280121'], strikes: { from: 180, to: 220, step: 10 }, rights: ['C', 'P'], multiplier: '100', volatility: 0.3, rate: 0.04 }],
};
