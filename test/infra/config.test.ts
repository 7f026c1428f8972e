import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_CONFIG_INPUT,
  liveAccountsFromEnv,
  loadConfig,
  parseConfig,
  redactConfig,
  redisPassword,
  type Config,
} from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string, mode = 0o644): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

/** The CONTRACT example with one field replaced at a dotted path. */
function withField(path: string, value: unknown): unknown {
  const raw = JSON.parse(JSON.stringify(DEFAULT_CONFIG_INPUT)) as Record<string, unknown>;
  const parts = path.split('.');
  let o: Record<string, unknown> = raw;
  for (const p of parts.slice(0, -1)) o = o[p] as Record<string, unknown>;
  o[parts[parts.length - 1] as string] = value;
  return raw;
}

function errorsOf(raw: unknown, env: Record<string, string | undefined> = {}): readonly string[] {
  const r = parseConfig(raw, env);
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

function loadErrors(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.errors;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('without a file returns the default paper household of CONTRACT §2', () => {
    const c = loadConfig({ env: {} });
    expect(c.mode).toBe('paper');
    expect(c.readOnly).toBe(false);
    expect(c.ib).toEqual({ host: '127.0.0.1', port: 7497, clientId: 17, maxMessagesPerSecond: 40, restartWindow: { time: '23:45', timeZone: 'America/New_York', minutes: 15 } });
    expect(c.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'ibkr', allowVolatile: false, sentinels: null, name: null });
    expect(c.queue.name).toBe('signals');
    expect(c.stateDir).toBe(join(homedir(), '.local', 'state', 'ibkr-exec'));
    expect(c.accounts.map((a) => [a.id, a.type])).toEqual([
      ['DU1000001', 'ROTH_IRA'],
      ['DU1000002', 'PERSONAL'],
      ['DU1000003', 'BUSINESS'],
    ]);
    expect(c.limits.maxOrderQuantity).toBe(1000);
    expect(c.limits.maxOrderNotional.toString()).toBe('100000');
    expect(c.limits.priceCollarPercent.toString()).toBe('5');
    expect(c.ira.futuresMarginMultiplier.toString()).toBe('2');
    expect(c.execution.ackTimeoutMs).toBe(5000);
  });

  it('is deeply frozen', () => {
    const c = loadConfig({ env: {} });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.accounts)).toBe(true);
    expect(Object.isFrozen(c.accounts[0])).toBe(true);
    expect(() => {
      (c.ib as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reads the JSON and the YAML example to the same config, and both equal the defaults', () => {
    const json = loadConfig({ path: 'examples/config.json', env: {} });
    const yaml = loadConfig({ path: 'examples/config.yaml', env: {} });
    expect(JSON.stringify(yaml)).toBe(JSON.stringify(json));
    expect(JSON.stringify(json)).toBe(JSON.stringify(loadConfig({ env: {} })));
  });

  it('takes the path from IBKR_EXEC_CONFIG, and --config (opts.path) wins over it', () => {
    const a = file('a.yaml', 'ib: { clientId: 5 }\naccounts: [{ id: DU1, type: PERSONAL }]\n');
    const b = file('b.json', JSON.stringify({ ib: { clientId: 6 }, accounts: [{ id: 'DU2', type: 'BUSINESS' }] }));
    expect(loadConfig({ env: { IBKR_EXEC_CONFIG: a } }).ib.clientId).toBe(5);
    expect(loadConfig({ path: b, env: { IBKR_EXEC_CONFIG: a } }).ib.clientId).toBe(6);
  });

  it('reports a missing file, a bad extension and a syntax error naming the file', () => {
    expect(loadErrors(() => loadConfig({ path: join(dir, 'nope.json'), env: {} }))[0]).toMatch(/nope\.json: cannot read.*ENOENT/);
    expect(loadErrors(() => loadConfig({ path: file('c.toml', 'x=1'), env: {} }))[0]).toMatch(/c\.toml: expected a \.json, \.yaml or \.yml file/);
    expect(loadErrors(() => loadConfig({ path: file('bad.yaml', 'ib: [1, 2\n'), env: {} }))[0]).toMatch(/bad\.yaml: not valid YAML/);
    expect(loadErrors(() => loadConfig({ path: file('bad.json', '{"mode": '), env: {} }))[0]).toMatch(/bad\.json: not valid JSON/);
  });

  it('prefixes field errors with the file path and passes warnings to onWarning', () => {
    const p = file('w.yaml', 'accounts: [{ id: DU1, type: PERSONAL }]\nlimits: { maxOrderQuantity: -5 }\n');
    expect(loadErrors(() => loadConfig({ path: p, env: {} }))).toEqual([
      `${p}: limits.maxOrderQuantity: expected a positive integer, received -5`,
    ]);
    const warnings: string[] = [];
    loadConfig({ path: file('u.yaml', 'accounts: [{ id: DU1, type: PERSONAL }]\nqeue: {}\n'), env: {}, onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual(['qeue: unknown field, ignored (did you mean queue?)']);
  });
});

describe('parseConfig names each bad field', () => {
  const cases: [string, unknown, RegExp][] = [
    ['mode', 'prod', /^mode: expected one of "paper", "live", received "prod"$/],
    ['readOnly', 'yes', /^readOnly: expected true or false, received "yes"$/],
    ['ib.host', '', /^ib\.host: expected a host name or IP address, received ""$/],
    ['ib.port', 70000, /^ib\.port: expected an integer 1–65535, received 70000$/],
    ['ib.port', '7497', /^ib\.port: expected an integer 1–65535, received "7497"$/],
    ['ib.clientId', 1.5, /^ib\.clientId: expected an integer 0–2147483647, received 1\.5$/],
    ['ib.maxMessagesPerSecond', 51, /^ib\.maxMessagesPerSecond: expected an integer 1–50, received 51$/],
    ['redis.url', 'http://x', /^redis\.url: expected a redis:\/\/ or rediss:\/\/ URL, received "http:\/\/…"$/],
    ['redis.url', 'not a url', /^redis\.url: expected a redis:\/\/ or rediss:\/\/ URL/],
    ['redis.prefix', 'ibkr:', /^redis\.prefix: expected a key prefix/],
    ['queue.name', 'a:b', /^queue\.name: expected a queue name .*received "a:b"$/],
    ['accounts', [], /^accounts: expected a non-empty list of \{ id, type, label\? \}, received an array of 0$/],
    ['accounts', undefined, /^accounts: expected a non-empty list .*received nothing$/],
    ['limits.maxOrderQuantity', -5, /^limits\.maxOrderQuantity: expected a positive integer, received -5$/],
    ['limits.maxOrderQuantity', 0, /^limits\.maxOrderQuantity: expected a positive integer, received 0$/],
    ['limits.maxOrderNotional', 0, /^limits\.maxOrderNotional: expected a positive number, received 0$/],
    ['limits.maxOrderNotional', 'lots', /^limits\.maxOrderNotional: expected a positive number, received "lots"$/],
    ['limits.priceCollarPercent', 101, /^limits\.priceCollarPercent: expected a number from 0 \(no collar\) to 100, received 101$/],
    ['ira.prohibitedSymbols', 'ET', /^ira\.prohibitedSymbols: expected a list of symbols \(strings\), received "ET"$/],
    ['ira.futuresMarginMultiplier', 0.5, /^ira\.futuresMarginMultiplier: expected a number of at least 1, received 0\.5$/],
    ['ira.cashBufferPercent', 100, /^ira\.cashBufferPercent: expected a number from 0 up to/],
    ['limits', 5, /^limits: expected an object, received 5$/],
  ];
  it.each(cases)('%s = %j', (path, value, re) => {
    const errors = errorsOf(withField(path, value));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(re);
  });

  it('names each bad account field, required ones and duplicates', () => {
    const errors = errorsOf(
      withField('accounts', [
        { id: 'DU1', type: 'IRA' },
        { type: 'PERSONAL' },
        { id: 'DU3' },
        { id: 'DU1', type: 'BUSINESS' },
        'DU5',
      ]),
    );
    expect(errors).toEqual([
      'accounts[0].type: expected one of "ROTH_IRA", "TRADITIONAL_IRA", "PERSONAL", "BUSINESS", received "IRA"',
      'accounts[1].id: required',
      'accounts[2].type: required (one of ROTH_IRA, TRADITIONAL_IRA, PERSONAL, BUSINESS)',
      'accounts[3].id: duplicate account id DU1',
      'accounts[4]: expected an object, received "DU5"',
    ]);
  });

  it('reports every problem at once', () => {
    const raw = { mode: 'x', ib: { port: 0 }, accounts: [{ id: 'DU1', type: 'PERSONAL' }], limits: { maxOrderQuantity: -5 } };
    expect(errorsOf(raw).map((e) => e.split(':')[0])).toEqual(['mode', 'ib.port', 'limits.maxOrderQuantity']);
  });

  it('fills absent sections with defaults, keeps Decimals exact and upper-cases prohibited symbols', () => {
    const r = parseConfig({ accounts: [{ id: 'DU9', type: 'TRADITIONAL_IRA' }], limits: { maxOrderNotional: '12345.67' }, ira: { prohibitedSymbols: ['et', ' epd ', 'ET'] } }, {});
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.config.limits.maxOrderNotional.toString()).toBe('12345.67');
    expect(r.config.limits.maxOrderQuantity).toBe(1000);
    expect(r.config.ira.prohibitedSymbols).toEqual(['ET', 'EPD']);
    expect(r.config.redis.prefix).toBe('ibkr');
  });

  it('warns about unknown fields, non-DU accounts in paper mode and paper/live port mismatches', () => {
    const r = parseConfig({ ib: { port: 7496, hots: 'x' }, accounts: [{ id: 'U1234567', type: 'PERSONAL' }] }, {});
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.warnings).toEqual([
      'ib.hots: unknown field, ignored (did you mean host?)',
      'accounts[0].id: U1234567 does not look like a paper account (DU…); paper mode never places orders on it',
      'ib.port: 7496 is a live-trading port but mode is "paper"',
    ]);
    const live = parseConfig({ mode: 'live', ib: { host: '10.0.0.5' }, accounts: [{ id: 'U1', type: 'PERSONAL' }] }, {});
    if (!live.ok) throw new Error(live.errors.join());
    expect(live.warnings.join('\n')).toMatch(/ib\.host: 10\.0\.0\.5 is not loopback/);
    expect(live.warnings.join('\n')).toMatch(/ib\.port: 7497 is a paper-trading port but mode is "live"/);
  });
});

