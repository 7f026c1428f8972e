/**
 * The kill switch (CONTRACT §1, §5): `<p>:trading-state` (global) and `<p>:trading-state:<account>`.
 * Each value is a signed JSON object `{"state":"HALTED","ts":<epoch ms>,"by":"cli","reason":"…","sig":"…"}`
 * whose `sig` is an HMAC with the control key over the key name and the other fields (signing.ts).
 * Fail closed: a MISSING value, one that is not such JSON, an unknown state, a bad signature, or a value
 * older than one this store already saw at that key (a replay) all read as `HALTED`, with the reason in
 * `problem`. The daemon seeds `ACTIVE` on its very first start (see state-guard.ts), so a newcomer is not
 * blocked; after that a vanished key means someone or something removed it.
 * The effective state of an account is the stricter of global and account (`HALTED` > `REDUCE_ONLY` > `ACTIVE`).
 *
 * Usage: read `effective(account)` right before each order (one MGET round trip; a Redis error throws,
 * and the caller must then not trade). `set*` return the previous value so the caller can audit the
 * change; this module does not write the audit trail itself. `watch()` polls for operators/status.
 */
import type { Redis } from 'ioredis';
import { TRADING_STATES, type TradingState } from '../domain/types.js';
import type { Keys } from './keys.js';
import { fencedWrite } from './redis.js';
import { macEquals, stateMac } from './signing.js';

const RANK: Readonly<Record<TradingState, number>> = { ACTIVE: 0, REDUCE_ONLY: 1, HALTED: 2 };

/** The stricter of the global and the account state (pure). */
export function effectiveState(global: TradingState, account: TradingState = 'ACTIVE'): TradingState {
  return RANK[account] > RANK[global] ? account : global;
}

/** Who set a value and why (stored in it, covered by the signature). */
export interface StateMeta {
  /** "cli", "daemon", "reconcile", "control" … */
  readonly by?: string;
  readonly reason?: string;
}

/** One decoded value. `problem` is set when it reads as HALTED because it is missing, unsigned, forged or replayed. */
export interface StateReading {
  readonly state: TradingState;
  readonly ts?: number;
  readonly by?: string;
  readonly reason?: string;
  readonly problem?: string;
}

/** The signed value to store at `redisKey` (pure). */
export function encodeState(key: Buffer, redisKey: string, state: TradingState, ts: number, meta: StateMeta = {}): string {
  const fields: Record<string, unknown> = { state, ts, by: meta.by ?? 'unknown', ...(meta.reason ? { reason: meta.reason } : {}) };
  return JSON.stringify({ ...fields, sig: stateMac(key, redisKey, fields) });
}

/** A stored value → its reading, failing closed (pure). `floor`: the newest ts already seen at this key. */
export function decodeState(key: Buffer, redisKey: string, raw: string | null | undefined, floor?: number): StateReading {
  const halted = (problem: string): StateReading => ({ state: 'HALTED', problem });
  if (raw === null || raw === undefined) return halted('no trading state is set (a missing value reads as HALTED)');
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return halted(`the value ${JSON.stringify(raw.slice(0, 20))} is not a signed trading state`);
  }
  if (v === null || typeof v !== 'object' || typeof v.sig !== 'string' || typeof v.ts !== 'number') return halted('the value is not signed');
  if (!macEquals(v.sig, stateMac(key, redisKey, v))) return halted('the signature does not match (not written with this control key)');
  if (!(TRADING_STATES as readonly string[]).includes(String(v.state))) return halted(`unknown state ${JSON.stringify(v.state)}`);
  const reading: StateReading = {
    state: v.state as TradingState,
    ts: v.ts,
    ...(typeof v.by === 'string' ? { by: v.by } : {}),
    ...(typeof v.reason === 'string' ? { reason: v.reason } : {}),
  };
  if (floor !== undefined && v.ts < floor) return { ...reading, state: 'HALTED', problem: `an older value (ts ${v.ts}) replaced a newer one (ts ${floor}): replayed` };
  return reading;
}

