/**
 * Configuration (CONTRACT §2): one JSON or YAML file, validated at start; environment overrides for
 * connections only (`IB_HOST`, `IB_PORT`, `IB_CLIENT_ID`, `REDIS_URL`); secrets never in the file.
 *
 * - `parseConfig(raw, env)` is pure: it returns every problem at once, each naming its field.
 * - `loadConfig({ path, env })` reads the file (path from `opts.path`, else `IBKR_EXEC_CONFIG`, else no file =
 *   the documented defaults: the default paper household) and throws `ConfigError` on any problem.
 *   Exit code 2 on `ConfigError` is the CLI's job.
 * - The returned `Config` is deeply frozen.
 */
import { readFileSync } from 'node:fs';
import { extname, isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  ACCOUNT_TYPES,
  Decimal,
  type AccountConfig,
  type IraPolicy,
  type Mode,
  type RiskLimits,
} from './domain/types.js';
import { ConfigError, FieldReader, deepFreeze, editDistance, nearestName } from './infra/field-reader.js';
import {
  readAlerts,
  readBroker,
  readClientPortal,
  readHa,
  readNotionalBySecType,
  readRedisExtras,
  readRestartWindow,
  type AlertsConfig,
  type BrokerKind,
  type ClientPortalConfig,
  type HaConfig,
  type RedisSentinel,
  type RestartWindow,
} from './config-sections.js';
import { maskAccount, redactRedisUrl, type Env } from './infra/secrets.js';
import { defaultStateDir } from './infra/state-dir.js';

export { ConfigError } from './infra/field-reader.js';
export type { AlertFormat, AlertsConfig, AlertWebhook, BrokerKind, ClientPortalConfig, HaConfig, RedisSentinel, RestartWindow } from './config-sections.js';
export { liveAccountsFromEnv, maskAccount, redisPassword, redactRedisUrl } from './infra/secrets.js';

export interface IbConfig {
  readonly host: string;
  readonly port: number;
  /** fixed per deployment; the daemon never picks or increments it by itself */
  readonly clientId: number;
  /** outgoing message budget (IB's hard limit is 50/s); default 40 */
  readonly maxMessagesPerSecond: number;
  /** the daily gateway restart (wave 2) */
  readonly restartWindow: RestartWindow;
}

export interface RedisConfig {
  /** without a password; see `redisPassword()` */
  readonly url: string;
  /** key prefix for streams, trading state, outbox (not the BullMQ queue); default "ibkr" */
  readonly prefix: string;
  /** accept a Redis without persistence (wave 2); default false */
  readonly allowVolatile: boolean;
  /** Redis Sentinel endpoints, or null (wave 2) */
  readonly sentinels: readonly RedisSentinel[] | null;
  /** the Sentinel master name, or null (wave 2) */
  readonly name: string | null;
}

export interface QueueConfig {
  /** BullMQ queue of signals (default BullMQ prefix "bull"); default "signals" */
  readonly name: string;
}

export interface ExecutionConfig {
  /** no broker answer within this → UNRESOLVED (never re-sent blindly); default 5000 */
  readonly ackTimeoutMs: number;
  /** how often in-flight (sent, unanswered) orders are checked; default 1000 */
  readonly inflightCheckMs: number;
  /** periodic reconciliation against the broker; default 60000 */
  readonly reconcileIntervalMs: number;
  /**
   * an order still UNRESOLVED after this many reconciliation passes puts its account in REDUCE_ONLY (the
   * order named in the audit record and the log); default 3
   */
  readonly maxUnresolvedCycles: number;
  /** a signal older than this (from `createdAt`) when handled is DENIED SIGNAL_EXPIRED; 0 = no limit; default 300000 */
  readonly maxSignalAgeMs: number;
  /** how long a market-data request may take before NO_PRICE; default 3000 */
  readonly quoteTimeoutMs: number;
  /** SIGTERM/SIGINT: time to drain in-flight work before a forced close; default 25000 */
  readonly shutdownTimeoutMs: number;
  /** a futures signal without a month when several are listed: trade the `front` month (default) or `deny` it as ambiguous */
  readonly futuresMonth: 'front' | 'deny';
}

