/**
 * Readers for the wave-2 configuration sections (CONTRACT §2): parsed, validated and defaulted here so
 * that strict safety sections never reject them; their behaviour lives with the features that use them.
 * Every reader collects problems in the shared `FieldReader` and returns a value (the default when bad).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Decimal, SEC_TYPES, type SecType } from './domain/types.js';
import type { FieldReader } from './infra/field-reader.js';
import type { Env } from './infra/secrets.js';

/** `broker`: which API the daemon talks to. */
export type BrokerKind = 'tws' | 'client-portal';

export interface ClientPortalConfig {
  readonly baseUrl: string;
  /** PEM file of the gateway's certificate authority; null = system roots */
  readonly caFile: string | null;
  /** SHA-256 fingerprint the gateway certificate must have; null = not pinned */
  readonly fingerprint: string | null;
}

export interface RedisSentinel {
  readonly host: string;
  readonly port: number;
}

export interface RestartWindow {
  /** "HH:MM" local time in `timeZone` */
  readonly time: string;
  readonly timeZone: string;
  readonly minutes: number;
}

/** How an alert is written for its receiver (`alerts.webhooks[].format`). */
export type AlertFormat = 'generic' | 'telegram' | 'discord' | 'ntfy';
export const ALERT_FORMATS: readonly AlertFormat[] = ['generic', 'telegram', 'discord', 'ntfy'];

export interface AlertWebhook {
  readonly url: string;
  /** default `generic` (the JSON object in docs/operations.md) */
  readonly format?: AlertFormat;
  /** the Telegram chat (`chat_id`); required with `format: "telegram"` */
  readonly chatId?: string;
}

export interface AlertsConfig {
  readonly webhooks: readonly AlertWebhook[];
}

export interface HaConfig {
  readonly enabled: boolean;
  readonly leaseSeconds: number;
  readonly takeoverSeconds: number;
}

const HOST_RE = /^[A-Za-z0-9.:[\]-]+$/;
const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;

/** `stateDir`: default `<XDG_STATE_HOME or ~/.local/state>/ibkr-exec`. */
export function readStateDir(r: FieldReader, raw: unknown, env: Env): string {
  const xdg = env['XDG_STATE_HOME']?.trim();
  const home = env['HOME']?.trim() || homedir();
  const dflt = join(xdg ? xdg : join(home, '.local', 'state'), 'ibkr-exec');
  return r.str(raw, 'stateDir', dflt, /^[^\0]+$/, 'a directory path');
}

/** `broker`: "tws" (default) or "client-portal". */
export const readBroker = (r: FieldReader, raw: unknown): BrokerKind => r.oneOf<BrokerKind>(raw, 'broker', 'tws', ['tws', 'client-portal']);

/** A string or null (absent = null). */
function nullableStr(r: FieldReader, v: unknown, path: string, what: string): string | null {
  if (v === undefined || v === null) return null;
  return r.str(v, path, '', undefined, what) || null;
}

function httpsUrl(r: FieldReader, v: unknown, path: string, dflt: string): string {
  const s = r.str(v, path, dflt, undefined, 'an http:// or https:// URL');
  try {
    const u = new URL(s);
    if (u.protocol === 'https:' || u.protocol === 'http:') return s;
  } catch {
    // reported below
  }
  r.fail(path, 'an http:// or https:// URL', v);
  return dflt;
}

export function readClientPortal(r: FieldReader, raw: unknown): ClientPortalConfig {
  const s = r.section(raw, 'clientPortal') ?? {};
  r.unknownKeys(s, 'clientPortal', ['baseUrl', 'caFile', 'fingerprint']);
  return {
    baseUrl: httpsUrl(r, s.baseUrl, 'clientPortal.baseUrl', 'https://localhost:5000/v1/api'),
    caFile: nullableStr(r, s.caFile, 'clientPortal.caFile', 'a file path or null'),
    fingerprint: nullableStr(r, s.fingerprint, 'clientPortal.fingerprint', 'a SHA-256 fingerprint or null'),
  };
}

/** The wave-2 redis fields (`allowVolatile`, `sentinels`, `name`). */
export function readRedisExtras(r: FieldReader, s: Record<string, unknown>): { allowVolatile: boolean; sentinels: readonly RedisSentinel[] | null; name: string | null } {
  const allowVolatile = r.bool(s.allowVolatile, 'redis.allowVolatile', false);
  let sentinels: RedisSentinel[] | null = null;
  if (s.sentinels !== undefined && s.sentinels !== null) {
    if (!Array.isArray(s.sentinels) || s.sentinels.length === 0) r.fail('redis.sentinels', 'null or a non-empty list of { host, port }', s.sentinels);
    else {
      sentinels = s.sentinels.map((x: unknown, i) => {
        const p = `redis.sentinels[${i}]`;
        const o = r.section(x ?? null, p) ?? {};
        r.unknownKeys(o, p, ['host', 'port']);
        return { host: r.str(o.host, `${p}.host`, '127.0.0.1', HOST_RE, 'a host name or IP address'), port: r.int(o.port, `${p}.port`, 26379, 1, 65535) };
      });
    }
  }
  const name = nullableStr(r, s.name, 'redis.name', 'a sentinel master name or null');
  if (sentinels && name === null) r.error('redis.name', 'the Sentinel master name (e.g. "mymaster") when redis.sentinels is set, received null');
  return { allowVolatile, sentinels, name };
}

