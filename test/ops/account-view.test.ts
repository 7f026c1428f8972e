/** The effective state the heartbeat reports per account, and why (pure). */
import { describe, expect, it } from 'vitest';
import { accountView } from '../../src/app/heartbeat.js';
import { DEFAULT_CONFIG_INPUT, parseConfig, type Config } from '../../src/config.js';

function config(extra: Record<string, unknown> = {}): Config {
  const p = parseConfig({ ...DEFAULT_CONFIG_INPUT, ...extra }, {});
  if (!p.ok) throw new Error(p.errors.join('; '));
  return p.config;
}

describe('accountView', () => {
  const c = config();
  const ira = c.accounts.find((a) => a.type === 'ROTH_IRA')!;
  const base = { config: c, readOnly: false, liveAccounts: [], account: ira, linked: [ira.id], summary: { account: ira.id, accountType: 'IRA' } as never, global: 'ACTIVE' as const, own: 'ACTIVE' as const };

  it('is ACTIVE with no reason when nothing stops it', () => {
    expect(accountView(base)).toEqual({ effective: 'ACTIVE', why: null });
  });
  it('names read-only mode, live mode without confirmation, and a live id in paper mode', () => {
    expect(accountView({ ...base, config: config({ readOnly: true }) })).toEqual({ effective: 'READ_ONLY', why: 'readOnly: true in the config' });
    expect(accountView({ ...base, readOnly: true })).toMatchObject({ effective: 'READ_ONLY', why: expect.stringMatching(/IBKR_EXEC_LIVE_ACCOUNTS is empty/) });
    expect(accountView({ ...base, account: { ...ira, id: 'U1234567' } })).toMatchObject({ effective: 'READ_ONLY', why: expect.stringMatching(/paper mode/) });
  });
  it('names an account that is not linked, and a declared type IB contradicts', () => {
    expect(accountView({ ...base, linked: ['DU9'] })).toMatchObject({ effective: 'NOT_LINKED' });
    expect(accountView({ ...base, summary: { account: ira.id, accountType: 'INDIVIDUAL' } as never })).toEqual({ effective: 'TYPE_MISMATCH', why: 'declared ROTH_IRA but IB reports AccountType INDIVIDUAL' });
  });
  it('combines the global and the account trading state, saying which one', () => {
    expect(accountView({ ...base, own: 'REDUCE_ONLY' })).toEqual({ effective: 'REDUCE_ONLY', why: 'account trading state REDUCE_ONLY' });
    expect(accountView({ ...base, global: 'HALTED', own: 'REDUCE_ONLY' })).toEqual({ effective: 'HALTED', why: 'global trading state HALTED' });
  });
});