describe('environment overrides (connections only)', () => {
  it('IB_HOST, IB_PORT, IB_CLIENT_ID and REDIS_URL override the file', () => {
    const r = parseConfig(DEFAULT_CONFIG_INPUT, { IB_HOST: 'localhost', IB_PORT: '4002', IB_CLIENT_ID: '3', REDIS_URL: 'redis://127.0.0.1:6380/2' });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.config.ib).toMatchObject({ host: 'localhost', port: 4002, clientId: 3 });
    expect(r.config.redis.url).toBe('redis://127.0.0.1:6380/2');
  });

  it('validates them, naming the variable', () => {
    expect(errorsOf(DEFAULT_CONFIG_INPUT, { IB_PORT: 'abc', IB_CLIENT_ID: '-1', REDIS_URL: 'mysql://x' })).toEqual([
      'IB_PORT (environment): expected an integer 1–65535, received "abc"',
      'IB_CLIENT_ID (environment): expected an integer 0–2147483647, received "-1"',
      'REDIS_URL (environment): expected a redis:// or rediss:// URL, received "mysql://…"',
    ]);
  });

  it('ignores empty variables and other settings in the environment', () => {
    const r = parseConfig(DEFAULT_CONFIG_INPUT, { IB_PORT: '', MODE: 'live', LIMITS: 'x' });
    expect(r.ok && r.config.ib.port === 7497 && r.config.mode === 'paper').toBe(true);
  });
});

