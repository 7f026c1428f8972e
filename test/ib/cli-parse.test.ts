import { describe, expect, it } from 'vitest';
import { connectionErrorMessage, instrumentFromArgs, parseBarSize, parseDuration } from '../../src/cli/commands/queries.js';

describe('query CLI argument parsing', () => {
  it('maps bar sizes and durations to IB spelling', () => {
    expect(parseBarSize('1d')).toBe('1 day');
    expect(parseBarSize('5m')).toBe('5 mins');
    expect(parseBarSize('1h')).toBe('1 hour');
    expect(parseBarSize('1 day')).toBe('1 day');
    expect(() => parseBarSize('1x')).toThrow(/--bar/);
    expect(parseDuration('1M')).toBe('1 M');
    expect(parseDuration('5d')).toBe('5 D');
    expect(() => parseDuration('M')).toThrow(/--duration/);
  });
  it('builds instruments, EUR.USD as CASH', () => {
    expect(instrumentFromArgs('AAPL', {})).toEqual({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' });
    expect(instrumentFromArgs('EUR.USD', {})).toEqual({ symbol: 'EUR', secType: 'CASH', exchange: 'IDEALPRO', currency: 'USD' });
    expect(() => instrumentFromArgs('X', { secType: 'BOND' })).toThrow(/sec-type/);
  });
  it('explains connection failures in one sentence', () => {
    const m = connectionErrorMessage('127.0.0.1', 7497, 18, new Error('cannot connect to IB at 127.0.0.1:7497: connect ECONNREFUSED 127.0.0.1:7497'));
    expect(m).toBe('cannot reach TWS / IB Gateway at 127.0.0.1:7497: connection refused — is it running, is the API enabled, is the port right (TWS 7497 paper / 7496 live, Gateway 4002/4001)?');
    expect(connectionErrorMessage('h', 1, 18, new Error('client id already in use'))).toMatch(/client id 18/);
    expect(m).not.toMatch(/\n/);
  });
});
