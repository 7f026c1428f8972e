/**
 * Configuration strictness (CONTRACT §2): an unknown field in a safety section, or a top-level typo of a
 * safety field, is an error naming the nearest known field; elsewhere a warning. The wave-2 sections
 * parse with their documented defaults, and `priceCollarPercent: 0` disables the collar.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config.js';

const base = (): Record<string, unknown> => JSON.parse(JSON.stringify(DEFAULT_CONFIG_INPUT)) as Record<string, unknown>;
const withSection = (section: string, extra: Record<string, unknown>) => {
  const raw = base();
  raw[section] = { ...((raw[section] as object | undefined) ?? {}), ...extra };
  return raw;
};

describe('config: unknown fields in safety sections are errors with the nearest known name', () => {
  const typos: [string, Record<string, unknown>, string][] = [
    ['top-level readonly', { ...base(), readonly: true }, 'readonly: unknown field; did you mean readOnly?'],
    ['top-level read_only', { ...base(), read_only: true }, 'read_only: unknown field; did you mean readOnly?'],
    ['top-level Mode', { ...base(), Mode: 'live' }, 'Mode: unknown field; did you mean mode?'],
    ['top-level limit', { ...base(), limit: {} }, 'limit: unknown field; did you mean limits?'],
    ['limits.maxOrderQty', withSection('limits', { maxOrderQty: 5 }), 'limits.maxOrderQty: unknown field; did you mean limits.maxOrderQuantity?'],
    ['limits.priceColarPercent', withSection('limits', { priceColarPercent: 1 }), 'limits.priceColarPercent: unknown field; did you mean limits.priceCollarPercent?'],
    ['limits.maxOrderNotionalBySecType.FUTS', withSection('limits', { maxOrderNotionalBySecType: { FUTS: 1 } }), 'limits.maxOrderNotionalBySecType.FUTS: unknown field; did you mean limits.maxOrderNotionalBySecType.FUT?'],
    ['ira.prohibitedSymbol', withSection('ira', { prohibitedSymbol: ['ET'] }), 'ira.prohibitedSymbol: unknown field; did you mean ira.prohibitedSymbols?'],
    ['execution.ackTimeout', withSection('execution', { ackTimeout: 1 }), 'execution.ackTimeout: unknown field; did you mean execution.ackTimeoutMs?'],
    ['mcp.allowWrite', withSection('mcp', { allowWrite: true }), 'mcp.allowWrite: unknown field; did you mean mcp.allowWrites?'],
    ['http.hots', withSection('http', { hots: '0.0.0.0' }), 'http.hots: unknown field; did you mean http.host?'],
    ['ha.enable', withSection('ha', { enable: true }), 'ha.enable: unknown field; did you mean ha.enabled?'],
    ['accounts[0].typ', { ...base(), accounts: [{ id: 'DU1000001', type: 'ROTH_IRA', typ: 'PERSONAL' }] }, 'accounts[0].typ: unknown field; did you mean accounts[0].type?'],
  ];
  it.each(typos)('%s', (_name, raw, message) => {
    const r = parseConfig(raw, {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual([message]);
  });

  it('elsewhere an unknown field is a warning with a suggestion', () => {
    const r = parseConfig({ ...withSection('redis', { prefx: 'x' }), colour: 'blue' }, {});
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.warnings).toEqual(['colour: unknown field, ignored (did you mean mode?)', 'redis.prefx: unknown field, ignored (did you mean prefix?)']);
  });
});

describe('config: limits', () => {
  it('priceCollarPercent 0 disables the collar (accepted)', () => {
    const r = parseConfig(withSection('limits', { priceCollarPercent: 0 }), {});
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.config.limits.priceCollarPercent.toNumber()).toBe(0);
  });

  it('wave-2 limits: maxDailyNotional, maxPositionNotional (0 = none) and per-secType notional overrides', () => {
    const dflt = parseConfig(base(), {});
    if (!dflt.ok) throw new Error(dflt.errors.join());
    expect(dflt.config.limits.maxDailyNotional?.toNumber()).toBe(0);
    expect(dflt.config.limits.maxPositionNotional?.toNumber()).toBe(0);
    expect(dflt.config.limits.maxOrderNotionalBySecType).toEqual({});
    const r = parseConfig(withSection('limits', { maxDailyNotional: 250000, maxPositionNotional: '50000.5', maxOrderNotionalBySecType: { FUT: 400000 } }), {});
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.config.limits.maxDailyNotional?.toString()).toBe('250000');
    expect(r.config.limits.maxPositionNotional?.toString()).toBe('50000.5');
    expect(r.config.limits.maxOrderNotionalBySecType?.FUT?.toString()).toBe('400000');
    const bad = parseConfig(withSection('limits', { maxDailyNotional: -1, maxOrderNotionalBySecType: { FUT: 0 } }), {});
    expect(bad.ok ? [] : bad.errors).toEqual([
      'limits.maxDailyNotional: expected a number ≥ 0 (0 = no limit), received -1',
      'limits.maxOrderNotionalBySecType.FUT: expected a positive number, received 0',
    ]);
  });
});

describe('config: wave-2 sections parse with the CONTRACT defaults', () => {
  it('defaults', () => {
    const r = parseConfig(base(), { HOME: '/home/u' });
    if (!r.ok) throw new Error(r.errors.join());
    const c = r.config;
    expect(c.stateDir).toBe('/home/u/.local/state/ibkr-exec');
    expect(c.broker).toBe('tws');
    expect(c.clientPortal).toEqual({ baseUrl: 'https://localhost:5000/v1/api', caFile: null, fingerprint: null });
    expect(c.redis).toMatchObject({ allowVolatile: false, sentinels: null, name: null });
    expect(c.execution).toMatchObject({ maxSignalAgeMs: 300000, maxUnresolvedCycles: 3 });
    expect(c.mcp).toEqual({ allowWrites: false, writeAccounts: [], previewTtlSeconds: 120 });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 7700 });
    expect(c.ib.restartWindow).toEqual({ time: '23:45', timeZone: 'America/New_York', minutes: 15 });
    expect(c.alerts).toEqual({ webhooks: [] });
    expect(c.ha).toEqual({ enabled: false, leaseSeconds: 10, takeoverSeconds: 15 });
    const xdg = parseConfig(base(), { XDG_STATE_HOME: '/var/state' });
    expect(xdg.ok && xdg.config.stateDir).toBe('/var/state/ibkr-exec');
  });

  it('every wave-2 field given explicitly', () => {
    const raw = {
      ...base(),
      stateDir: '/srv/ibkr',
      broker: 'client-portal',
      clientPortal: { baseUrl: 'https://127.0.0.1:5001/v1/api', caFile: '/etc/ca.pem', fingerprint: 'AB:CD' },
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'ibkr', allowVolatile: true, sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster' },
      execution: { maxSignalAgeMs: 0, maxUnresolvedCycles: 5 },
      mcp: { allowWrites: true, writeAccounts: ['DU1000002'], previewTtlSeconds: 60 },
      http: { host: '127.0.0.1', port: 7701 },
      ib: { host: '127.0.0.1', port: 7497, clientId: 17, restartWindow: { time: '05:00', timeZone: 'Europe/Zurich', minutes: 10 } },
      alerts: { webhooks: ['https://hooks.example/a', { url: 'http://127.0.0.1:9000/b' }] },
      ha: { enabled: true, leaseSeconds: 5, takeoverSeconds: 8 },
    };
    const r = parseConfig(raw, {});
    if (!r.ok) throw new Error(r.errors.join());
    const c = r.config;
    expect(c).toMatchObject({ stateDir: '/srv/ibkr', broker: 'client-portal', http: { port: 7701 }, ha: { enabled: true, leaseSeconds: 5, takeoverSeconds: 8 } });
    expect(c.redis).toMatchObject({ allowVolatile: true, sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster' });
    expect(c.execution.maxSignalAgeMs).toBe(0);
    expect(c.mcp.writeAccounts).toEqual(['DU1000002']);
    expect(c.ib.restartWindow).toEqual({ time: '05:00', timeZone: 'Europe/Zurich', minutes: 10 });
    expect(c.alerts.webhooks).toEqual([{ url: 'https://hooks.example/a' }, { url: 'http://127.0.0.1:9000/b' }]);
  });

  it('bad wave-2 values name their field', () => {
    const raw = {
      ...base(),
      broker: 'fix',
      ib: { restartWindow: { time: '25:00', timeZone: 'Mars/Olympus' } },
      ha: { leaseSeconds: 10, takeoverSeconds: 10 },
      http: { port: 'x' },
    };
    const r = parseConfig(raw, {});
    expect(r.ok ? [] : r.errors).toEqual([
      'ib.restartWindow.timeZone: expected an IANA time zone such as America/New_York, received "Mars/Olympus"',
      'ib.restartWindow.time: expected a time "HH:MM" (24 h), received "25:00"',
      'broker: expected one of "tws", "client-portal", received "fix"',
      'http.port: expected an integer 0–65535, received "x"',
      'ha.takeoverSeconds: expected more than ha.leaseSeconds (10), received 10',
    ]);
  });
});