/** The MCP server (CONTRACT §8). Writes are off unless enabled, and then only for the listed accounts. */
export interface McpConfig {
  /** register the write tools (place_order, cancel_order, halt_trading); default false */
  readonly allowWrites: boolean;
  /** declared account ids MCP may place orders for; default none */
  readonly writeAccounts: readonly string[];
  /** how long a preview id can be confirmed; default 120 */
  readonly previewTtlSeconds: number;
}

/** The daemon's HTTP listener (dashboard, health, webhook; CONTRACT §9). */
export interface HttpConfig {
  /** default 127.0.0.1; a non-loopback host needs the http-token secret, else the daemon refuses to start */
  readonly host: string;
  /** default 7700; 0 = any free port (tests) */
  readonly port: number;
}

export interface Config {
  /** what must outlive Redis (epoch, anchored audit head, trading state, keys); default `defaultStateDir(env)` */
  readonly stateDir: string;
  readonly mode: Mode;
  readonly readOnly: boolean;
  readonly ib: IbConfig;
  readonly redis: RedisConfig;
  readonly queue: QueueConfig;
  readonly accounts: readonly AccountConfig[];
  readonly limits: RiskLimits;
  readonly ira: IraPolicy;
  readonly execution: ExecutionConfig;
  readonly broker: BrokerKind;
  readonly clientPortal: ClientPortalConfig;
  readonly mcp: McpConfig;
  readonly http: HttpConfig;
  readonly alerts: AlertsConfig;
  readonly ha: HaConfig;
}

export type { Env } from './infra/secrets.js';

export type ParseResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** The default household of CONTRACT §2 (also `examples/config.json`), used when no file is given. */
export const DEFAULT_CONFIG_INPUT = {
  mode: 'paper',
  readOnly: false,
  ib: { host: '127.0.0.1', port: 7497, clientId: 17 },
  redis: { url: 'redis://127.0.0.1:6379', prefix: 'ibkr' },
  queue: { name: 'signals' },
  accounts: [
    { id: 'DU1000001', type: 'ROTH_IRA', label: 'Roth IRA' },
    { id: 'DU1000002', type: 'PERSONAL', label: 'Personal' },
    { id: 'DU1000003', type: 'BUSINESS', label: 'THK Enterprises' },
  ],
  limits: { maxOrderQuantity: 1000, maxOrderNotional: 100000, priceCollarPercent: 5 },
  ira: { prohibitedSymbols: [], futuresMarginMultiplier: 2, cashBufferPercent: 0 },
} as const;

const TOP_KEYS = ['mode', 'readOnly', 'ib', 'redis', 'queue', 'accounts', 'limits', 'ira', 'execution', 'stateDir', 'broker', 'clientPortal', 'mcp', 'http', 'alerts', 'ha', '$schema'];
/** Sections (and top-level fields) where an unknown field is an error, not a warning (CONTRACT §2). */
export const SAFETY_SECTIONS = ['mode', 'readOnly', 'limits', 'ira', 'accounts', 'execution', 'mcp', 'http', 'ha'] as const;
const MAX_MS = 86_400_000;
const PREFIX_RE = /^[A-Za-z0-9_.{}-]+(:[A-Za-z0-9_.{}-]+)*$/;
const QUEUE_RE = /^[A-Za-z0-9_.{}-]+$/; // { } for a Redis Cluster hash tag (docs/scaling.md)
const ACCOUNT_RE = /^[A-Za-z0-9]{2,20}$/;
const HOST_RE = /^[A-Za-z0-9.:[\]-]+$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Validate raw (parsed JSON/YAML) input plus connection overrides from `env`. Pure apart from reading
 * `env`. Absent sections and fields take the defaults of `DEFAULT_CONFIG_INPUT`, except `accounts`, which a
 * file must declare (pass `DEFAULT_CONFIG_INPUT` itself for the default household). Unknown fields are
 * warnings, not errors.
 */
