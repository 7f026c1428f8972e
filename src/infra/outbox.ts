/**
 * The order outbox (reference ib-operations §2.4): one Redis hash per orderRef — i.e. per (signal,
 * account, leg) — written BEFORE anything is sent, then moved through its states by atomic Lua scripts.
 * It is the source of truth for "was this already sent?"; BullMQ redelivery and stalls are harmless
 * because a second `createIntent` for the same orderRef returns the existing record.
 *
 * States are the domain's `OrderState` (src/domain/order-state.ts): `INTENT` (decided, written before the
 * send; after a crash it may or may not be at the broker — resolve by orderRef before re-sending) →
 * `SUBMITTED` (`markSent`: handed to the socket, orderId and sentAt known) → `ACCEPTED` → … Which
 * transitions are legal is `applyOrderEvent`'s business; this store applies them atomically, with a
 * compare-and-set (`ifStateIn: [from]`) so two writers (live events vs reconciliation) cannot both win.
 * Index sets per state and per signal are kept in the same scripts, so listings never disagree with records.
 *
 * Records are never expired: the idempotency of a signal id must outlive any BullMQ retention.
 */
import type { Redis } from 'ioredis';
import { Decimal, type LegName, type OrderLeg, type Outcome, type SecType, type Side, type WorkingOrder } from '../domain/types.js';
import { optionFieldsOfPayload } from '../domain/option-fields.js';
import { ORDER_STATES, WORKING_STATES as DOMAIN_WORKING, type OrderState } from '../domain/order-state.js';
import type { Keys } from './keys.js';
import { LuaScript, fencedWrite } from './redis.js';

export { OrderIdStore, ReconcileCheckpoint } from './order-ids.js';

export const OUTBOX_STATES = ORDER_STATES;
export type OutboxState = OrderState;
/**
 * States that reserve cash (BUY) or shares (SELL) in `listWorking`: the domain's working states plus
 * `INTENT` (an order about to be sent, or one that may already be at the broker after a crash): when in
 * doubt, reserve.
 */
export const RESERVING_STATES: readonly OutboxState[] = ['INTENT', ...DOMAIN_WORKING];

/** One leg's record. Decimals are stored as exact strings. */
export interface OutboxRecord {
  readonly orderRef: string;
  readonly signalId: string;
  readonly account: string;
  readonly leg: LegName;
  readonly symbol: string;
  readonly secType: SecType;
  readonly currency: string;
  readonly side: Side;
  readonly quantity: number;
  /** the price used for cash reservation (limit, or the reference price for MKT) */
  readonly price?: Decimal;
  /** contract multiplier for reservation; 1 for stocks */
  readonly multiplier: number;
  readonly state: OutboxState;
  readonly orderId?: number;
  readonly permId?: number;
  /** epoch ms when it was handed to the socket (`markSent`) */
  readonly sentAt?: number;
  readonly filled: number;
  readonly avgFillPrice?: Decimal;
  /** free text: last broker code/message, resolution note */
  readonly note?: string;
  /** the serialized OrderLeg or anything the engine needs to resume (JSON) */
  readonly payload?: string;
  /** epoch ms */
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What `createIntent` takes: a record without state/fill progress (state = INTENT, filled = 0). */
export type NewOutboxRecord = Omit<OutboxRecord, 'state' | 'filled' | 'updatedAt' | 'orderId' | 'permId' | 'avgFillPrice' | 'sentAt'> & {
  readonly state?: 'INTENT';
};

/** Fields `update` may change. */
export type OutboxPatch = Partial<Pick<OutboxRecord, 'state' | 'orderId' | 'permId' | 'sentAt' | 'filled' | 'avgFillPrice' | 'note' | 'quantity' | 'price' | 'payload'>> & {
  /** epoch ms; required so the store never reads the clock itself */
  readonly updatedAt: number;
};

export type UpdateResult =
  | { readonly ok: true; readonly record: OutboxRecord }
  | { readonly ok: false; readonly reason: 'NOT_FOUND' }
  | { readonly ok: false; readonly reason: 'STATE_MISMATCH'; readonly record: OutboxRecord };

const FIELDS_NUM = new Set(['quantity', 'multiplier', 'orderId', 'permId', 'sentAt', 'filled', 'createdAt', 'updatedAt']);
const FIELDS_DEC = new Set(['price', 'avgFillPrice']);

function encode(obj: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out.push(k, v instanceof Decimal ? v.toString() : String(v));
  return out;
}

/** Decode a stored hash; undefined for an empty hash (absent record). */
export function decodeOutbox(h: Readonly<Record<string, string>>): OutboxRecord | undefined {
  if (h.orderRef === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === '') continue;
    out[k] = FIELDS_NUM.has(k) ? Number(v) : FIELDS_DEC.has(k) ? new Decimal(v) : v;
  }
  return out as unknown as OutboxRecord;
}