describe('secrets', () => {
  it('refuses a password in redis.url and says where it belongs', () => {
    for (const url of ['redis://user:Hunter2x@127.0.0.1:6379', 'redis://:Hunter2x@127.0.0.1:6379', 'redis://127.0.0.1:6379?password=Hunter2x']) {
      const errors = errorsOf(withField('redis.url', url));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^redis\.url: must not contain a password.*REDIS_URL.*REDIS_PASSWORD_FILE/);
      expect(errors[0]).not.toContain('Hunter2x');
    }
  });

  it('accepts a password in REDIS_URL and redactConfig hides it', () => {
    const r = parseConfig(DEFAULT_CONFIG_INPUT, { REDIS_URL: 'redis://app:s3cret@127.0.0.1:6379' });
    if (!r.ok) throw new Error(r.errors.join());
    const red = JSON.stringify(redactConfig(r.config));
    expect(red).not.toContain('s3cret');
    expect(red).toContain('redis://app:***@127.0.0.1:6379');
    expect(red).toContain('DU1000001');
  });

  it('redactConfig masks account ids in live mode (or when asked)', () => {
    const c = loadConfig({ env: {} }) as Config;
    expect(JSON.stringify(redactConfig(c, { maskAccounts: true }))).not.toContain('DU1000001');
    expect(JSON.stringify(redactConfig(c, { maskAccounts: true }))).toContain('*****0001');
  });

  it('redisPassword reads REDIS_PASSWORD or a 0600 REDIS_PASSWORD_FILE', () => {
    expect(redisPassword({})).toBeUndefined();
    expect(redisPassword({ REDIS_PASSWORD: 'pw1' })).toBe('pw1');
    expect(redisPassword({ REDIS_PASSWORD_FILE: file('pw-600', 'pw2\n', 0o600) })).toBe('pw2');
    expect(redisPassword({ REDIS_PASSWORD_FILE: file('pw-400', 'pw3', 0o400) })).toBe('pw3');
  });

  it('redisPassword refuses a group/world-readable file, an empty file, a missing file and both variables', () => {
    expect(loadErrors(() => redisPassword({ REDIS_PASSWORD_FILE: file('pw-644', 'x', 0o644) }))[0]).toMatch(/has mode 0644; .*chmod 600/);
    expect(loadErrors(() => redisPassword({ REDIS_PASSWORD_FILE: file('pw-640', 'x', 0o640) }))[0]).toMatch(/has mode 0640/);
    expect(loadErrors(() => redisPassword({ REDIS_PASSWORD_FILE: file('pw-empty', '\n', 0o600) }))[0]).toMatch(/is empty/);
    expect(loadErrors(() => redisPassword({ REDIS_PASSWORD_FILE: join(dir, 'none') }))[0]).toMatch(/cannot read/);
    expect(loadErrors(() => redisPassword({ REDIS_PASSWORD: 'a', REDIS_PASSWORD_FILE: file('pw-b', 'b', 0o600) }))[0]).toMatch(/both set/);
  });
});

describe('liveAccountsFromEnv', () => {
  it('parses a comma list, trimming blanks and duplicates', () => {
    expect(liveAccountsFromEnv({})).toEqual([]);
    expect(liveAccountsFromEnv({ IBKR_EXEC_LIVE_ACCOUNTS: ' U1, U2,,U1 ' })).toEqual(['U1', 'U2']);
  });
});