export function parseConfig(raw: unknown, env: Env): ParseResult {
  const r = new FieldReader();
  const root = r.section(raw, '(config)');
  if (root === undefined) return { ok: false, errors: r.errors };
  topLevelUnknown(r, root);
  const d = DEFAULT_CONFIG_INPUT;
  const mode = r.oneOf<Mode>(root.mode, 'mode', 'paper', ['paper', 'live']);
  const readOnly = r.bool(root.readOnly, 'readOnly', false);
  const stateDir = readStateDir(r, root.stateDir, env);
  const ib = readIb(r, root.ib, env);
  const redis = readRedis(r, root.redis, env);
  const queueRaw = r.section(root.queue, 'queue') ?? {};
  r.unknownKeys(queueRaw, 'queue', ['name']);
  const queue = { name: r.str(queueRaw.name, 'queue.name', d.queue.name, QUEUE_RE, 'a queue name of A-Z a-z 0-9 . _ - { } (no ":")') };
  const accounts = readAccounts(r, root.accounts);
  const limits = readLimits(r, root.limits);
  const ira = readIra(r, root.ira);
  const execution = readExecution(r, root.execution);
  const wave2 = {
    broker: readBroker(r, root.broker),
    clientPortal: readClientPortal(r, root.clientPortal),
    mcp: readMcp(r, root.mcp, accounts),
    http: readHttp(r, root.http),
    alerts: readAlerts(r, root.alerts),
    ha: readHa(r, root.ha),
  };
  if (r.errors.length > 0) return { ok: false, errors: r.errors };
  modeWarnings(r, mode, ib, accounts);
  const config: Config = { mode, readOnly, ib, redis, queue, accounts, limits, ira, execution, ...wave2, stateDir };
  return { ok: true, config: deepFreeze(config), warnings: r.warnings };
}

/**
 * Top-level unknown fields: an error when the nearest known name is a safety field and close (case,
 * `_` and `-` ignored, at most a third of its letters different: `readonly`, `read_only`, `limit`),
 * otherwise a warning naming the nearest field.
 */
function topLevelUnknown(r: FieldReader, root: Record<string, unknown>): void {
  const unknown = Object.keys(root).filter((k) => !TOP_KEYS.includes(k));
  for (const k of unknown) {
    const near = nearestName(k, TOP_KEYS);
    const norm = (x: string) => x.toLowerCase().replace(/[_\-\s]/g, '');
    const close = near !== undefined && editDistance(norm(k), norm(near)) <= Math.max(1, Math.floor(near.length / 3));
    if (close && (SAFETY_SECTIONS as readonly string[]).includes(near)) r.error(k, `unknown field; did you mean ${near}?`);
    else r.unknownKeys({ [k]: root[k] }, '', TOP_KEYS);
  }
}

function envValue(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function readIb(r: FieldReader, raw: unknown, env: Env): IbConfig {
  const s = r.section(raw, 'ib') ?? {};
  r.unknownKeys(s, 'ib', ['host', 'port', 'clientId', 'maxMessagesPerSecond', 'restartWindow']);
  const d = DEFAULT_CONFIG_INPUT.ib;
  const hostWhat = 'a host name or IP address';
  let host = r.str(s.host, 'ib.host', d.host, HOST_RE, hostWhat);
  let port = r.int(s.port, 'ib.port', d.port, 1, 65535);
  let clientId = r.int(s.clientId, 'ib.clientId', d.clientId, 0, 2_147_483_647);
  const maxMessagesPerSecond = r.int(s.maxMessagesPerSecond, 'ib.maxMessagesPerSecond', 40, 1, 50);
  const eHost = envValue(env, 'IB_HOST');
  if (eHost !== undefined) host = r.str(eHost, 'IB_HOST (environment)', host, HOST_RE, hostWhat);
  const ePort = envValue(env, 'IB_PORT');
  if (ePort !== undefined) port = r.int(ePort, 'IB_PORT (environment)', port, 1, 65535, true);
  const eClient = envValue(env, 'IB_CLIENT_ID');
  if (eClient !== undefined) clientId = r.int(eClient, 'IB_CLIENT_ID (environment)', clientId, 0, 2_147_483_647, true);
  if (!LOOPBACK.has(host)) {
    r.warn('ib.host', `${host} is not loopback; keep the Gateway API port off the network (SSH tunnel or private network)`);
  }
  return { host, port, clientId, maxMessagesPerSecond, restartWindow: readRestartWindow(r, s.restartWindow) };
}

/**
 * Check a Redis URL. `allowPassword` only for the REDIS_URL environment variable: a password in the
 * file is refused (secrets never live in the config file).
 */
function checkRedisUrl(r: FieldReader, url: string, path: string, allowPassword: boolean): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    r.fail(path, 'a redis:// or rediss:// URL', url.replace(/\/\/[^@/]*@/, '//***@'));
    return false;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    r.fail(path, 'a redis:// or rediss:// URL', `${u.protocol}//…`);
    return false;
  }
  if (!allowPassword && (u.password !== '' || u.searchParams.has('password'))) {
    r.error(
      path,
      'must not contain a password (secrets never live in the config file); set the REDIS_URL environment ' +
        'variable, or REDIS_PASSWORD, or REDIS_PASSWORD_FILE (a file with mode 0600)',
    );
    return false;
  }
  return true;
}