// KEYS: record, signalSet   ARGV: orderRef, statePrefix, field/value...
const CREATE_LUA = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HGETALL', KEYS[1]) end
local f = {}
for i = 3, #ARGV do f[#f+1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(f))
redis.call('SADD', ARGV[2] .. 'INTENT', ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return nil
`);

// KEYS: record, signalSet   ARGV: orderRef, statePrefix. Deletes an INTENT record only.
const DISCARD_LUA = new LuaScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'INTENT' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[2] .. 'INTENT', ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`);

// KEYS: record, byOrderId   ARGV: orderRef, statePrefix, allowedStates ('' = any, else ',A,B,'), field/value...
const UPDATE_LUA = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {'NOT_FOUND'} end
local cur = redis.call('HGET', KEYS[1], 'state')
if ARGV[3] ~= '' and not string.find(ARGV[3], ',' .. cur .. ',', 1, true) then
  return {'STATE_MISMATCH', redis.call('HGETALL', KEYS[1])}
end
local f = {}
local newState, orderId = nil, nil
for i = 4, #ARGV, 2 do
  f[#f+1] = ARGV[i]; f[#f+1] = ARGV[i+1]
  if ARGV[i] == 'state' then newState = ARGV[i+1] end
  if ARGV[i] == 'orderId' then orderId = ARGV[i+1] end
end
redis.call('HSET', KEYS[1], unpack(f))
if newState and newState ~= cur then
  redis.call('SREM', ARGV[2] .. cur, ARGV[1])
  redis.call('SADD', ARGV[2] .. newState, ARGV[1])
end
if orderId then redis.call('HSET', KEYS[2], orderId, ARGV[1]) end
return {'OK', redis.call('HGETALL', KEYS[1])}
`);

// KEYS: record, byOrderId   ARGV: orderRef, statePrefix, state, orderId ('' = none), field/value...
const ADOPT_LUA = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local f = {}
for i = 5, #ARGV do f[#f+1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(f))
redis.call('SADD', ARGV[2] .. ARGV[3], ARGV[1])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], ARGV[4], ARGV[1]) end
return 1
`);

function pairsToRecord(flat: readonly string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i] as string] = flat[i + 1] as string;
  return o;
}

/**
 * With Redis Sentinel: an INTENT counts only once a replica acknowledged it (`WAIT replicas timeoutMs`,
 * repeated up to `maxWaitMs`), so a failover cannot lose an intent whose order was sent.
 */
export interface ReplicaAck {
  readonly replicas: number;
  /** one WAIT (default 1 s) */
  readonly timeoutMs?: number;
  /** after this long without an acknowledgement the intent is discarded and the job retried (default 15 s) */
  readonly maxWaitMs?: number;
}

/** No replica acknowledged an intent in time: nothing was sent; the job runs again later. */
export class ReplicaAckError extends Error {
  constructor(orderRef: string, waitedMs: number) {
    super(`no Redis replica acknowledged the intent of ${orderRef} within ${waitedMs} ms; nothing was sent (the job runs again later)`);
    this.name = 'ReplicaAckError';
  }
}

