import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/domain/types.js';
import type { FillReport } from '../../src/execution/broker-port.js';
import { FillTracker, commissionFromWire } from '../../src/ib/fill-tracker.js';

const fill = (execId: string): FillReport => ({
  execId, orderId: 1, account: 'DU1', instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
  side: 'BOT', shares: 1, price: new Decimal(1), cumQty: 1, avgPrice: new Decimal(1), time: '',
});
const comm = (execId: string, c = 1) => ({ execId, commission: new Decimal(c), currency: 'USD' });

describe('FillTracker', () => {
  it('emits each execId once', () => {
    const t = new FillTracker();
    expect(t.onFill(fill('a.b.01')).kind).toBe('new');
    expect(t.onFill(fill('a.b.01')).kind).toBe('duplicate');
  });
  it('treats a new revision as a correction that replaces the earlier one, and ignores older revisions', () => {
    const t = new FillTracker();
    t.onFill(fill('a.b.01'));
    const v = t.onFill(fill('a.b.02'));
    expect(v).toMatchObject({ kind: 'correction', replaces: 'a.b.01' });
    if (v.kind === 'correction') expect(v.fill.replacesExecId).toBe('a.b.01');
    expect(t.onFill(fill('a.b.01')).kind).toBe('duplicate');
    expect(t.onFill(fill('a.b.10')).kind).toBe('correction');
    expect(t.onFill(fill('a.b.9')).kind).toBe('duplicate');
  });
  it('joins a commission that arrives after the fill', () => {
    const t = new FillTracker();
    t.onFill(fill('x.01'));
    expect(t.onCommission(comm('x.01')).kind).toBe('emit');
    expect(t.onCommission(comm('x.01')).kind).toBe('duplicate');
  });
  it('joins a commission that arrives before the fill', () => {
    const t = new FillTracker();
    expect(t.onCommission(comm('y.01', 2)).kind).toBe('pending');
    const v = t.onFill(fill('y.01'));
    expect(v.kind).toBe('new');
    if (v.kind === 'new') {
      expect(v.fill.commission?.toString()).toBe('2');
      expect(v.commission?.execId).toBe('y.01');
    }
    expect(t.onCommission(comm('y.01', 2)).kind).toBe('duplicate');
  });
  it('forgets the oldest execIds beyond capacity', () => {
    const t = new FillTracker(2);
    t.onFill(fill('1.01'));
    t.onFill(fill('2.01'));
    t.onFill(fill('3.01'));
    expect(t.onFill(fill('1.01')).kind).toBe('new');
  });
  it('parses commission reports, dropping unset values', () => {
    expect(commissionFromWire('e', 1.7976931348623157e308, 'USD')).toBeUndefined();
    expect(commissionFromWire('e', 1.25, 'USD')?.commission.toString()).toBe('1.25');
  });
});