function readStateDir(r: FieldReader, raw: unknown, env: Env): string {
  const v = r.str(raw, 'stateDir', defaultStateDir(env), undefined, 'a directory path');
  if (!isAbsolute(v)) {
    r.fail('stateDir', 'an absolute directory path', v);
    return defaultStateDir(env);
  }
  return v;
}

function readRedis(r: FieldReader, raw: unknown, env: Env): RedisConfig {
  const s = r.section(raw, 'redis') ?? {};
  r.unknownKeys(s, 'redis', ['url', 'prefix', 'allowVolatile', 'sentinels', 'name']);
  const d = DEFAULT_CONFIG_INPUT.redis;
  let url: string = d.url;
  if (s.url !== undefined) {
    const v = r.str(s.url, 'redis.url', '', undefined, 'a redis:// or rediss:// URL');
    if (v !== '' && checkRedisUrl(r, v, 'redis.url', false)) url = v;
  }
  const eUrl = envValue(env, 'REDIS_URL');
  if (eUrl !== undefined && checkRedisUrl(r, eUrl, 'REDIS_URL (environment)', true)) url = eUrl;
  const prefix = r.str(s.prefix, 'redis.prefix', d.prefix, PREFIX_RE, 'a key prefix of A-Z a-z 0-9 . _ - { } in ":"-separated parts');
  return { url, prefix, ...readRedisExtras(r, s) };
}

function readAccounts(r: FieldReader, raw: unknown): AccountConfig[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    r.fail('accounts', 'a non-empty list of { id, type, label? }', raw);
    return [];
  }
  const seen = new Set<string>();
  const out: AccountConfig[] = [];
  raw.forEach((a: unknown, i) => {
    const p = `accounts[${i}]`;
    const s = r.section(a ?? null, p);
    if (s === undefined) return;
    r.unknownKeys(s, p, ['id', 'type', 'label'], true);
    const id = r.str(s.id, `${p}.id`, '', ACCOUNT_RE, 'an IB account id (2–20 letters and digits)');
    if (s.id === undefined) r.error(`${p}.id`, 'required');
    const type = r.oneOf(s.type, `${p}.type`, 'PERSONAL', ACCOUNT_TYPES);
    if (s.type === undefined) r.error(`${p}.type`, `required (one of ${ACCOUNT_TYPES.join(', ')})`);
    const label = s.label === undefined ? undefined : r.str(s.label, `${p}.label`, '', undefined, 'a string');
    if (id !== '' && seen.has(id)) r.error(`${p}.id`, `duplicate account id ${id}`);
    seen.add(id);
    out.push(label === undefined || label === '' ? { id, type } : { id, type, label });
  });
  return out;
}

