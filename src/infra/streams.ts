/**
 * Publishing to the CONTRACT §5 streams: `<p>:orders`, `<p>:fills`, `<p>:dead-letter`. All values are
 * strings; structured values JSON; decimals as their exact string (`190.25`, never a float); `ts` as
 * ISO-8601 UTC with milliseconds; an absent optional value (no permId yet) is the empty string, so every
 * entry of a stream has the same fields. Streams are not trimmed here.
 *
 * Fills: never two entries for one `execId`, across processes, by one Lua script per fill (SADD the execId
 * to a seen-set, XADD only when it was new). Extra field `type`:
 *  - `FILL`: a first execution;
 *  - `CORRECTION`: an IB execution correction, i.e. an execId whose prefix (everything before the last
 *    `.`) was seen with a LOWER last segment (`….01` → `….02`), or that the caller flags with
 *    `FillReport.replacesExecId` (e.g. after a restart, when the original was published by an earlier
 *    process under another prefix). It is a new entry with `corrects=<old execId>`; consumers replace the
 *    corrected entry rather than add to it. A stale original arriving after its correction is recorded as
 *    seen but not published (`SUPERSEDED`).
 *  - `COMMISSION`: commission reported after the fill was published: `type, execId, commission,
 *    commissionCurrency, ts` only; also at most once per execId. A commission that arrives BEFORE its fill
 *    is held and written into the fill entry itself when the fill comes.
 */
import type { Redis } from 'ioredis';
import type { FillReport } from '../execution/broker-port.js';
import type { Decimal, Side } from '../domain/types.js';
import type { Keys } from './keys.js';
import { LuaScript, fencedWrite, isoTs } from './redis.js';

export const ORDER_EVENTS = [
  'SUBMITTED',
  'ACCEPTED',
  'PARTIALLY_FILLED',
  'FILLED',
  'CANCELLED',
  'REJECTED',
  'UNRESOLVED',
  'RESOLVED',
] as const;
export type OrderEventType = (typeof ORDER_EVENTS)[number];

/** One order state change for `<p>:orders`. */
export interface OrderStreamEvent {
  readonly event: OrderEventType;
  readonly signalId: string;
  readonly account: string;
  readonly orderRef: string;
  readonly orderId?: number;
  readonly permId?: number;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  readonly filled: number;
  readonly remaining: number;
  readonly avgFillPrice?: Decimal;
  /** epoch ms */
  readonly ts: number;
  /** extra field, written only when given: why (REJECTED with the broker code, UNRESOLVED, RESOLVED as what) */
  readonly reason?: string;
}

/** A fill to publish: the broker's report plus the signal it belongs to (empty when unknown, e.g. TWS-placed). */
export interface FillInput extends FillReport {
  readonly signalId?: string;
  /** epoch ms of publication (extra field `ts`) */
  readonly ts: number;
}

export type FillPublishResult =
  | { readonly status: 'FILL'; readonly id: string }
  | { readonly status: 'CORRECTION'; readonly id: string; readonly corrects: string }
  | { readonly status: 'DUPLICATE' }
  | { readonly status: 'SUPERSEDED'; readonly by: string };

export type CommissionPublishResult =
  | { readonly status: 'COMMISSION'; readonly id: string }
  /** the fill is not published yet: the commission will be written into the fill entry */
  | { readonly status: 'PENDING' }
  | { readonly status: 'DUPLICATE' };

export interface DeadLetterInput {
  readonly jobId: string;
  /** the job data as received (any value; strings are kept verbatim, others JSON-encoded) */
  readonly payload: unknown;
  readonly errors: readonly string[];
  /** epoch ms */
  readonly ts: number;
}

// Suffix order: hex/decimal number when both parse, else string order.
const LUA_CMP = `
local function older(a, b)
  local x, y = tonumber(a, 16), tonumber(b, 16)
  if x and y then return x < y end
  return a < b
end`;