/** `ib.restartWindow`: the daily gateway restart (default 23:45 America/New_York for 15 minutes). */
export function readRestartWindow(r: FieldReader, raw: unknown): RestartWindow {
  const s = r.section(raw, 'ib.restartWindow') ?? {};
  r.unknownKeys(s, 'ib.restartWindow', ['time', 'timeZone', 'minutes']);
  const timeZone = r.str(s.timeZone, 'ib.restartWindow.timeZone', 'America/New_York', /^[A-Za-z0-9_+/-]+$/, 'an IANA time zone such as America/New_York');
  let zoneOk = true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    zoneOk = false;
    r.fail('ib.restartWindow.timeZone', 'an IANA time zone such as America/New_York', s.timeZone);
  }
  return {
    time: r.str(s.time, 'ib.restartWindow.time', '23:45', TIME_RE, 'a time "HH:MM" (24 h)'),
    timeZone: zoneOk ? timeZone : 'America/New_York',
    minutes: r.int(s.minutes, 'ib.restartWindow.minutes', 15, 0, 240),
  };
}

export function readAlerts(r: FieldReader, raw: unknown): AlertsConfig {
  const s = r.section(raw, 'alerts') ?? {};
  r.unknownKeys(s, 'alerts', ['webhooks']);
  if (s.webhooks === undefined) return { webhooks: [] };
  if (!Array.isArray(s.webhooks)) {
    r.fail('alerts.webhooks', 'a list of webhook URLs', s.webhooks);
    return { webhooks: [] };
  }
  return {
    webhooks: s.webhooks.map((w: unknown, i) => {
      const p = `alerts.webhooks[${i}]`;
      if (typeof w === 'string') return { url: httpsUrl(r, w, p, 'http://127.0.0.1/') };
      const o = r.section(w ?? null, p) ?? {};
      r.unknownKeys(o, p, ['url', 'format', 'chatId']);
      return { url: httpsUrl(r, o.url, `${p}.url`, 'http://127.0.0.1/'), ...readAlertFormat(r, o, p) };
    }),
  };
}

/** `format` (one of ALERT_FORMATS) and, for telegram, its `chatId` (a number or "@channel"). */
function readAlertFormat(r: FieldReader, o: Record<string, unknown>, p: string): { format?: AlertFormat; chatId?: string } {
  const f = o.format ?? 'generic';
  if (typeof f !== 'string' || !(ALERT_FORMATS as readonly string[]).includes(f)) {
    r.fail(`${p}.format`, `one of ${ALERT_FORMATS.join(', ')}`, o.format);
    return {};
  }
  const format = f as AlertFormat;
  if (format !== 'telegram') {
    if (o.chatId !== undefined) r.error(`${p}.chatId`, 'only used with format "telegram"');
    return format === 'generic' ? {} : { format };
  }
  const raw = typeof o.chatId === 'number' && Number.isSafeInteger(o.chatId) ? String(o.chatId) : o.chatId;
  if (raw === undefined) {
    r.error(`${p}.chatId`, 'expected the Telegram chat id (a number or "@channel") with format "telegram"');
    return { format };
  }
  return { format, chatId: r.str(raw, `${p}.chatId`, '', /^(-?\d+|@\w+)$/, 'a Telegram chat id (a number or "@channel")') };
}

export function readHa(r: FieldReader, raw: unknown): HaConfig {
  const s = r.section(raw, 'ha') ?? {};
  r.unknownKeys(s, 'ha', ['enabled', 'leaseSeconds', 'takeoverSeconds'], true);
  const leaseSeconds = r.int(s.leaseSeconds, 'ha.leaseSeconds', 10, 1, 3600);
  const takeoverSeconds = r.int(s.takeoverSeconds, 'ha.takeoverSeconds', 15, 1, 3600);
  if (takeoverSeconds <= leaseSeconds) r.error('ha.takeoverSeconds', `expected more than ha.leaseSeconds (${leaseSeconds}), received ${takeoverSeconds}`);
  return { enabled: r.bool(s.enabled, 'ha.enabled', false), leaseSeconds, takeoverSeconds };
}

/** `limits.maxOrderNotionalBySecType`: `{ "FUT": 400000, … }`, each a positive number. */
export function readNotionalBySecType(r: FieldReader, raw: unknown): Partial<Record<SecType, Decimal>> {
  const path = 'limits.maxOrderNotionalBySecType';
  const s = r.section(raw, path) ?? {};
  r.unknownKeys(s, path, SEC_TYPES, true);
  const out: Partial<Record<SecType, Decimal>> = {};
  for (const t of SEC_TYPES) {
    if (s[t] === undefined) continue;
    out[t] = r.dec(s[t], `${path}.${t}`, new Decimal(1), (x) => x.gt(0), 'a positive number');
  }
  return out;
}