function readLimits(r: FieldReader, raw: unknown): RiskLimits {
  const s = r.section(raw, 'limits') ?? {};
  const keys = ['maxOrderQuantity', 'maxOrderNotional', 'priceCollarPercent', 'maxDailyNotional', 'maxPositionNotional', 'maxOrderNotionalBySecType'];
  r.unknownKeys(s, 'limits', keys, true);
  const d = DEFAULT_CONFIG_INPUT.limits;
  const zeroOrMore = (k: string): Decimal => r.dec(s[k], `limits.${k}`, new Decimal(0), (x) => x.gte(0), 'a number ≥ 0 (0 = no limit)');
  return {
    maxOrderQuantity: r.int(s.maxOrderQuantity, 'limits.maxOrderQuantity', d.maxOrderQuantity, 1, Number.MAX_SAFE_INTEGER),
    maxOrderNotional: r.dec(s.maxOrderNotional, 'limits.maxOrderNotional', new Decimal(d.maxOrderNotional), (x) => x.gt(0), 'a positive number'),
    priceCollarPercent: r.dec(s.priceCollarPercent, 'limits.priceCollarPercent', new Decimal(d.priceCollarPercent), (x) => x.gte(0) && x.lte(100), 'a number from 0 (no collar) to 100'),
    maxDailyNotional: zeroOrMore('maxDailyNotional'),
    maxPositionNotional: zeroOrMore('maxPositionNotional'),
    maxOrderNotionalBySecType: readNotionalBySecType(r, s.maxOrderNotionalBySecType),
  };
}

function readIra(r: FieldReader, raw: unknown): IraPolicy {
  const s = r.section(raw, 'ira') ?? {};
  r.unknownKeys(s, 'ira', ['prohibitedSymbols', 'futuresMarginMultiplier', 'cashBufferPercent'], true);
  const d = DEFAULT_CONFIG_INPUT.ira;
  let prohibitedSymbols: string[] = [];
  if (s.prohibitedSymbols !== undefined) {
    const v = s.prohibitedSymbols;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' && x.trim() !== '')) {
      prohibitedSymbols = [...new Set(v.map((x: string) => x.trim().toUpperCase()))];
    } else r.fail('ira.prohibitedSymbols', 'a list of symbols (strings)', v);
  }
  return {
    prohibitedSymbols,
    futuresMarginMultiplier: r.dec(s.futuresMarginMultiplier, 'ira.futuresMarginMultiplier', new Decimal(d.futuresMarginMultiplier), (x) => x.gte(1), 'a number of at least 1'),
    cashBufferPercent: r.dec(s.cashBufferPercent, 'ira.cashBufferPercent', new Decimal(d.cashBufferPercent), (x) => x.gte(0) && x.lt(100), 'a number from 0 up to (not including) 100'),
  };
}

function readExecution(r: FieldReader, raw: unknown): ExecutionConfig {
  const s = r.section(raw, 'execution') ?? {};
  const keys = ['ackTimeoutMs', 'inflightCheckMs', 'reconcileIntervalMs', 'maxUnresolvedCycles', 'quoteTimeoutMs', 'shutdownTimeoutMs', 'maxSignalAgeMs', 'futuresMonth'];
  r.unknownKeys(s, 'execution', keys, true);
  const ms = (k: string, dflt: number): number => r.int(s[k], `execution.${k}`, dflt, 1, MAX_MS);
  return {
    ackTimeoutMs: ms('ackTimeoutMs', 5000),
    inflightCheckMs: ms('inflightCheckMs', 1000),
    reconcileIntervalMs: ms('reconcileIntervalMs', 60_000),
    maxSignalAgeMs: r.int(s.maxSignalAgeMs, 'execution.maxSignalAgeMs', 300_000, 0, 7 * MAX_MS),
    maxUnresolvedCycles: r.int(s.maxUnresolvedCycles, 'execution.maxUnresolvedCycles', 3, 1, 1000),
    quoteTimeoutMs: ms('quoteTimeoutMs', 3000),
    shutdownTimeoutMs: ms('shutdownTimeoutMs', 25_000),
    futuresMonth: r.oneOf<'front' | 'deny'>(s.futuresMonth, 'execution.futuresMonth', 'front', ['front', 'deny']),
  };
}