// KEYS: seen, latest, commissionSeen, commissionPending, stream
// ARGV: execId, prefix, suffix, hasCommission ('1'|'0'), ts, replacesExecId hint ('' = none), field/value pairs...
const FILL_LUA = new LuaScript(`${LUA_CMP}
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return {'DUPLICATE'} end
redis.call('SADD', KEYS[1], ARGV[1])
local prev = redis.call('HGET', KEYS[2], ARGV[2])
local typ, corrects = 'FILL', nil
if prev and prev ~= ARGV[1] then
  local ps = string.match(prev, '([^.]*)$')
  if older(ARGV[3], ps) then return {'SUPERSEDED', prev} end
  typ, corrects = 'CORRECTION', prev
elseif ARGV[6] ~= '' and ARGV[6] ~= ARGV[1] then
  typ, corrects = 'CORRECTION', ARGV[6]
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
local f = {'type', typ}
if corrects then f[#f+1] = 'corrects'; f[#f+1] = corrects end
for i = 7, #ARGV do f[#f+1] = ARGV[i] end
if ARGV[4] == '1' then
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
else
  local p = redis.call('HGET', KEYS[4], ARGV[1])
  if p then
    local sep = string.find(p, '|', 1, true)
    f[#f+1] = 'commission'; f[#f+1] = string.sub(p, 1, sep - 1)
    f[#f+1] = 'commissionCurrency'; f[#f+1] = string.sub(p, sep + 1)
    redis.call('SADD', KEYS[3], ARGV[1])
    redis.call('HDEL', KEYS[4], ARGV[1])
  end
end
f[#f+1] = 'ts'; f[#f+1] = ARGV[5]
local id = redis.call('XADD', KEYS[5], '*', unpack(f))
return {typ, id, corrects or ''}
`);

// KEYS: seen, commissionSeen, commissionPending, stream   ARGV: execId, commission, currency, ts
const COMMISSION_LUA = new LuaScript(`
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return {'DUPLICATE'} end
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
  return {'PENDING'}
end
redis.call('SADD', KEYS[2], ARGV[1])
local id = redis.call('XADD', KEYS[4], '*', 'type', 'COMMISSION', 'execId', ARGV[1],
  'commission', ARGV[2], 'commissionCurrency', ARGV[3], 'ts', ARGV[4])
return {'COMMISSION', id}
`);

const s = (v: number | string | Decimal | undefined): string => (v === undefined ? '' : v.toString());

/** Split an IB execId into (prefix, last segment): `0000e0d5.6571f2a2.01.02` → (`0000e0d5.6571f2a2.01`, `02`). */
export function splitExecId(execId: string): { prefix: string; suffix: string } {
  const i = execId.lastIndexOf('.');
  return i < 0 ? { prefix: execId, suffix: '' } : { prefix: execId.slice(0, i), suffix: execId.slice(i + 1) };
}

/** Writes typed entries to the CONTRACT §5 streams; see the module comment for the exact fields. */
export class StreamPublisher {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** XADD one order state change to `<p>:orders`; returns the entry id. */
  async orderEvent(e: OrderStreamEvent): Promise<string> {
    const fields = [
      'event', e.event, 'signalId', e.signalId, 'account', e.account, 'orderRef', e.orderRef,
      'orderId', s(e.orderId), 'permId', s(e.permId), 'symbol', e.symbol, 'side', e.side,
      'quantity', s(e.quantity), 'filled', s(e.filled), 'remaining', s(e.remaining),
      'avgFillPrice', s(e.avgFillPrice), 'ts', isoTs(e.ts),
    ];
    if (e.reason !== undefined) fields.push('reason', e.reason);
    return (await fencedWrite(this.redis, 'XADD', this.keys.orders, ['*', ...fields])) as string;
  }