export interface EffectiveTradingState {
  readonly global: TradingState;
  readonly account: TradingState;
  readonly effective: TradingState;
}

export interface TradingStateSnapshot {
  readonly global: TradingState;
  readonly accounts: Readonly<Record<string, TradingState>>;
}

export interface TradingStateChange {
  /** "global" or the account id */
  readonly scope: string;
  readonly previous: TradingState;
  readonly current: TradingState;
}

function assertState(state: TradingState): void {
  if (!(TRADING_STATES as readonly string[]).includes(state)) throw new Error(`invalid trading state ${String(state)}`);
}

/** Reads and writes the signed trading-state keys; see the module comment. */
export class TradingStateStore {
  /** Redis key → the newest valid ts seen there (replay protection for this process) */
  private readonly floors = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly controlKey: Buffer,
    private readonly clock: { now(): number } = { now: () => Date.now() },
    /**
     * the declared accounts, when known: an account NOT declared has no seeded key and is never traded
     * (UNKNOWN_ACCOUNT), so its missing key adds no HALTED of its own (the global state still applies)
     */
    private readonly declared?: ReadonlySet<string>,
  ) {}

  /** The Redis key of a scope ("global" or an account id). */
  keyOf(scope: string): string {
    return scope === 'global' ? this.keys.tradingState : this.keys.tradingStateFor(scope);
  }

  /** Remember `ts` as the newest value seen at `redisKey` (the daemon seeds this from its state directory). */
  noteFloor(redisKey: string, ts: number): void {
    if (ts > (this.floors.get(redisKey) ?? -Infinity)) this.floors.set(redisKey, ts);
  }

  /** Told of every present value that reads HALTED because it is unsigned, forged or replayed (the daemon logs and audits it once). */
  onInvalid: ((redisKey: string, raw: string, problem: string) => void) | undefined;

  /** Decode (and raise the floor of) one raw value. */
  read(redisKey: string, raw: string | null | undefined): StateReading {
    const r = decodeState(this.controlKey, redisKey, raw, this.floors.get(redisKey));
    if (r.problem === undefined && r.ts !== undefined) this.noteFloor(redisKey, r.ts);
    else if (r.problem !== undefined && raw !== null && raw !== undefined) this.onInvalid?.(redisKey, raw, r.problem);
    return r;
  }

  async getGlobal(): Promise<TradingState> {
    return this.read(this.keys.tradingState, await this.redis.get(this.keys.tradingState)).state;
  }

  /** The account's own setting (not combined with the global one). */
  async getAccount(account: string): Promise<TradingState> {
    const k = this.keys.tradingStateFor(account);
    return this.read(k, await this.redis.get(k)).state;
  }

  /** Global, account and effective state in one round trip. */
  async effective(account: string): Promise<EffectiveTradingState> {
    const ak = this.keys.tradingStateFor(account);
    const [g, a] = await this.redis.mget(this.keys.tradingState, ak);
    const global = this.read(this.keys.tradingState, g).state;
    const acc = a === null && this.declared !== undefined && !this.declared.has(account) ? 'ACTIVE' : this.read(ak, a).state;
    return { global, account: acc, effective: effectiveState(global, acc) };
  }

  /** Every scope's full reading ("global" first, then `accounts`) in one round trip. */
  async readings(accounts: readonly string[]): Promise<Record<string, StateReading>> {
    const scopes = ['global', ...accounts];
    const vals = await this.redis.mget(...scopes.map((s) => this.keyOf(s)));
    return Object.fromEntries(scopes.map((s, i) => [s, this.read(this.keyOf(s), vals[i])]));
  }

  /** Global and per-account states of `accounts` in one round trip. */
  async snapshot(accounts: readonly string[]): Promise<TradingStateSnapshot> {
    const r = await this.readings(accounts);
    const out: Record<string, TradingState> = {};
    for (const a of accounts) out[a] = r[a]?.state ?? 'HALTED';
    return { global: r.global?.state ?? 'HALTED', accounts: out };
  }

  /** The raw stored values of the given scopes (for the state-directory mirror); null = missing. */
  async raw(accounts: readonly string[]): Promise<Record<string, string | null>> {
    const keys = [this.keys.tradingState, ...accounts.map((a) => this.keys.tradingStateFor(a))];
    const vals = await this.redis.mget(...keys);
    return Object.fromEntries(keys.map((k, i) => [k, vals[i] ?? null]));
  }

  /** Set the global state (signed); returns the previous state, for the caller's audit record. */
  setGlobal(state: TradingState, meta?: StateMeta): Promise<TradingState> {
    return this.set(this.keys.tradingState, state, meta);
  }

  /** Set one account's state (signed); returns the previous account-level state. */
  setAccount(account: string, state: TradingState, meta?: StateMeta): Promise<TradingState> {
    return this.set(this.keys.tradingStateFor(account), state, meta);
  }

  /** Store `ACTIVE` where no value exists (SET NX; first start only); returns the scopes it wrote. */
  async seedActive(accounts: readonly string[], meta: StateMeta): Promise<string[]> {
    const out: string[] = [];
    for (const scope of ['global', ...accounts]) {
      const k = this.keyOf(scope);
      if ((await fencedWrite(this.redis, 'SET', k, [encodeState(this.controlKey, k, 'ACTIVE', this.clock.now(), meta), 'NX'])) === 'OK') out.push(scope);
    }
    return out;
  }

  /**
   * The signed value is stamped with a ts above the one it replaces (so a replay of any earlier value is
   * older), then swapped in with SET … GET; the previous value is decoded for the caller's audit record.
   */
  private async set(redisKey: string, state: TradingState, meta: StateMeta = {}): Promise<TradingState> {
    assertState(state);
    const before = decodeState(this.controlKey, redisKey, await this.redis.get(redisKey));
    const ts = Math.max(this.clock.now(), (before.ts ?? 0) + 1, (this.floors.get(redisKey) ?? 0) + 1);
    const prev = (await fencedWrite(this.redis, 'SET', redisKey, [encodeState(this.controlKey, redisKey, state, ts, meta), 'GET'])) as string | null;
    this.noteFloor(redisKey, ts);
    return decodeState(this.controlKey, redisKey, prev).state;
  }

  /**
   * Poll every `intervalMs` (default 1000) and call `onChange` for each scope whose state changed since the
   * previous poll; the baseline is `opts.initial` when given (so no change after it can be missed), else
   * the first poll. Errors go to `onError`; polling continues.
   * The timer does not keep the process alive. Returns a function that stops polling.
   */
  watch(
    accounts: readonly string[],
    onChange: (change: TradingStateChange) => void,
    opts: { intervalMs?: number; onError?: (e: unknown) => void; initial?: TradingStateSnapshot } = {},
  ): () => void {
    let last: TradingStateSnapshot | undefined = opts.initial;
    let busy = false;
    const poll = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        const snap = await this.snapshot(accounts);
        if (last !== undefined) diffSnapshots(last, snap).forEach(onChange);
        last = snap;
      } catch (e) {
        opts.onError?.(e);
      } finally {
        busy = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), opts.intervalMs ?? 1000);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** The changes between two snapshots (pure). */
export function diffSnapshots(a: TradingStateSnapshot, b: TradingStateSnapshot): TradingStateChange[] {
  const out: TradingStateChange[] = [];
  if (a.global !== b.global) out.push({ scope: 'global', previous: a.global, current: b.global });
  for (const [acc, cur] of Object.entries(b.accounts)) {
    const prev = a.accounts[acc] ?? 'HALTED';
    if (prev !== cur) out.push({ scope: acc, previous: prev, current: cur });
  }
  return out;
}
