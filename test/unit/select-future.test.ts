/** The front-month rule for futures signals without a month. */
import { describe, expect, it } from 'vitest';
import type { Instrument } from '../../src/domain/types.js';
import { frontMonth } from '../../src/sizing/select-future.js';

const es = (month: string): Instrument => ({ symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD', lastTradeDateOrContractMonth: month, multiplier: '50' });

describe('frontMonth', () => {
  it('is the earliest contract whose last trade date is today or later', () => {
    const now = Date.parse('2026-12-01T15:00:00Z');
    expect(frontMonth([es('202703'), es('20261218'), es('202609')], now)?.contract.lastTradeDateOrContractMonth).toBe('20261218');
    expect(frontMonth([es('202703'), es('20261218')], Date.parse('2026-12-18T12:00:00Z'))?.contract.lastTradeDateOrContractMonth).toBe('20261218');
    expect(frontMonth([es('202703'), es('20261218')], Date.parse('2026-12-19T12:00:00Z'))?.contract.lastTradeDateOrContractMonth).toBe('202703');
  });

  it('a bare month counts as its last day; nothing live → undefined', () => {
    expect(frontMonth([es('202612'), es('202703')], Date.parse('2026-12-30T00:00:00Z'))?.considered).toEqual(['202612', '202703']);
    expect(frontMonth([es('202606')], Date.parse('2026-12-01T00:00:00Z'))).toBeUndefined();
  });
});