/** The per-orderRef outbox plus per-signal outcomes; see the module comment. */
export class Outbox {
  private readonly statePrefix: string;
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly replicaAck?: ReplicaAck,
  ) {
    this.statePrefix = keys.outboxState('');
  }

  /** Waits (bounded) until a replica holds every write so far on this connection; see `ReplicaAck`. */
  private async replicated(record: NewOutboxRecord): Promise<void> {
    const a = this.replicaAck;
    if (!a) return;
    const step = a.timeoutMs ?? 1_000;
    const max = a.maxWaitMs ?? 15_000;
    for (let waited = 0; waited < max; waited += step) {
      if (Number(await this.redis.call('WAIT', a.replicas, step)) >= a.replicas) return;
    }
    await DISCARD_LUA.run(this.redis, [this.keys.outboxOrder(record.orderRef), this.keys.outboxSignal(record.signalId)], [record.orderRef, this.statePrefix]).catch(() => undefined);
    throw new ReplicaAckError(record.orderRef, max);
  }

  /**
   * Create the INTENT record if no record exists for `record.orderRef` (atomic). Returns
   * `{ created: true }` for the single winner, or `{ created: false, existing }` with the stored record
   * (in whatever state it has reached) — the caller must then NOT send again blindly.
   */
  async createIntent(record: NewOutboxRecord): Promise<{ created: true; record: OutboxRecord } | { created: false; existing: OutboxRecord }> {
    const full = { ...record, state: 'INTENT' as const, filled: 0, updatedAt: record.createdAt };
    const res = (await CREATE_LUA.run(
      this.redis,
      [this.keys.outboxOrder(record.orderRef), this.keys.outboxSignal(record.signalId)],
      [record.orderRef, this.statePrefix, ...encode(full)],
    )) as string[] | null;
    if (res === null) {
      await this.replicated(record);
      return { created: true, record: decodeOutbox(pairsToRecord(encode(full))) as OutboxRecord };
    }
    return { created: false, existing: decodeOutbox(pairsToRecord(res)) as OutboxRecord };
  }

  /**
   * Re-adopt an order found at the broker that we hold no record of (after a loss of Redis state): the
   * record is created in the state the broker reports, with its ids, unless one exists (atomic). It
   * belongs to no known signal or job (`payload.jobId` names the adoption), so a signal whose orderRef
   * maps onto it is answered DUPLICATE and never sent again. Returns true when it was created.
   */
  async adopt(record: Omit<OutboxRecord, 'updatedAt'>): Promise<boolean> {
    const full = { ...record, updatedAt: record.createdAt };
    const res = await ADOPT_LUA.run(
      this.redis,
      [this.keys.outboxOrder(record.orderRef), this.keys.outboxByOrderId],
      [record.orderRef, this.statePrefix, record.state, record.orderId !== undefined ? String(record.orderId) : '', ...encode(full)],
    );
    return res === 1;
  }

  /**
   * Remove an INTENT record that provably never left the process (the broker call threw before sending).
   * Returns false, and changes nothing, when the record has moved past INTENT.
   */
  async discardIntent(orderRef: string, signalId: string): Promise<boolean> {
    const res = await DISCARD_LUA.run(this.redis, [this.keys.outboxOrder(orderRef), this.keys.outboxSignal(signalId)], [orderRef, this.statePrefix]);
    return res === 1;
  }

  /**
   * Apply `patch` atomically; with `ifStateIn`, only when the current state is one of them (compare-and-set).
   * A state change moves the orderRef between the state index sets; an orderId is indexed for `findByOrderId`.
   */
  async update(orderRef: string, patch: OutboxPatch, opts: { ifStateIn?: readonly OutboxState[] } = {}): Promise<UpdateResult> {
    const allowed = opts.ifStateIn === undefined ? '' : `,${opts.ifStateIn.join(',')},`;
    const res = (await UPDATE_LUA.run(
      this.redis,
      [this.keys.outboxOrder(orderRef), this.keys.outboxByOrderId],
      [orderRef, this.statePrefix, allowed, ...encode(patch)],
    )) as [string, string[]?];
    if (res[0] === 'NOT_FOUND') return { ok: false, reason: 'NOT_FOUND' };
    const record = decodeOutbox(pairsToRecord(res[1] ?? [])) as OutboxRecord;
    return res[0] === 'OK' ? { ok: true, record } : { ok: false, reason: 'STATE_MISMATCH', record };
  }

  /**
   * Record that the order was handed to the socket: INTENT → SUBMITTED with orderId and sentAt. When an
   * ack or reconciliation already moved it further, only a missing orderId is stored (the state never moves
   * back); STATE_MISMATCH only when a DIFFERENT orderId is already recorded.
   */
  async markSent(orderRef: string, orderId: number, now: number): Promise<UpdateResult> {
    const r = await this.update(orderRef, { state: 'SUBMITTED', orderId, sentAt: now, updatedAt: now }, { ifStateIn: ['INTENT'] });
    if (r.ok || r.reason === 'NOT_FOUND') return r;
    if (r.record.orderId === orderId) return { ok: true, record: r.record };
    if (r.record.orderId !== undefined) return r; // a different id is already recorded: the caller must look
    return this.update(orderRef, { orderId, updatedAt: now });
  }

  async get(orderRef: string): Promise<OutboxRecord | undefined> {
    return decodeOutbox(await this.redis.hgetall(this.keys.outboxOrder(orderRef)));
  }

  /** The record that carries `orderId` (from `update`/`markSent`), if any. */
  async findByOrderId(orderId: number): Promise<OutboxRecord | undefined> {
    const ref = await this.redis.hget(this.keys.outboxByOrderId, String(orderId));
    return ref === null ? undefined : this.get(ref);
  }

  /** Records in any of `states` (order unspecified). */
  async listByState(states: readonly OutboxState[]): Promise<OutboxRecord[]> {
    if (states.length === 0) return [];
    const refs = await this.redis.sunion(...states.map((s) => this.keys.outboxState(s)));
    return this.getMany(refs);
  }

  /** Records of one signal (all accounts and legs). */
  async listBySignal(signalId: string): Promise<OutboxRecord[]> {
    return this.getMany(await this.redis.smembers(this.keys.outboxSignal(signalId)));
  }

  /**
   * Working orders of `account` (states in RESERVING_STATES) as domain `WorkingOrder`s: `remaining` =
   * quantity − filled; `reservedCash` = remaining × price × multiplier for a BUY with a price, else 0.
   */
  async listWorking(account: string): Promise<WorkingOrder[]> {
    const recs = (await this.listByState(RESERVING_STATES)).filter((r) => r.account === account);
    return recs.map((r) => ({ ...workingOrderOf(r, Math.max(0, r.quantity - r.filled)), ...(r.secType === 'OPT' ? optionFieldsOfPayload(r.payload) : {}) }));
  }

  private async getMany(refs: readonly string[]): Promise<OutboxRecord[]> {
    if (refs.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const ref of refs) pipe.hgetall(this.keys.outboxOrder(ref));
    const res = (await pipe.exec()) ?? [];
    const out: OutboxRecord[] = [];
    for (const [err, h] of res) {
      if (err) throw err;
      const r = decodeOutbox(h as Record<string, string>);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** Store the job outcome of a signal (overwrites); a redelivered job reads it with `getOutcome`. */
  async saveOutcome(signalId: string, outcome: Outcome): Promise<void> {
    await fencedWrite(this.redis, 'SET', this.keys.outcome(signalId), [JSON.stringify(outcome)]);
  }

  /** The stored outcome of a signal, or undefined when it was never completed. */
  async getOutcome(signalId: string): Promise<Outcome | undefined> {
    const v = await this.redis.get(this.keys.outcome(signalId));
    return v === null ? undefined : (JSON.parse(v) as Outcome);
  }
}

/**
 * One record as a reservation of `remaining` units: `reservedCash` = remaining × price × multiplier for a
 * BUY with a price (futures reserve no cash: their margin is checked by the IRA futures rule); conId,
 * leg and OCA group come from the stored leg.
 */
export function workingOrderOf(r: Pick<OutboxRecord, 'orderRef' | 'account' | 'symbol' | 'secType' | 'side' | 'currency' | 'price' | 'multiplier' | 'leg'> & { readonly payload?: string }, remaining: number): WorkingOrder {
  const reservedCash = r.side === 'BUY' && r.price !== undefined && r.secType !== 'FUT' ? r.price.mul(remaining).mul(r.multiplier) : new Decimal(0);
  let leg: Partial<OrderLeg> | undefined;
  try {
    const p = JSON.parse(r.payload ?? '{}') as { leg?: Partial<OrderLeg> };
    leg = p.leg;
  } catch {
    leg = undefined;
  }
  const conId = leg?.instrument?.conId;
  return {
    orderRef: r.orderRef, account: r.account, symbol: r.symbol, secType: r.secType, side: r.side, remaining, reservedCash, currency: r.currency,
    multiplier: r.multiplier, leg: r.leg,
    ...(r.price !== undefined ? { price: r.price } : {}),
    ...(typeof conId === 'number' ? { conId } : {}),
    ...(typeof leg?.ocaGroup === 'string' ? { ocaGroup: leg.ocaGroup } : {}),
    ...(typeof leg?.parentRef === 'string' ? { parentRef: leg.parentRef } : {}),
  };
}

/** Serialize an OrderLeg for `OutboxRecord.payload` (Decimals as exact strings). */
export function legToPayload(leg: OrderLeg): string {
  return JSON.stringify(leg);
}

/** Parse `legToPayload` output back into an OrderLeg with Decimals restored. */
export function payloadToLeg(payload: string): OrderLeg {
  const o = JSON.parse(payload) as Record<string, unknown> & { instrument: Record<string, unknown> };
  const dec = (v: unknown): Decimal | undefined => (v === undefined || v === null ? undefined : new Decimal(v as string));
  const out: Record<string, unknown> = { ...o, instrument: { ...o.instrument } };
  for (const k of ['limitPrice', 'stopPrice', 'trailingPercent']) if (o[k] !== undefined) out[k] = dec(o[k]);
  if (o.instrument.strike !== undefined) (out.instrument as Record<string, unknown>).strike = dec(o.instrument.strike);
  return out as unknown as OrderLeg;
}