  /** Publish one execution to `<p>:fills`, at most once per execId (atomic; safe across processes). */
  async fill(f: FillInput): Promise<FillPublishResult> {
    const { prefix, suffix } = splitExecId(f.execId);
    const hasCommission = f.commission !== undefined;
    const fields = [
      'execId', f.execId, 'signalId', f.signalId ?? '', 'account', f.account, 'orderRef', f.orderRef ?? '',
      'orderId', s(f.orderId), 'permId', s(f.permId), 'symbol', f.instrument.symbol, 'side', f.side,
      'shares', s(f.shares), 'price', s(f.price), 'cumQty', s(f.cumQty), 'avgPrice', s(f.avgPrice), 'time', f.time,
    ];
    if (hasCommission) fields.push('commission', s(f.commission), 'commissionCurrency', f.commissionCurrency ?? '');
    const k = this.keys;
    const res = (await FILL_LUA.run(
      this.redis,
      [k.fillSeen, k.fillLatest, k.commissionSeen, k.commissionPending, k.fills],
      [f.execId, prefix, suffix, hasCommission ? '1' : '0', isoTs(f.ts), f.replacesExecId ?? '', ...fields],
    )) as string[];
    const [status, a, b] = res;
    if (status === 'DUPLICATE') return { status };
    if (status === 'SUPERSEDED') return { status, by: a ?? '' };
    if (status === 'CORRECTION') return { status, id: a ?? '', corrects: b ?? '' };
    return { status: 'FILL', id: a ?? '' };
  }

  /** Publish a commission report that arrived separately (IB `commissionReport`), at most once per execId. */
  async commission(c: { execId: string; commission: Decimal; currency: string; ts: number }): Promise<CommissionPublishResult> {
    const k = this.keys;
    const res = (await COMMISSION_LUA.run(
      this.redis,
      [k.fillSeen, k.commissionSeen, k.commissionPending, k.fills],
      [c.execId, c.commission.toString(), c.currency, isoTs(c.ts)],
    )) as string[];
    if (res[0] === 'COMMISSION') return { status: 'COMMISSION', id: res[1] ?? '' };
    return { status: res[0] === 'PENDING' ? 'PENDING' : 'DUPLICATE' };
  }

  /**
   * Which execIds were already published on `<p>:fills` (for reconciliation's `knownExecIds`): of the
   * given ids (one SMISMEMBER), or all of them when none are given.
   */
  async publishedExecIds(execIds?: readonly string[]): Promise<Set<string>> {
    if (execIds === undefined) return new Set(await this.redis.smembers(this.keys.fillSeen));
    if (execIds.length === 0) return new Set();
    const flags = await this.redis.smismember(this.keys.fillSeen, ...execIds);
    return new Set(execIds.filter((_, i) => flags[i] === 1));
  }

  /** XADD an invalid signal to `<p>:dead-letter`: `jobId, payload, errors (JSON array), ts`. */
  async deadLetter(d: DeadLetterInput): Promise<string> {
    const payload = typeof d.payload === 'string' ? d.payload : safeJson(d.payload);
    const fields = ['jobId', d.jobId, 'payload', payload, 'errors', JSON.stringify(d.errors), 'ts', isoTs(d.ts)];
    return (await fencedWrite(this.redis, 'XADD', this.keys.deadLetter, ['*', ...fields])) as string;
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** One stream entry with its fields as a plain record. */
export interface StreamEntry {
  readonly id: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** Convert ioredis' flat `[k, v, k, v]` field list into a record. */
export function fieldsToRecord(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

/** Read entries in id order, from `start` (inclusive, default "-"), at most `count` (default all, paged). */
export async function readStream(
  redis: Redis,
  key: string,
  opts: { start?: string; count?: number } = {},
): Promise<StreamEntry[]> {
  const out: StreamEntry[] = [];
  let start = opts.start ?? '-';
  const limit = opts.count ?? Number.POSITIVE_INFINITY;
  while (out.length < limit) {
    const page = await redis.xrange(key, start, '+', 'COUNT', Math.min(1000, limit - out.length));
    for (const [id, flat] of page) out.push({ id, fields: fieldsToRecord(flat) });
    if (page.length < 1000) break;
    start = `(${page[page.length - 1]?.[0] ?? ''}`;
  }
  return out;
}

/** The newest `n` entries, oldest first. */
export async function tailStream(redis: Redis, key: string, n: number): Promise<StreamEntry[]> {
  const page = await redis.xrevrange(key, '+', '-', 'COUNT', n);
  return page.reverse().map(([id, flat]) => ({ id, fields: fieldsToRecord(flat) }));
}