function readMcp(r: FieldReader, raw: unknown, accounts: readonly AccountConfig[]): McpConfig {
  const s = r.section(raw, 'mcp') ?? {};
  r.unknownKeys(s, 'mcp', ['allowWrites', 'writeAccounts', 'previewTtlSeconds'], true);
  const writeAccounts: string[] = [];
  if (s.writeAccounts !== undefined) {
    const v = s.writeAccounts;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) r.fail('mcp.writeAccounts', 'a list of declared account ids', v);
    else {
      for (const [i, id] of (v as string[]).entries()) {
        if (accounts.some((a) => a.id === id)) writeAccounts.push(id);
        else r.error(`mcp.writeAccounts[${i}]`, `${id} is not a declared account id (declared: ${accounts.map((a) => a.id).join(', ')})`);
      }
    }
  }
  return {
    allowWrites: r.bool(s.allowWrites, 'mcp.allowWrites', false),
    writeAccounts: [...new Set(writeAccounts)],
    previewTtlSeconds: r.int(s.previewTtlSeconds, 'mcp.previewTtlSeconds', 120, 10, 3600),
  };
}

/** `http` is a safety section: an unknown field is an error (CONTRACT §2). */
function readHttp(r: FieldReader, raw: unknown): HttpConfig {
  const s = r.section(raw, 'http') ?? {};
  r.unknownKeys(s, 'http', ['host', 'port'], true);
  return {
    host: r.str(s.host, 'http.host', '127.0.0.1', HOST_RE, 'a host name or IP address'),
    port: r.int(s.port, 'http.port', 7700, 0, 65535),
  };
}

/** True for an address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function modeWarnings(r: FieldReader, mode: Mode, ib: IbConfig, accounts: readonly AccountConfig[]): void {
  if (mode === 'paper') {
    accounts.forEach((a, i) => {
      if (!a.id.startsWith('DU')) {
        r.warn(`accounts[${i}].id`, `${a.id} does not look like a paper account (DU…); paper mode never places orders on it`);
      }
    });
    if (ib.port === 7496 || ib.port === 4001) r.warn('ib.port', `${ib.port} is a live-trading port but mode is "paper"`);
  } else if (ib.port === 7497 || ib.port === 4002) {
    r.warn('ib.port', `${ib.port} is a paper-trading port but mode is "live"`);
  }
}

/** Read and parse a config file by extension (.json, .yaml, .yml). Throws ConfigError. */
export function readConfigFile(path: string): unknown {
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new ConfigError([`${path}: expected a .json, .yaml or .yml file`]);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([`${path}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
  }
  try {
    return ext === '.json' ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
  } catch (e) {
    throw new ConfigError([`${path}: not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`]);
  }
}

export interface LoadConfigOptions {
  /** from `--config`; falls back to env IBKR_EXEC_CONFIG; neither = the default household */
  readonly path?: string;
  readonly env: Env;
  /** receives each warning (unknown fields, non-loopback host, paper/live port mismatch) */
  readonly onWarning?: (warning: string) => void;
}

/** Load, validate and freeze the configuration. Throws `ConfigError` naming every bad field. */
export function loadConfig(opts: LoadConfigOptions): Config {
  const path = opts.path ?? envValue(opts.env, 'IBKR_EXEC_CONFIG');
  const raw = path === undefined ? DEFAULT_CONFIG_INPUT : readConfigFile(path);
  const res = parseConfig(raw, opts.env);
  if (!res.ok) throw new ConfigError(path === undefined ? res.errors : res.errors.map((e) => `${path}: ${e}`));
  for (const w of res.warnings) opts.onWarning?.(w);
  return res.config;
}

/**
 * A plain, JSON-safe copy for logging: any password in `redis.url` replaced by `***`, Decimals as strings,
 * and account ids masked to the last 4 characters when `maskAccounts` (default: true in live mode).
 */
export function redactConfig(config: Config, opts: { maskAccounts?: boolean } = {}): Record<string, unknown> {
  const mask = opts.maskAccounts ?? config.mode === 'live';
  const plain = JSON.parse(JSON.stringify(config)) as Record<string, unknown> & { redis: { url: string } };
  plain.redis.url = redactRedisUrl(config.redis.url);
  if (mask) plain.accounts = config.accounts.map((a) => ({ ...a, id: maskAccount(a.id) }));
  return plain;
}
